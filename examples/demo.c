/* SPDX-License-Identifier: MIT */
/*
 * demo.c - the seed scenario: 1,000 calls to a remote service over real
 * TCP connections with at most 50 in flight, plus a fire-and-forget task
 * that fails and whose error is still reported.
 *
 * The service is an acore TCP server on a free loopback port, started by
 * the demo itself: per connection it reads an 8-byte request (a number),
 * waits 1-5 ms (the time the service takes) and answers with the number.
 * Each call is a task: connect, send, read the answer exactly, close.
 * First all 1,000 calls are spawned at once and a semaphore of LIMIT
 * permits keeps at most LIMIT in flight (the asyncio `async with sem:`
 * pattern); then the same 1,000 calls go through acore_map(), the bounded
 * map that does it in one call.
 */
#include <acore.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CALLS = 1000, LIMIT = 50 };

typedef struct demo {
  acore_loop_t *loop;
  acore_sem_t *sem;         /* LIMIT permits */
  int port;
  int in_flight, peak, finished, served;
  unsigned seed;
} demo_t;

/* ---- the service: one task per connection --------------------------------- */

typedef struct serve {
  demo_t *demo;
  acore_stream_t *s;
  int at;
  unsigned char req[8];
} serve_t;

static void serve_free(void *ud) {
  serve_t *sv = ud;
  acore_stream_close(sv->s);
  acore_stream_unref(sv->s);
  free(sv);
}

static int serve_step(acore_task_t *t, void *ud) {
  serve_t *sv = ud;
  acore_future_t *f;
  double delay;
  int64_t n;

  switch (sv->at++) {
  case 0: /* the request: 8 bytes */
    if (acore_stream_read_exactly(sv->s, sv->req, 8, &f) != ACORE_OK)
      return ACORE_ENOMEM;
    return acore_task_await_take(t, f);
  case 1: /* the work the service does: 1-5 ms */
    if (acore_future_result_int(acore_task_awaited(t), &n) != ACORE_OK)
      return ACORE_TASK_DONE; /* the client went away */
    delay = 0.001 + (double)(rand_r(&sv->demo->seed) % 4000) / 1e6;
    if (acore_sleep(acore_task_loop(t), delay, &f) != ACORE_OK)
      return ACORE_ENOMEM;
    return acore_task_await_take(t, f);
  case 2: /* the answer: the same number */
    sv->demo->served++;
    if (acore_stream_write(sv->s, sv->req, 8, &f) != ACORE_OK)
      return ACORE_ENOMEM;
    return acore_task_await_take(t, f);
  default:
    return ACORE_TASK_DONE; /* serve_free closes the connection */
  }
}

typedef struct listener {
  demo_t *demo;
  acore_server_t *srv;
} listener_t;

/* Accept connections until the server closes; a task for each. */
static int accept_step(acore_task_t *t, void *ud) {
  listener_t *l = ud;
  acore_future_t *f = acore_task_awaited(t);
  serve_t *sv;

  if (f != NULL) { /* a connection */
    if ((sv = calloc(1, sizeof(*sv))) == NULL)
      return ACORE_ENOMEM;
    sv->demo = l->demo;
    if (acore_stream_from_future(f, &sv->s) != ACORE_OK) {
      free(sv);
      return acore_task_finish_cancelled(t); /* the server closed */
    }
    if (acore_task_spawn(acore_task_loop(t), serve_step, sv, serve_free,
                         NULL) != ACORE_OK)
      return ACORE_ENOMEM;
  }
  if (acore_server_accept(l->srv, &f) != ACORE_OK)
    return ACORE_TASK_DONE;
  return acore_task_await_take(t, f);
}

/* ---- one call, as a task: async with sem: return await remote_call(i) ----- */

typedef struct call {
  demo_t *demo;
  int index, at;
  acore_sem_t *sem;         /* NULL: no semaphore (the map bounds it) */
  acore_stream_t *s;
  unsigned char buf[8];
} call_t;

static void call_free(void *ud) {
  call_t *c = ud;
  acore_stream_close(c->s); /* accepts NULL: does nothing */
  acore_stream_unref(c->s);
  if (c->sem == NULL)
    free(c); /* a map job owns its call */
}

enum { C_START, C_PERMIT, C_CONNECTED, C_SENT, C_ANSWERED };

static int call_step(acore_task_t *t, void *ud) {
  call_t *c = ud;
  demo_t *d = c->demo;
  acore_future_t *f = acore_task_awaited(t);
  int64_t v = c->index;
  int rc;

  switch (c->at) {
  case C_START: /* wait for a permit */
    c->at = C_PERMIT;
    if (c->sem == NULL)
      return call_step(t, ud);
    if (acore_sem_acquire(c->sem, 1, &f) != ACORE_OK)
      return ACORE_ENOMEM;
    return acore_task_await_take(t, f);
  case C_PERMIT: /* holding a permit: connect */
    if (c->sem != NULL && acore_sem_acquire_finish(c->sem, f) != ACORE_OK)
      return acore_task_finish_cancelled(t);
    if (++d->in_flight > d->peak)
      d->peak = d->in_flight;
    c->at = C_CONNECTED;
    if ((rc = acore_tcp_connect(d->loop, "127.0.0.1", d->port, &f)) != 0)
      return rc;
    return acore_task_await_take(t, f);
  case C_CONNECTED: /* send the request */
    if ((rc = acore_stream_from_future(f, &c->s)) != ACORE_OK)
      return rc;
    memcpy(c->buf, &v, 8);
    c->at = C_SENT;
    if ((rc = acore_stream_write(c->s, c->buf, 8, &f)) != ACORE_OK)
      return rc;
    return acore_task_await_take(t, f);
  case C_SENT: /* read the answer */
    if ((rc = acore_future_result_int(f, &v)) != ACORE_OK)
      return rc;
    c->at = C_ANSWERED;
    if ((rc = acore_stream_read_exactly(c->s, c->buf, 8, &f)) != ACORE_OK)
      return rc;
    return acore_task_await_take(t, f);
  default: /* the answer is in: give the permit to the next call */
    d->in_flight--;
    d->finished++;
    if (c->sem != NULL)
      acore_sem_release(c->sem, 1);
    if ((rc = acore_future_result_int(f, &v)) != ACORE_OK)
      return rc;
    memcpy(&v, c->buf, 8);
    return acore_task_return_int(t, v);
  }
}

/* ---- the same calls through the bounded map ----------------------------- */

static int map_job(acore_loop_t *loop, size_t i, void *ud,
                   acore_future_t **out) {
  call_t *c = calloc(1, sizeof(*c));
  acore_task_t *t;
  int rc;

  if (c == NULL)
    return ACORE_ENOMEM;
  c->demo = ud;
  c->index = (int)i;
  if ((rc = acore_task_spawn(loop, call_step, c, call_free, &t)) != ACORE_OK)
    return rc;
  *out = acore_task_future(t); /* the task's reference, handed over */
  return ACORE_OK;
}

/* ---- fire and forget ---------------------------------------------------- */

static int doomed_step(acore_task_t *t, void *ud) {
  acore_future_t *f;

  (void)ud;
  if (acore_task_awaited(t) == NULL) {
    if (acore_sleep(acore_task_loop(t), 0.002, &f) != ACORE_OK)
      return ACORE_ENOMEM;
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

/* ---- main --------------------------------------------------------------- */

static int start_service(demo_t *d, listener_t *l) {
  char host[ACORE_ADDRESS_MAX];
  acore_task_t *t;

  l->demo = d;
  if (acore_tcp_listen(d->loop, "127.0.0.1", 0, LIMIT, 0, &l->srv) !=
          ACORE_OK ||
      acore_server_address(l->srv, host, sizeof(host), &d->port) != ACORE_OK)
    return -1;
  if (acore_task_spawn(d->loop, accept_step, l, NULL, &t) != ACORE_OK)
    return -1;
  acore_task_set_name(t, "service");
  acore_task_unref(t);
  printf("service: listening on %s:%d, each answer takes 1-5 ms\n", host,
         d->port);
  return 0;
}

int main(void) {
  demo_t d = {0};
  listener_t l = {0};
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
  if (start_service(&d, &l) != 0)
    return 1;
  t0 = acore_loop_time(d.loop);

  /* Fire and forget: nobody keeps the task, the loop runs it to its end. */
  acore_task_spawn(d.loop, doomed_step, NULL, NULL, &bg);
  acore_task_set_name(bg, "background-job");
  acore_task_unref(bg);

  /* 1,000 tasks at once; the semaphore lets LIMIT of them call at a time. */
  for (i = 0; i < CALLS; i++) {
    jobs[i].demo = &d;
    jobs[i].index = i;
    jobs[i].sem = d.sem;
    if (acore_task_spawn(d.loop, call_step, &jobs[i], call_free, &calls[i]) !=
        ACORE_OK)
      return 1;
  }
  for (i = 0; i < CALLS; i++) { /* await them all */
    acore_loop_run_until_complete(d.loop, acore_task_future(calls[i]));
    if (acore_future_result_int(acore_task_future(calls[i]), &v) == ACORE_OK)
      sum += v;
    acore_task_unref(calls[i]);
  }
  t1 = acore_loop_time(d.loop);
  printf("%d remote calls over TCP, at most %d in flight (semaphore; peak "
         "%d), sum of results %lld, in %.3f s\n", d.finished, LIMIT, d.peak,
         (long long)sum, t1 - t0);

  /* The same with the bounded map: one call, results in input order. */
  d.peak = d.in_flight = 0;
  acore_map(d.loop, CALLS, LIMIT, map_job, &d, NULL, 0, &map);
  acore_loop_run_until_complete(d.loop, map);
  map_rc = acore_future_result(map, NULL);
  map_peak = acore_map_peak_count(map);
  printf("%d remote calls over TCP through acore_map(), at most %d in flight "
         "(peak %zu), in %.3f s\n", CALLS, LIMIT, map_peak,
         acore_loop_time(d.loop) - t1);
  acore_server_close(l.srv); /* the service's accept task ends */
  acore_loop_run(d.loop);
  printf("the service answered %d requests on %d connections\n", d.served,
         d.served);
  printf("errors reported by the loop: %d\n", reports);
  acore_future_unref(map);
  acore_server_unref(l.srv);
  acore_sem_unref(d.sem);
  free(jobs);
  acore_loop_close(d.loop);
  acore_loop_unref(d.loop);
  return (sum == (int64_t)CALLS * (CALLS - 1) / 2 && d.finished == 2 * CALLS &&
          map_rc == ACORE_OK && map_peak == LIMIT && reports == 1 &&
          d.served == 2 * CALLS) ? 0 : 1;
}
