/* SPDX-License-Identifier: MIT */
/* test_alloc.c - every allocation failure surfaces as ACORE_ENOMEM, leaks
 * nothing, and leaves the loop able to run the rest. The walk fails the
 * 1st, 2nd, ... Nth allocation of a representative scenario in turn. */
#include "testutil.h"
#include "internal.h"

#include <string.h>

static int ran;      /* callbacks and steps that ran to their end */
static int expected; /* what should run, from the calls that succeeded */

static void on_call(void *ud) {
  (void)ud;
  ran++;
}

static void on_done(acore_future_t *f, void *ud) {
  (void)f;
  (void)ud;
  ran++;
}

static int step(acore_task_t *t, void *ud) {
  acore_future_t *f;
  int *at = ud;
  int rc;

  if ((*at)++ == 0) {
    rc = acore_future_new(acore_task_loop(t), &f);
    if (rc != ACORE_OK)
      return rc; /* the task fails with ENOMEM */
    rc = acore_future_set_bytes(f, "payload", 7);
    if (rc != ACORE_OK) {
      acore_future_unref(f);
      return rc;
    }
    return acore_task_await_take(t, f);
  }
  rc = acore_task_return_bytes(t, "done", 4);
  if (rc == ACORE_TASK_DONE)
    ran++;
  return rc;
}

static void free_int(void *p) { acore_free(p); }

/* Returns the number of ENOMEM results seen. */
static int scenario(acore_loop_t *loop) {
  acore_future_t *f = NULL;
  acore_task_t *t = NULL;
  acore_handle_t *h = NULL;
  int *state, nomem = 0, rc;

  ran = expected = 0;
#define TRY(call, runs)                                                      \
  do {                                                                       \
    rc = (call);                                                             \
    if (rc == ACORE_ENOMEM)                                                  \
      nomem++;                                                               \
    else {                                                                   \
      assert_int_equal(rc, ACORE_OK);                                        \
      expected += (runs);                                                    \
    }                                                                        \
  } while (0)
  TRY(acore_loop_call_soon(loop, on_call, NULL, NULL, NULL), 1);
  TRY(acore_loop_call_soon(loop, on_call, NULL, NULL, &h), 1);
  TRY(acore_loop_call_later(loop, 0.001, on_call, NULL, NULL, NULL), 1);
  TRY(acore_loop_call_at(loop, acore_loop_time(loop), on_call, NULL, NULL,
                         NULL), 1);
  TRY(acore_loop_call_soon_threadsafe(loop, on_call, NULL, NULL), 1);
  TRY(acore_future_new(loop, &f), 0);
  if (f != NULL) {
    int before = expected, added;
    TRY(acore_future_add_done_callback(f, on_done, NULL, NULL), 1);
    added = expected - before;
    TRY(acore_future_set_bytes(f, "abc", 3), 0);
    if (rc != ACORE_OK)
      expected -= added; /* still pending: its callback never runs */
    else
      TRY(acore_future_add_done_callback(f, on_done, NULL, NULL), 1);
  }
  state = acore__malloc(sizeof(*state));
  if (state == NULL) {
    nomem++;
  } else {
    *state = 0;
    TRY(acore_task_spawn(loop, step, state, free_int, &t), 0);
  }
  acore_loop_run(loop);
  if (t != NULL) {
    rc = acore_future_result(acore_task_future(t), NULL);
    if (rc == ACORE_ENOMEM)
      nomem++;
    else
      expected++; /* its second step ran */
    acore_task_unref(t);
  }
  acore_future_unref(f);
  acore_handle_unref(h);
  assert_int_equal(ran, expected);
  return nomem;
#undef TRY
}

static void test_alloc_failure_walk(void **state) {
  long live, n;
  int failures = 0, cache;

  (void)state;
  tu_alloc_install();
  cache = tu_cache_off(1); /* every object is its own allocation */
  live = tu_alloc_live();
  for (n = 1; n < 1000; n++) {
    acore_loop_t *loop = NULL;
    acore_loop_options_t *opts = NULL;
    int rc, nomem = 0;

    tu_alloc_fail_at(n);
    rc = acore_loop_options_new(&opts);
    if (rc == ACORE_OK) {
      acore_loop_options_set_flags(opts, 0);
      rc = acore_loop_new(opts, &loop);
      acore_loop_options_free(opts);
    }
    if (rc != ACORE_OK) {
      assert_int_equal(rc, ACORE_ENOMEM);
      nomem = 1;
    } else {
      nomem = scenario(loop);
      acore_loop_close(loop);
      acore_loop_unref(loop);
    }
    assert_int_equal(tu_alloc_live(), live); /* nothing leaked */
    if (!tu_alloc_failed())
      break; /* the scenario needs fewer than n allocations: done */
    /* The failed allocation surfaced as ENOMEM somewhere. */
    assert_int_equal(nomem >= 1, 1);
    failures++;
  }
  tu_alloc_fail_at(0);
  tu_cache_off(cache);
  print_message("failed each of %d allocations in turn\n", failures);
  assert_true(failures >= 15);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_alloc_failure_walk),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
