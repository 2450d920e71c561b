/* SPDX-License-Identifier: MIT */
/*
 * bounded_fanout.c - 1,000 calls to a (simulated) remote service with at
 * most N in flight, two ways: tasks sharing a semaphore, and one
 * acore_map() call. Prints the peak number of calls in flight.
 *
 * A "remote call" is a future completed by a timer 1-3 ms later.
 * Usage: bounded_fanout [N]   (default 20)
 */
#include <acore.h>

#include <stdio.h>
#include <stdlib.h>

enum { CALLS = 1000 };

static int in_flight, peak, finished;
static unsigned seed = 7;

static void reply(void *ud) {
  in_flight--;
  finished++;
  acore_future_set_int(ud, 1);
}

static void unref_future(void *ud) { acore_future_unref(ud); }

static acore_future_t *remote_call(acore_loop_t *loop) {
  acore_future_t *f;
  double latency = 0.001 + (double)(rand_r(&seed) % 2000) / 1e6;

  if (acore_future_new(loop, &f) != ACORE_OK)
    return NULL;
  if (acore_loop_call_later(loop, latency, reply, acore_future_ref(f),
                            unref_future, NULL) != ACORE_OK) {
    acore_future_unref(f);
    return NULL;
  }
  if (++in_flight > peak)
    peak = in_flight;
  return f;
}

/* ---- way 1: one task per call, a semaphore of N ---- */

typedef struct job {
  acore_sem_t *sem;
  int at;
} job_t;

static int job_step(acore_task_t *t, void *ud) {
  job_t *j = ud;
  acore_future_t *f;

  switch (j->at++) {
  case 0: /* async with sem: */
    if (acore_sem_acquire(j->sem, 1, &f) != ACORE_OK)
      return ACORE_ENOMEM;
    return acore_task_await_take(t, f);
  case 1:
    if (acore_sem_acquire_finish(j->sem, acore_task_awaited(t)) != ACORE_OK)
      return acore_task_finish_cancelled(t);
    f = remote_call(acore_task_loop(t)); /* await remote_call() */
    return f ? acore_task_await_take(t, f) : ACORE_ENOMEM;
  default:
    acore_sem_release(j->sem, 1);
    return ACORE_TASK_DONE;
  }
}

static int with_semaphore(acore_loop_t *loop, int limit) {
  static job_t jobs[CALLS];
  acore_sem_t *sem;
  int i;

  if (acore_sem_new(loop, (size_t)limit, ACORE_SEM_BOUNDED, &sem) != ACORE_OK)
    return 1;
  for (i = 0; i < CALLS; i++) {
    jobs[i].sem = sem;
    jobs[i].at = 0;
    if (acore_task_spawn(loop, job_step, &jobs[i], NULL, NULL) != ACORE_OK)
      return 1;
  }
  acore_loop_run(loop);
  acore_sem_unref(sem);
  return 0;
}

/* ---- way 2: the bounded map ---- */

static int call_job(acore_loop_t *loop, size_t i, void *ud,
                    acore_future_t **out) {
  (void)i;
  (void)ud;
  *out = remote_call(loop);
  return *out ? ACORE_OK : ACORE_ENOMEM;
}

static int with_map(acore_loop_t *loop, int limit) {
  acore_future_t *m;
  int rc;

  if (acore_map(loop, CALLS, (size_t)limit, call_job, NULL, NULL, 0, &m) !=
      ACORE_OK)
    return 1;
  acore_loop_run_until_complete(loop, m);
  rc = acore_future_result(m, NULL);
  printf("  map peak reported by acore_map_peak_count(): %zu\n", acore_map_peak_count(m));
  acore_future_unref(m);
  return rc != ACORE_OK;
}

static int run(const char *what, int (*fn)(acore_loop_t *, int), int limit) {
  acore_loop_t *loop;
  double t0;
  int bad;

  if (acore_loop_new(NULL, &loop) != ACORE_OK)
    return 1;
  in_flight = peak = finished = 0;
  t0 = acore_loop_time(loop);
  bad = fn(loop, limit);
  printf("%s: %d calls, at most %d in flight: peak %d, in %.3f s\n", what,
         finished, limit, peak, acore_loop_time(loop) - t0);
  acore_loop_close(loop);
  acore_loop_unref(loop);
  return bad || finished != CALLS || peak != limit;
}

int main(int argc, char **argv) {
  int limit = argc > 1 ? atoi(argv[1]) : 20;

  if (limit < 1 || limit > CALLS) {
    fprintf(stderr, "usage: bounded_fanout [N in 1..%d]\n", CALLS);
    return 2;
  }
  return run("semaphore", with_semaphore, limit) |
         run("bounded map", with_map, limit);
}
