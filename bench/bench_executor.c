/* SPDX-License-Identifier: MIT */
/*
 * bench_executor.c - the executor's workloads on acore, the same as
 * bench/peers (uv_peers.c: uv_queue_work with UV_THREADPOOL_SIZE=4 and
 * LAT; py_peers.py: run_in_executor on ThreadPoolExecutor(4)):
 *   W4      100,000 tiny jobs (each sums 100 ints) on an executor of 4
 *           workers, all submitted up front, each awaited by a done
 *           callback; wall ns per job (W4) and CPU ns per job of the whole
 *           process (W4_cpu).
 *   W4_loaded  W4 (--once only) while 2 child processes spin: the
 *           executor under a load the benchmark starts itself
 *           (bench_load_start: spawned programs, so that the load shares
 *           no memory with the benchmark).
 *   LAT     wake-up latency of a completion: the work function stamps the
 *           time as its last act, the future's done callback stamps again;
 *           the callback submits the next job, so completions never
 *           coalesce. p50 and p99 (us) over LAT_N samples, the loop thread
 *           on CPU 0 and the worker on CPU 0 (same) or CPU 1 (cross), on
 *           an executor of one worker (default options otherwise).
 * Each prints "RESULT acore <workload> <median of 5> <unit>".
 * Usage: bench_executor [W4] [LAT]
 *        bench_executor --once W4|W4_loaded|LAT_<same|cross>_<p50|p99>
 *                       [--n N] [--rounds R]  (bench_util.h; LAT: ns)
 */
#define _GNU_SOURCE
#define BENCH_NAME "bench_executor"
#include "acore.h"
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { REPS = 5, W4_N = 100000, W4_INTS = 100, LAT_N = 20000 };

/* W4_loaded: this many spinning processes run beside the round (one per
 * core of this 2-core machine class). */
enum { W4_LOAD = 2 };

static void report(const char *name, double value, const char *unit) {
  printf("RESULT acore %s %.1f %s\n", name, value, unit);
  fflush(stdout);
}

/* An executor of `workers` threads; `min` of them started at once and kept
 * when idle. */
static acore_executor_t *executor(unsigned workers, unsigned min) {
  acore_executor_options_t *o;
  acore_executor_t *ex;

  check(acore_executor_options_new(&o) == ACORE_OK, "options");
  check(acore_executor_options_set_max_workers(o, workers) == ACORE_OK, "max");
  check(acore_executor_options_set_min_workers(o, min) == ACORE_OK, "min");
  check(acore_executor_new(o, &ex) == ACORE_OK, "executor_new");
  acore_executor_options_free(o);
  return ex;
}

/* ---- W4 ---- */

static int w4_data[W4_INTS];
static int64_t w4_expected;
static long w4_done;

static int w4_work(acore_work_t *w, void *ud) {
  int64_t sum = 0;
  int i;

  (void)ud;
  for (i = 0; i < W4_INTS; i++)
    sum += w4_data[i];
  return acore_work_set_int(w, sum);
}

static void w4_after(acore_future_t *f, void *ud) {
  int64_t v = 0;

  (void)ud;
  check(acore_future_result_int(f, &v) == ACORE_OK && v == w4_expected, "W4 result");
  w4_done++;
}

/* The executor and loop every W4 round runs on (one pool for every round,
 * so only the first starts its threads, as libuv's pool). */
static struct {
  acore_executor_t *ex;
  acore_loop_t *loop;
} w4;

/* One round: W4_N jobs (or --n); returns wall ns per job. */
static double w4_rep(void) {
  const long n = bench_size(W4_N);
  acore_future_t *f;
  uint64_t t0, t1;
  long i;

  w4_done = 0;
  t0 = bench_start();
  for (i = 0; i < n; i++) {
    check(acore_run_in_executor(w4.loop, w4.ex, w4_work, NULL, NULL, &f) ==
              ACORE_OK, "run_in_executor");
    check(acore_future_add_done_callback(f, w4_after, NULL, NULL) == ACORE_OK,
          "add_done_callback");
    acore_future_unref(f);
  }
  check(acore_loop_run(w4.loop) == ACORE_OK, "run");
  t1 = bench_stop();
  check(w4_done == n, "W4 jobs missing");
  return (double)(t1 - t0) / (double)n;
}

static void w4_setup(void) {
  int i;

  for (i = 0; i < W4_INTS; i++) {
    w4_data[i] = i;
    w4_expected += i;
  }
  w4.ex = executor(4, 0); /* lazy, as uv's pool */
  check(acore_loop_new(NULL, &w4.loop) == ACORE_OK, "loop_new");
}

static void w4_teardown(void) {
  acore_loop_close(w4.loop);
  acore_loop_unref(w4.loop);
  acore_executor_shutdown(w4.ex, ACORE_EXECUTOR_WAIT);
  acore_executor_unref(w4.ex);
}

static void run_w4(void) {
  double wall[REPS], cpu[REPS];
  int i;

  w4_setup();
  for (i = 0; i < REPS; i++) {
    wall[i] = w4_rep();
    cpu[i] = bench_cpu_per_op(wall[i]);
  }
  report("W4", quantile(wall, REPS, 0.5), "ns/job");
  report("W4_cpu", quantile(cpu, REPS, 0.5), "ns/job");
  w4_teardown();
}

/* ---- LAT ---- */

static void pin_self(int cpu) {
  cpu_set_t set;

  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  check(sched_setaffinity(0, sizeof(set), &set) == 0, "sched_setaffinity");
}

typedef struct lat_run {
  acore_loop_t *loop;
  acore_executor_t *ex;
  int worker_cpu;
  uint64_t t_sent; /* written by the worker, read after the hand-over */
  double *us;
  int got;
} lat_run;

static _Thread_local int pinned_cpu = -1;

static int lat_work(acore_work_t *w, void *ud) {
  lat_run *r = ud;

  if (pinned_cpu != r->worker_cpu) {
    pin_self(r->worker_cpu);
    pinned_cpu = r->worker_cpu;
  }
  (void)w;
  r->t_sent = now_ns(); /* the work's last act */
  return ACORE_OK;
}

static void lat_submit(lat_run *r);

static void lat_after(acore_future_t *f, void *ud) {
  uint64_t t = now_ns();
  lat_run *r = ud;

  (void)f;
  r->us[r->got++] = (double)(t - r->t_sent) / 1e3;
  if (r->got < LAT_N)
    lat_submit(r);
}

static void lat_submit(lat_run *r) {
  acore_future_t *f;

  check(acore_run_in_executor(r->loop, r->ex, lat_work, r, NULL, &f) ==
            ACORE_OK, "run_in_executor");
  check(acore_future_add_done_callback(f, lat_after, r, NULL) == ACORE_OK,
        "add_done_callback");
  acore_future_unref(f);
}

static void lat_rep(int worker_cpu, double *p50, double *p99) {
  lat_run r;

  memset(&r, 0, sizeof(r));
  r.worker_cpu = worker_cpu;
  r.us = malloc(LAT_N * sizeof(double));
  check(r.us != NULL, "malloc");
  pin_self(0);
  check(acore_loop_new(NULL, &r.loop) == ACORE_OK, "loop_new");
  r.ex = executor(1, 0); /* one worker, started on first use */
  lat_submit(&r);
  check(acore_loop_run(r.loop) == ACORE_OK, "run");
  check(r.got == LAT_N, "LAT samples missing");
  acore_loop_close(r.loop);
  acore_loop_unref(r.loop);
  acore_executor_shutdown(r.ex, ACORE_EXECUTOR_WAIT);
  acore_executor_unref(r.ex);
  *p50 = quantile(r.us, LAT_N, 0.50);
  *p99 = quantile(r.us, LAT_N, 0.99);
  free(r.us);
}

static void lat_report(const char *placement, int worker_cpu) {
  double p50[REPS], p99[REPS];
  char name[64];
  int i;

  for (i = 0; i < REPS; i++)
    lat_rep(worker_cpu, &p50[i], &p99[i]);
  snprintf(name, sizeof(name), "LAT_%s_p50", placement);
  report(name, quantile(p50, REPS, 0.5), "us");
  snprintf(name, sizeof(name), "LAT_%s_p99", placement);
  report(name, quantile(p99, REPS, 0.5), "us");
}

/* W4 while W4_LOAD child processes spin (bench_load_start). */
static double w4_loaded_rep(void) {
  double ns;

  bench_load_start(W4_LOAD);
  ns = w4_rep();
  bench_load_stop();
  return ns;
}

/* --once LAT_*: one rep, its p50 or p99 in ns (bench_lat_name). */
static int lat_cpu, lat_p99;

static double lat_once_rep(void) {
  double p50, p99;

  lat_rep(lat_cpu, &p50, &p99);
  return (lat_p99 ? p99 : p50) * 1e3;
}

static int selected(int argc, char **argv, const char *name) {
  int i;

  if (argc < 2)
    return 1;
  for (i = 1; i < argc; i++)
    if (strcmp(argv[i], name) == 0)
      return 1;
  return 0;
}

int main(int argc, char **argv) {
  bench_once once;
  int rc, loaded;

  if (bench_once_args(argc, argv, &once)) {
    if (bench_lat_name(once.workload, &lat_cpu, &lat_p99))
      return bench_run_once("acore", &once, "ns", lat_once_rep);
    loaded = strcmp(once.workload, "W4_loaded") == 0;
    if (!loaded && strcmp(once.workload, "W4") != 0)
      return bench_unknown(argv[0], once.workload);
    w4_setup();
    rc = bench_run_once("acore", &once, "ns/job",
                        loaded ? w4_loaded_rep : w4_rep);
    w4_teardown();
    return rc;
  }
  printf("# acore %s executor, median of %d runs\n", acore_version_string(),
         REPS);
  if (selected(argc, argv, "W4"))
    run_w4();
  if (selected(argc, argv, "LAT"))
    run_lat_placements(lat_report);
  return 0;
}
