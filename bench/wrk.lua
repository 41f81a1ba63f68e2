-- make bench's wrk script: cycles through JSON bodies when given a file (one per line) and
-- counts every answer outside 2xx, which wrk's own summary does not (it lets 3xx pass).
-- Ends with one "BENCH_JSON {...}" line that bench/load.py parses.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  codes = ""
  counts = {}
  bodies = {}
  local path = args[1]
  if path ~= nil and path ~= "" then
    for line in io.lines(path) do
      if #line > 0 then bodies[#bodies + 1] = line end
    end
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
  -- Threads start at different bodies so they do not post the same note in lockstep.
  index = (id or 1) * 7919
end

function request()
  if #bodies == 0 then
    return wrk.format()
  end
  index = index % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[index])
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    counts[status] = (counts[status] or 0) + 1
    local parts = {}
    for code, n in pairs(counts) do parts[#parts + 1] = code .. ":" .. n end
    codes = table.concat(parts, ",")
  end
end

function done(summary, latency, requests)
  local bad, codes_seen = 0, {}
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
    local c = thread:get("codes")
    if c ~= nil and c ~= "" then codes_seen[#codes_seen + 1] = c end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "mean_us": %.1f, "max_us": %d, "codes": "%s"}\n',
    summary.requests, summary.duration, summary.bytes, bad, e.connect, e.read, e.write,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max, table.concat(codes_seen, ";")))
end
