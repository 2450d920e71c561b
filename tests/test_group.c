/* SPDX-License-Identifier: MIT */
/* test_group.c - task groups, and the allocation-failure walk over every
 * combinator. */
#include "comb_util.h"
#include "internal.h"

static void test_group_completes_when_sealed_and_done(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job j[3] = {{.delay = 1, .value = 1}, {.delay = 2, .value = 2},
              {.delay = 3, .value = 3}};
  acore_group_t *g;
  acore_task_t *t;
  int i;

  assert_int_equal(acore_group_new(loop, &g), ACORE_OK);
  for (i = 0; i < 3; i++)
    assert_int_equal(acore_group_spawn(g, job_step, &j[i], NULL,
                                       i == 0 ? &t : NULL), ACORE_OK);
  assert_int_equal(acore_group_task_count(g), 3);
  drive(loop, acore_task_future(t));
  assert_int_equal(acore_future_is_done(acore_group_future(g)), 0); /* open */
  assert_int_equal(acore_group_seal(g), ACORE_OK);
  assert_int_equal(acore_group_seal(g), ACORE_OK); /* twice: harmless */
  drive(loop, acore_group_future(g));
  assert_int_equal(acore_future_result(acore_group_future(g), NULL), ACORE_OK);
  assert_int_equal(acore_group_task_count(g), 0);
  assert_ptr_equal(acore_group_from_future(acore_group_future(g)), g);
  acore_task_unref(t);
  acore_group_unref(g);
}

static void test_group_sealed_empty_done_at_once(void **state) {
  acore_group_t *g;

  assert_int_equal(acore_group_new(TU_LOOP(state), &g), ACORE_OK);
  assert_int_equal(acore_group_seal(g), ACORE_OK);
  assert_int_equal(acore_future_state(acore_group_future(g)),
                   ACORE_FUTURE_RESULT);
  acore_group_unref(g);
}

/* Every member finished, but the group is open: it waits for the seal. */
static void test_group_waits_for_seal_when_all_finished(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job j = {.delay = 1, .value = 1};
  acore_group_t *g;
  acore_task_t *t;

  assert_int_equal(acore_group_new(loop, &g), ACORE_OK);
  assert_int_equal(acore_group_spawn(g, job_step, &j, NULL, &t), ACORE_OK);
  drive(loop, acore_task_future(t));
  spin(loop, 3);
  assert_int_equal(acore_group_task_count(g), 0);
  assert_int_equal(acore_future_is_done(acore_group_future(g)), 0); /* open */
  assert_int_equal(acore_group_seal(g), ACORE_OK);
  assert_int_equal(acore_future_state(acore_group_future(g)),
                   ACORE_FUTURE_RESULT);
  acore_task_unref(t);
  acore_group_unref(g);
}

static void test_group_first_error_cancels_rest(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job a = {.delay = 1, .fail_code = ACORE_EIO};
  job b = {.delay = 5, .absorb = 1, .fail_code = ACORE_EAGAIN};
  job c = {.delay = 9, .value = 3};
  acore_group_t *g;
  acore_error_t *err;
  tu_reports r;

  tu_capture_reports(loop, &r);
  assert_int_equal(acore_group_new(loop, &g), ACORE_OK);
  acore_group_spawn(g, job_step, &a, NULL, NULL);
  acore_group_spawn(g, job_step, &b, NULL, NULL);
  acore_group_spawn(g, job_step, &c, NULL, NULL);
  /* not sealed: an error ends it anyway */
  drive(loop, acore_group_future(g));
  assert_int_equal(b.saw_cancel, 1);
  assert_int_equal(c.saw_cancel, 1);
  assert_true(acore_loop_time(loop) < 2.0); /* nobody waited for 5 or 9 */
  err = acore_future_error(acore_group_future(g));
  assert_int_equal(acore_error_code(err), ACORE_EGROUP);
  assert_int_equal(acore_error_child_count(err), 2);
  assert_int_equal(acore_error_code(acore_error_child(err, 0)), ACORE_EIO);
  assert_int_equal(acore_error_code(acore_error_child(err, 1)), ACORE_EAGAIN);
  assert_int_equal(acore_group_spawn(g, job_step, &c, tu_count_free, NULL),
                   ACORE_EINVALIDSTATE);
  assert_int_equal(tu_frees, 1);
  acore_group_unref(g);
  assert_int_equal(r.count, 0); /* the group spoke for the errors */
}

/* Tasks written the naive way are cancelled for good by the abort: the
 * group ends at the first error, not after all their sleeps. */
static void test_group_naive_tasks_abort_on_error(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job a = {.delay = 1, .fail_code = ACORE_EIO};
  naive b = {.rounds = 3, .delay = 5}, c = {.rounds = 3, .delay = 9};
  acore_task_t *tb, *tc;
  acore_group_t *g;
  acore_error_t *err;

  assert_int_equal(acore_group_new(loop, &g), ACORE_OK);
  acore_group_spawn(g, job_step, &a, NULL, NULL);
  acore_group_spawn(g, naive_step, &b, NULL, &tb);
  acore_group_spawn(g, naive_step, &c, NULL, &tc);
  assert_int_equal(acore_group_seal(g), ACORE_OK);
  drive(loop, acore_group_future(g));
  assert_true(acore_loop_time(loop) < 2.0);
  err = acore_future_error(acore_group_future(g));
  assert_int_equal(acore_error_child_count(err), 1);
  assert_int_equal(acore_error_code(acore_error_child(err, 0)), ACORE_EIO);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(tb)), 1);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(tc)), 1);
  assert_int_equal(b.steps, 2);
  acore_task_unref(tb);
  acore_task_unref(tc);
  acore_group_unref(g);
}

static void test_group_cancel_cancels_all(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job a = {.delay = 5, .value = 1};
  job b = {.delay = 5, .absorb = 1, .value = 2}; /* absorbs: still cancelled */
  acore_group_t *g;

  assert_int_equal(acore_group_new(loop, &g), ACORE_OK);
  acore_group_spawn(g, job_step, &a, NULL, NULL);
  acore_group_spawn(g, job_step, &b, NULL, NULL);
  acore_group_seal(g);
  spin(loop, 1);
  assert_int_equal(acore_future_cancel(acore_group_future(g), "stop"), 1);
  assert_int_equal(acore_group_spawn(g, job_step, &a, NULL, NULL),
                   ACORE_EINVALIDSTATE); /* shutting down */
  drive(loop, acore_group_future(g));
  assert_int_equal(a.saw_cancel + b.saw_cancel, 2);
  assert_int_equal(acore_future_is_cancelled(acore_group_future(g)), 1);
  assert_string_equal(acore_future_cancel_message(acore_group_future(g)),
                      "stop");
  acore_group_unref(g);
}

/* A second cancel of a group in progress changes nothing: the first
 * message stays (and the second is not kept anywhere). */
static void test_group_cancel_twice_keeps_first_message(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job a = {.delay = 5, .cleanup = 1, .value = 1};
  acore_group_t *g;

  assert_int_equal(acore_group_new(loop, &g), ACORE_OK);
  assert_int_equal(acore_group_spawn(g, job_step, &a, NULL, NULL), ACORE_OK);
  spin(loop, 1);
  assert_int_equal(acore_future_cancel(acore_group_future(g), "first"), 1);
  assert_int_equal(acore_future_cancel(acore_group_future(g), "second"), 1);
  drive(loop, acore_group_future(g));
  assert_int_equal(a.saw_cancel, 1);
  assert_string_equal(acore_future_cancel_message(acore_group_future(g)),
                      "first");
  acore_group_unref(g);
}

/* A task that runs an inner group around one job, like
 * `async with TaskGroup() as tg: tg.create_task(job())`. */
typedef struct nest {
  int at;
  job inner_job;
  acore_group_t *inner;
  int saw_cancel;
} nest;

static int nest_step(acore_task_t *t, void *ud) {
  nest *n = ud;

  if (n->at++ == 0) {
    assert_int_equal(acore_group_new(acore_task_loop(t), &n->inner), ACORE_OK);
    acore_group_spawn(n->inner, job_step, &n->inner_job, NULL, NULL);
    acore_group_seal(n->inner);
    return acore_task_await_take(t, acore_future_ref(acore_group_future(n->inner)));
  }
  if (acore_task_step_status(t) == ACORE_ECANCELLED) {
    n->saw_cancel = 1;
    return acore_task_finish_cancelled(t);
  }
  return ACORE_TASK_DONE;
}

static void test_group_nested_never_swallows_cancel(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  nest n = {.inner_job = {.delay = 10, .absorb = 1, .value = 1}};
  acore_group_t *outer;

  assert_int_equal(acore_group_new(loop, &outer), ACORE_OK);
  acore_group_spawn(outer, nest_step, &n, NULL, NULL);
  acore_group_seal(outer);
  spin(loop, 2);
  assert_int_equal(acore_future_cancel(acore_group_future(outer), NULL), 1);
  drive(loop, acore_group_future(outer));
  assert_int_equal(n.inner_job.saw_cancel, 1);
  /* The inner job absorbed the cancel and returned, yet the inner group
   * ended cancelled, so the task awaiting it saw the cancellation. */
  assert_int_equal(acore_future_is_cancelled(acore_group_future(n.inner)), 1);
  assert_int_equal(n.saw_cancel, 1);
  assert_int_equal(acore_future_is_cancelled(acore_group_future(outer)), 1);
  acore_group_unref(outer);
  acore_group_unref(n.inner);
}

static int spawner_step(acore_task_t *t, void *ud) {
  acore_group_t *g = ud;
  static job more = {.delay = 1, .value = 5};

  (void)t;
  more.at = 0;
  return acore_group_spawn(g, job_step, &more, NULL, NULL) == ACORE_OK
             ? ACORE_TASK_DONE : ACORE_EINVALIDSTATE;
}

static void test_group_task_spawns_after_seal(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_group_t *g;

  assert_int_equal(acore_group_new(loop, &g), ACORE_OK);
  acore_group_spawn(g, spawner_step, g, NULL, NULL);
  acore_group_seal(g);
  drive(loop, acore_group_future(g));
  assert_int_equal(acore_future_result(acore_group_future(g), NULL), ACORE_OK);
  assert_true(acore_loop_time(loop) >= 1.0); /* it waited for the late one */
  assert_int_equal(acore_group_spawn(g, spawner_step, g, tu_count_free, NULL),
                   ACORE_EINVALIDSTATE); /* finished */
  acore_group_unref(g);
}

static void test_group_pending_at_close(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  static job j = {.delay = 100};
  acore_group_t *g;

  assert_int_equal(acore_group_new(loop, &g), ACORE_OK);
  acore_group_spawn(g, job_step, &j, NULL, NULL);
  spin(loop, 1);
  static tu_reports r; /* the handler outlives this function */

  acore_group_unref(g); /* the loop keeps it while its task runs */
  tu_capture_reports(loop, &r); /* the task is reported pending at close */
}

static void test_group_einval(void **state) {
  acore_group_t *g = NULL;
  acore_future_t *f;

  tu_frees = 0;
  assert_int_equal(acore_group_new(NULL, &g), ACORE_EINVAL);
  assert_int_equal(acore_group_new(TU_LOOP(state), NULL), ACORE_EINVAL);
  assert_null(g);
  assert_int_equal(acore_group_spawn(NULL, job_step, NULL, tu_count_free,
                                     NULL), ACORE_EINVAL);
  assert_int_equal(acore_group_new(TU_LOOP(state), &g), ACORE_OK);
  assert_int_equal(acore_group_spawn(g, NULL, NULL, tu_count_free, NULL),
                   ACORE_EINVAL);
  assert_int_equal(tu_frees, 2);
  assert_int_equal(acore_group_task_count(g), 0); /* nothing spawned */
  assert_int_equal(acore_group_seal(NULL), ACORE_EINVAL);
  assert_null(acore_group_ref(NULL));
  assert_int_equal(acore_group_task_count(NULL), 0);
  assert_null(acore_group_future(NULL));
  acore_future_new(TU_LOOP(state), &f);
  assert_null(acore_group_from_future(f));
  assert_null(acore_group_from_future(NULL));
  assert_int_equal(acore_future_set_int(acore_group_future(g), 1),
                   ACORE_EINVAL);
  acore_group_ref(g);
  acore_group_unref(g);
  acore_group_unref(g);
  acore_group_unref(NULL);
  acore_future_unref(f);
}

/* Owns: a spawned task's ud_free runs once, after its last step. */
static void test_group_spawn_frees_ud_once(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job j = {.delay = 1, .value = 4};
  acore_group_t *g;

  tu_frees = 0;
  assert_int_equal(acore_group_new(loop, &g), ACORE_OK);
  assert_int_equal(acore_group_spawn(g, job_step, &j, tu_count_free, NULL),
                   ACORE_OK);
  assert_int_equal(acore_group_seal(g), ACORE_OK);
  spin(loop, 1);
  assert_int_equal(tu_frees, 0); /* still sleeping */
  drive(loop, acore_group_future(g));
  assert_int_equal(j.steps, 2);
  assert_int_equal(tu_frees, 1);
  acore_group_unref(g);
  assert_int_equal(tu_frees, 1);
}

/* ---- allocation failures over every combinator ---- */

/* A combinator's cancel copies its message: when the copy fails, ENOMEM and
 * nothing was cancelled; the next cancel goes through. */
static void test_combinators_cancel_message_enomem(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *c[3];
  acore_group_t *grp;
  int i;

  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_gather(loop, &f, 1, 0, &c[0]), ACORE_OK);
  assert_int_equal(acore_wait_for(f, 10, &c[1]), ACORE_OK);
  assert_int_equal(acore_group_new(loop, &grp), ACORE_OK);
  c[2] = acore_future_ref(acore_group_future(grp));
  acore_group_unref(grp);
  for (i = 0; i < 3; i++) {
    tu_alloc_fail_at(1);
    assert_int_equal(acore_future_cancel(c[i], "stop"), ACORE_ENOMEM);
    tu_alloc_fail_at(0);
  }
  spin(loop, 2);
  assert_int_equal(acore_future_is_done(f), 0);
  for (i = 0; i < 3; i++)
    assert_int_equal(acore_future_is_done(c[i]), 0);
  for (i = 0; i < 3; i++)
    assert_int_equal(acore_future_cancel(c[i], "stop"), 1);
  for (i = 0; i < 3; i++) {
    drive(loop, c[i]);
    assert_int_equal(acore_future_is_cancelled(c[i]), 1);
    assert_string_equal(acore_future_cancel_message(c[i]), "stop");
    acore_future_unref(c[i]);
  }
  assert_int_equal(acore_future_is_cancelled(f), 1);
  acore_future_unref(f);
}

/* A child's copy of the message fails: the gather still cancels it,
 * without a message, and ends cancelled as that child did. */
static void test_gather_cancel_child_message_enomem(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *g;

  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_gather(loop, &f, 1, 0, &g), ACORE_OK);
  tu_alloc_fail_at(2); /* 1: the gather's copy; 2: the child's */
  assert_int_equal(acore_future_cancel(g, "stop"), 1);
  tu_alloc_fail_at(0);
  assert_int_equal(acore_future_is_cancelled(f), 1);
  assert_null(acore_future_cancel_message(f));
  drive(loop, g);
  assert_int_equal(acore_future_is_cancelled(g), 1);
  assert_null(acore_future_cancel_message(g));
  acore_future_unref(g);
  acore_future_unref(f);
}

static int noop_step(acore_task_t *t, void *ud) {
  (void)t;
  (void)ud;
  return ACORE_TASK_DONE;
}

#define TRY(call)                                \
  do {                                           \
    int rc_ = (call);                            \
    if (rc_ == ACORE_ENOMEM)                     \
      nomem++;                                   \
    else                                         \
      assert_int_equal(rc_, ACORE_OK);           \
  } while (0)

/* Every combinator once; returns how many calls failed with ENOMEM. */
static int scenario(acore_loop_t *loop) {
  acore_future_t *fs[2] = {NULL, NULL}, *g = NULL, *w = NULL, *wf = NULL,
                 *sh = NULL, *ac = NULL, *nx = NULL, *sl = NULL;
  acore_group_t *grp = NULL;
  acore_task_t *t = NULL;
  acore_timeout_t *sc = NULL;
  int nomem = 0, i;

  TRY(acore_future_new(loop, &fs[0]));
  TRY(acore_future_new(loop, &fs[1]));
  if (fs[0] == NULL || fs[1] == NULL)
    goto out;
  TRY(acore_sleep(loop, 0.5, &sl));
  TRY(acore_gather(loop, fs, 2, 0, &g));
  TRY(acore_wait(loop, fs, 2, ACORE_WAIT_FIRST_COMPLETED, 1.0, &w));
  TRY(acore_wait_for(fs[0], 1.0, &wf));
  TRY(acore_shield(fs[1], &sh));
  TRY(acore_as_completed(loop, fs, 2, 1.0, NULL, NULL, NULL, &ac));
  if (ac != NULL)
    TRY(acore_as_completed_next(ac, &nx));
  TRY(acore_group_new(loop, &grp));
  if (grp != NULL) {
    TRY(acore_group_spawn(grp, noop_step, NULL, NULL, &t));
    acore_group_seal(grp);
  }
  if (t != NULL)
    TRY(acore_timeout_new(t, 1.0, &sc));
  acore_future_set_int(fs[0], 1);
  acore_future_set_int(fs[1], 2);
  for (i = 0; i < 5; i++)
    acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  acore_timeout_free(sc);
  acore_task_unref(t);
  acore_group_unref(grp);
  acore_future_unref(nx);
  acore_future_unref(ac);
  acore_future_unref(sh);
  acore_future_unref(wf);
  acore_future_unref(w);
  acore_future_unref(g);
  acore_future_unref(sl);
out:
  acore_future_unref(fs[0]);
  acore_future_unref(fs[1]);
  return nomem;
}
#undef TRY

static void test_combinators_alloc_failure_walk(void **state) {
  long live, n;
  int failures = 0, cache;

  (void)state;
  tu_alloc_install();
  cache = tu_cache_off(1); /* every object is its own allocation */
  live = tu_alloc_live();
  for (n = 1; n < 2000; n++) {
    acore_loop_t *loop = tu_loop_new(ACORE_LOOP_VIRTUAL_CLOCK);
    int nomem, failed;

    tu_alloc_fail_at(n);
    nomem = scenario(loop);
    failed = tu_alloc_failed();
    tu_alloc_fail_at(0);
    acore_loop_close(loop);
    acore_loop_unref(loop);
    assert_int_equal(tu_alloc_live(), live); /* nothing leaked */
    if (!failed)
      break; /* the scenario needs fewer than n allocations: done */
    assert_int_equal(nomem, 1); /* the failure surfaced as ENOMEM */
    failures++;
  }
  tu_cache_off(cache);
  print_message("failed each of %d allocations in turn\n", failures);
  assert_true(failures >= 20);
}

static void test_group_cancelled_errors_reported(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job a = {.delay = 5, .absorb = 1, .fail_code = ACORE_EIO};
  acore_group_t *g;
  tu_reports r;

  tu_capture_reports(loop, &r);
  assert_int_equal(acore_group_new(loop, &g), ACORE_OK);
  acore_group_spawn(g, job_step, &a, NULL, NULL);
  acore_group_seal(g);
  spin(loop, 1);
  acore_future_cancel(acore_group_future(g), NULL);
  drive(loop, acore_group_future(g));
  assert_int_equal(acore_future_is_cancelled(acore_group_future(g)), 1);
  assert_int_equal(r.count, 1); /* the error is not lost */
  assert_int_equal(r.last_code, ACORE_EIO);
  acore_group_unref(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, tu_setup_virtual, tu_teardown)
    T(test_group_completes_when_sealed_and_done),
    T(test_group_sealed_empty_done_at_once),
    T(test_group_waits_for_seal_when_all_finished),
    T(test_group_first_error_cancels_rest),
    T(test_group_naive_tasks_abort_on_error),
    T(test_group_cancel_cancels_all),
    T(test_group_cancel_twice_keeps_first_message),
    T(test_group_nested_never_swallows_cancel),
    T(test_group_task_spawns_after_seal),
    T(test_group_pending_at_close),
    T(test_group_einval),
    T(test_group_spawn_frees_ud_once),
    T(test_combinators_cancel_message_enomem),
    T(test_gather_cancel_child_message_enomem),
    T(test_group_cancelled_errors_reported),
#undef T
    cmocka_unit_test(test_combinators_alloc_failure_walk),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
