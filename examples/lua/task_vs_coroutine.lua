-- SPDX-License-Identifier: MIT
-- task_vs_coroutine.lua - a function is only a plan; acore.spawn makes it
-- a scheduled task (asyncio's create_task / ensure_future), which runs on
-- a later loop iteration whether or not anybody awaits it.
local acore = require "acore"

local log = {}
local function job(name)
  return function()
    log[#log + 1] = name .. " starts"
    acore.sleep(0.001)
    log[#log + 1] = name .. " ends"
    return name
  end
end

acore.run(function()
  local plan = job("never spawned") -- nothing runs: it is just a function
  local task = acore.spawn(job("task")) -- scheduled, not run inside spawn
  log[#log + 1] = "spawned"
  acore.sleep(0) -- let it start
  log[#log + 1] = "awaiting"
  print("task gave", acore.await(task))
  print("calling the plan directly runs it in this task:", plan())
end)
print(table.concat(log, "\n"))
assert(log[1] == "spawned" and log[2] == "task starts")
