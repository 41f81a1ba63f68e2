-- `make scaleout`'s wrk script: like wrk.lua (JSON bodies from a file, one per line, when given)
-- but it tallies every status and every X-Cache-Status nginx reports (HIT, MISS, BYPASS, ...),
-- so the hit ratio is measured by the client that saw it. 304 is what the revalidation run
-- expects, so nothing here calls a status an error: bench/scaleout.py judges the tallies.
-- Ends with one "BENCH_JSON {...}" line.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  caches = {}
  bodies = {}
  local path = args[1]
  if path ~= nil and path ~= "" then
    for line in io.lines(path) do
      if #line > 0 then bodies[#bodies + 1] = line end
    end
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
  index = (id or 1) * 7919
end

function request()
  if #bodies == 0 then
    return wrk.format()
  end
  index = index % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[index])
end

-- Tallies as "key:count,key:count" strings: what a thread hands to done() most simply.
local function encode(t)
  local parts = {}
  for k, n in pairs(t) do parts[#parts + 1] = k .. ":" .. n end
  return table.concat(parts, ",")
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  local cache = headers["X-Cache-Status"] or headers["x-cache-status"] or "-"
  caches[cache] = (caches[cache] or 0) + 1
  status_tally = encode(statuses)
  cache_tally = encode(caches)
end

local function merge(into, encoded)
  if encoded == nil then return end
  for k, n in string.gmatch(encoded, "([^:,]+):(%d+)") do
    into[k] = (into[k] or 0) + tonumber(n)
  end
end

function done(summary, latency, requests)
  local all_statuses, all_caches = {}, {}
  for _, thread in ipairs(threads) do
    merge(all_statuses, thread:get("status_tally"))
    merge(all_caches, thread:get("cache_tally"))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "mean_us": %.1f, "statuses": "%s", "cache": "%s"}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    encode(all_statuses), encode(all_caches)))
end
