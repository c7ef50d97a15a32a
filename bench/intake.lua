-- bench/intake.py --wrk: each wrk thread posts distinct customer messages, each with its own
-- idempotency key; the counts of acknowledged and refused answers are printed at the end.
local counter = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  token = os.getenv("HELPDESK_BENCH_TOKEN")
  customers = tonumber(os.getenv("HELPDESK_BENCH_CUSTOMERS") or "500")
  run = os.getenv("HELPDESK_BENCH_RUN") or "0"
  ok = 0
  bad = 0
end
function request()
  counter = counter + 1
  local c = (counter * 7 + tid) % customers
  local body = string.format('{"customer":{"email":"customer%d@example.com","name":"Customer %d"},"body":"Message %d-%d: my order has not arrived yet, could you check the tracking?","idempotency_key":"wrk-%s-%d-%d"}', c, c, tid, counter, run, tid, counter)
  return wrk.format("POST", "/api/v1/messages", {["Content-Type"]="application/json", ["Authorization"]="Bearer " .. token}, body)
end
function response(status, headers, body)
  if status == 201 or status == 200 then ok = ok + 1 else bad = bad + 1 end
end
function done(summary, latency, requests)
  local o, b = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("bad") end
  io.write(string.format("WRK_OK %d WRK_BAD %d\n", o, b))
end
