/* SPDX-License-Identifier: MIT */
/*
 * demo.c - the seed scenario: 1,000 calls to a (simulated) remote service
 * with at most 50 in flight, plus a fire-and-forget task that fails and
 * whose error is still reported.
 *
 * Each "remote call" is a future completed by a timer after 1-5 ms (the
 * network latency). Every call runs as its own task, all spawned at once;
 * a semaphore of LIMIT permits keeps at most LIMIT calls in flight (the
 * asyncio `async with sem:` pattern). Then the same 1,000 calls go through
 * acore_map(), the bounded map that does it in one call.
 */
#include <acore.h>

#include <stdio.h>
#include <stdlib.h>

enum { CALLS = 1000, LIMIT = 50 };

typedef struct demo {
  acore_loop_t *loop;
  acore_sem_t *sem;         /* LIMIT permits */
  int in_flight, peak, finished;
  int64_t sum;
  unsigned seed;
} demo_t;

/* ---- the simulated remote service ---- */

static void reply(void *ud) { acore_future_set_int(ud, 0); }
static void unref_future(void *ud) { acore_future_unref(ud); }

/* A future completed 1-5 ms from now, like a network round trip. */
static acore_future_t *remote_call(demo_t *d) {
  acore_future_t *f;
  double latency = 0.001 + (double)(rand_r(&d->seed) % 4000) / 1e6;

  if (acore_future_new(d->loop, &f) != ACORE_OK)
    return NULL;
  if (acore_loop_call_later(d->loop, latency, reply, acore_future_ref(f),
                            unref_future, NULL) != ACORE_OK) {
    acore_future_unref(f);
    return NULL;
  }
  return f;
}

/* ---- one call, as a task: async with sem: return await remote_call() ---- */

typedef struct call {
  demo_t *demo;
  int index;
  int at;
} call_t;

static int call_step(acore_task_t *t, void *ud) {
  call_t *c = ud;
  demo_t *d = c->demo;
  acore_future_t *f;

  switch (c->at++) {
  case 0: /* wait for a permit */
    if (acore_sem_acquire(d->sem, 1, &f) != ACORE_OK)
      return ACORE_ENOMEM;
    return acore_task_await_take(t, f);
  case 1: /* holding a permit: make the call */
    if (acore_sem_acquire_finish(d->sem, acore_task_awaited(t)) != ACORE_OK)
      return acore_task_finish_cancelled(t);
    if (++d->in_flight > d->peak)
      d->peak = d->in_flight;
    f = remote_call(d);
    return f ? acore_task_await_take(t, f) : ACORE_ENOMEM;
  default: /* the reply is in: give the permit to the next call */
    d->in_flight--;
    d->finished++;
    acore_sem_release(d->sem, 1);
    return acore_task_return_int(t, c->index);
  }
}

/* ---- the same calls through the bounded map ---- */

static int map_job(acore_loop_t *loop, size_t i, void *ud,
                   acore_future_t **out) {
  (void)loop;
  (void)i;
  *out = remote_call(ud);
  return *out ? ACORE_OK : ACORE_ENOMEM;
}

/* ---- fire and forget ---- */

static int doomed_step(acore_task_t *t, void *ud) {
  (void)ud;
  if (acore_task_awaited(t) == NULL) {
    acore_future_t *f;
    acore_future_new(acore_task_loop(t), &f);
    acore_loop_call_later(acore_task_loop(t), 0.002, reply, acore_future_ref(f),
                          unref_future, NULL);
    return acore_task_await_take(t, f);
  }
  return acore_task_fail_code(t, ACORE_EIO, "background job lost its disk");
}

static void on_report(acore_loop_t *loop, const acore_context_t *ctx,
                      void *ud) {
  int *reports = ud;
  (*reports)++;
  printf("error handler: %s: task %s failed with %s (%s)\n",
         acore_context_message(ctx), acore_context_name(ctx),
         acore_err_name(acore_error_code(acore_context_error(ctx))),
         acore_error_message(acore_context_error(ctx)));
  (void)loop;
}

int main(void) {
  demo_t d = {0};
  acore_task_t *bg, *calls[CALLS];
  acore_future_t *map;
  call_t *jobs;
  double t0, t1;
  int64_t sum = 0, v;
  size_t map_peak;
  int reports = 0, i, map_rc;

  if (acore_loop_new(NULL, &d.loop) != ACORE_OK ||
      acore_sem_new(d.loop, LIMIT, ACORE_SEM_BOUNDED, &d.sem) != ACORE_OK ||
      (jobs = calloc(CALLS, sizeof(*jobs))) == NULL)
    return 1;
  d.seed = 42;
  acore_loop_set_error_handler(d.loop, on_report, &reports, NULL);
  t0 = acore_loop_time(d.loop);

  /* Fire and forget: nobody keeps the task, the loop runs it to its end. */
  acore_task_spawn(d.loop, doomed_step, NULL, NULL, &bg);
  acore_task_set_name(bg, "background-job");
  acore_task_unref(bg);

  /* 1,000 tasks at once; the semaphore lets LIMIT of them call at a time. */
  for (i = 0; i < CALLS; i++) {
    jobs[i].demo = &d;
    jobs[i].index = i;
    if (acore_task_spawn(d.loop, call_step, &jobs[i], NULL, &calls[i]) !=
        ACORE_OK)
      return 1;
  }
  acore_loop_run(d.loop); /* every call, and the background task */
  for (i = 0; i < CALLS; i++) {
    if (acore_future_result_int(acore_task_future(calls[i]), &v) == ACORE_OK)
      sum += v;
    acore_task_unref(calls[i]);
  }
  t1 = acore_loop_time(d.loop);
  printf("%d remote calls, at most %d in flight (semaphore; peak %d), sum "
         "of results %lld, in %.3f s\n", d.finished, LIMIT, d.peak,
         (long long)sum, t1 - t0);

  /* The same with the bounded map: one call, results in input order. */
  d.peak = d.in_flight = 0;
  acore_map(d.loop, CALLS, LIMIT, map_job, &d, NULL, 0, &map);
  acore_loop_run_until_complete(d.loop, map);
  map_rc = acore_future_result(map, NULL);
  map_peak = acore_map_peak_count(map);
  printf("%d remote calls through acore_map(), at most %d in flight (peak "
         "%zu), in %.3f s\n", CALLS, LIMIT, map_peak,
         acore_loop_time(d.loop) - t1);
  printf("errors reported by the loop: %d\n", reports);
  acore_future_unref(map);
  acore_sem_unref(d.sem);
  free(jobs);
  acore_loop_close(d.loop);
  acore_loop_unref(d.loop);
  return (sum == (int64_t)CALLS * (CALLS - 1) / 2 && d.finished == CALLS &&
          map_rc == ACORE_OK && map_peak == LIMIT && reports == 1) ? 0 : 1;
}
