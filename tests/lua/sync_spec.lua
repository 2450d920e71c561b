-- SPDX-License-Identifier: MIT
-- sync_spec.lua - Semaphore, Lock, Event, Condition, Queue.
local acore = require "acore"

describe("Semaphore and Lock", function()
  it("1,000 calls with at most 50 in flight", function()
    acore.run(function()
      local sem = acore.Semaphore(50)
      local inflight, peak, calls = 0, 0, 0
      local tasks = {}
      for i = 1, 1000 do
        tasks[i] = acore.spawn(function()
          sem:with(function()
            inflight = inflight + 1
            peak = math.max(peak, inflight)
            acore.sleep(0)
            calls = calls + 1
            inflight = inflight - 1
          end)
        end)
      end
      acore.gather(tasks)
      assert.equal(50, peak)
      assert.equal(1000, calls)
    end)
  end)

  it("gives a permit back when a waiter is cancelled", function()
    acore.run(function()
      local sem = acore.Semaphore(1)
      sem:acquire()
      local w = acore.spawn(function() sem:acquire() end)
      acore.sleep(0)
      w:cancel()
      pcall(acore.await, w)
      sem:release()
      assert.is_false(sem:locked())
    end)
  end)

  it("Lock is exclusive and released on error", function()
    acore.run(function()
      local lock = acore.Lock()
      local ok = pcall(lock.with, lock, function() error("inside") end)
      assert.is_false(ok)
      assert.is_false(lock:locked())
      lock:acquire()
      assert.is_true(lock:locked())
      lock:release()
    end)
  end)
end)

describe("Event and Condition", function()
  it("Event wakes its waiters", function()
    acore.run(function()
      local ev = acore.Event()
      local woke = 0
      local ts = {}
      for i = 1, 3 do ts[i] = acore.spawn(function() ev:wait() woke = woke + 1 end) end
      acore.call_later(0.001, function() ev:set() end)
      acore.gather(ts)
      assert.equal(3, woke)
      assert.is_true(ev:is_set())
    end)
  end)

  it("Condition wait_for calls a Lua predicate", function()
    acore.run(function()
      local cond = acore.Condition()
      local n = 0
      acore.spawn(function()
        for _ = 1, 3 do
          cond:with(function() n = n + 1 cond:notify_all() end)
          acore.sleep(0)
        end
      end)
      cond:with(function() cond:wait_for(function() return n >= 3 end) end)
      assert.equal(3, n)
    end)
  end)
end)

describe("Queue", function()
  it("carries any Lua value, bounded", function()
    acore.run(function()
      local q = acore.Queue(2)
      local items = {{1}, "two", 3, false, 4.5}
      acore.spawn(function() for _, v in ipairs(items) do q:put(v) end end)
      for i, v in ipairs(items) do assert.equal(v, q:get()) end
    end)
  end)

  it("orders a priority queue with a Lua comparison", function()
    acore.run(function()
      local q = acore.Queue(0, function(a, b) return a.p < b.p end)
      for _, p in ipairs{5, 1, 4, 2, 3} do q:put_nowait({p = p}) end
      local out = {}
      for _ = 1, 5 do out[#out + 1] = q:get_nowait().p end
      assert.same({1, 2, 3, 4, 5}, out)
    end)
  end)

  it("joins once every item is done; LIFO order", function()
    acore.run(function()
      local q = acore.Queue(0, "lifo")
      for i = 1, 3 do q:put_nowait(i) end
      assert.equal(3, q:get_nowait())
      local worker = acore.spawn(function()
        while not q:empty() do q:get() q:task_done() end
      end)
      q:task_done()
      q:join()
      acore.await(worker)
      local ok, e = pcall(q.get_nowait, q)
      assert.equal("EEMPTY", e.name)
    end)
  end)
end)
