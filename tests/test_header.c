/* SPDX-License-Identifier: MIT */
/* test_header.c - what including acore.h brings along: no <math.h> (it
 * used to come with acore/combinators.h, for ACORE_NO_TIMEOUT). */
#include "acore.h"

#if defined(HUGE_VAL) || defined(INFINITY) || defined(M_PI)
#error "acore.h brings <math.h> to its consumers"
#endif

#include "testutil.h"

/* ACORE_NO_TIMEOUT is still an infinity, and the combinators take it. */
static void test_header_no_timeout_is_infinite(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *w;
  double inf = ACORE_NO_TIMEOUT;

  assert_true(inf > 1e308 && inf == inf * 2.0);
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_wait(loop, &f, 1, ACORE_WAIT_ALL_COMPLETED,
                              ACORE_NO_TIMEOUT, &w), ACORE_OK);
  assert_int_equal(acore_future_set_int(f, 1), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, w), ACORE_OK);
  assert_int_equal(acore_wait_done_count(w), 1);
  acore_future_unref(w);
  acore_future_unref(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_header_no_timeout_is_infinite,
                                    tu_setup, tu_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
