/* SPDX-License-Identifier: MIT */
/*
 * task_vs_coroutine.c - coroutine object vs scheduled task (what asyncio's
 * ensure_future / create_task does), in acore's terms.
 *
 * In asyncio, calling `child()` makes a coroutine object: nothing runs until
 * it is awaited or wrapped in a task. In acore, a step function plus its
 * state plays that part: filling in the state runs nothing. Spawning it with
 * acore_task_spawn() is create_task(): the task is scheduled and its first
 * step runs on a later loop iteration, never inside the spawn call.
 *
 * The program shows three things:
 *  1. a "coroutine object" that is never spawned never runs;
 *  2. spawning schedules: the first step runs on the next iteration, and a
 *     spawned task runs even if nobody awaits it;
 *  3. awaiting a task (`await create_task(child())`) is not the same as
 *     calling the step directly (`await child()`): the first runs the child
 *     as a task of its own, the second runs its code inside the caller's
 *     task.
 * The loop is driven one iteration at a time so the output shows when each
 * step runs.
 */
#include <acore.h>

#include <stdio.h>

static acore_loop_t *loop;
static int iteration; /* the iteration being run, for the printout */

/* ---- the "coroutine": a step function and its state ---- */

/* async def child(label): print(...); await sleep(0); print(...); return 42 */
typedef struct child {
  enum { CHILD_START, CHILD_AFTER_YIELD } at;
  const char *label;
  int steps; /* how many steps have run */
} child_t;

static void child_say(acore_task_t *t, child_t *c, const char *what) {
  acore_task_t *cur = acore_loop_current_task(acore_task_loop(t));
  char name[64];

  acore_task_name(cur, name, sizeof(name));
  printf("  [iteration %d] %s: %s (running in task %s, tasks alive %zu)\n",
         iteration, c->label, what, name, acore_loop_task_count(loop));
}

static int child_step(acore_task_t *t, void *ud) {
  child_t *c = ud;

  c->steps++;
  switch (c->at) {
  case CHILD_START:
    child_say(t, c, "step 1, then yield (await sleep(0))");
    c->at = CHILD_AFTER_YIELD;
    return acore_task_yield(t);
  case CHILD_AFTER_YIELD:
    child_say(t, c, "step 2, return 42");
    return acore_task_return_int(t, 42);
  }
  return ACORE_EINVALIDSTATE;
}

/* ---- a parent that uses the child one of two ways ---- */

/* mode AWAIT_TASK:  async def parent(): return await create_task(child())
 * mode CALL_DIRECT: async def parent(): return await child()             */
typedef struct parent {
  enum { AWAIT_TASK, CALL_DIRECT } mode;
  enum { PARENT_START, PARENT_WAITING, PARENT_DELEGATING } at;
  child_t child;
} parent_t;

static int parent_step(acore_task_t *t, void *ud) {
  parent_t *p = ud;
  acore_task_t *task;
  int64_t v;

  switch (p->at) {
  case PARENT_START:
    if (p->mode == AWAIT_TASK) {
      /* create_task(child()): a second task; await consumes our reference */
      if (acore_task_spawn(loop, child_step, &p->child, NULL, &task) != 0)
        return ACORE_ENOMEM;
      acore_task_set_name(task, "child-task");
      printf("  [iteration %d] parent: spawned child-task, awaiting it\n",
             iteration);
      p->at = PARENT_WAITING;
      return acore_task_await_take(t, acore_task_future(task));
    }
    /* await child(): no new task, the child's code runs in this step and
     * its verdict (yield, return 42) is the parent's verdict */
    printf("  [iteration %d] parent: calling child_step directly\n",
           iteration);
    p->at = PARENT_DELEGATING;
    return child_step(t, &p->child);
  case PARENT_DELEGATING:
    return child_step(t, &p->child);
  case PARENT_WAITING:
    if (acore_future_result_int(acore_task_awaited(t), &v) != ACORE_OK)
      return ACORE_EINVALIDSTATE;
    printf("  [iteration %d] parent: the child task returned %lld\n",
           iteration, (long long)v);
    return acore_task_return_int(t, v);
  }
  return ACORE_EINVALIDSTATE;
}

/* ---- driving the loop ---- */

/* Run iterations until there is no more work, numbering them. */
static void run_iterations(void) {
  int more = 1;

  while (more > 0) {
    iteration++;
    more = acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  }
}

static int64_t run_parent(parent_t *p, const char *name) {
  acore_task_t *t;
  int64_t v = -1;

  if (acore_task_spawn(loop, parent_step, p, NULL, &t) != ACORE_OK)
    return -1;
  acore_task_set_name(t, name);
  run_iterations();
  acore_future_result_int(acore_task_future(t), &v);
  acore_task_unref(t);
  return v;
}

int main(void) {
  child_t never = {CHILD_START, "never-spawned", 0};
  child_t eager = {CHILD_START, "spawned", 0};
  parent_t via_task = {AWAIT_TASK, PARENT_START, {CHILD_START, "child", 0}};
  parent_t direct = {CALL_DIRECT, PARENT_START, {CHILD_START, "child", 0}};
  acore_task_t *t;
  int64_t a, b;
  int iters_a, iters_b;

  if (acore_loop_new(NULL, &loop) != ACORE_OK)
    return 1;

  /* 1. coro = child(): making the state runs nothing, and the loop knows
   *    nothing of it. asyncio would warn "coroutine was never awaited";
   *    in C it is just memory nobody looks at. */
  printf("1. a coroutine object that is never scheduled\n");
  run_iterations();
  printf("  '%s' ran %d steps\n", never.label, never.steps);

  /* 2. create_task(child()): scheduled, not run inside the spawn call. We
   *    drop our reference at once: the loop holds the task until it ends,
   *    so it runs to the end although nobody awaits it. */
  printf("2. spawning schedules the task\n");
  iteration = 0;
  if (acore_task_spawn(loop, child_step, &eager, NULL, &t) != ACORE_OK)
    return 1;
  printf("  after acore_task_spawn: '%s' ran %d steps, %zu task(s) alive\n",
         eager.label, eager.steps, acore_loop_task_count(loop));
  acore_task_unref(t);
  run_iterations();
  printf("  after running the loop: '%s' ran %d steps\n", eager.label,
         eager.steps);

  /* 3. await create_task(child()) vs await child() */
  printf("3a. the parent awaits the child as a task of its own\n");
  iteration = 0;
  a = run_parent(&via_task, "parent-a");
  iters_a = iteration;
  printf("3b. the parent calls the child's step directly\n");
  iteration = 0;
  b = run_parent(&direct, "parent-b");
  iters_b = iteration;
  printf("  both parents returned %lld and %lld; 3a made a second task and "
         "took %d iterations, 3b took %d\n", (long long)a, (long long)b,
         iters_a, iters_b);

  acore_loop_close(loop);
  acore_loop_unref(loop);
  return (never.steps == 0 && eager.steps == 2 && a == 42 && b == 42) ? 0 : 1;
}
