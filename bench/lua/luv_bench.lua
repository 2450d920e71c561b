-- SPDX-License-Identifier: MIT
-- luv_bench.lua - luv (Debian lua-luv), the standard way Lua drives libuv,
-- on the W1 callback churn, same protocol as acore_lua_bench.lua:
--   W1_batched       a zero timer per callback (uv.new_timer():start(0, 0,
--                    cb), then closed), 1,000 armed per idle turn;
--   W1_single        a chain of zero timers, each armed by the last one's
--                    callback. Not one per loop iteration: libuv (1.44,
--                    Debian's) runs a timer that is due now in the same
--                    timer pass that armed it, so the whole chain runs in
--                    one pass, without polling (docs/lua.md);
--   W1_single_idle   one callback per loop iteration: an idle handle
--                    (uv.new_idle) started by the last one's callback runs
--                    in the next iteration, after a poll, like a future's
--                    done callback in acore.
local uv = require "luv"

local W = {}

function W.W1_batched(n)
  local done, remaining = 0, n
  local idle = uv.new_idle()
  local function fire()
    local t = uv.new_timer()
    t:start(0, 0, function()
      t:close()
      done = done + 1
    end)
  end
  idle:start(function()
    local k = math.min(1000, remaining)
    for _ = 1, k do fire() end
    remaining = remaining - k
    if remaining == 0 then idle:stop() idle:close() end
  end)
  uv.run()
  assert(done == n)
end

function W.W1_single(n)
  local done = 0
  local function arm()
    local t = uv.new_timer()
    t:start(0, 0, function()
      t:close()
      done = done + 1
      if done < n then arm() end
    end)
  end
  arm()
  uv.run()
  assert(done == n)
end

function W.W1_single_idle(n)
  local done = 0
  local function arm()
    local h = uv.new_idle()
    h:start(function()
      h:stop()
      h:close()
      done = done + 1
      if done < n then arm() end
    end)
  end
  arm()
  uv.run()
  assert(done == n)
end

local UNIT = {W1_batched = "ns/future", W1_single = "ns/future",
              W1_single_idle = "ns/future"}

local function main(args)
  local workload, n, rounds = nil, nil, 1
  for i = 1, #args, 2 do
    if args[i] == "--once" then workload = args[i + 1]
    elseif args[i] == "--n" then n = tonumber(args[i + 1])
    elseif args[i] == "--rounds" then rounds = tonumber(args[i + 1]) end
  end
  local run = W[workload] or error("unknown workload " .. tostring(workload))
  for r = 1, rounds do
    collectgarbage()
    local c0, t0 = os.clock(), uv.hrtime()
    run(n)
    local t1, c1 = uv.hrtime(), os.clock()
    print(('REP {"system": "luv", "workload": "%s", "round": %d, "n": %d, ' ..
           '"unit": "%s", "value": %.2f, "cpu": %.2f}'):format(workload, r, n,
           UNIT[workload], (t1 - t0) / n, (c1 - c0) * 1e9 / n))
  end
end

main(arg)
