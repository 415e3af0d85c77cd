-- wrk script: GET the seat map of a random flight.
local flights = tonumber(os.getenv("BENCH_FLIGHTS") or "1000")
local n = 0
function setup(thread) n = n + 1; thread:set("id", n) end
function init(args) math.randomseed(os.time() * 7919 + id) end
function request()
  return wrk.format("GET", "/api/v1/flights/" .. math.random(1, flights) .. "/seats")
end
