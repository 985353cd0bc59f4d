<?php
/*
 * Installs the private WordPress copy without a browser, the way its
 * installer page does (wp_install()), then switches on pretty permalinks
 * and writes WordPress's own rewrite rules into the site's .htaccess
 * (insert_with_markers(), as saving the permalink settings does).
 *
 *   php install.php SITE_DIR URL
 *
 * Prints one line of JSON: the versions of WordPress, PHP and the database
 * server, and the rewrite rules it wrote.
 */
if ($argc != 3) {
    fwrite(STDERR, "usage: php install.php SITE_DIR URL\n");
    exit(2);
}
[$site, $url] = [$argv[1], $argv[2]];
$parts = parse_url($url);
$_SERVER['HTTP_HOST'] = $parts['host'] . (isset($parts['port']) ? ':' . $parts['port'] : '');
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REQUEST_METHOD'] = 'GET';

define('WP_INSTALLING', true);

// The installer mails the new password to the administrator; there is no
// mail here to send it with.
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {}

require $site . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

if (is_blog_installed()) {
    fwrite(STDERR, "install.php: WordPress is already installed in this database\n");
    exit(1);
}
$result = wp_install('mod_preflight field site', 'admin', 'admin@example.invalid', true, '',
                     wp_generate_password(24));
if (empty($result['user_id'])) {
    fwrite(STDERR, "install.php: wp_install() failed\n");
    exit(1);
}

global $wp_rewrite, $wpdb, $wp_version;
$wp_rewrite->set_permalink_structure('/%postname%/');
$wp_rewrite->flush_rules(false);
$rules = $wp_rewrite->mod_rewrite_rules();
if (!insert_with_markers($site . '/.htaccess', 'WordPress', explode("\n", $rules))) {
    fwrite(STDERR, "install.php: cannot write $site/.htaccess\n");
    exit(1);
}

echo json_encode([
    'wordpress' => $wp_version,
    'php' => PHP_VERSION,
    'database' => $wpdb->db_server_info(),
    'rewrite_rules' => $rules,
]), "\n";
