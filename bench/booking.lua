-- wrk script: the HTTP booking flow. Each connection holds a random seat on a random
-- flight, then confirms the hold it got; a refused hold (409) just moves on.
local flights = tonumber(os.getenv("BENCH_FLIGHTS") or "1000")
local seats = {}
for row = 1, 3 do for _, l in ipairs({"A", "C"}) do seats[#seats + 1] = row .. l end end
for row = 4, 32 do for _, l in ipairs({"A", "B", "C", "D", "E", "F"}) do seats[#seats + 1] = row .. l end end

local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end

-- One customer per wrk thread: a thread cannot tell which of its connections a response
-- came from, so every hold it sees must be confirmable by the thread's own token.
local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("id", #threads)
  thread:set("token", tokens[(#threads - 1) % #tokens + 1])
end

local pending = {}
held, confirmed, refused, failed = 0, 0, 0, 0
last_failure = ""  -- the status and start of the body of a thread's last failed request
local headers
function init(args)
  math.randomseed(os.time() * 7919 + id)  -- threads must not pick the same seats in step
  headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  -- BENCH_CLIENT_ADDRESSES: each thread its own client address too, as buyers have (an app
  -- server believes X-Forwarded-For from loopback, its proxy tier); one address for all
  -- queues every hold on that address's lock and throttle. bench/run.py sets it, as its
  -- pgbench clients have an address each; bench/stack.py cannot (the firewall sends the
  -- app the address wrk connects from, 127.0.0.1, for all), so neither of its entries does.
  if os.getenv("BENCH_CLIENT_ADDRESSES") then
    headers["X-Forwarded-For"] = "10.8." .. math.floor(id / 256) .. "." .. (id % 256)
  end
end

function request()
  local job = table.remove(pending)
  if job then
    local body = '{"hold_id":"' .. job.hold .. '","payment":{"token":"tok_ok"},'
      .. '"passengers":[{"seat":"' .. job.seat .. '","given_name":"Bench","family_name":"Traveller"}]}'
    return wrk.format("POST", "/api/v1/bookings", headers, body)
  end
  local body = string.format('{"flight_id":%d,"seats":["%s"]}',
    math.random(1, flights), seats[math.random(1, #seats)])
  return wrk.format("POST", "/api/v1/holds", headers, body)
end

function response(status, headers, body)
  if status == 201 then
    if string.find(body, '"reference"', 1, true) then
      confirmed = confirmed + 1
    else
      held = held + 1
      local id = string.match(body, '"id":"([^"]+)"')
      local seat = string.match(body, '"seats":%["([^"]+)"')
      pending[#pending + 1] = {hold = id, seat = seat}
    end
  elseif status == 409 then
    refused = refused + 1
  else
    failed = failed + 1
    last_failure = status .. " " .. string.sub(body, 1, 200)
  end
end

function done(summary, latency, requests)
  local totals = {held = 0, confirmed = 0, refused = 0, failed = 0}
  for _, t in ipairs(threads) do
    for k, _ in pairs(totals) do totals[k] = totals[k] + (t:get(k) or 0) end
  end
  for _, t in ipairs(threads) do
    local failure = t:get("last_failure")
    if failure and failure ~= "" then io.write("last failure: " .. failure .. "\n") end
  end
  io.write(string.format("BENCH held=%d confirmed=%d refused=%d failed=%d\n",
    totals.held, totals.confirmed, totals.refused, totals.failed))
end
