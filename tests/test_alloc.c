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

/* Live allocations that one more future of `loop` costs (made and kept). */
static long future_cost(acore_loop_t *loop, acore_future_t **f) {
  long live = tu_alloc_live();

  assert_int_equal(acore_future_new(loop, f), ACORE_OK);
  return tu_alloc_live() - live;
}

/* A loop reads ACORE_NO_CACHE when it is made and keeps that mode: with
 * caches off each object is its own allocation, also after the variable
 * is gone; with caches on a freed future's block serves the next one. */
static void test_alloc_cache_mode_fixed_when_the_loop_is_made(void **state) {
  acore_loop_t *off, *on;
  acore_future_t *f, *g;
  long before, mid;
  int cache;

  (void)state;
  tu_alloc_install();
  before = tu_alloc_live();
  cache = tu_cache_off(1);
  off = tu_loop_new(0);
  tu_cache_off(0);
  mid = tu_alloc_live();
  on = tu_loop_new(0);
  assert_int_equal(future_cost(off, &f), 1);
  assert_int_equal(future_cost(off, &g), 1);
  acore_future_unref(f);
  acore_future_unref(g);
  (void)future_cost(on, &f); /* its first chunk, or a cached block */
  acore_future_unref(f);
  assert_int_equal(future_cost(on, &f), 0); /* the same block again */
  acore_future_unref(f);
  tu_loop_free(on, mid);
  tu_loop_free(off, before);
  tu_cache_off(cache);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_alloc_failure_walk),
    cmocka_unit_test(test_alloc_cache_mode_fixed_when_the_loop_is_made),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
