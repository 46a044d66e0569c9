-- wrk script: optional method/body/headers from the environment, and a status-code split
-- printed at the end (a run full of 401s is not a result).
local method = os.getenv("BENCH_METHOD")
local body = os.getenv("BENCH_BODY")
local cookie = os.getenv("BENCH_COOKIE")
if method then wrk.method = method end
if body then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if cookie then wrk.headers["Cookie"] = cookie end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for status, n in pairs(c) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do
    table.insert(parts, status .. "x" .. n)
  end
  table.sort(parts)
  local errors = summary.errors
  local failed = errors.connect + errors.read + errors.write + errors.timeout
  io.write(string.format("RESULT %.0f %.2f %.2f %s socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    table.concat(parts, " "), failed))
end
