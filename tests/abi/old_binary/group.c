/* SPDX-License-Identifier: MIT */
/* group.c - task groups, as_completed, shield. */
#include "ob.h"

#include <acore/combinators.h>

#include <string.h>

struct later {
  acore_future_t *f;
  int v;
};
static void later_fire(void *ud) {
  struct later *l = ud;
  acore_future_set_int(l->f, l->v);
}

/* A group member: logs its id, waits `id` virtual seconds, returns id. */
static int member(acore_task_t *t, void *ud) {
  const char *id = ud;
  acore_future_t *s = NULL;

  if (acore_task_awaited(t) == NULL) {
    ob_log_add(*id);
    acore_sleep(acore_task_loop(t), (double)(*id - '0'), &s);
    return acore_task_await_take(t, s);
  }
  return acore_task_return_int(t, *id - '0');
}

static int failing(acore_task_t *t, void *ud) {
  (void)ud;
  return acore_task_fail_code(t, ACORE_EHOST, "member failed");
}

static void groups(acore_loop_t *loop) {
  acore_group_t *g = NULL;
  acore_task_t *a = NULL;

  ob_log_reset();
  ob_freed = 0;
  CHECK(acore_group_new(loop, &g) == ACORE_OK);
  CHECK(acore_group_ref(g) == g);
  acore_group_unref(g);
  CHECK(acore_group_from_future(acore_group_future(g)) == g);
  CHECK(acore_group_spawn(g, member, OB_ID(2), ob_count_free, &a) == ACORE_OK);
  CHECK(acore_group_spawn(g, member, OB_ID(1), ob_count_free, NULL) == ACORE_OK);
  CHECK(acore_group_task_count(g) == 2);
  CHECK(acore_group_seal(g) == ACORE_OK);
  acore_loop_run(loop);
  CHECK(strncmp(ob_log, "21", 2) == 0); /* spawned in order */
  acore_loop_advance(loop, 2.0);
  CHECK(acore_loop_run_until_complete(loop, acore_group_future(g)) == ACORE_OK);
  CHECK(acore_future_state(acore_group_future(g)) == ACORE_FUTURE_RESULT);
  CHECK(acore_group_task_count(g) == 0 && ob_int(acore_task_future(a)) == 2);
  acore_task_unref(a);
  acore_group_unref(g);

  /* A failing member cancels the others; the group fails with EGROUP. */
  CHECK(acore_group_new(loop, &g) == ACORE_OK);
  CHECK(acore_group_spawn(g, member, OB_ID(5), NULL, NULL) == ACORE_OK);
  CHECK(acore_group_spawn(g, failing, NULL, NULL, NULL) == ACORE_OK);
  CHECK(acore_group_seal(g) == ACORE_OK);
  CHECK(acore_loop_run_until_complete(loop, acore_group_future(g)) == ACORE_OK);
  CHECK(acore_error_code(acore_future_error(acore_group_future(g))) == ACORE_EGROUP);
  CHECK(acore_error_child_count(acore_future_error(acore_group_future(g))) == 1);
  CHECK(acore_error_code(acore_error_child(acore_future_error(acore_group_future(g)), 0)) ==
        ACORE_EHOST);
  acore_group_unref(g);
  acore_group_unref(NULL);
}

static void on_completed(acore_future_t *fut, void *ud) {
  (void)ud;
  ob_log_add((char)('0' + ob_int(fut)));
}

static void completed(acore_loop_t *loop) {
  static struct later l[3];
  acore_future_t *f[3], *ac = NULL, *next = NULL;
  void *p = NULL;
  int i, v[3] = {3, 1, 2};

  for (i = 0; i < 3; i++) {
    CHECK(acore_future_new(loop, &f[i]) == ACORE_OK);
    l[i].f = f[i];
    l[i].v = v[i];
    acore_loop_call_later(loop, (double)v[i], later_fire, &l[i], NULL, NULL);
  }
  ob_log_reset();
  ob_freed = 0;
  CHECK(acore_as_completed(loop, f, 3, 10.0, on_completed, OB_ID(0), ob_count_free, &ac) ==
        ACORE_OK);
  CHECK(acore_as_completed_next(ac, &next) == ACORE_OK);
  acore_loop_advance(loop, 3.0);
  CHECK(acore_loop_run_until_complete(loop, ac) == ACORE_OK);
  CHECK(strcmp(ob_log, "123") == 0); /* completion order */
  CHECK(acore_future_result(next, &p) == ACORE_OK && p == f[1]);
  acore_future_unref(next);
  CHECK(acore_as_completed_next(ac, &next) == ACORE_OK);
  CHECK(acore_future_result(next, &p) == ACORE_OK && p == f[2]);
  acore_future_unref(next);
  CHECK(acore_as_completed_next(ac, &next) == ACORE_OK);
  acore_future_unref(next);
  CHECK(acore_as_completed_next(ac, &next) == ACORE_EEMPTY);
  acore_future_unref(ac);
  CHECK(ob_freed == 1);
  for (i = 0; i < 3; i++)
    acore_future_unref(f[i]);
}

static void shielding(acore_loop_t *loop) {
  acore_future_t *inner = NULL, *sh = NULL, *done = NULL, *same = NULL;

  CHECK(acore_future_new(loop, &inner) == ACORE_OK);
  CHECK(acore_shield(inner, &sh) == ACORE_OK && sh != inner);
  CHECK(acore_future_cancel(sh, NULL) == 1);
  CHECK(acore_future_is_cancelled(sh) == 1 && acore_future_is_done(inner) == 0);
  CHECK(acore_future_set_int(inner, 4) == ACORE_OK);
  acore_loop_run(loop);
  CHECK(ob_int(inner) == 4);
  CHECK(acore_future_new(loop, &done) == ACORE_OK);
  CHECK(acore_future_set_int(done, 1) == ACORE_OK);
  CHECK(acore_shield(done, &same) == ACORE_OK && same == done);
  acore_future_unref(same);
  acore_future_unref(done);
  acore_future_unref(sh);
  acore_future_unref(inner);
}

void ob_group(void) {
  acore_loop_t *loop = ob_vloop();

  groups(loop);
  completed(loop);
  shielding(loop);
  ob_vloop_done(loop);
}
