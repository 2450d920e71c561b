-- SPDX-License-Identifier: MIT
-- lifetime_spec.lua - __gc drops references, __close closes a loop,
-- closing a loop releases every Lua reference it holds.
local acore = require "acore"

local function loop_cycle()
  local loop <close> = acore.new_loop()
  loop:set_error_handler(function() end) -- the pending task is reported
  loop:call_later(10, function() end) -- a callback left pending
  local f = loop:future()
  f:add_done_callback(function() end)
  loop:spawn(function() acore.sleep(10) end)
  loop:run_once(true)
end

describe("lifetimes", function()
  it("__close closes the loop", function()
    local l
    do
      local loop <close> = acore.new_loop()
      l = loop
    end
    assert.is_true(l:is_closed())
  end)

  it("closing the loop releases the Lua values it holds", function()
    local weak = setmetatable({}, {__mode = "v"})
    do
      local loop <close> = acore.new_loop()
      local v = {}
      weak[1] = v
      loop:call_later(10, function() return v end)
      loop:spawn(function() acore.sleep(10) return v end)
      loop:run_once(true)
      collectgarbage()
      assert.is_not_nil(weak[1]) -- held by C: never collected
    end
    collectgarbage()
    collectgarbage()
    assert.is_nil(weak[1])
  end)

  it("10,000 loop create/close cycles leak nothing", function()
    local cycles = tonumber(os.getenv("ACORE_LUA_CYCLES")) or 10000
    for _ = 1, 200 do loop_cycle() end
    collectgarbage()
    collectgarbage()
    local before = collectgarbage("count")
    for _ = 1, cycles do loop_cycle() end
    collectgarbage()
    collectgarbage()
    local after = collectgarbage("count")
    assert.is_true(after - before < 64, ("grew %.1f KiB"):format(after - before))
  end)
end)
