# make bench's two figures, from the data files bench/run.pl writes:
#   gnuplot -e "data='DIR'; out='PREFIX'; run='LABEL'" bench/plots.gp
# DIR/instructions.dat: workload, then bare, floor, recipe, mod_preflight
# DIR/origins.dat: origins, then module and recipe per workload
# writes PREFIX-instructions.png and PREFIX-origins.png.

set terminal pngcairo size 960,560 font 'DejaVu Sans,11' noenhanced
set datafile separator whitespace
set key top left horizontal noautotitle
set grid ytics lc rgb '#dddddd'
set border 3
set tics nomirror

# 1. Instructions per request, the four side by side per workload (row k
# of the data at x = k, bar i of the four at k + (i - 3.5) / 5).
set output out.'-instructions.png'
set title "Instructions per request (callgrind), ".run
set ylabel 'instructions per request'
set style fill solid 0.85 border -1
set boxwidth 0.18
set xrange [-0.6:2.6]
set yrange [0:*]
set offsets 0, 0, graph 0.1, 0
set format y "%.0s%c"
set xtics scale 0
colors = "#9e9e9e #4c9a2a #d1495b #1f5fa8"
set key autotitle columnheader
plot data.'/instructions.dat' using 0:(NaN):xtic(1) notitle, \
     for [i=2:5] '' using ($0 + (i - 3.5) / 5):i title columnheader(i) \
         with boxes lc rgb word(colors, i-1), \
     for [i=2:5] '' using ($0 + (i - 3.5) / 5):i:(sprintf("%.1fk", column(i) / 1000.0)) \
         with labels offset 0,0.7 font ',9' notitle

# 2. Cost against the number of origins, module and recipe, log-log.
set output out.'-origins.png'
set title "Instructions per request against the number of origins, ".run
set style data linespoints
set key noautotitle
unset boxwidth
set logscale xy
set xrange [0.7:14000]
set yrange [10000:*]
set offsets 0, 0, 0, 0
set xtics ("1" 1, "100" 100, "1,000" 1000, "10,000" 10000)
set xtics scale 1
set xlabel 'allowed origins'
set ylabel 'instructions per request (log)'
set format y "%.0s%c"
set key top left vertical
wl = "preflight actual plain"
wc = "#1f5fa8 #d1495b #4c9a2a"
plot for [i=1:3] data.'/origins.dat' using 1:(column(1 + i)) \
         title 'mod_preflight, '.word(wl, i) lc rgb word(wc, i) lw 2 pt 7 dt 1, \
     for [i=1:3] '' using 1:(column(4 + i)) \
         title 'recipe, '.word(wl, i) lc rgb word(wc, i) lw 2 pt 5 dt 2
