-- SPDX-License-Identifier: MIT
-- interop_spec.lua - a C library (acore_ctest) on the loop Lua runs: C
-- completes a future a coroutine awaits, a C task awaits a future Lua
-- completes, a C work function runs on the executor, and a C thread wakes
-- a coroutine (thread-safe completions, call_soon_threadsafe).
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

  it("refuses to adopt what is not a pointer, or an unknown kind", function()
    local loop <close> = acore.new_loop()
    local f = loop:future()
    local p = core.pointer(f)
    assert.has_error(function() core.adopt(p, "nosuch") end)
    assert.has_error(function() core.adopt(f, "future") end)
    assert.has_error(function() core.adopt(p, "kit_obj") end) -- not a handle
  end)

  it("runs a C work function on the executor", function()
    acore.run(function()
      assert.equal(97 + 98 + 99, acore.run_in_executor(ctest.checksum, "abc"))
      local r = acore.gather(function() return acore.run_in_executor(ctest.checksum, "a") end,
                             function() return acore.run_in_executor(ctest.checksum, "b") end)
      assert.same({97, 98, n = 2}, r)
    end)
  end)

  describe("a C thread wakes a coroutine", function()
    -- f: a threadsafe future handed to a C thread that completes it `how`
    local function from_thread(how, value, ms)
      local loop = acore.get_running_loop()
      local f = acore.threadsafe_future()
      local job = ctest.thread_complete(core.pointer(loop.h), core.pointer(f), how, value, ms)
      local ok, v = pcall(acore.await, f)
      ctest.join(job)
      return ok, v
    end

    it("with an int, bytes, an error or a cancellation", function()
      acore.run(function()
        assert.same({true, 42}, {from_thread("int", 42, 5)})
        assert.same({true, "from C"}, {from_thread("bytes", 0, 0)})
        local ok, e = from_thread("error", 0, 1)
        assert.is_false(ok)
        assert.equal("EIO", e.name)
        assert.equal("C failed", e.message)
        ok, e = from_thread("cancel", 0, 1)
        assert.is_false(ok)
        assert.is_true(acore.is_cancelled(e))
        assert.equal("C gave up", e.message)
      end)
    end)

    it("through a callback queued with call_soon_threadsafe", function()
      acore.run(function()
        assert.same({true, 7}, {from_thread("soon", 7, 5)})
      end)
    end)

    it("while other tasks run, many threads at once", function()
      acore.run(function()
        local ticks, jobs, fs = 0, {}, {}
        local ticker = acore.spawn(function()
          while true do acore.sleep(0.001) ticks = ticks + 1 end
        end)
        local loop = acore.get_running_loop()
        for i = 1, 8 do
          fs[i] = acore.threadsafe_future()
          jobs[i] = ctest.thread_complete(core.pointer(loop.h), core.pointer(fs[i]), "int", i, 10)
        end
        local r = acore.gather(fs)
        for i = 1, 8 do ctest.join(jobs[i]) end
        ticker:cancel()
        assert.same({1, 2, 3, 4, 5, 6, 7, 8, n = 8}, r)
        assert.is_true(ticks > 0) -- the loop kept running meanwhile
      end)
    end)

    it("the loop is held until the future is done", function()
      local loop <close> = acore.new_loop()
      local f = loop:threadsafe_future()
      local job = ctest.thread_complete(core.pointer(loop.h), core.pointer(f), "int", 3, 20)
      loop:run() -- returns only once f is done and its callbacks ran
      ctest.join(job)
      assert.equal(3, f:result())
    end)
  end)
end)
