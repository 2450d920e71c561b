-- SPDX-License-Identifier: MIT
-- bounded_calls.lua - 1,000 calls to a (simulated) remote service with at
-- most 50 in flight: a semaphore around each call, then acore.map.
local acore = require "acore"

local inflight, peak = 0, 0
local function remote_call(i)
  inflight = inflight + 1
  peak = math.max(peak, inflight)
  acore.sleep(0.001 * (i % 3)) -- the network
  inflight = inflight - 1
  return i * 2
end

acore.run(function()
  local sem = acore.Semaphore(50)
  local tasks = {}
  for i = 1, 1000 do
    tasks[i] = acore.spawn(function() return sem:with(remote_call, i) end)
  end
  local r = acore.gather(tasks)
  print(("semaphore: %d calls, peak %d in flight, last %d"):format(r.n, peak, r[1000]))
  assert(peak == 50)

  peak = 0
  r = acore.map(remote_call, 1000, 50)
  print(("map:       %d calls, peak %d in flight, last %d"):format(r.n, peak, r[1000]))
  assert(peak == 50)
end)
