-- wrk script of `npm run bench` (bench/http.ts), which sets its environment:
--   none           wrk's own static request to the URL given on the command line;
--   BENCH_PATHS    a file of paths, one a line: each request takes the next one (each thread from its own offset);
--   BENCH_TOKENS   a file of API tokens, one a line: each request is a contribution instead, a POST of
--                  {"amount": 100..149 (minor units), "currency": "USD", "paymentMethod": "pm_card_visa"}
--                  with "Authorization: Bearer <the next token>" and an Idempotency-Key unique to the row
--                  (BENCH_KEY_PREFIX), the thread and the request;
--   BENCH_COOKIE   a Cookie header on every request (a signed-in viewer's session);
--   BENCH_DELAY_MS each connection waits a pause after an answer before its next request (wrk's delay(), also before
--                  its first): load paced below what the server can take, so latency is the service's, not a
--                  queue's. The pause is drawn at random, exponential with this mean in ms (seeded by BENCH_SEED
--                  and the thread), so that the connections' requests arrive as many independent readers' would
--                  (nearly a Poisson stream; at most 4 s, below). A fixed pause kept wrk's connections in step:
--                  they start together and all wait the same time, so ten connections fired within a few ms of
--                  each other every pause and each read waited behind the others of its burst (one instance, a
--                  cached campaign, ten connections at 13 req/s on 2 cores beside a seed: p50 21 ms and p99 83 ms
--                  with the fixed pause, 4.8 and 16 ms with random ones).
--   BENCH_LATENCIES when set, done() also prints "BENCH_LATENCIES " and wrk's latency histogram, comma-separated
--                  "µs:count" pairs in ascending µs (latency(i), wrk's SCRIPTING): what lets the caller pool the
--                  reads of several runs into one percentile. It is what wrk's own percentiles are taken from, so
--                  it holds the copies wrk adds for coordinated omission (a latency far above the expected
--                  interval between requests of a connection is recorded again at shorter latencies: only when
--                  answers are slow against an unpaced load) and not the reads past --timeout (socket errors).
-- done() prints one line, "BENCH_RESULT " and a JSON object: requests, durationUs, p50Us, p99Us,
-- non2xx (wrk counts answers with a status of 400 or more) and socketErrors (connect, read, write, timeout).

local function lines(file)
  local t = {}
  for line in io.lines(file) do
    if line ~= "" then t[#t + 1] = line end
  end
  return t
end

local paths_file = os.getenv("BENCH_PATHS")
local tokens_file = os.getenv("BENCH_TOKENS")
local key_prefix = os.getenv("BENCH_KEY_PREFIX") or "bench"

local cookie = os.getenv("BENCH_COOKIE")
if cookie then wrk.headers["Cookie"] = cookie end

local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")
-- At most MAX_DELAY_MS: a connection left idle longer is closed by the app (Node.js's 5 s keep-alive), and
-- wrk counts the next request on it as a socket error. A mean of 1 s or less loses under 2 % of the draws' tail.
local MAX_DELAY_MS = 4000
if delay_ms then
  -- math.random() is in [0, 1): the logarithm is finite.
  delay = function() return math.min(-math.log(1 - math.random()) * delay_ms, MAX_DELAY_MS) end
end

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  math.randomseed((tonumber(os.getenv("BENCH_SEED") or "1") or 1) * 1000 + tid)
end

if paths_file or tokens_file then
  local paths = paths_file and lines(paths_file) or { wrk.path }
  local tokens = tokens_file and lines(tokens_file)
  local n = 0
  request = function()
    n = n + 1
    local path = paths[(n + tid * 7919) % #paths + 1]
    if not tokens then return wrk.format("GET", path) end
    local body = string.format('{"amount":%d,"currency":"USD","paymentMethod":"pm_card_visa"}', 100 + n % 50)
    local headers = {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. tokens[(n + tid) % #tokens + 1],
      ["Idempotency-Key"] = string.format("%s-%d-%d", key_prefix, tid, n),
    }
    return wrk.format("POST", path, headers, body)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%.0f,"durationUs":%.0f,"p50Us":%.0f,"p99Us":%.0f,"non2xx":%.0f,"socketErrors":%.0f}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
  if os.getenv("BENCH_LATENCIES") then
    local out = {}
    for i = 1, #latency do
      local us, count = latency(i)
      out[i] = string.format("%.0f:%.0f", us, count)
    end
    io.write("BENCH_LATENCIES ", table.concat(out, ","), "\n")
  end
end
