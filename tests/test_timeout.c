/* SPDX-License-Identifier: MIT */
/* test_timeout.c - acore_wait_for() and timeout scopes, on the virtual
 * clock. */
#include "comb_util.h"

/* ---- wait_for ---- */

static void test_wait_for_result_passes(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *w;

  acore_future_new(loop, &f);
  assert_int_equal(acore_wait_for(f, 5.0, &w), ACORE_OK);
  acore_future_set_int(f, 42);
  drive(loop, w);
  assert_int_equal(int_of(w), 42);
  assert_int_equal(acore_loop_backend_timeout(loop), -1); /* timer gone */
  acore_future_unref(f);
  acore_future_unref(w);
}

static void test_wait_for_error_same_object(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *w;
  acore_error_t *err;

  acore_future_new(loop, &f);
  assert_int_equal(acore_wait_for(f, ACORE_NO_TIMEOUT, &w), ACORE_OK);
  acore_error_new(ACORE_EIO, "io", &err);
  acore_future_set_error(f, err);
  drive(loop, w);
  assert_ptr_equal(acore_future_error(w), err);
  acore_error_unref(err);
  acore_future_unref(f);
  acore_future_unref(w);
}

static void test_wait_for_timeout_waits_for_cancelling(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job j = {.delay = 10, .cleanup = 3};
  acore_task_t *t = spawn_job(loop, &j);
  acore_future_t *w;

  assert_int_equal(acore_wait_for(acore_task_future(t), 1.0, &w), ACORE_OK);
  acore_loop_advance(loop, 1.0);
  spin(loop, 4);
  assert_int_equal(j.saw_cancel, 1);           /* inner was cancelled */
  assert_int_equal(acore_future_is_done(w), 0);   /* ...and is cleaning up */
  drive(loop, w);
  assert_int_equal(acore_future_is_done(acore_task_future(t)), 1);
  assert_int_equal(acore_future_result(w, NULL), ACORE_ETIMEDOUT);
  assert_true(acore_loop_time(loop) >= 4.0);
  acore_task_unref(t);
  acore_future_unref(w);
}

static void test_wait_for_absorbed_value_wins(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job j = {.delay = 10, .absorb = 1, .value = 7};
  acore_task_t *t = spawn_job(loop, &j);
  acore_future_t *w;

  assert_int_equal(acore_wait_for(acore_task_future(t), 1.0, &w), ACORE_OK);
  drive(loop, w);
  assert_int_equal(j.saw_cancel, 1);
  assert_int_equal(int_of(w), 7);
  acore_task_unref(t);
  acore_future_unref(w);
}

static void test_wait_for_cancel_same_iteration_not_swallowed(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *w;

  acore_future_new(loop, &f);
  assert_int_equal(acore_wait_for(f, 10.0, &w), ACORE_OK);
  acore_future_set_int(f, 1);                 /* inner completes... */
  assert_int_equal(acore_future_cancel(w, "outer"), 1); /* ...and outer cancelled */
  drive(loop, w);
  assert_int_equal(acore_future_is_cancelled(w), 1); /* gh-86296 */
  assert_string_equal(acore_future_cancel_message(w), "outer");
  assert_int_equal(int_of(f), 1); /* the value stays on the inner */
  acore_future_unref(f);
  acore_future_unref(w);
}

static void test_wait_for_outside_cancel_is_not_timeout(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job j = {.delay = 10, .absorb = 1, .value = 3};
  acore_task_t *t = spawn_job(loop, &j);
  acore_future_t *w;

  assert_int_equal(acore_wait_for(acore_task_future(t), 5.0, &w), ACORE_OK);
  spin(loop, 2);
  assert_int_equal(acore_future_cancel(w, NULL), 1);
  assert_int_equal(acore_future_cancel(w, NULL), 1); /* still pending */
  drive(loop, w);
  assert_int_equal(acore_future_result(w, NULL), ACORE_ECANCELLED);
  assert_int_equal(j.saw_cancel, 1);
  assert_int_equal(int_of(acore_task_future(t)), 3); /* absorbed, not lost */
  acore_task_unref(t);
  acore_future_unref(w);
}

/* The timeout fired and the inner is still cleaning up when the wait_for
 * is cancelled from outside: the outside cancel wins (gh-86296). */
static void test_wait_for_cancel_while_timeout_cancelling(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job j = {.delay = 10, .cleanup = 3};
  acore_task_t *t = spawn_job(loop, &j);
  acore_future_t *w;

  assert_int_equal(acore_wait_for(acore_task_future(t), 1.0, &w), ACORE_OK);
  acore_loop_advance(loop, 1.0);
  spin(loop, 4);
  assert_int_equal(j.saw_cancel, 1);           /* the timeout cancelled it */
  assert_int_equal(acore_future_is_done(w), 0);   /* ...it awaits its cleanup */
  assert_int_equal(acore_future_cancel(w, "outside"), 1);
  assert_int_equal(acore_future_is_done(w), 0);   /* waits for the inner */
  drive(loop, w);
  assert_int_equal(acore_future_is_done(acore_task_future(t)), 1);
  assert_int_equal(acore_future_is_cancelled(w), 1);
  assert_int_equal(acore_future_result(w, NULL), ACORE_ECANCELLED);
  assert_string_equal(acore_future_cancel_message(w), "outside");
  acore_task_unref(t);
  acore_future_unref(w);
}

static void test_wait_for_timeout_zero_done_inner(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *w;

  acore_future_new(loop, &f);
  acore_future_set_int(f, 5);
  assert_int_equal(acore_wait_for(f, 0, &w), ACORE_OK);
  drive(loop, w);
  assert_int_equal(int_of(w), 5);
  acore_future_unref(f);
  acore_future_unref(w);
}

/* Once the inner is done, the wait_for's timer is gone while the wait_for
 * lives on; with no timeout, no timer is ever armed. */
static void test_wait_for_leaves_no_timer(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *w, *g, *w2;

  acore_future_new(loop, &f);
  assert_int_equal(acore_wait_for(f, 5.0, &w), ACORE_OK);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 1); /* armed */
  acore_future_set_int(f, 1);
  drive(loop, w);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 0);
  acore_future_new(loop, &g);
  assert_int_equal(acore_wait_for(g, ACORE_NO_TIMEOUT, &w2), ACORE_OK);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 0);
  assert_true(acore_loop_time(loop) < 1.0);
  acore_future_cancel(g, NULL);
  drive(loop, w2);
  assert_int_equal(acore_future_is_cancelled(w2), 1);
  acore_future_unref(f);
  acore_future_unref(w);
  acore_future_unref(g);
  acore_future_unref(w2);
}

/* The inner's error handed over to the wait_for counts as retrieved: only
 * the wait_for's own error, if nobody reads it, is reported. */
static void test_wait_for_error_handed_over_is_retrieved(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *w;
  tu_reports r;
  int read;

  tu_capture_reports(loop, &r);
  for (read = 1; read >= 0; read--) {
    acore_future_new(loop, &f);
    assert_int_equal(acore_wait_for(f, 5.0, &w), ACORE_OK);
    acore_future_set_error_code(f, ACORE_EIO, "io");
    drive(loop, w);
    if (read)
      assert_int_equal(acore_future_result(w, NULL), ACORE_EIO);
    acore_future_unref(f);
    acore_future_unref(w);
    assert_int_equal(acore_loop_run(loop), ACORE_OK);
    assert_int_equal(r.count, read ? 0 : 1);
  }
}

/* The outer scope expired; in its cleanup the task opens an inner scope,
 * which expires too, and an outside cancel comes before the task runs: the
 * inner scope must not turn that cancel into a timeout (the outer scope's
 * request, already there at entry, is not the inner one's concern). */
typedef struct cjob {
  int at;
  acore_timeout_t *outer, *inner;
  int rc_inner, rc_outer;
} cjob;

static int cjob_step(acore_task_t *t, void *ud) {
  cjob *j = ud;
  acore_future_t *s;

  switch (j->at++) {
  case 0:
    assert_int_equal(acore_timeout_new(t, 1.0, &j->outer), ACORE_OK);
    assert_int_equal(acore_sleep(acore_task_loop(t), 10, &s), ACORE_OK);
    return acore_task_await_take(t, s);
  case 1: /* the outer deadline passed: clean up inside an inner scope */
    assert_int_equal(acore_task_step_status(t), ACORE_ECANCELLED);
    assert_int_equal(acore_task_cancel_handled(t), ACORE_OK); /* catch */
    assert_int_equal(acore_timeout_new(t, 3.0, &j->inner), ACORE_OK);
    assert_int_equal(acore_sleep(acore_task_loop(t), 10, &s), ACORE_OK);
    return acore_task_await_take(t, s);
  default:
    j->rc_inner = acore_timeout_exit(j->inner, acore_task_step_status(t));
    j->rc_outer = acore_timeout_exit(j->outer, j->rc_inner);
    if (j->rc_outer == ACORE_ECANCELLED)
      return acore_task_finish_cancelled(t);
    return acore_task_return_int(t, j->rc_outer);
  }
}

static void test_timeout_scope_inner_opened_while_outer_expiring(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  cjob j = {0};
  acore_task_t *t;

  assert_int_equal(acore_task_spawn(loop, cjob_step, &j, NULL, &t), ACORE_OK);
  spin(loop, 1);
  acore_loop_advance(loop, 1.0);
  spin(loop, 3);
  assert_int_equal(j.at, 2); /* in the cleanup, inner scope open */
  acore_loop_advance(loop, 2.0);
  spin(loop, 1); /* the inner deadline cancels the task; it has not run */
  assert_int_equal(j.at, 2);
  assert_int_equal(acore_task_cancel(t, "outside"), 1);
  assert_int_equal(acore_task_cancelling_count(t), 3);
  drive(loop, acore_task_future(t));
  assert_int_equal(acore_timeout_is_expired(j.inner), 1);
  assert_int_equal(j.rc_inner, ACORE_ECANCELLED);
  assert_int_equal(j.rc_outer, ACORE_ECANCELLED);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  acore_timeout_free(j.inner);
  acore_timeout_free(j.outer);
  acore_task_unref(t);
}

static void test_wait_for_einval(void **state) {
  acore_future_t *f, *w = NULL;

  acore_future_new(TU_LOOP(state), &f);
  assert_int_equal(acore_wait_for(NULL, 1, &w), ACORE_EINVAL);
  assert_int_equal(acore_wait_for(f, 1, NULL), ACORE_EINVAL);
  assert_int_equal(acore_wait_for(f, -0.5, &w), ACORE_EINVAL);
  assert_int_equal(acore_wait_for(f, 0.0 / 0.0, &w), ACORE_EINVAL);
  assert_null(w);
  acore_future_unref(f);
}

/* A naive inner task: the timeout's cancel ends it, so wait_for times out
 * at the deadline instead of waiting for all its sleeps. */
static void test_wait_for_naive_task_times_out(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  naive n = {.rounds = 3, .delay = 10, .value = 5};
  acore_task_t *t;
  acore_future_t *w;

  assert_int_equal(acore_task_spawn(loop, naive_step, &n, NULL, &t), ACORE_OK);
  assert_int_equal(acore_wait_for(acore_task_future(t), 1.0, &w), ACORE_OK);
  drive(loop, w);
  assert_int_equal(acore_future_result(w, NULL), ACORE_ETIMEDOUT);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  assert_int_equal(n.steps, 2);
  assert_true(acore_loop_time(loop) < 2.0);
  acore_task_unref(t);
  acore_future_unref(w);
}

/* ---- scopes ---- */

typedef struct sjob {
  int at;
  double outer_when, inner_when; /* < 0: no such scope */
  double work;
  acore_timeout_t *outer, *inner;
  int rc_inner, rc_outer, cancelling_after;
} sjob;

static int sjob_step(acore_task_t *t, void *ud) {
  sjob *j = ud;
  acore_future_t *s;
  int st;

  if (j->at++ == 0) {
    if (j->outer_when >= 0)
      assert_int_equal(acore_timeout_new(t, j->outer_when, &j->outer), ACORE_OK);
    if (j->inner_when >= 0)
      assert_int_equal(acore_timeout_new(t, j->inner_when, &j->inner), ACORE_OK);
    assert_int_equal(acore_sleep(acore_task_loop(t), j->work, &s), ACORE_OK);
    return acore_task_await_take(t, s);
  }
  st = acore_task_step_status(t);
  j->rc_inner = j->inner ? acore_timeout_exit(j->inner, st) : st;
  j->rc_outer = j->outer ? acore_timeout_exit(j->outer, j->rc_inner)
                         : j->rc_inner;
  j->cancelling_after = acore_task_cancelling_count(t);
  if (j->rc_outer == ACORE_ECANCELLED)
    return acore_task_finish_cancelled(t);
  return j->rc_outer < 0 ? j->rc_outer : acore_task_return_int(t, 1);
}

static acore_task_t *spawn_sjob(acore_loop_t *loop, sjob *j) {
  acore_task_t *t;
  assert_int_equal(acore_task_spawn(loop, sjob_step, j, NULL, &t), ACORE_OK);
  return t;
}

static void sjob_done(sjob *j, acore_task_t *t) {
  acore_future_result(acore_task_future(t), NULL); /* retrieved */
  acore_timeout_free(j->inner);
  acore_timeout_free(j->outer);
  acore_task_unref(t);
}

static void test_timeout_scope_expires(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  sjob j = {.outer_when = -1, .inner_when = 2.0, .work = 10};
  acore_task_t *t = spawn_sjob(loop, &j);

  drive(loop, acore_task_future(t));
  assert_int_equal(j.rc_inner, ACORE_ETIMEDOUT);
  assert_int_equal(acore_timeout_is_expired(j.inner), 1);
  assert_int_equal(j.cancelling_after, 0); /* the request was withdrawn */
  assert_int_equal(acore_future_result(acore_task_future(t), NULL),
                   ACORE_ETIMEDOUT);
  assert_true(acore_loop_time(loop) < 3.0);
  sjob_done(&j, t);
}

static void test_timeout_scope_not_reached(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  sjob j = {.outer_when = -1, .inner_when = 5.0, .work = 1};
  acore_task_t *t = spawn_sjob(loop, &j);

  drive(loop, acore_task_future(t));
  assert_int_equal(j.rc_inner, ACORE_OK);
  assert_int_equal(acore_timeout_is_expired(j.inner), 0);
  assert_int_equal(acore_loop_backend_timeout(loop), -1); /* timer removed */
  sjob_done(&j, t);
}

static void test_timeout_scope_reschedule_and_remove(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  sjob j = {.outer_when = -1, .inner_when = 1.0, .work = 3};
  acore_task_t *t = spawn_sjob(loop, &j);

  spin(loop, 1);
  assert_true(acore_timeout_when(j.inner) == 1.0);
  assert_int_equal(acore_timeout_reschedule(j.inner, 2.0), ACORE_OK);
  assert_true(acore_timeout_when(j.inner) == 2.0);
  acore_loop_advance(loop, 1.5);
  spin(loop, 2);
  assert_int_equal(acore_timeout_is_expired(j.inner), 0); /* moved past 1.0 */
  assert_int_equal(acore_timeout_reschedule(j.inner, ACORE_NO_TIMEOUT),
                   ACORE_OK); /* removed */
  drive(loop, acore_task_future(t));
  assert_int_equal(j.rc_inner, ACORE_OK);
  assert_int_equal(int_of(acore_task_future(t)), 1);
  sjob_done(&j, t);
}

static void test_timeout_scope_nested_innermost_wins(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  sjob j = {.outer_when = 2.0, .inner_when = 2.0, .work = 10};
  acore_task_t *t = spawn_sjob(loop, &j);

  drive(loop, acore_task_future(t));
  assert_int_equal(acore_timeout_is_expired(j.outer), 1);
  assert_int_equal(acore_timeout_is_expired(j.inner), 1);
  assert_int_equal(j.rc_inner, ACORE_ETIMEDOUT); /* the inner reports it */
  assert_int_equal(j.rc_outer, ACORE_ETIMEDOUT); /* passed through */
  assert_int_equal(j.cancelling_after, 0);
  sjob_done(&j, t);
}

static void test_timeout_scope_outer_expires_inner_passes(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  sjob j = {.outer_when = 2.0, .inner_when = 50.0, .work = 10};
  acore_task_t *t = spawn_sjob(loop, &j);

  drive(loop, acore_task_future(t));
  assert_int_equal(acore_timeout_is_expired(j.inner), 0);
  assert_int_equal(j.rc_inner, ACORE_ECANCELLED); /* not its deadline */
  assert_int_equal(j.rc_outer, ACORE_ETIMEDOUT);
  sjob_done(&j, t);
}

static void test_timeout_scope_outside_cancel_never_timeout(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  sjob j = {.outer_when = 2.0, .inner_when = 2.0, .work = 10};
  acore_task_t *t = spawn_sjob(loop, &j);

  spin(loop, 1);
  acore_loop_advance(loop, 2.0);
  spin(loop, 1); /* both deadlines pass and cancel the task */
  assert_int_equal(acore_task_cancelling_count(t), 2);
  assert_int_equal(acore_task_cancel(t, "outside"), 1); /* before it runs */
  drive(loop, acore_task_future(t));
  assert_int_equal(acore_timeout_is_expired(j.inner), 1);
  assert_int_equal(j.rc_inner, ACORE_ECANCELLED);
  assert_int_equal(j.rc_outer, ACORE_ECANCELLED);
  assert_int_equal(j.cancelling_after, 1); /* the outside request remains */
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  sjob_done(&j, t);
}

/* A task that opens a scope and awaits a naive task, passing what it gets
 * on without a second look. */
typedef struct scoped {
  acore_timeout_t *scope;
  acore_task_t *inner;
  int rc;
} scoped;

static int scoped_step(acore_task_t *t, void *ud) {
  scoped *s = ud;
  acore_future_t *done;
  int st = acore_task_resume(t, &done);

  if (done == NULL) {
    assert_int_equal(acore_timeout_new(t, acore_loop_time(acore_task_loop(t))
                                              + 1.0, &s->scope), ACORE_OK);
    return acore_task_await_take(t, acore_future_ref(acore_task_future(s->inner)));
  }
  s->rc = acore_timeout_exit(s->scope, st);
  return s->rc < 0 ? s->rc : acore_task_return_int(t, 1);
}

static acore_task_t *spawn_scoped(acore_loop_t *loop, scoped *s, naive *n) {
  acore_task_t *t;

  assert_int_equal(acore_task_spawn(loop, naive_step, n, NULL, &s->inner),
                   ACORE_OK);
  assert_int_equal(acore_task_spawn(loop, scoped_step, s, NULL, &t), ACORE_OK);
  return t;
}

static void scoped_done(scoped *s, acore_task_t *t) {
  acore_timeout_free(s->scope);
  acore_task_unref(s->inner);
  acore_task_unref(t);
}

/* The scope's cancel reaches the naive inner task, which ends cancelled;
 * the scope then reports the timeout and the task fails with it. */
static void test_timeout_scope_naive_inner_times_out(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  naive n = {.rounds = 3, .delay = 10, .value = 5};
  scoped s = {0};
  acore_task_t *t = spawn_scoped(loop, &s, &n);

  drive(loop, acore_task_future(t));
  assert_int_equal(s.rc, ACORE_ETIMEDOUT);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(s.inner)), 1);
  assert_int_equal(acore_future_result(acore_task_future(t), NULL),
                   ACORE_ETIMEDOUT);
  assert_int_equal(acore_task_cancelling_count(t), 0);
  assert_true(acore_loop_time(loop) < 2.0);
  scoped_done(&s, t);
}

/* A cancel from outside is no timeout: passed on as ACORE_ECANCELLED and
 * returned as an error code, it still ends the task cancelled. */
static void test_timeout_scope_outside_cancel_propagates(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  naive n = {.rounds = 3, .delay = 10, .value = 5};
  scoped s = {0};
  acore_task_t *t = spawn_scoped(loop, &s, &n);

  spin(loop, 2);
  assert_int_equal(acore_task_cancel(t, "outside"), 1);
  drive(loop, acore_task_future(t));
  assert_int_equal(s.rc, ACORE_ECANCELLED);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  assert_string_equal(acore_future_cancel_message(acore_task_future(t)),
                      "outside");
  assert_true(acore_loop_time(loop) < 1.0);
  scoped_done(&s, t);
}

static void test_timeout_scope_deadline_in_past(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  sjob j = {.outer_when = -1, .inner_when = 0.0, .work = 10};
  acore_task_t *t;

  acore_loop_advance(loop, 1.0);
  t = spawn_sjob(loop, &j);
  spin(loop, 4); /* expires without the clock moving */
  assert_int_equal(acore_future_is_done(acore_task_future(t)), 1);
  assert_int_equal(j.rc_inner, ACORE_ETIMEDOUT);
  sjob_done(&j, t);
}

static int idle_step(acore_task_t *t, void *ud) {
  (void)ud;
  return acore_task_yield(t) == ACORE_TASK_YIELD ? ACORE_TASK_DONE : -1;
}

static void test_timeout_scope_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_timeout_t *s = NULL;
  acore_task_t *t;

  assert_int_equal(acore_task_spawn(loop, idle_step, NULL, NULL, &t), ACORE_OK);
  assert_int_equal(acore_timeout_new(NULL, 1, &s), ACORE_EINVAL);
  assert_int_equal(acore_timeout_new(t, 1, NULL), ACORE_EINVAL);
  assert_int_equal(acore_timeout_new(t, 0.0 / 0.0, &s), ACORE_EINVAL);
  assert_null(s);
  assert_int_equal(acore_timeout_reschedule(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_timeout_exit(NULL, 0), ACORE_EINVAL);
  assert_int_equal(acore_timeout_is_expired(NULL), ACORE_EINVAL);
  assert_true(acore_timeout_when(NULL) == -1.0);
  acore_timeout_free(NULL);
  assert_int_equal(acore_timeout_new(t, 1, &s), ACORE_OK);
  assert_int_equal(acore_timeout_reschedule(s, 0.0 / 0.0), ACORE_EINVAL);
  assert_int_equal(acore_timeout_exit(s, 1), ACORE_EINVAL);
  assert_int_equal(acore_timeout_exit(s, ACORE_OK), ACORE_OK);
  assert_int_equal(acore_timeout_exit(s, ACORE_OK), ACORE_EINVALIDSTATE);
  assert_int_equal(acore_timeout_reschedule(s, 3), ACORE_EINVALIDSTATE);
  acore_timeout_free(s);
  drive(loop, acore_task_future(t));
  assert_int_equal(acore_timeout_new(t, 1, &s), ACORE_EINVAL); /* finished */
  acore_task_unref(t);
}

/* Each allocation of a reschedule fails in turn: ENOMEM, and the scope
 * keeps its deadline. */
static void test_timeout_scope_reschedule_enomem(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  double first = acore_loop_time(loop) + 100, second = first + 100;
  acore_timeout_t *s;
  acore_task_t *t;
  long nth;
  int rc;

  assert_int_equal(acore_task_spawn(loop, idle_step, NULL, NULL, &t), ACORE_OK);
  assert_int_equal(acore_timeout_new(t, first, &s), ACORE_OK);
  for (nth = 1; nth < 20; nth++) {
    tu_alloc_fail_at(nth);
    rc = acore_timeout_reschedule(s, second);
    tu_alloc_fail_at(0);
    if (rc == ACORE_OK)
      break;
    assert_int_equal(rc, ACORE_ENOMEM);
    assert_true(acore_timeout_when(s) == first);
  }
  assert_true(nth > 1 && nth < 20);
  assert_true(acore_timeout_when(s) == second);
  assert_int_equal(acore_timeout_exit(s, ACORE_OK), ACORE_OK);
  acore_timeout_free(s);
  assert_int_equal(acore_loop_run_until_complete(loop, acore_task_future(t)),
                   ACORE_OK);
  acore_task_unref(t);
}

static void test_timeout_scope_free_unexited(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job j = {.delay = 10, .absorb = 1, .value = 3};
  acore_timeout_t *s;
  acore_task_t *t = spawn_job(loop, &j);

  assert_int_equal(acore_timeout_new(t, 0.0, &s), ACORE_OK);
  spin(loop, 1); /* the deadline passes: the task is asked to cancel */
  assert_int_equal(acore_timeout_is_expired(s), 1);
  assert_int_equal(acore_task_cancelling_count(t), 1);
  acore_timeout_free(s); /* exits: the request is withdrawn */
  assert_int_equal(acore_task_cancelling_count(t), 0);
  drive(loop, acore_task_future(t));
  assert_int_equal(int_of(acore_task_future(t)), 3);
  acore_task_unref(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, tu_setup_virtual, tu_teardown)
    T(test_wait_for_result_passes),
    T(test_wait_for_error_same_object),
    T(test_wait_for_timeout_waits_for_cancelling),
    T(test_wait_for_absorbed_value_wins),
    T(test_wait_for_cancel_same_iteration_not_swallowed),
    T(test_wait_for_outside_cancel_is_not_timeout),
    T(test_wait_for_cancel_while_timeout_cancelling),
    T(test_wait_for_timeout_zero_done_inner),
    T(test_wait_for_leaves_no_timer),
    T(test_wait_for_error_handed_over_is_retrieved),
    T(test_wait_for_einval),
    T(test_wait_for_naive_task_times_out),
    T(test_timeout_scope_expires),
    T(test_timeout_scope_not_reached),
    T(test_timeout_scope_reschedule_and_remove),
    T(test_timeout_scope_nested_innermost_wins),
    T(test_timeout_scope_outer_expires_inner_passes),
    T(test_timeout_scope_outside_cancel_never_timeout),
    T(test_timeout_scope_inner_opened_while_outer_expiring),
    T(test_timeout_scope_deadline_in_past),
    T(test_timeout_scope_einval),
    T(test_timeout_scope_free_unexited),
    T(test_timeout_scope_naive_inner_times_out),
    T(test_timeout_scope_outside_cancel_propagates),
#undef T
    cmocka_unit_test_setup_teardown(test_timeout_scope_reschedule_enomem,
                                    tu_setup_walk, tu_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
