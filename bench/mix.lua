-- wrk script: replays a fixed mix of SPARQL requests, round robin from a random start.
--
-- Usage: wrk -s bench/mix.lua URL -- REQUESTS_FILE
-- REQUESTS_FILE has one request a line: "<path>\t<accept>\t<form body>", the body
-- being an application/x-www-form-urlencoded form (so it has no tab or newline).
-- At the end it prints one line "WRK_JSON {...}" that bench/load.py reads.

local requests = {}
local index = 0

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local path, accept, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    if path then
      requests[#requests + 1] = wrk.format("POST", path, {
        ["Accept"] = accept,
        ["Content-Type"] = "application/x-www-form-urlencoded",
      }, body)
    end
  end
  file:close()
  assert(#requests > 0, "no requests in " .. args[1])
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
  index = math.random(#requests) - 1
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function done(summary, latency, requests_stats)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,'
    .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
    .. '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
