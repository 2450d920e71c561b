-- SPDX-License-Identifier: MIT
-- interop_spec.lua - a C library (acore_ctest) on the loop Lua runs: C
-- completes a future a coroutine awaits, a C task awaits a future Lua
-- completes, and a C work function runs on the executor.
local acore = require "acore"
local ctest = require "acore_ctest"
local core = acore.core

describe("C and Lua on one loop", function()
  it("a coroutine awaits a future C completes", function()
    acore.run(function()
      local loop = acore.get_running_loop()
      local f = acore.Future()
      ctest.complete_later(core.pointer(loop.h), core.pointer(f), 21, 0.001)
      assert.equal(21, acore.await(f))
    end)
  end)

  it("a C task awaits a future Lua completes; Lua awaits the C task", function()
    acore.run(function()
      local loop = acore.get_running_loop()
      local f = acore.Future()
      local t = core.adopt(ctest.spawn_doubler(core.pointer(loop.h), core.pointer(f)), "task")
      acore.call_later(0.001, function() f:set_result(21) end)
      assert.equal(42, acore.await(t))
    end)
  end)

  it("runs a C work function on the executor", function()
    acore.run(function()
      assert.equal(97 + 98 + 99, acore.run_in_executor(ctest.checksum, "abc"))
      local r = acore.gather(function() return acore.run_in_executor(ctest.checksum, "a") end,
                             function() return acore.run_in_executor(ctest.checksum, "b") end)
      assert.same({97, 98, n = 2}, r)
    end)
  end)
end)
