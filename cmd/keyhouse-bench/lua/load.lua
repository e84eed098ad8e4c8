-- load.lua: the requests of one keyhouse-bench scenario, for wrk.
--
-- wrk -s load.lua URL -- MODE CREDFILE RUN COUNT [IDSDIR]
--   MODE     token (POST /as/token with an API key), event (POST /v1/events,
--            one JSON object) or batch (POST /v1/events, NDJSON, 100 events)
--   CREDFILE one credential a line: API keys for token, access tokens else;
--            each thread starts at its own place and walks the whole list
--            (keyhouse-bench hands over at most -spread API keys: a list of
--            a million keeps LuaJIT's collector busy enough to slow wrk)
--   RUN      a name unique to this wrk run, written into every event so
--            that every event body is unique
--   COUNT    "count": count every status, and the accepted events of the
--            202 answers, in response(); "fast": define no response(),
--            so that wrk neither parses nor hands over any answer (a
--            quarter of the baseline's requests/s on two cores), and
--            report wrk's own counts (2xx/3xx, and status > 399) only
--   IDSDIR   with count, when given: the ids of the accepted events are
--            written there, one file per thread, for the exactly-once check
--   THINK    when given and over 0: each connection waits a random time,
--            THINK ms on average (exponentially distributed), before each
--            request, so that many connections offer a rate of their own
--            whatever the answers' speed (the overload scenario's flood)
--
-- done() prints one line "@@keyhouse-bench {json}" that keyhouse-bench
-- parses. Requests are concatenated from prebuilt parts: wrk.format per
-- request would cost the generator more than the server it measures.

local threads = {}
local nthreads = 0

function setup(thread)
   nthreads = nthreads + 1
   thread:set("threadid", nthreads)
   table.insert(threads, thread)
end

local mode, run, creds, n, pos, seq = "token", "", {}, 0, 0, 0
local pre, post, head = "", "", ""
local idsfile = nil
local think = 0
statuses, accepted, counting = {}, 0, false

-- template returns the request text before and after the credential.
local function template(path, scheme, ctype, body)
   local t = wrk.format("POST", path, {["Authorization"] = scheme .. " \1", ["Content-Type"] = ctype}, body)
   return t:match("^(.-)\1(.*)$")
end

function init(args)
   mode, run = args[1], args[3]
   for line in io.lines(args[2]) do
      if line ~= "" then creds[#creds + 1] = line end
   end
   n = #creds
   pos = ((threadid or 1) * 7919) % n
   if mode == "token" then
      -- Whole requests, built once: request() then allocates nothing, and
      -- LuaJIT's collector never has to walk the large table.
      pre, post = template("/as/token", "Basic", "application/x-www-form-urlencoded",
         "grant_type=client_credentials&scope=integration")
      for i = 1, n do creds[i] = pre .. creds[i] .. post end
   else
      local ctype = mode == "batch" and "application/x-ndjson" or "application/json"
      pre, head = template("/v1/events", "Bearer", ctype, nil)
      head = head:sub(1, -3) -- without the blank line: Content-Length follows
   end
   counting = args[4] == "count"
   think = tonumber(args[6] or "") or 0
   if think <= 0 then delay = nil end
   math.randomseed((threadid or 1) * 104729)
   if not counting then
      response = nil
   elseif args[5] and args[5] ~= "" then
      idsfile = io.open(args[5] .. "/ids-" .. (threadid or 1) .. ".txt", "w")
      idsfile:setvbuf("line")
   end
end

-- event returns one unique event body.
local function event(i)
   return '{"run":"' .. run .. '","thread":' .. (threadid or 1) .. ',"seq":' .. seq .. ',"i":' .. i .. ',"amount":12.5}'
end

local function body()
   seq = seq + 1
   if mode ~= "batch" then return event(0) end
   local lines = {}
   for i = 1, 100 do lines[i] = event(i) end
   return table.concat(lines, "\n")
end

function request()
   pos = pos % n + 1
   local cred = creds[pos]
   if mode == "token" then return cred end
   local b = body()
   return pre .. cred .. head .. "Content-Length: " .. #b .. "\r\n\r\n" .. b
end

-- delay returns the wait before the next request, in whole milliseconds.
function delay()
   return math.floor(-think * math.log(1 - math.random()) + 0.5)
end

function response(status, headers, resp)
   statuses[status] = (statuses[status] or 0) + 1
   if status ~= 202 then return end
   accepted = accepted + (tonumber(resp:match('"accepted":(%d+)')) or 0)
   if idsfile then
      for id in resp:gmatch('"(evt_%w+)"') do idsfile:write(id, "\n") end
   end
end

function done(summary, latency, requests)
   local st, acc = {}, 0
   for _, t in ipairs(threads) do
      for code, count in pairs(t:get("statuses")) do st[code] = (st[code] or 0) + count end
      acc = acc + t:get("accepted")
   end
   local parts = {}
   for code, count in pairs(st) do parts[#parts + 1] = string.format('"%d":%.0f', code, count) end
   local e = summary.errors
   -- p99_ok bounds the p99 of the answers under 400 from above: the
   -- latency that only 1 % of them can exceed even if every other answer
   -- was slower than they were (wrk keeps one histogram of all answers).
   local ok, p99ok = summary.requests - e.status, 0
   if ok > 0 then p99ok = latency:percentile(100 - ok / summary.requests) end
   io.write(string.format('@@keyhouse-bench {"duration_us":%.0f,"requests":%.0f,"bytes":%.0f,' ..
      '"errors":{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f},' ..
      '"latency_us":{"p50":%.0f,"p90":%.0f,"p99":%.0f,"max":%.0f,"mean":%.1f,"p99_ok":%.0f},' ..
      '"counted":%s,"statuses":{%s},"accepted":%.0f}\n',
      summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean, p99ok,
      tostring(threads[1]:get("counting")), table.concat(parts, ","), acc))
end
