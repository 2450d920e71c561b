/* SPDX-License-Identifier: MIT */
/*
 * deadlock.c - find a deadlock from the loop's dump (docs/debugging.md).
 *
 * Two workers each take one lock, then the other's: "left" holds lock A
 * and waits for B, "right" holds B and waits for A. main gathers them and
 * hangs. The loop runs until nothing can move, then prints its await graph
 * as a tree and as JSON: each worker waits for a lock held by the other.
 * With `--wait` it prints "ready PID" instead and stays hung (for 60 s),
 * so that `acore-ps PID` shows the same tree from outside.
 */
#include <acore.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct worker {
  acore_lock_t *first, *second;
  int at;
} worker;

/* take `first`, let the other worker run, take `second`, release both. */
static int worker_step(acore_task_t *t, void *ud) {
  worker *w = ud;
  acore_future_t *f = NULL;

  if (acore_task_step_status(t) == ACORE_ECANCELLED)
    return acore_task_finish_cancelled(t);
  switch (w->at++) {
  case 0:
    if (acore_lock_acquire(w->first, &f) != ACORE_OK)
      return ACORE_ENOMEM;
    return acore_task_await_take(t, f);
  case 1:
    acore_lock_acquire_finish(w->first, acore_task_awaited(t));
    return acore_task_yield(t);
  case 2:
    if (acore_lock_acquire(w->second, &f) != ACORE_OK)
      return ACORE_ENOMEM;
    return acore_task_await_take(t, f); /* never granted: a deadlock */
  default:
    acore_lock_acquire_finish(w->second, acore_task_awaited(t));
    acore_lock_release(w->second);
    acore_lock_release(w->first);
    return acore_task_return_int(t, 0);
  }
}

typedef struct app {
  acore_task_t *workers[2];
  int at;
} app;

static int main_step(acore_task_t *t, void *ud) {
  app *a = ud;
  acore_future_t *all[2], *g = NULL;

  if (a->at++ > 0)
    return acore_task_finish_cancelled(t);
  all[0] = acore_task_future(a->workers[0]);
  all[1] = acore_task_future(a->workers[1]);
  if (acore_gather(acore_task_loop(t), all, 2, 0, &g) != ACORE_OK)
    return ACORE_ENOMEM;
  return acore_task_await_take(t, g);
}

static void quiet(acore_loop_t *loop, const acore_context_t *ctx, void *ud) {
  (void)loop, (void)ctx, (void)ud; /* the workers end holding locks */
}

static void give_up(void *ud) { acore_loop_stop(ud); }

static void print_dumps(acore_loop_t *loop) {
  printf("The loop stopped with %zu tasks unfinished:\n\n",
         acore_loop_task_count(loop));
  fflush(stdout);
  acore_loop_dump_fd(loop, ACORE_DUMP_TREE, 1);
  printf("\nThe same as JSON:\n\n");
  fflush(stdout);
  acore_loop_dump_fd(loop, ACORE_DUMP_JSON, 1);
}

int main(int argc, char **argv) {
  acore_loop_options_t *opts = NULL;
  acore_loop_t *loop = NULL;
  acore_lock_t *a = NULL, *b = NULL;
  acore_task_t *main_task = NULL;
  worker left = {0}, right = {0};
  app m = {{NULL, NULL}, 0};
  int wait = argc > 1 && strcmp(argv[1], "--wait") == 0;

  acore_loop_options_new(&opts);
  acore_loop_options_set_flags(opts, ACORE_LOOP_TASK_TIMES);
  acore_loop_options_set_dump_signal(opts, SIGUSR1); /* for acore-ps */
  if (acore_loop_new(opts, &loop) != ACORE_OK)
    return 1;
  acore_loop_options_free(opts);
  acore_loop_set_error_handler(loop, quiet, NULL, NULL);
  acore_lock_new(loop, &a);
  acore_lock_new(loop, &b);
  left.first = right.second = a;
  left.second = right.first = b;
  acore_task_spawn_at(loop, main_step, &m, NULL, ACORE_WHERE(), &main_task);
  acore_task_spawn_at(loop, worker_step, &left, NULL, ACORE_WHERE(),
                      &m.workers[0]);
  acore_task_spawn_at(loop, worker_step, &right, NULL, ACORE_WHERE(),
                      &m.workers[1]);
  acore_task_set_name(main_task, "main");
  acore_task_set_name(m.workers[0], "left");
  acore_task_set_name(m.workers[1], "right");

  acore_loop_run(loop); /* returns: nothing can move any more */
  if (wait) { /* hang like a real program: acore-ps PID shows why */
    printf("ready %ld\n", (long)getpid());
    fflush(stdout);
    acore_loop_call_later(loop, 60.0, give_up, loop, NULL, NULL);
    acore_loop_run(loop);
  } else {
    print_dumps(loop);
  }

  acore_task_cancel(main_task, "deadlock found");
  acore_loop_run(loop);
  acore_task_unref(main_task);
  acore_task_unref(m.workers[0]);
  acore_task_unref(m.workers[1]);
  acore_lock_unref(a);
  acore_lock_unref(b);
  acore_loop_close(loop);
  acore_loop_unref(loop);
  return 0;
}
