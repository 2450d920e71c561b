-- SPDX-License-Identifier: MIT
-- acore_lua_bench.lua - the Lua binding on the workloads of bench/ (W1
-- batched and single, W2, W3), one rep per process for bench/lua/run.py:
--   lua5.4 acore_lua_bench.lua --once WORKLOAD --n N --rounds R
-- prints one line per round: REP {"system":"acore-lua", ..., "value": ns
-- per operation (wall), "cpu": CPU ns per operation}.
local acore = require "acore"
local core = acore.core

local function now(loop) return core.acore_loop_time(loop.h) * 1e9 end

local W = {}

-- W1 batched: a callback makes 1,000 futures, each with a done callback,
-- completes them and re-schedules itself.
function W.W1_batched(loop, n)
  local finished = loop:future()
  local done, remaining = 0, n
  local function on_done()
    done = done + 1
    if done == n then finished:set_result(true) end
  end
  local function produce()
    local k = math.min(1000, remaining)
    for i = 1, k do
      local f = loop:future()
      f:add_done_callback(on_done)
      f:set_result(i)
    end
    remaining = remaining - k
    if remaining > 0 then loop:call_soon(produce) end
  end
  loop:call_soon(produce)
  loop:run_until_complete(finished)
  assert(done == n)
end

-- W1 single: one future per loop iteration, each done callback arms the
-- next.
function W.W1_single(loop, n)
  local finished = loop:future()
  local done = 0
  local arm
  local function on_done()
    done = done + 1
    if done < n then arm() else finished:set_result(true) end
  end
  arm = function()
    local f = loop:future()
    f:add_done_callback(on_done)
    f:set_result(1)
  end
  arm()
  loop:run_until_complete(finished)
end

-- W2: n coroutine tasks, each sleep(0) then return i; gathered.
function W.W2(loop, n)
  local sum = loop:run_until_complete(function()
    local tasks = {}
    for i = 1, n do tasks[i] = acore.spawn(function() acore.sleep(0) return i end) end
    local r, s = acore.gather(tasks), 0
    for i = 1, n do s = s + r[i] end
    return s
  end)
  assert(sum == n * (n + 1) // 2)
end

-- W3: n jobs under a Semaphore(100), each awaiting a future completed by
-- call_soon (the simulated remote call).
function W.W3(loop, n)
  loop:run_until_complete(function()
    local sem, inflight, peak = acore.Semaphore(100), 0, 0
    local function call()
      inflight = inflight + 1
      if inflight > peak then peak = inflight end
      local f = acore.Future()
      acore.call_soon(f.set_result, f, 1)
      acore.await(f)
      inflight = inflight - 1
    end
    local tasks = {}
    for i = 1, n do tasks[i] = acore.spawn(function() sem:with(call) end) end
    acore.gather(tasks)
    assert(peak == math.min(n, 100))
  end)
end

local UNIT = {W1_batched = "ns/future", W1_single = "ns/future", W2 = "ns/task", W3 = "ns/job"}

local function main(args)
  local workload, n, rounds = nil, nil, 1
  local i = 1
  while i <= #args do
    if args[i] == "--once" then workload = args[i + 1]
    elseif args[i] == "--n" then n = tonumber(args[i + 1])
    elseif args[i] == "--rounds" then rounds = tonumber(args[i + 1]) end
    i = i + 2
  end
  local run = W[workload] or error("unknown workload " .. tostring(workload))
  for r = 1, rounds do
    collectgarbage()
    local loop = acore.new_loop()
    local c0, t0 = os.clock(), now(loop)
    run(loop, n)
    local t1, c1 = now(loop), os.clock()
    loop:close()
    print(('REP {"system": "acore-lua", "workload": "%s", "round": %d, "n": %d, ' ..
           '"unit": "%s", "value": %.2f, "cpu": %.2f}'):format(workload, r, n,
           UNIT[workload], (t1 - t0) / n, (c1 - c0) * 1e9 / n))
  end
end

main(arg)
