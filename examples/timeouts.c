/* SPDX-License-Identifier: MIT */
/*
 * timeouts.c - timeouts and cancellation.
 *
 *   1. wait_for: a slow call times out (ACORE_ETIMEDOUT) only after it has
 *      finished cleaning up; a fast one returns its value.
 *   2. wait_for cancelled from outside ends cancelled, never "timed out".
 *   3. A timeout scope (asyncio.timeout) around several awaits of a task,
 *      with a deadline moved once.
 *   4. shield: cancelling the waiter leaves the work running.
 */
#include "acore.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct call {
  int at;
  double seconds;  /* how long the call takes */
  double cleanup;  /* how long it takes to clean up when cancelled */
} call;

/* A remote call: sleeps `seconds`, returns 42; on cancel, cleans up. */
static int call_step(acore_task_t *t, void *ud) {
  call *c = ud;
  acore_future_t *s;
  int st = acore_task_resume(t, NULL);

  switch (c->at++) {
  case 0:
    acore_sleep(acore_task_loop(t), c->seconds, &s);
    return acore_task_await_take(t, s);
  case 1:
    if (st == ACORE_ECANCELLED) { /* except CancelledError: clean up, raise */
      acore_task_cancel_handled(t);
      printf("  call: cancelled, cleaning up for %.0f ms\n", c->cleanup * 1e3);
      acore_sleep(acore_task_loop(t), c->cleanup, &s);
      return acore_task_await_take(t, s);
    }
    return acore_task_return_int(t, 42);
  default:
    puts("  call: cleaned up");
    return acore_task_finish_cancelled(t); /* raise */
  }
}

static acore_future_t *spawn_call(acore_loop_t *loop, call *c) {
  acore_task_t *t;

  if (acore_task_spawn(loop, call_step, c, NULL, &t) != ACORE_OK)
    exit(1);
  return acore_task_future(t);
}

static void cancel_it(void *ud) { acore_future_cancel(ud, "user pressed stop"); }

/* A task that does three 10 ms steps under one 25 ms deadline. */
typedef struct scoped {
  int at;
  acore_timeout_t *scope;
} scoped;

static int scoped_step(acore_task_t *t, void *ud) {
  scoped *s = ud;
  acore_loop_t *loop = acore_task_loop(t);
  acore_future_t *f;
  int st = acore_task_resume(t, NULL), rc;

  if (s->at == 0) {
    acore_timeout_new(t, acore_loop_time(loop) + 0.025, &s->scope);
    acore_timeout_reschedule(s->scope, acore_loop_time(loop) + 0.035);
  } else if (st != ACORE_OK) {
    rc = acore_timeout_exit(s->scope, st);
    printf("  scope: step %d interrupted: %s\n", s->at, acore_err_name(rc));
    acore_timeout_free(s->scope);
    return rc; /* ACORE_ETIMEDOUT fails the task; a cancel propagates */
  }
  if (s->at++ == 5) { /* never reached: the deadline passes first */
    acore_timeout_free(s->scope);
    return ACORE_TASK_DONE;
  }
  acore_sleep(loop, 0.010, &f);
  return acore_task_await_take(t, f);
}

int main(void) {
  acore_loop_t *loop;
  acore_future_t *w, *f, *sh;
  call slow = {0, 1.0, 0.005}, fast = {0, 0.001, 0}, third = {0, 1.0, 0.001};
  call shielded = {0, 0.020, 0};
  scoped sc = {0, NULL};
  acore_task_t *t;
  int64_t v = 0;

  if (acore_loop_new(NULL, &loop) != ACORE_OK)
    return 1;

  puts("1. wait_for(slow call, 20 ms) and wait_for(fast call, 20 ms)");
  f = spawn_call(loop, &slow);
  acore_wait_for(f, 0.020, &w);
  acore_loop_run_until_complete(loop, w);
  printf("  slow: %s, call done: %d\n",
         acore_err_name(acore_future_result(w, NULL)), acore_future_is_done(f));
  acore_future_unref(w);
  acore_future_unref(f);
  f = spawn_call(loop, &fast);
  acore_wait_for(f, 0.020, &w);
  acore_loop_run_until_complete(loop, w);
  acore_future_result_int(w, &v);
  printf("  fast: result %lld\n", (long long)v);
  acore_future_unref(w);
  acore_future_unref(f);

  puts("2. wait_for cancelled from outside after 5 ms");
  f = spawn_call(loop, &third);
  acore_wait_for(f, 0.500, &w);
  acore_loop_call_later(loop, 0.005, cancel_it, w, NULL, NULL);
  acore_loop_run_until_complete(loop, w);
  printf("  wait_for: %s (\"%s\"), not ETIMEDOUT\n",
         acore_err_name(acore_future_result(w, NULL)),
         acore_future_cancel_message(w));
  acore_future_unref(w);
  acore_future_unref(f);

  puts("3. a timeout scope: 10 ms steps under a 35 ms deadline");
  acore_task_spawn(loop, scoped_step, &sc, NULL, &t);
  acore_loop_run_until_complete(loop, acore_task_future(t));
  printf("  task: %s\n",
         acore_err_name(acore_future_result(acore_task_future(t), NULL)));
  acore_task_unref(t);

  puts("4. shield: the waiter gives up, the work goes on");
  f = spawn_call(loop, &shielded);
  acore_shield(f, &sh);
  acore_future_cancel(sh, NULL);
  acore_loop_run_until_complete(loop, f);
  acore_future_result_int(f, &v);
  printf("  shield cancelled: %d, work result %lld\n",
         acore_future_is_cancelled(sh), (long long)v);
  acore_future_unref(sh);
  acore_future_unref(f);

  acore_loop_close(loop);
  acore_loop_unref(loop);
  return 0;
}
