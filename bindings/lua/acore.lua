-- SPDX-License-Identifier: MIT
-- acore.lua - asyncio's model of concurrency for Lua 5.4, on acore's C
-- loop: coroutines run as acore tasks, any Lua value is a result, errors
-- are values with a traceback, cancellation is an error pcall can see.
-- The C module acore_core (SWIG: acore.i and the binding kit) does the
-- work; this file only gives it Lua's shape. See docs/lua.md.
local core = require "acore_core"

local M = {}
local yield = coroutine.yield
local pack, unpack = table.pack, table.unpack

local OK, ECANCELLED, EHOST = core.ACORE_OK, core.ACORE_ECANCELLED, core.ACORE_EHOST
local ETIMEDOUT, EEMPTY = core.ACORE_ETIMEDOUT, core.ACORE_EEMPTY
local EINVALIDSTATE = core.ACORE_EINVALIDSTATE
local RESULT, FAILED, CANCELLED = core.ACORE_FUTURE_RESULT, core.ACORE_FUTURE_ERROR,
  core.ACORE_FUTURE_CANCELLED

-- ---- errors -----------------------------------------------------------------

local Error = {} -- the metatable of every acore.Error (C's too: task_hooks)
M.Error = Error
Error.__tostring = function(e)
  local s = tostring(e.name) .. ": " .. tostring(e.message)
  return e.traceback and s .. "\n" .. e.traceback or s
end

local function new_error(code, message, fields)
  local e = fields or {}
  e.code, e.name = code, core.acore_err_name(code)
  e.message = message or core.acore_strerror(code)
  return setmetatable(e, Error)
end
M.new_error = new_error

function M.is_error(e, code)
  return getmetatable(e) == Error and (code == nil or e.code == code)
end
function M.is_cancelled(e) return M.is_error(e, ECANCELLED) end
function M.is_timeout(e) return M.is_error(e, ETIMEDOUT) end

-- An acore error handle as the Lua value to raise: the Lua value it
-- carries when Lua made it, else an acore.Error (a group's children too).
local function lua_error(err)
  local v = core.acore_kit_error_value(err)
  if v ~= nil then return v end
  local e = new_error(core.acore_error_code(err), core.acore_error_message(err))
  local n = core.acore_error_child_count(err)
  if n > 0 then
    e.errors = {}
    for i = 0, n - 1 do e.errors[i + 1] = lua_error(core.acore_kit_error_child(err, i)) end
  end
  return e
end

-- What a Lua error becomes in acore: an error carrying the value (a string
-- is wrapped in an acore.Error with the traceback of where it was raised).
local function acore_error(v, co)
  if type(v) == "string" then
    v = new_error(EHOST, v, {traceback = debug.traceback(co, nil, 0)})
  elseif getmetatable(v) == Error and not v.traceback and co then
    v.traceback = debug.traceback(co, nil, 0)
  end
  local code = getmetatable(v) == Error and v.code < 0 and v.code or EHOST
  return core.acore_kit_error_new_value(code, tostring(v), v)
end

-- ---- reading and completing futures -----------------------------------------

local get = core.acore_kit_future_get -- rc, value (kit: typed values)

-- The outcome of a done future: its value, or raise its error.
local function outcome(f)
  local rc, v = get(f)
  if rc == OK then return v end
  local st = core.acore_future_state(f)
  if st == FAILED then error(lua_error(core.acore_kit_future_error(f)), 0) end
  if st == CANCELLED then
    error(new_error(ECANCELLED, core.acore_future_cancel_message(f)), 0)
  end
  if st == RESULT then error(new_error(rc, "a value this module cannot read"), 2) end
  error(new_error(core.ACORE_EINVALIDSTATE, "the future is not done"), 2)
end

-- Numbers and strings are stored as C values (C code reads them), any
-- other value as a Lua value.
local set_result = core.acore_kit_future_set

-- ---- tasks: a coroutine resumed by acore's step (lua_host.swg) -------------

local CANCEL = {} -- what a step resumes a coroutine with to deliver a cancel
local in_task = core.in_task -- the running coroutine is a task's

local function cancelled()
  return new_error(ECANCELLED, core.acore_task_cancel_message(core.acore_kit_running_task()))
end

-- Give the step `f` to await (nil: run again on the next iteration);
-- raise the cancellation it may deliver instead.
local function suspend(f, level)
  if not in_task() then error("acore: not inside a task", level + 1) end
  if yield(f) == CANCEL then error(cancelled(), 0) end
end

-- Suspend the running task until `f` is done; its value, or raise.
function M.await(f)
  local rc, v = get(f)
  if rc == OK then return v end
  if rc == EINVALIDSTATE and core.acore_future_is_done(f) == 0 then
    suspend(f, 2)
    rc, v = get(f)
    if rc == OK then return v end
  end
  return outcome(f)
end

-- What a task's coroutine raised: nil for a cancellation (the task ends
-- cancelled), else the acore error it fails with.
core.task_hooks(CANCEL, function(e, co)
  if M.is_cancelled(e) then return nil end
  return acore_error(e, co)
end, Error)

function M.current_task() return core.acore_kit_running_task() end

-- ---- the loop ---------------------------------------------------------------

local Loop = {}
Loop.__index = Loop
local running = nil -- the loop being run

function M.new_loop(flags)
  local opts
  if flags then
    opts = core.acore_loop_options_new()
    core.acore_loop_options_set_flags(opts, flags)
  end
  local self = setmetatable({h = core.acore_loop_new(opts)}, Loop)
  self.state = {} -- per-loop Lua state, kept as the loop's host data
  core.acore_kit_loop_set_value(self.h, self.state)
  return self
end

local function run_with(self, fn, ...)
  local outer = running
  running = self
  local ok, r = pcall(fn, ...)
  running = outer
  if not ok then error(r, 0) end
  return r
end

function Loop:run() return run_with(self, core.acore_loop_run, self.h) end
function Loop:run_once(nowait)
  return run_with(self, core.acore_loop_run_once, self.h, nowait and core.ACORE_RUN_NOWAIT or 0)
end
function Loop:run_until_complete(f)
  if type(f) == "function" then f = self:spawn(f) end
  run_with(self, core.acore_loop_run_until_complete, self.h, f)
  return outcome(f)
end
function Loop:stop() core.acore_loop_stop(self.h) end
function Loop:time() return core.acore_loop_time(self.h) end
function Loop:is_closed() return core.acore_loop_is_closed(self.h) == 1 end
-- The loop's live await graph (docs/debugging.md): fmt "tree" (default)
-- or "json"; an acore.Error (ECLOSED) on a closed loop.
function Loop:dump(fmt)
  if fmt ~= nil and fmt ~= "tree" and fmt ~= "json" then
    error("acore: dump format must be \"tree\" or \"json\", got " .. tostring(fmt), 2)
  end
  return core.acore_kit_loop_dump(self.h, fmt == "json" and 1 or 0)
end
function Loop:close()
  if self.h then core.acore_loop_close(self.h) end
end
Loop.__close = Loop.close
Loop.__gc = Loop.close

-- Keep run() and run_until_complete() waiting while another thread (a C
-- library's, an executor's) still has to wake the loop (acore_loop_hold).
function Loop:hold() core.acore_loop_hold(self.h) end
function Loop:release() core.acore_loop_release(self.h) end
-- A future another thread completes (acore_future_set_*_threadsafe, or a
-- callback it queues with acore_loop_call_soon_threadsafe): the loop is
-- held until it is done, cancelled included.
function Loop:threadsafe_future()
  local f, h = core.acore_future_new(self.h), self.h
  core.acore_kit_add_done_callback(f, function() core.acore_loop_release(h) end)
  core.acore_loop_hold(h)
  return f
end

function Loop:spawn(fn, ...) return core.spawn(self.h, fn, ...) end
function Loop:future() return core.acore_future_new(self.h) end
function Loop:call_soon(fn, ...)
  local args = pack(...)
  return core.acore_kit_call_soon(self.h, function() fn(unpack(args, 1, args.n)) end)
end
function Loop:call_later(delay, fn, ...)
  local args = pack(...)
  return core.acore_kit_call_later(self.h, delay, function() fn(unpack(args, 1, args.n)) end)
end
-- fn{kind=, message=, name=, error=}; nil restores the default.
function Loop:set_error_handler(fn)
  if fn == nil then return core.acore_kit_set_error_handler(self.h, nil) end
  core.acore_kit_set_error_handler(self.h, function(kind, message, name, err)
    fn({kind = kind, message = message, name = name,
        error = err and lua_error(err)})
  end)
end

function M.get_running_loop()
  return running or error("acore: no running loop", 2)
end

-- Cancel the tasks still running and let them finish (asyncio.run's end).
local function cancel_all(loop)
  local l = core.acore_kit_loop_tasks(loop.h)
  if core.acore_futlist_count(l) == 0 then return end
  for i = 0, core.acore_futlist_count(l) - 1 do core.acore_futlist_get(l, i):cancel() end
  run_with(loop, core.acore_loop_run_until_complete, loop.h, core.acore_kit_gather(
    loop.h, l, core.ACORE_GATHER_SETTLE_ALL))
end

-- Run fn(...) as the main task of a new loop, then cancel what is left and
-- close the loop; return the main task's value or raise its error.
function M.run(fn, ...)
  local loop <close> = M.new_loop()
  local task = loop:spawn(fn, ...)
  local r = pack(pcall(loop.run_until_complete, loop, task))
  cancel_all(loop)
  if not r[1] then error(r[2], 0) end
  return unpack(r, 2, r.n)
end

-- ---- futures and tasks as objects -------------------------------------------

-- The methods go into the SWIG class's method table, which becomes the
-- handles' __index itself (a table lookup: SWIG's __index function looks
-- for attributes and base classes first, which opaque handles have none of).
local function add_methods(class, methods)
  local fn, mt = core.class_methods(class)
  for k, v in pairs(methods) do fn[k] = v end
  mt.__index = fn
  mt.__eq = core.same
end

local future_methods = {
  result = outcome,
  done = function(f) return core.acore_future_is_done(f) == 1 end,
  cancelled = function(f) return core.acore_future_is_cancelled(f) == 1 end,
  set_result = set_result,
  set_error = function(f, e)
    local err = getmetatable(e) == Error and e.code < 0 and
      core.acore_kit_error_new_value(e.code, tostring(e), e) or acore_error(e)
    return core.acore_future_set_error(f, err)
  end,
  cancel = function(f, msg) return core.acore_future_cancel(f, msg) == 1 end,
  add_done_callback = core.acore_kit_add_done_callback,
}
add_methods("acore_future", future_methods)
local task_methods = {}
for k, v in pairs(future_methods) do task_methods[k] = v end
task_methods.cancel = function(t, msg) return core.acore_task_cancel(t, msg) == 1 end
task_methods.name = function(t) return core.acore_task_name(t) end
task_methods.set_name = function(t, n) return core.acore_task_set_name(t, n) end
add_methods("acore_task", task_methods)
add_methods("acore_handle", {cancel = function(h) return core.acore_handle_cancel(h) == 1 end})

function M.spawn(fn, ...)
  return core.spawn((running or M.get_running_loop()).h, fn, ...)
end
function M.Future() return M.get_running_loop():future() end
function M.threadsafe_future() return M.get_running_loop():threadsafe_future() end
function M.call_soon(fn, ...) return M.get_running_loop():call_soon(fn, ...) end
function M.call_later(d, fn, ...) return M.get_running_loop():call_later(d, fn, ...) end

-- ---- combinators ------------------------------------------------------------

local function h() return M.get_running_loop().h end

-- sleep(0) lets the other tasks run (a yield); sleep(d) waits d seconds.
function M.sleep(delay, value)
  if delay ~= 0 or not in_task() then
    M.await(core.acore_sleep(h(), delay))
  elseif yield(nil) == CANCEL then
    error(cancelled(), 0)
  end
  return value
end

-- Tasks for functions, the futures themselves otherwise (the list itself
-- when it holds no function: gather of 100,000 tasks copies nothing).
local function futures(list)
  local n = list.n or #list
  for i = 1, n do
    if type(list[i]) == "function" then
      local out = {}
      for j = 1, n do
        local f = list[j]
        out[j] = type(f) == "function" and M.spawn(f) or f
      end
      return out
    end
  end
  return list
end

-- gather(f1, f2, ...) -> {v1, v2, ...}; gather{..., settle = true} gives
-- the errors in place of the values instead of raising the first.
function M.gather(...)
  local list, settle = pack(...), false
  if list.n == 1 and type(list[1]) == "table" and getmetatable(list[1]) == nil then
    list = list[1]
    settle = list.settle
  end
  local fs = futures(list)
  local flags = settle and core.ACORE_GATHER_SETTLE_ALL or 0
  M.await(core.acore_kit_gather(h(), fs, flags))
  local values = core.outcomes(fs)
  if values then return values end
  local out = {n = #fs}
  for i, f in ipairs(fs) do
    local ok, v = pcall(outcome, f)
    if not ok and not settle then error(v, 0) end
    out[i] = v
  end
  return out
end

local WHEN = {FIRST_COMPLETED = core.ACORE_WAIT_FIRST_COMPLETED,
  FIRST_ERROR = core.ACORE_WAIT_FIRST_ERROR, ALL_COMPLETED = core.ACORE_WAIT_ALL_COMPLETED}

-- What was given, by C future: a task comes back as the task it was.
local key = core.acore_kit_future_key
local function given(fs)
  local m = {}
  for i = 1, #fs do m[key(fs[i])] = fs[i] end
  return m
end

local function list_of(l, orig)
  local out = {}
  for i = 0, core.acore_futlist_count(l) - 1 do
    local f = core.acore_futlist_get(l, i)
    out[i + 1] = orig[key(f)] or f
  end
  return out
end

-- wait(list, {return_when = "FIRST_COMPLETED", timeout = s}) -> done, pending
-- (the futures and tasks given); {count = k}: once k of them are done.
function M.wait(list, opts)
  opts = opts or {}
  local fs, timeout = futures(list), opts.timeout or core.ACORE_NO_TIMEOUT
  local w
  if opts.count then
    w = core.acore_kit_wait_at_least(h(), fs, opts.count, timeout)
  else
    local when = WHEN[opts.return_when or "ALL_COMPLETED"] or error("acore.wait: return_when?", 2)
    w = core.acore_kit_wait(h(), fs, when, timeout)
  end
  M.await(w)
  local orig = given(fs)
  return list_of(core.acore_kit_wait_done_list(w), orig),
    list_of(core.acore_kit_wait_pending_list(w), orig)
end

function M.wait_for(f, timeout)
  if type(f) == "function" then f = M.spawn(f) end
  return M.await(core.acore_wait_for(f, timeout))
end

function M.shield(f) return core.acore_shield(f) end

-- for f in as_completed(list[, timeout]) do ... M.await(f) ... end
function M.as_completed(list, timeout)
  local fs = futures(list)
  local ac, orig = core.acore_kit_as_completed(h(), fs, timeout or core.ACORE_NO_TIMEOUT), given(fs)
  return function()
    local ok, nxt = pcall(core.acore_as_completed_next, ac)
    if not ok then
      if M.is_error(nxt, EEMPTY) then return nil end
      error(nxt, 0)
    end
    if core.acore_future_is_done(nxt) == 0 then suspend(nxt, 2) end
    if core.acore_future_state(nxt) ~= RESULT then outcome(nxt) end -- raises
    local f = core.acore_kit_next_future(nxt)
    return orig[key(f)] or f
  end
end

-- timeout(delay, fn, ...): fn(...) in the running task with a deadline;
-- raises an ETIMEDOUT error when it passes.
function M.timeout(delay, fn, ...)
  local task = core.acore_kit_running_task() or error("acore.timeout: not inside a task", 2)
  local scope = core.acore_timeout_new(task, core.acore_loop_time(h()) + delay)
  local r = pack(pcall(fn, ...))
  local status = r[1] and OK or (M.is_cancelled(r[2]) and ECANCELLED or EHOST)
  status = core.acore_timeout_exit(scope, status)
  if status == ETIMEDOUT then error(new_error(ETIMEDOUT, "timed out"), 0) end
  if not r[1] then error(r[2], 0) end
  return unpack(r, 2, r.n)
end

-- task_group(function(tg) tg:spawn(fn, ...) ... end): returns once every
-- task is done; the first error cancels the rest and is raised (an EGROUP
-- acore.Error whose .errors are the tasks' errors).
function M.task_group(body)
  local g = core.acore_group_new(h())
  local tg = {spawn = function(_, fn, ...) return core.spawn(g, fn, ...) end}
  local ok, r = pcall(body, tg)
  if not ok then core.acore_future_cancel(core.acore_kit_group_future(g), nil) end
  core.acore_group_seal(g)
  local gf = core.acore_kit_group_future(g)
  local gok, gr = pcall(M.await, gf)
  if not ok then error(r, 0) end
  if not gok then error(gr, 0) end
end

-- map(fn, n, k): fn(1) .. fn(n) as tasks, at most k at once; the values
-- in order.
function M.map(fn, n, k, opts)
  local loop = M.get_running_loop()
  local m = core.acore_kit_map(loop.h, n, k, function(i) return loop:spawn(fn, i + 1) end,
    opts and opts.settle and core.ACORE_MAP_SETTLE_ALL or 0)
  M.await(m)
  local out = {n = n}
  for i = 0, n - 1 do
    local ok, v = pcall(outcome, core.acore_kit_map_job(m, i))
    if not ok and not (opts and opts.settle) then error(v, 0) end
    out[i + 1] = v
  end
  return out
end

-- run_in_executor(cfn, data[, executor]): the C work function cfn (a light
-- userdata a C library gives) runs on a worker with the string `data`;
-- Lua code never runs there.
function M.run_in_executor(cfn, data, executor)
  return M.await(core.acore_kit_run_c_work(h(), executor, cfn, data or ""))
end

-- ---- synchronisation --------------------------------------------------------

-- acquire(waitfn, finishfn): await the waiter, then let the primitive
-- finish it (it gives back what it took when a cancel arrived).
local function acquire(obj, f, finish)
  local ok, e = pcall(M.await, f)
  finish(obj, f)
  if not ok then error(e, 0) end
end

local function with(self, fn, ...)
  self:acquire()
  local r = pack(pcall(fn, ...))
  self:release()
  if not r[1] then error(r[2], 0) end
  return unpack(r, 2, r.n)
end

local Semaphore = {}
Semaphore.__index = Semaphore
function M.Semaphore(n, bounded)
  return setmetatable({h = core.acore_sem_new(h(), n or 1,
    bounded and core.ACORE_SEM_BOUNDED or 0)}, Semaphore)
end
function Semaphore:acquire()
  acquire(self.h, core.acore_sem_acquire(self.h, 1), core.acore_sem_acquire_finish)
end
function Semaphore:release() core.acore_sem_release(self.h, 1) end
function Semaphore:locked() return core.acore_sem_available_count(self.h) == 0 end
Semaphore.with = with

local Lock = {}
Lock.__index = Lock
function M.Lock() return setmetatable({h = core.acore_lock_new(h())}, Lock) end
function Lock:acquire()
  acquire(self.h, core.acore_lock_acquire(self.h), core.acore_lock_acquire_finish)
end
function Lock:release() core.acore_lock_release(self.h) end
function Lock:locked() return core.acore_lock_is_locked(self.h) == 1 end
Lock.with = with

local Event = {}
Event.__index = Event
function M.Event() return setmetatable({h = core.acore_event_new(h())}, Event) end
function Event:set() core.acore_event_set(self.h) end
function Event:clear() core.acore_event_clear(self.h) end
function Event:is_set() return core.acore_event_is_set(self.h) == 1 end
function Event:wait() M.await(core.acore_event_wait(self.h)) return true end

local Condition = {}
Condition.__index = Condition
function M.Condition(lock)
  local c = core.acore_cond_new(h(), lock and lock.h)
  return setmetatable({h = c, lock = {h = core.acore_kit_cond_lock(c)}}, Condition)
end
function Condition:acquire() Lock.acquire(self.lock) end
function Condition:release() Lock.release(self.lock) end
Condition.with = with
function Condition:wait() M.await(core.acore_cond_wait(self.h)) return true end
function Condition:wait_for(pred) M.await(core.acore_kit_cond_wait_for(self.h, pred)) return true end
function Condition:notify(n) return core.acore_cond_notify(self.h, n or 1) end
function Condition:notify_all() return core.acore_cond_notify_all(self.h) end

local Queue = {}
Queue.__index = Queue
-- Queue(maxsize[, "lifo" | a less-than function for a priority queue])
function M.Queue(maxsize, order)
  local q
  if type(order) == "function" then
    q = core.acore_kit_queue_new_priority(h(), maxsize or 0, order)
  else
    q = core.acore_queue_new(h(), maxsize or 0,
      order == "lifo" and core.ACORE_QUEUE_LIFO or core.ACORE_QUEUE_FIFO)
  end
  return setmetatable({h = q}, Queue)
end
function Queue:put(v)
  acquire(self.h, core.acore_kit_queue_put(self.h, v), core.acore_queue_put_finish)
end
function Queue:get()
  local f = core.acore_queue_get(self.h)
  acquire(self.h, f, core.acore_queue_get_finish)
  return core.acore_kit_future_value(f)
end
function Queue:put_nowait(v) core.acore_kit_queue_put_nowait(self.h, v) end
function Queue:get_nowait() return core.acore_kit_queue_get_nowait(self.h) end
function Queue:size() return core.acore_queue_item_count(self.h) end
function Queue:empty() return core.acore_queue_item_count(self.h) == 0 end
function Queue:task_done() core.acore_queue_task_done(self.h) end
function Queue:join() M.await(core.acore_queue_join(self.h)) end
function Queue:shutdown(immediate)
  core.acore_queue_shutdown(self.h, immediate and core.ACORE_QUEUE_IMMEDIATE or 0)
end

M.core = core
return M
