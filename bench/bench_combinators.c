/* SPDX-License-Identifier: MIT */
/*
 * bench_combinators.c - the combinators' workloads on acore:
 *   W2           100,000 tasks, each doing sleep(0) once and returning its
 *                index; all gathered; the sum is checked. ns per task
 *                (spawn, gather, run to completion), as bench/peers do.
 *                sleep(0) is acore_task_yield(), the step's own form of
 *                asyncio's `await asyncio.sleep(0)`: it resumes the task
 *                on the next iteration, as asyncio's does.
 *   W2_sleepfuture  the same with acore_sleep(0), a future completed one
 *                iteration later (the task then resumes one more later).
 *   gather_<n>   gather over n plain futures: the gather call, completing
 *                every future, running until the gather is done; ns per
 *                child, for n = 1k, 10k, 100k (cost must be linear in n).
 *   wait_<n>     the same with acore_wait(ALL_COMPLETED).
 * Each prints "RESULT acore <workload> <median of 5> <unit>".
 * Usage: bench_combinators [workload...]  (a name selects itself and the
 * workloads named "<name>_*").
 *        bench_combinators --once WORKLOAD [--n N] [--rounds R]
 *        (bench_util.h; N: tasks for W2*, ignored by gather_* and wait_*)
 */
#define BENCH_NAME "bench_combinators"
#include "acore.h"
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { REPS = 5, W2_N = 100000 };

/* One loop for every repetition (steady state, as bench_core). */
static acore_loop_t *loop;

static void report(const char *name, double *v) {
  printf("RESULT acore %s %.1f %s\n", name, quantile(v, REPS, 0.5),
         strncmp(name, "W2", 2) == 0 ? "ns/task" : "ns/child");
  fflush(stdout);
}

/* ---- W2 ---- */

static int use_sleep_future;

/* ud: the index; the first step yields (or awaits sleep(0)), the second
 * returns the index. `first` is told apart by the task's step count. */
typedef struct w2_state { int64_t index; int stepped; } w2_state;

static int w2_step(acore_task_t *t, void *ud) {
  w2_state *st = ud;
  acore_future_t *s;

  if (!st->stepped++) {
    if (!use_sleep_future)
      return acore_task_yield(t);
    check(acore_sleep(acore_task_loop(t), 0, &s) == ACORE_OK, "sleep");
    return acore_task_await_take(t, s);
  }
  return acore_task_return_int(t, st->index);
}

static double w2_rep(void) {
  const size_t n = (size_t)bench_size(W2_N);
  w2_state *w2_states = malloc(n * sizeof(*w2_states));
  acore_future_t **fs = malloc(n * sizeof(*fs)), *g;
  acore_task_t *t;
  int64_t sum = 0, v;
  uint64_t t0, t1;
  size_t i;

  check(w2_states != NULL && fs != NULL, "malloc");
  t0 = bench_start();
  for (i = 0; i < n; i++) {
    w2_states[i].index = (int64_t)i;
    w2_states[i].stepped = 0;
    check(acore_task_spawn(loop, w2_step, &w2_states[i], NULL, &t) ==
              ACORE_OK, "spawn");
    fs[i] = acore_task_future(t);
  }
  check(acore_gather(loop, fs, n, 0, &g) == ACORE_OK, "gather");
  for (i = 0; i < n; i++)
    acore_future_unref(fs[i]);
  check(acore_loop_run_until_complete(loop, g) == ACORE_OK, "run");
  t1 = bench_stop();
  check(acore_future_result(g, NULL) == ACORE_OK, "gather failed");
  for (i = 0; i < n; i++) {
    check(acore_future_result_int(acore_gather_child(g, i), &v) == ACORE_OK, "int");
    sum += v;
  }
  check(sum == (int64_t)n * ((int64_t)n - 1) / 2, "W2: wrong sum");
  acore_future_unref(g);
  free(fs);
  free(w2_states);
  return (double)(t1 - t0) / (double)n;
}

/* ---- gather / wait over n futures ---- */

static int use_wait;
static size_t cur_n;

static double many_rep(void) {
  acore_future_t **fs = malloc(cur_n * sizeof(*fs)), *g;
  uint64_t t0, t1;
  size_t i;

  check(fs != NULL, "malloc");
  for (i = 0; i < cur_n; i++)
    check(acore_future_new(loop, &fs[i]) == ACORE_OK, "future");
  t0 = bench_start();
  if (use_wait)
    check(acore_wait(loop, fs, cur_n, ACORE_WAIT_ALL_COMPLETED,
                     ACORE_NO_TIMEOUT, &g) == ACORE_OK, "wait");
  else
    check(acore_gather(loop, fs, cur_n, 0, &g) == ACORE_OK, "gather");
  for (i = 0; i < cur_n; i++)
    acore_future_set_int(fs[i], (int64_t)i);
  check(acore_loop_run_until_complete(loop, g) == ACORE_OK, "run");
  t1 = bench_stop();
  check(acore_future_result(g, NULL) == ACORE_OK, "result");
  if (use_wait)
    check(acore_wait_done_count(g) == cur_n, "wait: done set");
  acore_future_unref(g);
  for (i = 0; i < cur_n; i++)
    acore_future_unref(fs[i]);
  free(fs);
  return (double)(t1 - t0) / (double)cur_n;
}

static void run(const char *name, double (*rep)(void)) {
  double v[REPS];
  int i;

  for (i = 0; i < REPS; i++)
    v[i] = rep();
  report(name, v);
}

static int selected(int argc, char **argv, const char *name) {
  int i;

  if (argc < 2)
    return 1;
  for (i = 1; i < argc; i++) {
    size_t k = strlen(argv[i]);
    if (strcmp(argv[i], name) == 0 ||
        (strncmp(argv[i], name, k) == 0 && name[k] == '_'))
      return 1;
  }
  return 0;
}

static const struct { const char *name; size_t n; int wait; } many[] = {
  {"gather_1k", 1000, 0},   {"gather_10k", 10000, 0},
  {"gather_100k", 100000, 0}, {"wait_1k", 1000, 1},
  {"wait_10k", 10000, 1},   {"wait_100k", 100000, 1}};

/* --once: one workload, o->rounds rounds, REP lines (bench_util.h). */
static int run_once(const char *prog, const bench_once *o) {
  size_t i;

  use_sleep_future = strcmp(o->workload, "W2_sleepfuture") == 0;
  if (use_sleep_future || strcmp(o->workload, "W2") == 0)
    return bench_run_once("acore", o, "ns/task", w2_rep);
  for (i = 0; i < sizeof(many) / sizeof(many[0]); i++)
    if (strcmp(many[i].name, o->workload) == 0) {
      cur_n = many[i].n;
      use_wait = many[i].wait;
      return bench_run_once("acore", o, "ns/child", many_rep);
    }
  return bench_unknown(prog, o->workload);
}

int main(int argc, char **argv) {
  bench_once once;
  size_t i;
  int rc;

  check(acore_loop_new(NULL, &loop) == ACORE_OK, "loop");
  if (bench_once_args(argc, argv, &once)) {
    rc = run_once(argv[0], &once);
    acore_loop_close(loop);
    acore_loop_unref(loop);
    return rc;
  }
  if (selected(argc, argv, "W2"))
    run("W2", w2_rep);
  use_sleep_future = 1;
  if (selected(argc, argv, "W2_sleepfuture"))
    run("W2_sleepfuture", w2_rep);
  for (i = 0; i < sizeof(many) / sizeof(many[0]); i++) {
    if (!selected(argc, argv, many[i].name))
      continue;
    cur_n = many[i].n;
    use_wait = many[i].wait;
    run(many[i].name, many_rep);
  }
  acore_loop_close(loop);
  acore_loop_unref(loop);
  return 0;
}
