/* SPDX-License-Identifier: MIT */
/* test_smoke.c - a task awaits a future completed by call_soon. */
#include "testutil.h"

static void complete(void *ud) { acore_future_set_int(ud, 21); }

static int step(acore_task_t *t, void *ud) {
  int *at = ud;
  acore_future_t *f;
  int64_t v = 0;

  if ((*at)++ == 0) {
    assert_int_equal(acore_future_new(acore_task_loop(t), &f), ACORE_OK);
    assert_int_equal(acore_loop_call_soon(acore_task_loop(t), complete, f,
                                          NULL, NULL), ACORE_OK);
    return acore_task_await_take(t, f);
  }
  assert_int_equal(acore_future_result_int(acore_task_awaited(t), &v), ACORE_OK);
  return acore_task_return_int(t, v * 2);
}

static void test_smoke_task_awaits_future(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_task_t *t;
  int at = 0;
  int64_t v = 0;

  assert_int_equal(acore_task_spawn(loop, step, &at, NULL, &t), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, acore_task_future(t)),
                   ACORE_OK);
  assert_int_equal(acore_future_result_int(acore_task_future(t), &v), ACORE_OK);
  assert_int_equal(v, 42);
  acore_task_unref(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_smoke_task_awaits_future, tu_setup,
                                    tu_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
