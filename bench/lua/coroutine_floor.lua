-- SPDX-License-Identifier: MIT
-- coroutine_floor.lua - what W2 costs in plain Lua, with no acore at all:
-- a closure and a coroutine per task, each resumed twice (the sleep(0),
-- then the return), a table of them, the garbage collected between
-- rounds. The floor of any binding that makes a coroutine per task;
-- run.py runs it beside acore-lua on W2 ("lua-floor"; its wall figure
-- is its CPU time) and counts it with the same steady-state method:
--   valgrind --tool=callgrind lua5.4 coroutine_floor.lua --n N --rounds R
local n, rounds = 0, 1
for i = 1, #arg, 2 do
  if arg[i] == "--n" then n = tonumber(arg[i + 1])
  elseif arg[i] == "--rounds" then rounds = tonumber(arg[i + 1]) end
end
local create, resume, yield = coroutine.create, coroutine.resume, coroutine.yield

local function round()
  local cos, s = {}, 0
  for i = 1, n do cos[i] = create(function() yield() return i end) end
  for i = 1, n do resume(cos[i]) end
  for i = 1, n do
    local _, v = resume(cos[i])
    s = s + v
  end
  assert(s == n * (n + 1) // 2)
end

for r = 1, rounds do
  collectgarbage()
  local c0 = os.clock()
  round()
  local ns = (os.clock() - c0) * 1e9 / n -- CPU time only: no wall clock
  print(('REP {"system": "lua-floor", "workload": "W2", "round": %d, "n": %d, ' ..
         '"unit": "ns/task", "value": %.2f, "cpu": %.2f}'):format(r, n, ns, ns))
end
