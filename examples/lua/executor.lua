-- SPDX-License-Identifier: MIT
-- executor.lua - blocking C work on the executor while the loop keeps
-- ticking. A Lua state is single-threaded, so the work is a C function
-- (here from the small C library acore_cjob); Lua only starts it and
-- awaits its result.
local acore = require "acore"
local cjob = require "acore_cjob"

acore.run(function()
  local ticks = 0
  local ticker = acore.spawn(function()
    while true do acore.sleep(0.005) ticks = ticks + 1 end
  end)
  local r = acore.gather(
    function() return acore.run_in_executor(cjob.slow_sum, "20:hello") end,
    function() return acore.run_in_executor(cjob.slow_sum, "20:world") end)
  ticker:cancel()
  print(("sums %d and %d; the loop ticked %d times meanwhile"):format(r[1], r[2], ticks))
  assert(r[1] == 532 and r[2] == 552 and ticks > 0)
end)
