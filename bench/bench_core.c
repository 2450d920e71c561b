/* SPDX-License-Identifier: MIT */
/*
 * bench_core.c - the foundation's workloads on acore, the same as
 * bench/peers (uv_peers.c, py_peers.py) so the figures compare:
 *   W1_batched  create a future, add one done callback, set its result,
 *               run the callback; 1,000 futures per loop iteration.
 *   W1_single   the same as a chain: one future per loop iteration.
 *   W2a         100,000 tasks each awaiting a future that a call_soon
 *               completes, then finishing.
 *   W6          bytes per pending task: 100,000 tasks awaiting futures
 *               that never complete (heap growth from mallinfo2).
 * Each prints "RESULT acore <workload> <median of 5> <unit>".
 * Usage: bench_core [workload...]
 *        bench_core --once WORKLOAD [--n N] [--rounds R]  (bench_util.h;
 *        W6 and W6_held then also give the resident memory growth)
 */
#define BENCH_NAME "bench_core"
#include "acore.h"
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { REPS = 5 };

static void run_reps(const char *name, const char *unit, double (*rep)(void)) {
  double v[REPS];
  int i;

  for (i = 0; i < REPS; i++)
    v[i] = rep();
  printf("RESULT acore %s %.1f %s\n", name, quantile(v, REPS, 0.5), unit);
  fflush(stdout);
}

/* One loop serves every repetition of the time workloads, as one loop
 * serves a program: the figures are steady state (the first repetition,
 * which warms the loop's object caches, is among the five). */
static acore_loop_t *shared_loop;

static acore_loop_t *fresh_loop(void) {
  acore_loop_t *loop;
  check(acore_loop_new(NULL, &loop) == ACORE_OK, "loop_new");
  return loop;
}

static void close_loop(acore_loop_t *loop) {
  check(acore_loop_close(loop) == ACORE_OK, "close");
  acore_loop_unref(loop);
}

static acore_loop_t *new_loop(void) {
  if (shared_loop == NULL)
    shared_loop = fresh_loop();
  return shared_loop;
}

static void free_loop(acore_loop_t *loop) { (void)loop; }

/* ---- W1 ---- */

static struct {
  acore_loop_t *loop;
  long total, remaining, done;
} w1;

static void w1_on_done(acore_future_t *f, void *ud) {
  (void)f;
  (void)ud;
  w1.done++;
}

static void w1_arm(acore_done_fn cb) {
  acore_future_t *f;

  acore_future_new(w1.loop, &f);
  acore_future_add_done_callback(f, cb, NULL, NULL);
  acore_future_set_int(f, 1);
  acore_future_unref(f); /* the queued callback keeps it alive */
}

static void w1_produce(void *ud) {
  long k = w1.remaining < 1000 ? w1.remaining : 1000, i;

  (void)ud;
  for (i = 0; i < k; i++)
    w1_arm(w1_on_done);
  w1.remaining -= k;
  if (w1.remaining > 0)
    acore_loop_call_soon(w1.loop, w1_produce, NULL, NULL, NULL);
}

static double w1_batched_rep(void) {
  const long total =
      bench_size(getenv("W1N") ? atol(getenv("W1N")) : 1000000);
  uint64_t t0, t1;

  w1.loop = new_loop();
  w1.remaining = total;
  w1.done = 0;
  t0 = bench_start();
  acore_loop_call_soon(w1.loop, w1_produce, NULL, NULL, NULL);
  acore_loop_run(w1.loop);
  t1 = bench_stop();
  check(w1.done == total, "W1_batched: done callbacks missing");
  free_loop(w1.loop);
  return (double)(t1 - t0) / (double)total;
}

static void w1_on_done_chain(acore_future_t *f, void *ud) {
  (void)f;
  (void)ud;
  if (++w1.done < w1.total)
    w1_arm(w1_on_done_chain);
}

static double w1_single_rep(void) {
  const long total = bench_size(200000);
  uint64_t t0, t1;

  w1.loop = new_loop();
  w1.total = total;
  w1.done = 0;
  t0 = bench_start();
  w1_arm(w1_on_done_chain);
  acore_loop_run(w1.loop);
  t1 = bench_stop();
  check(w1.done == total, "W1_single: done callbacks missing");
  free_loop(w1.loop);
  return (double)(t1 - t0) / (double)total;
}

/* ---- W2a ---- */

static long w2a_finished;

static void reply(void *ud) { acore_future_set_int(ud, 1); }

/* Start: await a future that a call_soon completes. Resumed: finish. */
static int w2a_step(acore_task_t *t, void *ud) {
  acore_future_t *f = acore_task_awaited(t);
  int64_t v = 0;

  (void)ud;
  if (f == NULL) {
    acore_future_new(acore_task_loop(t), &f);
    acore_loop_call_soon(acore_task_loop(t), reply, f, NULL, NULL);
    return acore_task_await_take(t, f);
  }
  acore_future_result_int(f, &v);
  check(v == 1, "W2a: wrong result");
  w2a_finished++;
  return ACORE_TASK_DONE;
}

static double w2a_rep(void) {
  const long n = bench_size(100000);
  acore_loop_t *loop = new_loop();
  uint64_t t0, t1;
  long i;

  w2a_finished = 0;
  t0 = bench_start();
  for (i = 0; i < n; i++)
    acore_task_spawn(loop, w2a_step, NULL, NULL, NULL);
  acore_loop_run(loop);
  t1 = bench_stop();
  check(w2a_finished == n, "W2a: tasks left pending");
  free_loop(loop);
  return (double)(t1 - t0) / (double)n;
}

/* ---- W6 ---- */

static int w6_step(acore_task_t *t, void *ud) {
  acore_future_t *f;

  (void)ud;
  if (acore_task_step_status(t) == ACORE_ECANCELLED)
    return acore_task_finish_cancelled(t);
  acore_future_new(acore_task_loop(t), &f);
  return acore_task_await_take(t, f);
}

/* Bytes per pending task; `hold` keeps a reference to every task in an
 * array (as the peers must: asyncio's loop does not keep tasks alive);
 * without it the tasks are reached through the loop, which holds them. */
static double w6_measure(int hold) {
  const long n = bench_size(100000);
  acore_loop_t *loop = fresh_loop(); /* heap growth from nothing */
  acore_task_t **tasks = NULL, *batch[256];
  size_t before, after, rss_before, got;
  long i;

  rss_before = rss_bytes();
  before = heap_in_use();
  if (hold) {
    tasks = malloc((size_t)n * sizeof(*tasks));
    check(tasks != NULL, "W6: malloc");
  }
  for (i = 0; i < n; i++)
    acore_task_spawn(loop, w6_step, NULL, NULL, hold ? &tasks[i] : NULL);
  acore_loop_run(loop); /* every task now awaits its future */
  after = heap_in_use();
  bench_rss_per_obj = ((double)rss_bytes() - (double)rss_before) / (double)n;
  check(acore_loop_task_count(loop) == (size_t)n, "W6: tasks missing");
  do { /* cancel them all, a batch at a time */
    acore_loop_all_tasks(loop, batch, 256, &got);
    for (i = 0; i < (long)got && i < 256; i++) {
      acore_task_cancel(batch[i], NULL);
      acore_task_unref(batch[i]);
    }
    acore_loop_run(loop);
  } while (acore_loop_task_count(loop) > 0);
  for (i = 0; hold && i < n; i++)
    acore_task_unref(tasks[i]);
  free(tasks);
  close_loop(loop);
  return (double)(after - before) / (double)n;
}

static double w6_rep(void) { return w6_measure(0); }
static double w6_held_rep(void) { return w6_measure(1); }

static const struct {
  const char *name;
  const char *unit;
  double (*rep)(void);
} workloads[] = {
  {"W1_batched", "ns/future", w1_batched_rep},
  {"W1_single", "ns/future", w1_single_rep},
  {"W2a", "ns/task", w2a_rep},
  {"W6", "bytes/task", w6_rep},
  {"W6_held", "bytes/task", w6_held_rep},
};

static int selected(const char *name, int argc, char **argv) {
  int i;
  size_t n;

  if (argc < 2)
    return 1;
  for (i = 1; i < argc; i++) {
    n = strlen(argv[i]);
    if (strncmp(name, argv[i], n) == 0 && (name[n] == '\0' || name[n] == '_'))
      return 1;
  }
  return 0;
}

/* --once: one workload, o->rounds rounds, REP lines (bench_util.h). */
static int run_once(const char *prog, const bench_once *o) {
  size_t i;
  int rc;

  for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
    if (strcmp(workloads[i].name, o->workload) == 0) {
      rc = bench_run_once("acore", o, workloads[i].unit, workloads[i].rep);
      if (shared_loop != NULL)
        close_loop(shared_loop);
      return rc;
    }
  return bench_unknown(prog, o->workload);
}

int main(int argc, char **argv) {
  bench_once once;
  size_t i;

  if (bench_once_args(argc, argv, &once))
    return run_once(argv[0], &once);
  printf("# acore %s, median of %d runs\n", acore_version_string(), REPS);
  for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
    if (selected(workloads[i].name, argc, argv))
      run_reps(workloads[i].name, workloads[i].unit, workloads[i].rep);
  if (shared_loop != NULL)
    close_loop(shared_loop);
  return 0;
}
