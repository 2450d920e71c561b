/* SPDX-License-Identifier: MIT */
/*
 * test_alloc_modes.c - the allocation-failure walk over every module
 * (combinators, sync, condition, executor, queue, map), in three modes:
 *   ONE      only the k-th allocation fails;
 *   FROM     the k-th and every later allocation fail, until the scenario
 *            is over (its handles released); close runs with memory;
 *   THROUGH  as FROM, and the failures go on through the loop's close and
 *            release.
 * For k = 1, 2, ... until the scenario needs fewer than k allocations:
 * a failure inside the scenario surfaces as ACORE_ENOMEM (a return code,
 * a future or task failed with it, or a report carrying it); nothing
 * leaks (the counting allocator's live count is back where it was); in
 * ONE and FROM modes the loop still runs a callback afterwards; in every
 * mode the loop closes.
 */
#include "testutil.h"
#include "internal.h" /* acore__malloc */

#include <math.h>
#include <string.h>

enum { ONE, FROM, THROUGH };
static const char *const mode_name[] = {"one", "from", "through"};

static int nomem; /* ENOMEM seen by the current scenario */

static void note(int rc) {
  if (rc == ACORE_ENOMEM)
    nomem++;
}

/* An error, or a group of them (a task group's), carrying ENOMEM. */
static void note_error(const acore_error_t *e) {
  size_t i;

  if (e == NULL)
    return;
  note(acore_error_code(e));
  for (i = 0; i < acore_error_child_count(e); i++)
    note_error(acore_error_child(e, i));
}

/* A call that may fail only with ENOMEM; 1 when it succeeded. */
#define OK(call) ok_((call), #call)
static int ok_(int rc, const char *what) {
  if (rc == ACORE_ENOMEM) {
    nomem++;
    return 0;
  }
  if (rc < 0)
    fail_msg("%s: %s", what, acore_err_name(rc));
  return 1;
}

/* A future's outcome: count an ENOMEM failure, then release it. */
static void settle(acore_future_t *f) {
  if (f == NULL)
    return;
  if (acore_future_state(f) == ACORE_FUTURE_ERROR)
    note_error(acore_future_error(f));
  acore_future_unref(f);
}

static void on_report(acore_loop_t *loop, const acore_context_t *ctx,
                      void *ud) {
  (void)loop;
  (void)ud;
  note_error(acore_context_error(ctx));
}

static int calls;
static void on_call(void *ud) {
  (void)ud;
  calls++;
}
static void on_done(acore_future_t *f, void *ud) {
  (void)f;
  (void)ud;
  calls++;
}

/* A task: one step awaiting a fresh sleep, then an int. */
static int sleeper(acore_task_t *t, void *ud) {
  acore_future_t *f;
  int rc;

  (void)ud;
  if (acore_task_step_status(t) == ACORE_ECANCELLED)
    return acore_task_finish_cancelled(t);
  if (acore_task_awaited(t) != NULL)
    return acore_task_return_int(t, 1);
  rc = acore_sleep(acore_task_loop(t), 0.001, &f);
  if (rc != ACORE_OK)
    return rc; /* the task fails with it */
  return acore_task_await_take(t, f);
}

/* ---- the scenarios ---- */

static void combinators(acore_loop_t *loop) {
  acore_future_t *a = NULL, *b = NULL, *fs[2], *g = NULL, *w = NULL,
                 *wc = NULL, *wf = NULL, *sh = NULL, *ac = NULL, *sl = NULL,
                 *gf = NULL;
  acore_group_t *grp = NULL;
  acore_task_t *t = NULL;

  if (OK(acore_future_new(loop, &a)) && OK(acore_future_new(loop, &b))) {
    fs[0] = a;
    fs[1] = b;
    OK(acore_gather(loop, fs, 2, 0, &g));
    OK(acore_wait(loop, fs, 2, ACORE_WAIT_FIRST_COMPLETED, INFINITY, &w));
    OK(acore_wait_at_least(loop, fs, 2, 2, INFINITY, &wc));
    OK(acore_wait_for(b, INFINITY, &wf));
    OK(acore_shield(a, &sh));
    OK(acore_as_completed(loop, fs, 2, INFINITY, on_done, NULL, NULL, &ac));
    OK(acore_future_add_done_callback(a, on_done, NULL, NULL));
    OK(acore_future_set_int(a, 1));
    OK(acore_future_set_bytes(b, "b", 1));
  }
  OK(acore_sleep(loop, 0.001, &sl));
  if (OK(acore_group_new(loop, &grp))) {
    OK(acore_group_spawn(grp, sleeper, NULL, NULL, NULL));
    OK(acore_group_spawn(grp, sleeper, NULL, NULL, &t));
    OK(acore_group_seal(grp));
    gf = acore_future_ref(acore_group_future(grp));
  }
  OK(acore_loop_run(loop));
  settle(g);
  settle(w);
  settle(wc);
  settle(wf);
  settle(sh);
  settle(ac);
  settle(sl);
  settle(gf);
  if (t != NULL)
    settle(acore_future_ref(acore_task_future(t)));
  acore_task_unref(t);
  acore_group_unref(grp);
  acore_future_unref(a);
  acore_future_unref(b);
}

static void sync_prims(acore_loop_t *loop) {
  acore_sem_t *sem = NULL;
  acore_lock_t *lock = NULL;
  acore_event_t *ev = NULL;
  acore_future_t *s1 = NULL, *s2 = NULL, *l1 = NULL, *e1 = NULL;

  if (OK(acore_sem_new(loop, 1, ACORE_SEM_BOUNDED, &sem))) {
    OK(acore_sem_acquire(sem, 1, &s1));
    OK(acore_sem_acquire(sem, 1, &s2));
    if (s1 != NULL && acore_future_state(s1) == ACORE_FUTURE_RESULT)
      OK(acore_sem_release(sem, 1));
  }
  if (OK(acore_lock_new(loop, &lock)) && OK(acore_lock_acquire(lock, &l1)) &&
      acore_future_state(l1) == ACORE_FUTURE_RESULT)
    OK(acore_lock_release(lock));
  if (OK(acore_event_new(loop, &ev))) {
    OK(acore_event_wait(ev, &e1));
    OK(acore_event_set(ev));
  }
  OK(acore_loop_run(loop));
  settle(s1);
  settle(s2);
  settle(l1);
  settle(e1);
  acore_sem_unref(sem);
  acore_lock_unref(lock);
  acore_event_unref(ev);
}

static int pred_calls;
static int pred_second(void *ud) { /* false, then true */
  (void)ud;
  return pred_calls++ > 0;
}

/* Take the condition's lock now (for "no task"); 1 when taken. */
static int try_lock(acore_lock_t *lk) {
  int rc = acore_lock_try_acquire(lk);

  if (rc == ACORE_EAGAIN)
    return 0;
  return OK(rc) && rc == ACORE_OK;
}

/* Release the lock until nobody holds it: each release may hand it to
 * the next waiter, which completes holding it. */
static void unlock_all(acore_lock_t *lk) {
  int i;

  for (i = 0; i < 8 && acore_lock_is_locked(lk) == 1; i++)
    OK(acore_lock_release(lk));
}

static void cond(acore_loop_t *loop) {
  acore_future_t *w[3] = {NULL, NULL, NULL};
  acore_cond_t *cv = NULL;
  acore_lock_t *lk;
  int i;

  pred_calls = 0;
  if (!OK(acore_cond_new(loop, NULL, &cv)))
    return;
  lk = acore_cond_lock(cv);
  if (try_lock(lk))
    OK(acore_cond_wait(cv, &w[0])); /* releases the lock */
  unlock_all(lk);                   /* (not released if it failed) */
  if (try_lock(lk))
    OK(acore_cond_wait_for(cv, pred_second, NULL, NULL, &w[1]));
  unlock_all(lk);
  if (try_lock(lk))
    OK(acore_cond_wait(cv, &w[2]));
  unlock_all(lk);
  if (w[2] != NULL) /* re-acquires the lock, then ends cancelled */
    OK(acore_future_cancel(w[2], "stop"));
  unlock_all(lk);
  if (try_lock(lk))
    OK(acore_cond_notify_all(cv));
  unlock_all(lk); /* w[0], then w[1], complete holding it */
  OK(acore_loop_run(loop));
  unlock_all(lk);
  for (i = 0; i < 3; i++)
    settle(w[i]);
  acore_cond_unref(cv);
}

static int work(acore_work_t *w, void *ud) {
  (void)ud;
  return acore_work_set_int(w, 5);
}

static void executor(acore_loop_t *loop) {
  acore_executor_options_t *o = NULL;
  acore_executor_t *ex = NULL;
  acore_future_t *j[3] = {NULL, NULL, NULL};
  int i;

  if (OK(acore_executor_options_new(&o)) &&
      OK(acore_executor_options_set_max_workers(o, 1)) &&
      OK(acore_executor_new(o, &ex))) {
    for (i = 0; i < 3; i++)
      OK(acore_run_in_executor(loop, ex, work, NULL, NULL, &j[i]));
    for (i = 0; i < 3; i++)
      if (j[i] != NULL)
        OK(acore_loop_run_until_complete(loop, j[i]));
    OK(acore_executor_shutdown(ex, ACORE_EXECUTOR_WAIT));
  }
  acore_executor_options_free(o);
  for (i = 0; i < 3; i++)
    settle(j[i]);
  acore_executor_unref(ex);
}

static void item_free(void *p) { acore_free(p); }

static void queue(acore_loop_t *loop) {
  acore_queue_t *q = NULL;
  acore_future_t *p1 = NULL, *g1 = NULL, *g2 = NULL, *jn = NULL;
  acore_free_fn ifree;
  void *item;
  int i, rc;

  if (OK(acore_queue_new(loop, 2, ACORE_QUEUE_FIFO, &q))) {
    for (i = 0; i < 3; i++) {
      item = acore__malloc(8);
      if (item == NULL) {
        nomem++;
        continue;
      }
      if (i < 2) {
        if (!OK(acore_queue_put_nowait(q, item, item_free)))
          acore_free(item);
      } else if (!OK(acore_queue_put(q, item, item_free, &p1))) {
        acore_free(item);
      }
    }
    rc = acore_queue_get_nowait(q, &item, &ifree);
    if (rc != ACORE_EEMPTY && OK(rc)) { /* empty when both puts failed */
      ifree(item);
      OK(acore_queue_task_done(q));
    }
    OK(acore_queue_get(q, &g1));
    OK(acore_queue_get(q, &g2));
    OK(acore_queue_join(q, &jn));
    OK(acore_loop_run(loop));
    if (g1 != NULL && acore_future_state(g1) == ACORE_FUTURE_RESULT)
      OK(acore_queue_task_done(q));
    if (g2 != NULL && acore_future_state(g2) == ACORE_FUTURE_RESULT)
      OK(acore_queue_task_done(q));
    OK(acore_queue_shutdown(q, ACORE_QUEUE_IMMEDIATE));
    OK(acore_loop_run(loop));
  }
  settle(p1);
  settle(g1);
  settle(g2);
  settle(jn);
  acore_queue_unref(q);
}

static int job(acore_loop_t *loop, size_t i, void *ud, acore_future_t **out) {
  int rc;

  (void)ud;
  if ((rc = acore_future_new(loop, out)) != ACORE_OK)
    return rc;
  if ((rc = acore_future_set_int(*out, (int64_t)i)) != ACORE_OK) {
    acore_future_unref(*out);
    return rc;
  }
  return ACORE_OK;
}

static void map(acore_loop_t *loop) {
  acore_future_t *m = NULL;

  if (OK(acore_map(loop, 5, 2, job, NULL, NULL, ACORE_MAP_SETTLE_ALL, &m))) {
    size_t i;

    OK(acore_loop_run_until_complete(loop, m));
    for (i = 0; i < 5; i++) {
      acore_future_t *j = acore_map_job(m, i);
      if (j != NULL && acore_future_state(j) == ACORE_FUTURE_ERROR)
        note_error(acore_future_error(j));
    }
  }
  settle(m);
}

/* ---- the walk ---- */

/* One scenario with allocation k failing in `mode`; 0 once the scenario
 * needed fewer than k allocations. */
static int run_one(void (*scenario)(acore_loop_t *), int mode, long k) {
  acore_loop_t *loop = tu_loop_new(0);
  int failed_in_scenario;

  assert_int_equal(acore_loop_set_error_handler(loop, on_report, NULL, NULL),
                   ACORE_OK);
  nomem = 0;
  tu_alloc_fail_mode(k, mode != ONE);
  scenario(loop);
  failed_in_scenario = tu_alloc_failed();
  if (mode != THROUGH)
    tu_alloc_fail_at(0);
  if (failed_in_scenario && nomem == 0)
    fail_msg("allocation %ld failed (%s) but no ENOMEM surfaced", k,
             mode_name[mode]);
  if (mode != THROUGH) { /* the loop still works */
    calls = 0;
    assert_int_equal(acore_loop_call_soon(loop, on_call, NULL, NULL, NULL),
                     ACORE_OK);
    assert_int_equal(acore_loop_run(loop), ACORE_OK);
    assert_int_equal(calls, 1);
  }
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(acore_loop_is_closed(loop), 1);
  acore_loop_unref(loop);
  tu_alloc_fail_at(0);
  return failed_in_scenario;
}

static void walk(void (*scenario)(acore_loop_t *), const char *name) {
  long live, k;
  int mode, failures, cache;

  tu_alloc_install();
  cache = tu_cache_off(1); /* every object is its own allocation */
  live = tu_alloc_live();
  for (mode = ONE; mode <= THROUGH; mode++) {
    failures = 0;
    for (k = 1; k < 2000; k++) {
      int failed = run_one(scenario, mode, k);

      assert_int_equal(tu_alloc_live(), live); /* nothing leaked */
      if (!failed)
        break;
      failures++;
    }
    assert_true(k < 2000);
    print_message("%s, %s: failed at each of %d allocations\n", name,
                  mode_name[mode], failures);
    assert_true(failures >= 5);
  }
  tu_cache_off(cache);
}

static void test_alloc_modes_combinators(void **state) {
  (void)state;
  walk(combinators, "combinators");
}
static void test_alloc_modes_sync(void **state) {
  (void)state;
  walk(sync_prims, "sync");
}
static void test_alloc_modes_cond(void **state) {
  (void)state;
  walk(cond, "cond");
}
static void test_alloc_modes_executor(void **state) {
  (void)state;
  walk(executor, "executor");
}
static void test_alloc_modes_queue(void **state) {
  (void)state;
  walk(queue, "queue");
}
static void test_alloc_modes_map(void **state) {
  (void)state;
  walk(map, "map");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_alloc_modes_combinators),
    cmocka_unit_test(test_alloc_modes_sync),
    cmocka_unit_test(test_alloc_modes_cond),
    cmocka_unit_test(test_alloc_modes_executor),
    cmocka_unit_test(test_alloc_modes_queue),
    cmocka_unit_test(test_alloc_modes_map),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
