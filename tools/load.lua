-- tools/load.lua: the request mix of tools/load.sh, and a check of every
-- response against what the policy of its scope must answer.
--
--   wrk -t N -c N -s tools/load.lua http://127.0.0.1:PORT -- MODE
--
-- MODE is "load" (default), "graceful" (every request carries
-- Connection: close and X-Load-Phase: graceful) or "selftest" (every
-- expectation is replaced by its opposite, so every response must be
-- reported: proves that each check can fail).
--
-- wrk runs one connection per thread here (-t N -c N): wrk's response()
-- does not say which request it answers, and with several connections per
-- thread the responses of different connections interleave. With one, a
-- thread has a single request in flight, and a response answers the
-- request() just before it.
--
-- wrk hands response() a Lua table of the headers, built with rawset: of
-- two header lines with the same name, the table keeps only the last. A
-- repeated Access-Control-Allow-Origin is therefore invisible here when the
-- two lines are spelled alike (tools/load.sh checks raw responses for
-- that); two spellings that differ in case are caught below, and a folded
-- "a, b" value fails the equality with the origin sent.

local policies = {
    -- <Location /loc/>
    loc = {
        allowed = { "https://app.example.com", "https://loc.example.com" },
        denied  = { "https://evil.example.com", "https://a.dir.example.com",
                    "https://app.example.com.evil.net", "null",
                    "https://app.example.com:8443" },
        bad_methods = { "DELETE", "put", "PATCH" },
        methods = { "GET", "POST", "PUT" },
        headers = { "content-type", "x-token" },
        status = 204,
    },
    -- <Directory htdocs/dir>: wildcard origin, credentials, max-age
    dir = {
        allowed = { "https://app.example.com", "https://a.dir.example.com",
                    "https://a.b.dir.example.com" },
        denied  = { "https://dir.example.com", "http://a.dir.example.com",
                    "https://a.dir.example.com.evil.net",
                    "https://loc.example.com", "https://adir.example.com" },
        bad_methods = { "DELETE", "POST", "Put" },
        methods = { "GET", "PUT" },
        headers = { "content-type", "x-token" },
        credentials = true,
        max_age = "600",
        status = 204,
    },
    -- htdocs/ht/.htaccess: any port of localhost, exposed header, 200
    ht = {
        allowed = { "https://app.example.com", "http://localhost:8080",
                    "http://localhost:3000" },
        denied  = { "https://localhost:8080", "http://localhost.evil.net:8080",
                    "https://evil.example.com", "http://127.0.0.1:8080" },
        bad_methods = { "DELETE", "post", "PATCH" },
        methods = { "PUT", "POST" },
        headers = { "content-type", "x-token" },
        expose = "X-Request-Id",
        status = 200,
    },
}

local bad_header_lists = { "content-type,x-evil", "authorization",
                           "x-token, x-token-2", "content-type,,x evil" }

local cases = {}

local function add(c)
    cases[#cases + 1] = c
end

local function build_cases()
    cases = {}
    for _, scope in ipairs({ "loc", "dir", "ht" }) do
        local p = policies[scope]
        local path = "/" .. scope .. "/data.json"
        for _, o in ipairs(p.allowed) do
            add{ kind = "preflight-allowed", scope = scope, method = "OPTIONS",
                 path = path, origin = o, acrm = "PUT",
                 acrh = "content-type,x-token" }
            add{ kind = "actual-allowed", scope = scope, method = "GET",
                 path = path, origin = o }
        end
        -- OPTIONS without Access-Control-Request-Method is not a preflight:
        -- the core answers it, the module treats it as an actual request.
        add{ kind = "options-allowed", scope = scope, method = "OPTIONS",
             path = path, origin = p.allowed[2] }
        for _, o in ipairs(p.denied) do
            add{ kind = "preflight-denied", scope = scope, method = "OPTIONS",
                 path = path, origin = o, acrm = "PUT",
                 acrh = "content-type,x-token" }
            add{ kind = "actual-denied", scope = scope, method = "GET",
                 path = path, origin = o }
        end
        for _, m in ipairs(p.bad_methods) do
            add{ kind = "preflight-denied", scope = scope, method = "OPTIONS",
                 path = path, origin = p.allowed[1], acrm = m,
                 acrh = "content-type" }
        end
        for _, hl in ipairs(bad_header_lists) do
            add{ kind = "preflight-denied", scope = scope, method = "OPTIONS",
                 path = path, origin = p.allowed[1], acrm = "PUT", acrh = hl }
        end
        add{ kind = "no-origin", scope = scope, method = "GET", path = path }
    end
    -- The same requests where no policy applies: httpd as without the module.
    local out = "/out/data.json"
    add{ kind = "out", scope = "out", method = "OPTIONS", path = out,
         origin = "https://app.example.com", acrm = "PUT",
         acrh = "content-type,x-token" }
    add{ kind = "out", scope = "out", method = "GET", path = out,
         origin = "https://app.example.com" }
    add{ kind = "out", scope = "out", method = "GET", path = out,
         origin = "https://evil.example.com" }
    add{ kind = "out", scope = "out", method = "GET", path = out }
end

local inverse = {
    ["preflight-allowed"] = "preflight-denied",
    ["preflight-denied"]  = "preflight-allowed",
    ["actual-allowed"]    = "actual-denied",
    ["actual-denied"]     = "actual-allowed",
    ["options-allowed"]   = "out",
    ["no-origin"]         = "out",
    ["out"]               = "no-origin",
}

mode = "load"
local requests_text = {}

local function build_requests()
    local host = wrk.host .. (wrk.port and (":" .. wrk.port) or "")
    local extra = ""
    if mode == "graceful" then
        extra = "Connection: close\r\nX-Load-Phase: graceful\r\n"
    end
    requests_text = {}
    for i, c in ipairs(cases) do
        local s = c.method .. " " .. c.path .. " HTTP/1.1\r\nHost: " .. host .. "\r\n"
        if c.origin then s = s .. "Origin: " .. c.origin .. "\r\n" end
        if c.acrm then s = s .. "Access-Control-Request-Method: " .. c.acrm .. "\r\n" end
        if c.acrh then s = s .. "Access-Control-Request-Headers: " .. c.acrh .. "\r\n" end
        requests_text[i] = s .. extra .. "\r\n"
    end
end

-- Per-thread state, read by done() through thread:get().
id = 0
issued = 0
responses = 0
mismatches = 0
unanswered = 0
failures = {}
kinds = {}

local next_case = 1
local current = nil       -- the case whose response is awaited

build_cases()
build_requests()

local threads = {}

function setup(thread)
    thread:set("id", #threads + 1)
    threads[#threads + 1] = thread
end

function init(args)
    mode = args[1] or "load"
    if mode ~= "load" and mode ~= "graceful" and mode ~= "selftest" then
        error("unknown mode " .. mode)
    end
    build_requests()
    -- Threads start at different places of the mix, so that at any moment
    -- the server sees different kinds of request at once.
    next_case = ((id - 1) * 7) % #cases + 1
end

function request()
    issued = issued + 1
    -- One request in flight per thread: a request() while the previous one
    -- is unanswered means wrk gave up on it, for instance because the
    -- server closed the connection without answering, which wrk itself
    -- neither retries nor counts as an error.
    if current then
        unanswered = unanswered + 1
    end
    current = next_case
    next_case = next_case % #cases + 1
    return requests_text[current]
end

local function lower_headers(headers)
    local h, dup = {}, nil
    for name, value in pairs(headers) do
        local n = name:lower()
        if h[n] ~= nil then dup = n end
        h[n] = value
    end
    return h, dup
end

local function tokens(value, fold)
    local set, n = {}, 0
    if value then
        for t in value:gmatch("[^,%s]+") do
            if fold then t = t:lower() end
            if not set[t] then n = n + 1 end
            set[t] = true
        end
    end
    return set, n
end

local function has_token(value, token)
    return (tokens(value, true))[token:lower()] == true
end

local function same_set(value, list, fold)
    local set, n = tokens(value, fold)
    if n ~= #list then return false end
    for _, item in ipairs(list) do
        if not set[fold and item:lower() or item] then return false end
    end
    return true
end

local function cors_names(h)
    local names = {}
    for n in pairs(h) do
        if n:sub(1, 15) == "access-control-" then names[#names + 1] = n end
    end
    table.sort(names)
    return names
end

local function only(h, allowed)
    for _, n in ipairs(cors_names(h)) do
        if not allowed[n] then return "unexpected " .. n end
    end
    return nil
end

local function q(v)
    return v == nil and "(none)" or ("'" .. v .. "'")
end

local function check(kind, c, status, h, body)
    local p = policies[c.scope]
    local want_body = c.method == "GET" and ('"scope":"' .. c.scope .. '"') or nil
    local function body_ok()
        if want_body then return body:find(want_body, 1, true) ~= nil end
        return true
    end
    local acao = h["access-control-allow-origin"]

    if kind == "preflight-allowed" then
        if status ~= p.status then return "status " .. status .. ", want " .. p.status end
        if body ~= "" then return "preflight answer has a body" end
        if acao ~= c.origin then return "Access-Control-Allow-Origin " .. q(acao) end
        local acac = h["access-control-allow-credentials"]
        if acac ~= (p.credentials and "true" or nil) then
            return "Access-Control-Allow-Credentials " .. q(acac)
        end
        if not same_set(h["access-control-allow-methods"], p.methods, false) then
            return "Access-Control-Allow-Methods " .. q(h["access-control-allow-methods"])
        end
        if not same_set(h["access-control-allow-headers"], p.headers, true) then
            return "Access-Control-Allow-Headers " .. q(h["access-control-allow-headers"])
        end
        if h["access-control-max-age"] ~= p.max_age then
            return "Access-Control-Max-Age " .. q(h["access-control-max-age"])
        end
        local e = only(h, { ["access-control-allow-origin"] = true,
                            ["access-control-allow-credentials"] = true,
                            ["access-control-allow-methods"] = true,
                            ["access-control-allow-headers"] = true,
                            ["access-control-max-age"] = true })
        if e then return e end
        if not (has_token(h["allow"], "PUT") and has_token(h["allow"], "OPTIONS")) then
            return "Allow " .. q(h["allow"])
        end
        if not has_token(h["vary"], "Origin") then return "Vary " .. q(h["vary"]) end
        return nil
    end

    if kind == "preflight-denied" then
        if status ~= 403 then return "status " .. status .. ", want 403" end
        local names = cors_names(h)
        if #names > 0 then return "denied preflight carries " .. names[1] end
        if not has_token(h["vary"], "Origin") then return "Vary " .. q(h["vary"]) end
        return nil
    end

    if kind == "actual-allowed" or kind == "options-allowed" then
        if status ~= 200 then return "status " .. status .. ", want 200" end
        if not body_ok() then return "body is not " .. c.path .. "'s" end
        if acao ~= c.origin then return "Access-Control-Allow-Origin " .. q(acao) end
        local acac = h["access-control-allow-credentials"]
        if acac ~= (p.credentials and "true" or nil) then
            return "Access-Control-Allow-Credentials " .. q(acac)
        end
        if h["access-control-expose-headers"] ~= p.expose then
            return "Access-Control-Expose-Headers " .. q(h["access-control-expose-headers"])
        end
        local e = only(h, { ["access-control-allow-origin"] = true,
                            ["access-control-allow-credentials"] = true,
                            ["access-control-expose-headers"] = true })
        if e then return e end
        if not has_token(h["vary"], "Origin") then return "Vary " .. q(h["vary"]) end
        return nil
    end

    if kind == "actual-denied" or kind == "no-origin" then
        if status ~= 200 then return "status " .. status .. ", want 200" end
        if not body_ok() then return "body is not " .. c.path .. "'s" end
        local names = cors_names(h)
        if #names > 0 then return kind .. " response carries " .. names[1] end
        if not has_token(h["vary"], "Origin") then return "Vary " .. q(h["vary"]) end
        return nil
    end

    if kind == "out" then
        if status ~= 200 then return "status " .. status .. ", want 200" end
        if not body_ok() then return "body is not " .. c.path .. "'s" end
        local names = cors_names(h)
        if #names > 0 then return "out of scope, yet " .. names[1] end
        if has_token(h["vary"], "Origin") then return "out of scope, yet Vary " .. q(h["vary"]) end
        return nil
    end

    return "unknown kind " .. kind
end

local function describe(c)
    local s = c.kind .. " " .. c.method .. " " .. c.path
    if c.origin then s = s .. " Origin=" .. c.origin end
    if c.acrm then s = s .. " ACRM=" .. c.acrm end
    if c.acrh then s = s .. " ACRH=" .. c.acrh end
    return s
end

function response(status, headers, body)
    responses = responses + 1
    local c = current and cases[current]
    current = nil
    local err
    if not c then
        err = "a response without a request"
        c = { kind = "?", method = "?", path = "?" }
    else
        kinds[c.kind] = (kinds[c.kind] or 0) + 1
        local h, dup = lower_headers(headers)
        if dup then
            err = "header " .. dup .. " sent twice"
        else
            local kind = c.kind
            if mode == "selftest" then kind = inverse[kind] end
            err = check(kind, c, status, h, body)
        end
    end
    if err then
        mismatches = mismatches + 1
        if #failures < 5 then
            failures[#failures + 1] = describe(c) .. ": " .. err
        end
    end
end

function done(summary, latency, reqs)
    local total = { responses = 0, mismatches = 0, unanswered = 0, issued = 0 }
    local all_kinds, shown = {}, 0
    for _, t in ipairs(threads) do
        for k in pairs(total) do total[k] = total[k] + t:get(k) end
        for k, n in pairs(t:get("kinds")) do all_kinds[k] = (all_kinds[k] or 0) + n end
        for _, f in ipairs(t:get("failures")) do
            if shown < 20 then
                io.write("MISMATCH ", f, "\n")
                shown = shown + 1
            end
        end
    end
    -- wrk checks the script with one request() before the run, in this
    -- state or in the first thread's: there it leaves one request that
    -- never had a response, which is not a lost one.
    local lost = total.unanswered - (issued > 0 and 0 or 1)
    local names = {}
    for k in pairs(all_kinds) do names[#names + 1] = k end
    table.sort(names)
    local mix = {}
    for _, k in ipairs(names) do mix[#mix + 1] = k .. "=" .. all_kinds[k] end
    local e = summary.errors
    -- init() ran in the threads' states, not in this one.
    local m = threads[1] and threads[1]:get("mode") or mode
    io.write(string.format(
        "LOADCHECK mode=%s cases=%d requests=%d responses=%d mismatches=%d lost=%d " ..
        "connect=%d read=%d write=%d timeout=%d duration_us=%d p99_us=%d\n",
        m, #cases, summary.requests, total.responses, total.mismatches, lost,
        e.connect, e.read, e.write, e.timeout, summary.duration,
        latency:percentile(99.0)))
    io.write("LOADMIX ", table.concat(mix, " "), "\n")
end
