-- wrk script of the load campaign (bench/campaign.py): replays a list of requests
-- round robin from a random start and counts the answers by status.
--
-- Usage: wrk -s bench/campaign.lua URL -- REQUESTS_FILE
-- REQUESTS_FILE has one request a line: "<method>\t<path>\t<accept>\t<form body>"
-- (the body an application/x-www-form-urlencoded form, empty for GET).
-- At the end it prints one line "CAMPAIGN_JSON {...}" that bench/campaign.py reads.

local requests = {}
local index = 0
local threads = {}
statuses = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local method, path, accept, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    if method then
      local headers = { ["Accept"] = accept }
      if method == "POST" then
        headers["Content-Type"] = "application/x-www-form-urlencoded"
      else
        body = nil
      end
      requests[#requests + 1] = wrk.format(method, path, headers, body)
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

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests_stats)
  local merged = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      merged[status] = (merged[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(merged) do
    parts[#parts + 1] = string.format('"%s":%d', status, n)
  end
  local e = summary.errors
  io.write(string.format(
    'CAMPAIGN_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"statuses":{%s},'
    .. '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},'
    .. '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d}}\n',
    summary.requests, summary.duration, summary.bytes, table.concat(parts, ","),
    e.connect, e.read, e.write, e.timeout,
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
