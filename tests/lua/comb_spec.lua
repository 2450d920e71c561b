-- SPDX-License-Identifier: MIT
-- comb_spec.lua - gather, wait, wait_for, timeout, as_completed, shield,
-- task groups and the bounded map.
local acore = require "acore"

local function after(delay, v)
  return function() acore.sleep(delay) return v end
end

describe("gather", function()
  it("gives the values in input order (functions become tasks)", function()
    acore.run(function()
      local r = acore.gather(after(0.003, "a"), acore.spawn(after(0.001, "b")), after(0, "c"))
      assert.same({"a", "b", "c", n = 3}, r)
    end)
  end)

  it("raises the first error; settle gives the errors in place", function()
    acore.run(function()
      local ok, e = pcall(acore.gather, after(0.001, 1), function() error("x") end)
      assert.is_false(ok)
      assert.matches("x", tostring(e))
      local r = acore.gather{after(0, 1), function() error("y") end, settle = true}
      assert.equal(1, r[1])
      assert.matches("y", tostring(r[2]))
    end)
  end)

  it("of nothing is empty", function()
    acore.run(function() assert.equal(0, acore.gather({}).n) end)
  end)
end)

describe("wait", function()
  it("gives the done and pending tasks, never cancelling", function()
    acore.run(function()
      local a, b = acore.spawn(after(0.001, 1)), acore.spawn(after(1, 2))
      local done, pending = acore.wait({a, b}, {return_when = "FIRST_COMPLETED"})
      assert.equal(1, #done)
      assert.is_true(rawequal(done[1], a)) -- the task given, not its future
      assert.is_true(rawequal(pending[1], b))
      assert.equal(a:name(), done[1]:name())
      assert.is_false(b:done())
      b:cancel()
    end)
  end)

  it("with a count returns once that many are done", function()
    acore.run(function()
      local fs = {acore.spawn(after(0.001, 1)), acore.spawn(after(0.002, 2)),
                  acore.spawn(after(1, 3))}
      local done, pending = acore.wait(fs, {count = 2})
      assert.equal(2, #done)
      assert.equal(1, #pending)
      assert.is_true(rawequal(pending[1], fs[3]))
      fs[3]:cancel()
    end)
  end)

  it("returns what is done when the timeout passes", function()
    acore.run(function()
      local a = acore.spawn(after(1, 1))
      local done, pending = acore.wait({a}, {timeout = 0.002})
      assert.equal(0, #done)
      assert.equal(1, #pending)
      a:cancel()
    end)
  end)
end)

describe("wait_for and timeout", function()
  it("wait_for raises ETIMEDOUT and cancels the inner task", function()
    acore.run(function()
      local inner = acore.spawn(after(1, 1))
      local ok, e = pcall(acore.wait_for, inner, 0.002)
      assert.is_true(acore.is_timeout(e))
      assert.is_true(inner:cancelled())
      assert.equal(5, acore.wait_for(after(0, 5), 1))
    end)
  end)

  it("timeout() turns its own cancellation into ETIMEDOUT", function()
    acore.run(function()
      local ok, e = pcall(acore.timeout, 0.002, acore.sleep, 1)
      assert.is_true(acore.is_timeout(e))
      assert.equal("v", acore.timeout(1, function() return "v" end))
    end)
  end)
end)

describe("as_completed and shield", function()
  it("hands out the tasks in completion order", function()
    acore.run(function()
      -- completed in the order 2, 3, 1 by hand (timers would race under
      -- valgrind: a first step may take longer than the gap between them)
      local gates = {acore.Future(), acore.Future(), acore.Future()}
      local fs = {}
      for i = 1, 3 do fs[i] = acore.spawn(function() return acore.await(gates[i]) end) end
      acore.spawn(function()
        for _, i in ipairs{2, 3, 1} do
          gates[i]:set_result(i)
          acore.await(fs[i])
        end
      end)
      local order, got = {}, {}
      for f in acore.as_completed(fs) do
        order[#order + 1] = f:result()
        got[#got + 1] = f
      end
      assert.same({2, 3, 1}, order)
      assert.is_true(rawequal(fs[2], got[1])) -- the tasks given
      assert.is_true(rawequal(fs[1], got[3]))
    end)
  end)

  it("shield: cancelling the outer leaves the inner running", function()
    acore.run(function()
      local inner = acore.spawn(after(0.002, "inner"))
      local outer = acore.shield(inner)
      outer:cancel()
      assert.is_true(outer:cancelled())
      assert.equal("inner", acore.await(inner))
    end)
  end)
end)

describe("task groups and map", function()
  it("waits for every task of a group", function()
    acore.run(function()
      local n = 0
      acore.task_group(function(tg)
        for i = 1, 5 do tg:spawn(function() acore.sleep(0.001 * i) n = n + 1 end) end
      end)
      assert.equal(5, n)
    end)
  end)

  it("cancels the rest of a group on the first error", function()
    acore.run(function()
      local other
      local ok, e = pcall(acore.task_group, function(tg)
        other = tg:spawn(after(1))
        tg:spawn(function() error("fails") end)
      end)
      assert.equal("EGROUP", e.name)
      assert.equal(1, #e.errors)
      assert.matches("fails", tostring(e.errors[1]))
      assert.is_true(other:cancelled())
    end)
  end)

  it("map runs n jobs at most k at a time, values in order", function()
    acore.run(function()
      local inflight, peak = 0, 0
      local r = acore.map(function(i)
        inflight = inflight + 1
        peak = math.max(peak, inflight)
        acore.sleep(0.001)
        inflight = inflight - 1
        return i * i
      end, 20, 4)
      assert.equal(4, peak)
      assert.equal(400, r[20])
      assert.equal(20, r.n)
    end)
  end)
end)
