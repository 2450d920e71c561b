-- SPDX-License-Identifier: MIT
-- graph_spec.lua - the await graph from Lua: loop:dump() of a known graph
-- (two coroutines deadlocked over two locks, a third gathering them, and a
-- C task from acore_ctest awaiting one of them), as a tree and as JSON,
-- with each Lua task's creation site.
local acore = require "acore"
local ctest = require "acore_ctest"
local core = acore.core

local function left(a, b)
  a:acquire()
  acore.sleep(0)
  b:acquire()
end

local function right(a, b)
  b:acquire()
  acore.sleep(0)
  a:acquire()
end

local function site(fn)
  local info = debug.getinfo(fn, "S")
  return info.short_src .. ":" .. info.linedefined
end

-- Run the known graph until it hangs; returns the loop (to close).
local function deadlock()
  local loop = acore.new_loop()
  loop:set_error_handler(function() end) -- the tasks pending at close
  local main = function()
    local a, b = acore.Lock(), acore.Lock()
    local tl = loop:spawn(left, a, b)
    local tr = loop:spawn(right, a, b)
    core.acore_task_set_name(tl, "left")
    core.acore_task_set_name(tr, "right")
    local c = core.adopt(ctest.spawn_doubler(core.pointer(loop.h), core.pointer(tl)), "task")
    core.acore_task_set_name(c, "c_doubler")
    acore.gather(tl, tr)
  end
  local t = loop:spawn(main)
  core.acore_task_set_name(t, "main")
  loop:run()
  return loop, main
end

local function normalise(s)
  return (s:gsub("0x%x+", "0x?"):gsub("loop time [%d.]+ s", "loop time ?"))
end

describe("loop:dump()", function()
  it("prints the tree of a deadlock across Lua and C tasks", function()
    local loop, main = deadlock()
    local want = table.concat({
      "acore loop: 4 tasks, loop time ?",
      "main (#1) waiting at " .. site(main),
      "  awaits gather: 0 of 2 done",
      "    left (#2) waiting at " .. site(left),
      "      awaits waiter: lock 0x?, 1 of 1 waiting; held by right (#3)",
      "    right (#3) waiting at " .. site(right),
      "      awaits waiter: lock 0x?, 1 of 1 waiting; held by left (#2)",
      "c_doubler (#4) waiting",
      "  awaits left (#2) (shown above)",
      ""}, "\n")
    assert.equal(want, normalise(loop:dump()))
    assert.equal(normalise(loop:dump()), normalise(loop:dump("tree")))
    loop:close()
  end)

  it("gives the same graph as JSON", function()
    local loop = deadlock()
    local j = loop:dump("json")
    assert.truthy(j:find('"tasks": %['))
    assert.truthy(j:find('{"id": 1, "name": "main", "state": "waiting", "where": "[^"]*graph_spec.lua:%d+"'))
    assert.truthy(j:find('"awaits": {"kind": "gather", "detail": "0 of 2 done", "children": %[{"task": 2}, {"task": 3}%]}'))
    assert.truthy(j:find('"id": 2, "name": "left".-"awaited_by": %[1, 4%]'))
    assert.truthy(j:find('"id": 4, "name": "c_doubler", "state": "waiting", "where": null.-"awaits": {"task": 2}'))
    loop:close()
  end)

  it("of an idle loop lists no task", function()
    local loop = acore.new_loop()
    assert.equal("acore loop: 0 tasks, loop time ?\n", normalise(loop:dump()))
    assert.truthy(loop:dump("json"):find('"tasks": %[%s*%]'))
    loop:close()
  end)

  it("rejects a bad format and a closed loop", function()
    local loop = acore.new_loop()
    assert.has_error(function() loop:dump("xml") end)
    loop:close()
    local ok, err = pcall(loop.dump, loop)
    assert.is_false(ok)
    assert.is_true(acore.is_error(err, core.ACORE_ECLOSED))
  end)
end)
