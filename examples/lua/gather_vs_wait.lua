-- SPDX-License-Identifier: MIT
-- gather_vs_wait.lua - gather gives one outcome (all values in order, or
-- the first error; settle keeps each outcome); wait gives the done and
-- pending sets and never cancels or raises.
local acore = require "acore"

local function call(delay, value, fail)
  return function()
    acore.sleep(delay)
    if fail then error(fail, 0) end
    return value
  end
end

acore.run(function()
  local r = acore.gather(call(0.003, "a"), call(0.001, "b"), call(0.002, "c"))
  print("gather:", table.concat(r, " "))

  local ok, e = pcall(acore.gather, call(0.001, 1), call(0.002, 2, "refused"))
  print("gather, one fails:", ok, e)

  local settled = acore.gather{call(0.001, 1), call(0.002, 2, "refused"), settle = true}
  print("gather, settled:", settled[1], settled[2])

  local slow = acore.spawn(call(1, "slow"))
  local fast = acore.spawn(call(0.001, "fast"))
  local done, pending = acore.wait({slow, fast}, {return_when = "FIRST_COMPLETED"})
  print("wait:", #done, "done (" .. done[1]:result() .. "),", #pending, "pending")
  assert(not slow:done()) -- wait cancelled nothing
  slow:cancel()
end)
