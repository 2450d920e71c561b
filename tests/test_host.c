/* SPDX-License-Identifier: MIT */
/* test_host.c - what a language binding needs from the core: per-loop host
 * data, results tagged with a host's destructor, executor worker hooks. */
#include "testutil.h"

#include <stdatomic.h>
#include <string.h>

static char key_a, key_b; /* two bindings' keys */
static int freed_a, freed_b;
static void free_a(void *p) { freed_a += p == &freed_a; }
static void free_b(void *p) { freed_b += p == &freed_b; }

/* ---- host data ---- */

static void test_host_data_kept_per_key(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  freed_a = freed_b = 0;
  assert_null(acore_loop_host_data(loop, &key_a));
  assert_int_equal(acore_loop_set_host_data(loop, &key_a, &freed_a, free_a),
                   ACORE_OK);
  assert_int_equal(acore_loop_set_host_data(loop, &key_b, &freed_b, free_b),
                   ACORE_OK);
  assert_ptr_equal(acore_loop_host_data(loop, &key_a), &freed_a);
  assert_ptr_equal(acore_loop_host_data(loop, &key_b), &freed_b);
  /* replaced: the old data's destructor runs now */
  assert_int_equal(acore_loop_set_host_data(loop, &key_a, &freed_b, NULL),
                   ACORE_OK);
  assert_int_equal(freed_a, 1);
  assert_ptr_equal(acore_loop_host_data(loop, &key_a), &freed_b);
  /* removed */
  assert_int_equal(acore_loop_set_host_data(loop, &key_a, NULL, free_a),
                   ACORE_OK);
  assert_null(acore_loop_host_data(loop, &key_a));
  assert_int_equal(freed_a, 1);
  assert_int_equal(freed_b, 0);
}

/* A cleanup that close runs (a callback's ud_free) still finds the data;
 * the data goes last, and nothing can be set once close started. */
static acore_loop_t *closing_loop;
static int seen_in_cleanup, set_in_cleanup;
static void cleanup_reads(void *ud) {
  (void)ud;
  seen_in_cleanup = acore_loop_host_data(closing_loop, &key_a) == &freed_a &&
                    freed_a == 0;
  set_in_cleanup =
      acore_loop_set_host_data(closing_loop, &key_b, &freed_b, free_b);
}
static void never(void *ud) { (void)ud; }

static void test_host_data_freed_last_at_close(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  freed_a = freed_b = 0;
  closing_loop = loop;
  assert_int_equal(acore_loop_set_host_data(loop, &key_a, &freed_a, free_a),
                   ACORE_OK);
  assert_int_equal(acore_loop_call_later(loop, 60, never, NULL,
                                         cleanup_reads, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(seen_in_cleanup, 1);
  assert_int_equal(set_in_cleanup, ACORE_ECLOSED);
  assert_int_equal(freed_b, 1); /* refused: freed at once */
  assert_int_equal(freed_a, 1);
  assert_null(acore_loop_host_data(loop, &key_a));
  assert_int_equal(acore_loop_set_host_data(loop, &key_a, &freed_a, free_a),
                   ACORE_ECLOSED);
  assert_int_equal(freed_a, 2);
}

static void test_host_data_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  freed_a = 0;
  assert_int_equal(acore_loop_set_host_data(NULL, &key_a, &freed_a, free_a),
                   ACORE_EINVAL);
  assert_int_equal(freed_a, 1); /* ownership passed: freed on failure */
  assert_int_equal(acore_loop_set_host_data(loop, NULL, &freed_a, free_a),
                   ACORE_EINVAL);
  assert_int_equal(freed_a, 2);
  assert_null(acore_loop_host_data(NULL, &key_a));
  assert_null(acore_loop_host_data(loop, NULL));
  assert_null(acore_loop_host_data(loop, &key_a)); /* nothing was kept */
}

static void test_host_data_enomem(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  freed_a = 0;
  tu_alloc_fail_at(1);
  assert_int_equal(acore_loop_set_host_data(loop, &key_a, &freed_a, free_a),
                   ACORE_ENOMEM);
  tu_alloc_fail_at(0);
  assert_int_equal(freed_a, 1);
  assert_null(acore_loop_host_data(loop, &key_a));
  assert_int_equal(acore_loop_set_host_data(loop, &key_a, &freed_a, free_a),
                   ACORE_OK); /* still usable */
  assert_ptr_equal(acore_loop_host_data(loop, &key_a), &freed_a);
}

/* ---- tagged results ---- */

static void test_host_result_tagged_read_by_its_tag_only(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *g;
  void *p = NULL;

  freed_a = 0;
  acore_future_new(loop, &f);
  acore_future_new(loop, &g);
  assert_int_equal(acore_future_result_tagged(f, free_a, &p),
                   ACORE_EINVALIDSTATE);
  assert_int_equal(acore_future_set_result(f, &freed_a, free_a), ACORE_OK);
  assert_int_equal(acore_future_result_tagged(f, free_b, &p), ACORE_ETYPE);
  assert_null(p);
  assert_int_equal(acore_future_result_tagged(f, free_a, &p), ACORE_OK);
  assert_ptr_equal(p, &freed_a);
  assert_int_equal(freed_a, 0); /* borrowed: still the future's */
  /* a number is never read as a host value */
  assert_int_equal(acore_future_set_int(g, 7), ACORE_OK);
  assert_int_equal(acore_future_result_tagged(g, free_a, &p), ACORE_ETYPE);
  /* stolen: gone */
  assert_int_equal(acore_future_steal_result(f, free_a, &p), ACORE_OK);
  assert_int_equal(acore_future_result_tagged(f, free_a, &p), ACORE_ETYPE);
  acore_future_unref(f);
  acore_future_unref(g);
  assert_int_equal(freed_a, 0);
}

static void test_host_result_tagged_of_failed_and_cancelled(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *g;
  void *p = NULL;

  acore_future_new(loop, &f);
  acore_future_new(loop, &g);
  acore_future_set_error_code(f, ACORE_EIO, "disk");
  acore_future_cancel(g, NULL);
  assert_int_equal(acore_future_result_tagged(f, free_a, &p), ACORE_EIO);
  assert_int_equal(acore_future_result_tagged(g, free_a, &p),
                   ACORE_ECANCELLED);
  acore_future_unref(f); /* its error was retrieved: no report */
  acore_future_unref(g);
}

static void test_host_result_tagged_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  void *p = NULL;

  acore_future_new(loop, &f);
  acore_future_set_result(f, &freed_a, NULL);
  assert_int_equal(acore_future_result_tagged(NULL, free_a, &p),
                   ACORE_EINVAL);
  assert_int_equal(acore_future_result_tagged(f, NULL, &p), ACORE_EINVAL);
  assert_int_equal(acore_future_result_tagged(f, free_a, NULL),
                   ACORE_EINVAL);
  acore_future_unref(f);
}

/* ---- executor worker hooks ---- */

static atomic_int starts, stops, jobs_seen_started;
static _Thread_local int attached;
static void hook(int phase, void *ud) {
  if (ud != &starts)
    return;
  if (phase == ACORE_WORKER_START) {
    attached = 1;
    atomic_fetch_add(&starts, 1);
  } else if (phase == ACORE_WORKER_STOP) {
    attached = 0;
    atomic_fetch_add(&stops, 1);
  }
}
static int job(acore_work_t *w, void *ud) {
  (void)ud;
  atomic_fetch_add(&jobs_seen_started, attached);
  return acore_work_set_int(w, attached);
}

static void test_host_worker_hook_wraps_every_worker(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_options_t *o;
  acore_executor_t *ex;
  acore_future_t *f[8], *all;
  int i;

  atomic_store(&starts, 0);
  atomic_store(&stops, 0);
  atomic_store(&jobs_seen_started, 0);
  assert_int_equal(acore_executor_options_new(&o), ACORE_OK);
  assert_int_equal(acore_executor_options_set_max_workers(o, 3), ACORE_OK);
  assert_int_equal(acore_executor_options_set_min_workers(o, 1), ACORE_OK);
  assert_int_equal(acore_executor_options_set_worker_hook(o, hook, &starts),
                   ACORE_OK);
  assert_int_equal(acore_executor_new(o, &ex), ACORE_OK);
  acore_executor_options_free(o);
  for (i = 0; i < 8; i++)
    assert_int_equal(acore_run_in_executor(loop, ex, job, NULL, NULL, &f[i]),
                     ACORE_OK);
  assert_int_equal(acore_gather(loop, f, 8, 0, &all), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, all), ACORE_OK);
  assert_int_equal(atomic_load(&jobs_seen_started), 8);
  assert_int_equal(acore_executor_shutdown(ex, ACORE_EXECUTOR_WAIT),
                   ACORE_OK);
  assert_true(atomic_load(&starts) >= 1 && atomic_load(&starts) <= 3);
  assert_int_equal(atomic_load(&stops), atomic_load(&starts));
  acore_executor_unref(ex);
  acore_future_unref(all);
  for (i = 0; i < 8; i++)
    acore_future_unref(f[i]);
}

static void test_host_worker_hook_removed(void **state) {
  acore_executor_options_t *o;
  acore_executor_t *ex;

  (void)state;
  atomic_store(&starts, 0);
  assert_int_equal(acore_executor_options_new(&o), ACORE_OK);
  assert_int_equal(acore_executor_options_set_min_workers(o, 2), ACORE_OK);
  assert_int_equal(acore_executor_options_set_worker_hook(o, hook, &starts),
                   ACORE_OK);
  assert_int_equal(acore_executor_options_set_worker_hook(o, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_executor_new(o, &ex), ACORE_OK);
  acore_executor_options_free(o);
  acore_executor_unref(ex); /* joins the workers */
  assert_int_equal(atomic_load(&starts), 0);
}

static void test_host_worker_hook_einval(void **state) {
  (void)state;
  assert_int_equal(acore_executor_options_set_worker_hook(NULL, hook, NULL),
                   ACORE_EINVAL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, tu_setup, tu_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
    T(test_host_data_kept_per_key),
    T(test_host_data_freed_last_at_close),
    T(test_host_data_einval),
    cmocka_unit_test_setup_teardown(test_host_data_enomem, tu_setup_walk,
                                    tu_teardown),
    T(test_host_result_tagged_read_by_its_tag_only),
    T(test_host_result_tagged_of_failed_and_cancelled),
    T(test_host_result_tagged_einval),
    T(test_host_worker_hook_wraps_every_worker),
    T(test_host_worker_hook_removed),
    T(test_host_worker_hook_einval),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
