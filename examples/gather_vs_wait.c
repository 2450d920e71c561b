/* SPDX-License-Identifier: MIT */
/*
 * gather_vs_wait.c - when to use gather and when to use wait.
 *
 * Three "fetches" run as tasks (one of them fails). The same work is
 * collected three ways:
 *   1. gather:             one outcome - all results, or the first error
 *                          (the very error object the child failed with);
 *   2. gather SETTLE_ALL:  every child's result or error, in input order;
 *   3. wait FIRST_COMPLETED: the done and pending sets; nothing cancelled.
 */
#include "acore.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct fetch {
  int at;
  double seconds;
  int fail;
  int64_t value;
} fetch;

static int fetch_step(acore_task_t *t, void *ud) {
  fetch *f = ud;
  acore_future_t *s;

  if (f->at++ == 0) { /* like: await asyncio.sleep(seconds) */
    if (acore_sleep(acore_task_loop(t), f->seconds, &s) != ACORE_OK)
      return ACORE_ENOMEM;
    return acore_task_await_take(t, s);
  }
  /* No cancel code: a cancel this step does not handle ends it cancelled. */
  if (f->fail)
    return acore_task_fail_code(t, ACORE_EIO, "fetch failed: server said no");
  return acore_task_return_int(t, f->value);
}

/* Spawn the three fetches; their futures go to fs[]. */
static void start(acore_loop_t *loop, fetch *jobs, acore_future_t **fs) {
  static const fetch plan[3] = {{0, 0.03, 0, 1}, {0, 0.01, 1, 0},
                                {0, 0.02, 0, 3}};
  int i;

  for (i = 0; i < 3; i++) {
    acore_task_t *t;
    jobs[i] = plan[i];
    if (acore_task_spawn(loop, fetch_step, &jobs[i], NULL, &t) != ACORE_OK)
      exit(1);
    fs[i] = acore_task_future(t);
  }
}

static void show_child(int i, acore_future_t *c) {
  int64_t v;
  int rc = acore_future_result_int(c, &v);

  if (rc == ACORE_OK)
    printf("  child %d: result %lld\n", i, (long long)v);
  else if (rc == ACORE_EINVALIDSTATE)
    printf("  child %d: still running\n", i);
  else
    printf("  child %d: %s (%s)\n", i, acore_err_name(rc),
           acore_error_message(acore_future_error(c)));
}

static void release(acore_future_t **fs, int n) {
  while (n-- > 0)
    acore_future_unref(fs[n]);
}

int main(void) {
  acore_loop_t *loop;
  acore_future_t *fs[3], *g, *w;
  fetch jobs[3];
  int i;

  if (acore_loop_new(NULL, &loop) != ACORE_OK)
    return 1;

  puts("1. gather (asyncio's default): the first error decides");
  start(loop, jobs, fs);
  acore_gather(loop, fs, 3, 0, &g);
  acore_loop_run_until_complete(loop, g);
  printf("  gather: %s, same error object as child 1: %s\n",
         acore_err_name(acore_future_result(g, NULL)),
         acore_future_error(g) == acore_future_error(fs[1]) ? "yes" : "no");
  for (i = 0; i < 3; i++)
    show_child(i, fs[i]); /* the others were not cancelled */
  acore_loop_run(loop);   /* ...and finish on their own */
  for (i = 0; i < 3; i += 2)
    show_child(i, fs[i]);
  acore_future_unref(g);
  release(fs, 3);

  puts("2. gather SETTLE_ALL: everything, in input order");
  start(loop, jobs, fs);
  acore_gather(loop, fs, 3, ACORE_GATHER_SETTLE_ALL, &g);
  release(fs, 3); /* the gather holds them */
  acore_loop_run_until_complete(loop, g);
  printf("  gather: %s\n", acore_err_name(acore_future_result(g, NULL)));
  for (i = 0; i < 3; i++)
    show_child(i, acore_gather_child(g, (size_t)i));
  acore_future_unref(g);

  puts("3. wait FIRST_COMPLETED: two sets, nothing cancelled");
  start(loop, jobs, fs);
  acore_wait(loop, fs, 3, ACORE_WAIT_FIRST_COMPLETED, ACORE_NO_TIMEOUT, &w);
  acore_loop_run_until_complete(loop, w);
  printf("  done: %zu, pending: %zu\n", acore_wait_done_count(w),
         acore_wait_pending_count(w));
  show_child(1, acore_wait_done(w, 0));
  acore_future_result(fs[1], NULL); /* we looked at its error */
  acore_loop_run(loop); /* the pending ones still finish */
  for (i = 0; i < 3; i++)
    show_child(i, fs[i]);
  acore_future_unref(w);
  release(fs, 3);

  acore_loop_close(loop);
  acore_loop_unref(loop);
  return 0;
}
