-- SPDX-License-Identifier: MIT
-- coroutine_floor.lua - what W2 costs in plain Lua, with no acore at all:
-- a closure and a coroutine per task, each resumed twice (the sleep(0),
-- then the return), a table of them, the garbage collected between
-- rounds. The floor of any binding that makes a coroutine per task;
-- count it with the steady-state method of run.py:
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

for _ = 1, rounds do
  collectgarbage()
  round()
end
