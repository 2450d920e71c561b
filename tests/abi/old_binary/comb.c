/* SPDX-License-Identifier: MIT */
/* comb.c - sleep, gather, wait, wait_count, wait_for, timeout scopes. */
#include "ob.h"

#include <acore/combinators.h>

#include <math.h>

/* A future that completes with `v` after `delay` (virtual seconds). */
struct later {
  acore_future_t *f;
  int v;
};
static void later_fire(void *ud) {
  struct later *l = ud;
  acore_future_set_int(l->f, l->v);
}
static struct later lat[16];
static int nlat;

static acore_future_t *later_int(acore_loop_t *loop, double delay, int v) {
  struct later *l = &lat[nlat++ % 16];

  CHECK(acore_future_new(loop, &l->f) == ACORE_OK);
  l->v = v;
  CHECK(acore_loop_call_later(loop, delay, later_fire, l, NULL, NULL) == ACORE_OK);
  return l->f;
}

static void sleeping(acore_loop_t *loop) {
  acore_future_t *s = NULL;

  CHECK(acore_sleep(loop, -1.0, &s) == ACORE_EINVAL);
  CHECK(acore_sleep(loop, 3.0, &s) == ACORE_OK);
  acore_loop_run(loop);
  CHECK(acore_future_is_done(s) == 0);
  acore_loop_advance(loop, 3.0);
  acore_loop_run(loop);
  CHECK(acore_future_state(s) == ACORE_FUTURE_RESULT);
  acore_future_unref(s);
}

static void gathering(acore_loop_t *loop) {
  acore_future_t *f[3], *g = NULL;
  int i;

  f[0] = later_int(loop, 3.0, 30);
  f[1] = later_int(loop, 1.0, 10);
  f[2] = later_int(loop, 2.0, 20);
  CHECK(acore_gather(loop, f, 3, 1u << 20, &g) == ACORE_EINVAL);
  CHECK(acore_gather(loop, f, 3, ACORE_GATHER_SETTLE_ALL, &g) == ACORE_OK);
  CHECK(acore_gather_child_count(g) == 3 && acore_gather_child_count(f[0]) == 0);
  acore_loop_advance(loop, 3.0);
  CHECK(acore_loop_run_until_complete(loop, g) == ACORE_OK);
  /* input order, not completion order */
  CHECK(ob_int(acore_gather_child(g, 0)) == 30 && ob_int(acore_gather_child(g, 1)) == 10 &&
        ob_int(acore_gather_child(g, 2)) == 20);
  CHECK(acore_gather_child(g, 3) == NULL);
  acore_future_unref(g);
  for (i = 0; i < 3; i++)
    acore_future_unref(f[i]);
}

static void waiting(acore_loop_t *loop) {
  acore_future_t *f[3], *w = NULL, *c = NULL;
  int i;

  f[0] = later_int(loop, 5.0, 1);
  f[1] = later_int(loop, 1.0, 2);
  f[2] = later_int(loop, 2.0, 3);
  CHECK(acore_wait(loop, f, 3, 7, 10.0, &w) == ACORE_EINVAL);
  CHECK(acore_wait(loop, f, 3, ACORE_WAIT_FIRST_COMPLETED, 10.0, &w) == ACORE_OK);
  CHECK(acore_wait_at_least(loop, f, 3, 4, 10.0, &c) == ACORE_EINVAL);
  CHECK(acore_wait_at_least(loop, f, 3, 2, ACORE_NO_TIMEOUT, &c) == ACORE_OK);
  CHECK(acore_wait_done_count(w) == 0); /* pending */
  acore_loop_advance(loop, 1.0);
  CHECK(acore_loop_run_until_complete(loop, w) == ACORE_OK);
  CHECK(acore_wait_done_count(w) == 1 && acore_wait_pending_count(w) == 2);
  CHECK(acore_wait_done(w, 0) == f[1]);
  CHECK(acore_wait_pending(w, 0) == f[0] && acore_wait_pending(w, 1) == f[2]);
  CHECK(acore_wait_done(w, 1) == NULL);
  CHECK(acore_future_is_done(c) == 0);
  acore_loop_advance(loop, 1.0);
  CHECK(acore_loop_run_until_complete(loop, c) == ACORE_OK);
  CHECK(acore_wait_done_count(c) == 2 && acore_wait_done(c, 0) == f[1] &&
        acore_wait_done(c, 1) == f[2] && acore_wait_pending(c, 0) == f[0]);
  acore_future_unref(w);
  acore_future_unref(c);
  acore_loop_advance(loop, 3.0);
  acore_loop_run(loop);
  for (i = 0; i < 3; i++)
    acore_future_unref(f[i]);
}

static void wait_for(acore_loop_t *loop) {
  acore_future_t *slow = later_int(loop, 10.0, 1), *fast = later_int(loop, 1.0, 5);
  acore_future_t *a = NULL, *b = NULL;

  CHECK(acore_wait_for(slow, NAN, &a) == ACORE_EINVAL);
  CHECK(acore_wait_for(slow, 2.0, &a) == ACORE_OK);
  CHECK(acore_wait_for(fast, 2.0, &b) == ACORE_OK);
  acore_loop_advance(loop, 1.0);
  acore_loop_run(loop);
  CHECK(ob_int(b) == 5);
  acore_loop_advance(loop, 1.0);
  acore_loop_run(loop);
  CHECK(acore_error_code(acore_future_error(a)) == ACORE_ETIMEDOUT);
  CHECK(acore_future_is_cancelled(slow) == 1);
  acore_future_unref(a);
  acore_future_unref(b);
  acore_loop_advance(loop, 10.0);
  acore_loop_run(loop);
  acore_future_unref(slow);
  acore_future_unref(fast);
}

/* A timeout scope around an await that outlives it. */
struct scoped {
  int at, exit_rc, expired;
  double when;
  acore_timeout_t *scope;
};

static int scoped_step(acore_task_t *t, void *ud) {
  struct scoped *s = ud;
  acore_loop_t *loop = acore_task_loop(t);
  acore_future_t *never = NULL;

  if (s->at++ == 0) {
    CHECK(acore_timeout_new(t, ACORE_NO_TIMEOUT, &s->scope) == ACORE_OK);
    CHECK(isinf(acore_timeout_when(s->scope)));
    CHECK(acore_timeout_reschedule(s->scope, acore_loop_time(loop) + 4.0) == ACORE_OK);
    s->when = acore_timeout_when(s->scope);
    CHECK(acore_timeout_is_expired(s->scope) == 0);
    acore_future_new(loop, &never);
    return acore_task_await_take(t, never);
  }
  s->expired = acore_timeout_is_expired(s->scope);
  s->exit_rc = acore_timeout_exit(s->scope, acore_task_step_status(t));
  CHECK(acore_timeout_exit(s->scope, ACORE_OK) == ACORE_EINVALIDSTATE);
  acore_timeout_free(s->scope);
  acore_timeout_free(NULL);
  return s->exit_rc == ACORE_ETIMEDOUT ? acore_task_return_int(t, 1) : s->exit_rc;
}

static void scopes(acore_loop_t *loop) {
  struct scoped s = {0, 0, 0, 0.0, NULL};
  acore_task_t *t = NULL;
  double start = acore_loop_time(loop);

  CHECK(acore_task_spawn(loop, scoped_step, &s, NULL, &t) == ACORE_OK);
  acore_loop_run(loop);
  CHECK(s.at == 1 && s.when == start + 4.0);
  acore_loop_advance(loop, 4.0);
  CHECK(acore_loop_run_until_complete(loop, acore_task_future(t)) == ACORE_OK);
  CHECK(s.expired == 1 && s.exit_rc == ACORE_ETIMEDOUT);
  CHECK(ob_int(acore_task_future(t)) == 1);
  acore_task_unref(t);
}

void ob_comb(void) {
  acore_loop_t *loop = ob_vloop();

  sleeping(loop);
  gathering(loop);
  waiting(loop);
  wait_for(loop);
  scopes(loop);
  ob_vloop_done(loop);
}
