/* SPDX-License-Identifier: MIT */
/*
 * test_threadsafe_limit.c - the bound on calls queued from other threads
 * (acore_loop_options_set_threadsafe_limit): refused with ACORE_EAGAIN
 * once full, the poster keeps going after the loop took them.
 */
#include "testutil.h"

#include <stdlib.h>
#include <uv.h>

static int ran;
static void count_call(void *ud) { (void)ud, ran++; }

static acore_loop_t *loop_with_limit(size_t limit) {
  acore_loop_options_t *opts;
  acore_loop_t *loop;

  assert_int_equal(acore_loop_options_new(&opts), ACORE_OK);
  assert_int_equal(acore_loop_options_set_threadsafe_limit(opts, limit),
                   ACORE_OK);
  assert_int_equal(acore_loop_new(opts, &loop), ACORE_OK);
  acore_loop_options_free(opts);
  return loop;
}

static void test_loop_threadsafe_limit_refuses_when_full(void **state) {
  acore_loop_t *loop = loop_with_limit(3);
  int i;

  (void)state;
  ran = 0;
  tu_frees = 0;
  for (i = 0; i < 3; i++)
    assert_int_equal(acore_loop_call_soon_threadsafe(loop, count_call, NULL,
                                                     tu_count_free), ACORE_OK);
  assert_int_equal(acore_loop_call_soon_threadsafe(loop, count_call, NULL,
                                                   tu_count_free),
                   ACORE_EAGAIN);
  assert_int_equal(tu_frees, 1); /* the refused call's ud_free, here */
  assert_int_equal(ran, 0);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT); /* takes the three */
  assert_int_equal(ran, 3);
  assert_int_equal(tu_frees, 4);
  assert_int_equal(acore_loop_call_soon_threadsafe(loop, count_call, NULL,
                                                   tu_count_free), ACORE_OK);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(ran, 4);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  acore_loop_unref(loop);
}

/* The thread-safe completions are such calls: refused the same way, the
 * caller keeps its value. */
static void test_future_set_threadsafe_refused_when_full(void **state) {
  acore_loop_t *loop = loop_with_limit(1);
  acore_future_t *f, *g;
  int64_t v = 0;

  (void)state;
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_new(loop, &g), ACORE_OK);
  assert_int_equal(acore_future_set_int_threadsafe(f, 1), ACORE_OK);
  assert_int_equal(acore_future_set_int_threadsafe(g, 2), ACORE_EAGAIN);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(acore_future_result_int(f, &v), ACORE_OK);
  assert_int_equal(v, 1);
  assert_int_equal(acore_future_is_done(g), 0);
  assert_int_equal(acore_future_set_int_threadsafe(g, 2), ACORE_OK);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(acore_future_result_int(g, &v), ACORE_OK);
  assert_int_equal(v, 2);
  acore_future_unref(f);
  acore_future_unref(g);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  acore_loop_unref(loop);
}

/* Without options the bound is ACORE_THREADSAFE_LIMIT_DEFAULT. */
static void test_loop_threadsafe_limit_default(void **state) {
  acore_loop_t *loop;
  int i;

  (void)state;
  ran = 0;
  assert_int_equal(ACORE_THREADSAFE_LIMIT_DEFAULT, 1048576);
  assert_int_equal(acore_loop_new(NULL, &loop), ACORE_OK);
  for (i = 0; i < 100000; i++)
    assert_int_equal(acore_loop_call_soon_threadsafe(loop, count_call, NULL,
                                                     NULL), ACORE_OK);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(ran, 100000);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  acore_loop_unref(loop);
}

static void test_loop_options_set_threadsafe_limit_einval(void **state) {
  acore_loop_options_t *opts;

  (void)state;
  assert_int_equal(acore_loop_options_set_threadsafe_limit(NULL, 10),
                   ACORE_EINVAL);
  assert_int_equal(acore_loop_options_new(&opts), ACORE_OK);
  assert_int_equal(acore_loop_options_set_threadsafe_limit(opts, 0),
                   ACORE_EINVAL);
  assert_int_equal(acore_loop_options_set_threadsafe_limit(opts, SIZE_MAX),
                   ACORE_OK);
  acore_loop_options_free(opts);
}

/* ---- posters on threads, faster than the loop ---- */

enum { NPOSTERS = 4, PER_POSTER = 20000, LIMIT = 64 };

typedef struct poster {
  acore_loop_t *loop;
  int id;
  long refused;
  int next_seen; /* loop thread: the next sequence number expected */
  int in_order;
} poster;

typedef struct msg {
  poster *p;
  int seq;
} msg;

static int remaining;

static void on_msg(void *ud) {
  msg *m = ud;

  if (m->seq != m->p->next_seen)
    m->p->in_order = 0;
  m->p->next_seen = m->seq + 1;
  if (--remaining == 0)
    acore_loop_release(m->p->loop);
}

static void free_msg(void *ud) { free(ud); }

static void post_all_freeing(void *arg) {
  poster *p = arg;
  int i;

  for (i = 0; i < PER_POSTER; i++) {
    msg *m = malloc(sizeof(*m));
    int rc;

    m->p = p;
    m->seq = i;
    for (;;) {
      rc = acore_loop_call_soon_threadsafe(p->loop, on_msg, m, free_msg);
      if (rc != ACORE_EAGAIN)
        break;
      /* refused: free_msg ran here; try again with a new one */
      p->refused++;
      m = malloc(sizeof(*m));
      m->p = p;
      m->seq = i;
      uv_sleep(0);
    }
    assert_int_equal(rc, ACORE_OK);
  }
}

static void test_loop_threadsafe_limit_posters_on_threads(void **state) {
  acore_loop_t *loop = loop_with_limit(LIMIT);
  uv_thread_t th[NPOSTERS];
  poster p[NPOSTERS];
  long refused = 0;
  int k;

  (void)state;
  remaining = NPOSTERS * PER_POSTER;
  assert_int_equal(acore_loop_hold(loop), ACORE_OK);
  for (k = 0; k < NPOSTERS; k++) {
    p[k].loop = loop;
    p[k].id = k;
    p[k].refused = 0;
    p[k].next_seen = 0;
    p[k].in_order = 1;
    assert_int_equal(uv_thread_create(&th[k], post_all_freeing, &p[k]), 0);
  }
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* until the last */
  for (k = 0; k < NPOSTERS; k++) {
    uv_thread_join(&th[k]);
    assert_int_equal(p[k].next_seen, PER_POSTER);
    assert_true(p[k].in_order); /* one poster's calls run in its order */
    refused += p[k].refused;
  }
  assert_int_equal(remaining, 0);
  print_message("calls refused with ACORE_EAGAIN: %ld of %d\n", refused,
                NPOSTERS * PER_POSTER);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  acore_loop_unref(loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_loop_threadsafe_limit_refuses_when_full),
    cmocka_unit_test(test_future_set_threadsafe_refused_when_full),
    cmocka_unit_test(test_loop_threadsafe_limit_default),
    cmocka_unit_test(test_loop_options_set_threadsafe_limit_einval),
    cmocka_unit_test(test_loop_threadsafe_limit_posters_on_threads),
  };
  tu_alloc_install();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
