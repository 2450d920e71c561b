/* SPDX-License-Identifier: MIT */
/*
 * bench_sync.c - synchronisation benchmarks.
 *
 *  W3      10,000 jobs, at most 100 in flight under a semaphore; each job
 *          awaits a future completed by call_soon (the simulated remote
 *          call). Hand-written tasks with acore_sem, and the same through
 *          acore_map. ns per job, spawn to finish.
 *  W3_nosem the same 10,000 tasks and calls with no semaphore (all in
 *          flight): what the tasks alone cost, to isolate the semaphore's.
 *  SEMQ    a semaphore with N queued waiters (10, 1k, 10k, 100k): ns per
 *          release+re-acquire pair with the queue kept at N - it must not
 *          grow with N.
 *
 * Usage: bench_sync [workload...] (default: all).
 * Prints "RESULT acore <workload> <value> <unit>", medians of 5 runs.
 * bench_sync --once WORKLOAD [--n N] [--rounds R]: one rep (bench_util.h);
 * N is the number of jobs (W3*) or of operations (SEMQ_*).
 */
#define BENCH_NAME "bench_sync"
#include "acore.h"
#include "bench_util.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPS 5
#define W3_N 10000
#define W3_SLOTS 100

static int nsel;
static char **sel;

static int selected(const char *workload) {
  int i;

  for (i = 0; i < nsel; i++)
    if (strcmp(sel[i], workload) == 0)
      return 1;
  return nsel == 0;
}

static void report(const char *workload, const char *unit, double (*rep)(void)) {
  double v[REPS];
  int i;

  if (!selected(workload))
    return;

  for (i = 0; i < REPS; i++)
    v[i] = rep();
  printf("RESULT acore %s %.1f %s\n", workload, quantile(v, REPS, 0.5), unit);
  fflush(stdout);
}

/* One loop serves every repetition, as one loop serves a program: the
 * figures are steady state (as in bench_core and bench_combinators). */
static acore_loop_t *shared_loop;

static acore_loop_t *new_loop(void) {
  if (shared_loop == NULL)
    check(acore_loop_new(NULL, &shared_loop) == ACORE_OK, "loop");
  return shared_loop;
}

static void free_loop(acore_loop_t *loop) { (void)loop; }

static void close_shared_loop(void) {
  if (shared_loop != NULL) {
    check(acore_loop_close(shared_loop) == ACORE_OK, "close");
    acore_loop_unref(shared_loop);
  }
}

/* ---- the simulated remote call: completed by call_soon ---- */

static void reply(void *ud) { acore_future_set_int(ud, 1); }

static acore_future_t *remote_call(acore_loop_t *loop) {
  acore_future_t *f;

  check(acore_future_new(loop, &f) == ACORE_OK, "future");
  check(acore_loop_call_soon(loop, reply, f, NULL, NULL) == ACORE_OK, "soon");
  return f;
}

/* ---- W3 by hand: tasks and a semaphore ---- */

static struct {
  acore_sem_t *sem;
  int in_flight, peak, done;
} w3;

typedef struct w3_job {
  int at;
} w3_job;

static int w3_job_step(acore_task_t *t, void *ud) {
  w3_job *j = ud;

  switch (j->at++) {
  case 0: {
    acore_future_t *f;
    check(acore_sem_acquire(w3.sem, 1, &f) == ACORE_OK, "acquire");
    return acore_task_await_take(t, f);
  }
  case 1:
    if (++w3.in_flight > w3.peak)
      w3.peak = w3.in_flight;
    return acore_task_await_take(t, remote_call(acore_task_loop(t)));
  default:
    w3.in_flight--;
    w3.done++;
    acore_sem_release(w3.sem, 1);
    return ACORE_TASK_DONE;
  }
}

static double w3_sem_rep(void) {
  acore_loop_t *loop = new_loop();
  const long n = bench_size(W3_N);
  w3_job *jobs = malloc((size_t)n * sizeof(*jobs));
  double t0, t1;
  long i;

  check(jobs != NULL, "malloc");
  check(acore_sem_new(loop, W3_SLOTS, ACORE_SEM_BOUNDED, &w3.sem) == ACORE_OK,
        "sem");
  w3.in_flight = w3.peak = w3.done = 0;
  t0 = bench_start();
  for (i = 0; i < n; i++) {
    jobs[i].at = 0;
    check(acore_task_spawn(loop, w3_job_step, &jobs[i], NULL, NULL) ==
          ACORE_OK, "spawn");
  }
  check(acore_loop_run(loop) == ACORE_OK, "run");
  t1 = bench_stop();
  check(w3.done == n && w3.peak == (n < W3_SLOTS ? n : W3_SLOTS),
        "W3: bound not reached");
  check(acore_sem_available_count(w3.sem) == W3_SLOTS, "W3: permits leaked");
  acore_sem_unref(w3.sem);
  free(jobs);
  free_loop(loop);
  return (t1 - t0) / (double)n;
}

/* ---- the same tasks without the semaphore: what the tasks alone cost ---- */

static int notask_step(acore_task_t *t, void *ud) {
  (void)ud;
  if (acore_task_awaited(t) == NULL)
    return acore_task_await_take(t, remote_call(acore_task_loop(t)));
  w3.done++;
  return ACORE_TASK_DONE;
}

static double w3_nosem_rep(void) {
  acore_loop_t *loop = new_loop();
  const long n = bench_size(W3_N);
  double t0, t1;
  long i;

  w3.done = 0;
  t0 = bench_start();
  for (i = 0; i < n; i++)
    check(acore_task_spawn(loop, notask_step, NULL, NULL, NULL) == ACORE_OK,
          "spawn");
  check(acore_loop_run(loop) == ACORE_OK, "run");
  t1 = bench_stop();
  check(w3.done == n, "W3_nosem: jobs missing");
  free_loop(loop);
  return (t1 - t0) / (double)n;
}

/* ---- W3 through the bounded map ---- */

static int map_job(acore_loop_t *loop, size_t i, void *ud,
                   acore_future_t **out) {
  (void)i;
  (void)ud;
  *out = remote_call(loop);
  return ACORE_OK;
}

static double w3_map_rep(void) {
  acore_loop_t *loop = new_loop();
  const long n = bench_size(W3_N);
  acore_future_t *m;
  double t0, t1;

  t0 = bench_start();
  check(acore_map(loop, (size_t)n, W3_SLOTS, map_job, NULL, NULL, 0, &m) ==
        ACORE_OK, "map");
  check(acore_loop_run_until_complete(loop, m) == ACORE_OK, "run");
  t1 = bench_stop();
  check(acore_future_result(m, NULL) == ACORE_OK, "map result");
  check(acore_map_peak_count(m) == (size_t)(n < W3_SLOTS ? n : W3_SLOTS),
        "W3 map: bound not reached");
  acore_future_unref(m);
  free_loop(loop);
  return (t1 - t0) / (double)n;
}

/* ---- a semaphore with N queued waiters ---- */

#define SEMQ_OPS 100000

static size_t semq_n;

static double semq_rep(void) {
  acore_loop_t *loop = new_loop();
  const long ops = bench_size(SEMQ_OPS);
  acore_sem_t *sem;
  acore_future_t **ring;
  size_t i, head = 0;
  double t0, t1;

  ring = malloc(semq_n * sizeof(*ring));
  check(ring != NULL, "ring");
  check(acore_sem_new(loop, 0, 0, &sem) == ACORE_OK, "sem");
  for (i = 0; i < semq_n; i++)
    check(acore_sem_acquire(sem, 1, &ring[i]) == ACORE_OK, "acquire");
  t0 = bench_start();
  for (i = 0; i < (size_t)ops; i++) {
    /* the oldest waiter is served, a new one joins the tail */
    acore_sem_release(sem, 1);
    acore_future_unref(ring[head]);
    acore_sem_acquire(sem, 1, &ring[head]);
    head = (head + 1) % semq_n;
  }
  t1 = bench_stop();
  check(acore_sem_waiter_count(sem) == semq_n, "SEMQ: queue length");
  for (i = 0; i < semq_n; i++)
    acore_future_unref(ring[i]);
  acore_sem_unref(sem);
  acore_loop_run(loop); /* done callbacks: none; drains nothing */
  free_loop(loop);
  free(ring);
  return (t1 - t0) / (double)ops;
}

static const struct {
  const char *name;
  const char *unit;
  double (*rep)(void);
  size_t semq_n;
} once_table[] = {
  {"W3", "ns/job", w3_sem_rep, 0},
  {"W3_map", "ns/job", w3_map_rep, 0},
  {"W3_nosem", "ns/job", w3_nosem_rep, 0},
  {"SEMQ_10", "ns/op", semq_rep, 10},
  {"SEMQ_1k", "ns/op", semq_rep, 1000},
  {"SEMQ_10k", "ns/op", semq_rep, 10000},
  {"SEMQ_100k", "ns/op", semq_rep, 100000},
};

/* --once: one workload, o->rounds rounds, REP lines (bench_util.h). */
static int run_once(const char *prog, const bench_once *o) {
  size_t i;
  int rc;

  for (i = 0; i < sizeof(once_table) / sizeof(once_table[0]); i++)
    if (strcmp(once_table[i].name, o->workload) == 0) {
      semq_n = once_table[i].semq_n;
      rc = bench_run_once("acore", o, once_table[i].unit, once_table[i].rep);
      close_shared_loop();
      return rc;
    }
  return bench_unknown(prog, o->workload);
}

int main(int argc, char **argv) {
  static const size_t sizes[] = { 1000, 10000, 100000 };
  char name[64];
  bench_once once;
  size_t i;

  if (bench_once_args(argc, argv, &once))
    return run_once(argv[0], &once);
  nsel = argc - 1;
  sel = argv + 1;
  report("W3", "ns/job", w3_sem_rep);
  report("W3_map", "ns/job", w3_map_rep);
  report("W3_nosem", "ns/job", w3_nosem_rep);
  for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    semq_n = sizes[i];
    snprintf(name, sizeof(name), "SEMQ_%zuk", sizes[i] / 1000);
    report(name, "ns/op", semq_rep);
  }
  close_shared_loop();
  return 0;
}
