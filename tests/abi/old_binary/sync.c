/* SPDX-License-Identifier: MIT */
/* sync.c - semaphore, lock, event, condition. */
#include "ob.h"

#include <acore/sync.h>

#include <string.h>

static void on_done(acore_future_t *fut, void *ud) {
  (void)fut;
  ob_log_add(*(const char *)ud);
}

static void semaphores(acore_loop_t *loop) {
  acore_sem_t *s = NULL;
  acore_future_t *a = NULL, *b = NULL, *c = NULL;

  CHECK(acore_sem_new(loop, 2, 1u << 9, &s) == ACORE_EINVAL);
  CHECK(acore_sem_new(loop, 2, ACORE_SEM_BOUNDED, &s) == ACORE_OK);
  CHECK(acore_sem_ref(s) == s);
  acore_sem_unref(s);
  CHECK(acore_sem_try_acquire(s, 1) == ACORE_OK && acore_sem_available_count(s) == 1);
  CHECK(acore_sem_try_acquire(s, 2) == ACORE_EAGAIN);
  CHECK(acore_sem_acquire(s, 1, &a) == ACORE_OK && acore_future_is_done(a) == 1);
  CHECK(acore_sem_acquire_finish(s, a) == ACORE_OK);
  CHECK(acore_sem_available_count(s) == 0);
  ob_log_reset();
  CHECK(acore_sem_acquire(s, 2, &b) == ACORE_OK && acore_future_is_done(b) == 0);
  CHECK(acore_sem_acquire(s, 1, &c) == ACORE_OK); /* queued behind b */
  acore_future_add_done_callback(b, on_done, OB_ID(2), NULL);
  acore_future_add_done_callback(c, on_done, OB_ID(1), NULL);
  CHECK(acore_sem_waiter_count(s) == 2);
  CHECK(acore_sem_release(s, 1) == ACORE_OK); /* 1 free: b needs 2, c waits behind */
  acore_loop_run(loop);
  CHECK(ob_log[0] == '\0' && acore_sem_available_count(s) == 1);
  CHECK(acore_sem_release(s, 1) == ACORE_OK);
  acore_loop_run(loop);
  CHECK(strcmp(ob_log, "2") == 0 && ob_int(b) == 2);
  CHECK(acore_sem_release(s, 3) == ACORE_EOVERFLOW);
  CHECK(acore_sem_close(s) == ACORE_OK);
  acore_loop_run(loop);
  CHECK(strcmp(ob_log, "21") == 0);
  CHECK(acore_sem_acquire_finish(s, c) == ACORE_ECLOSED);
  acore_future_unref(a);
  acore_future_unref(b);
  acore_future_unref(c);
  acore_sem_unref(s);
}

static void locks(acore_loop_t *loop) {
  acore_lock_t *l = NULL;
  acore_future_t *a = NULL, *b = NULL;

  CHECK(acore_lock_new(loop, &l) == ACORE_OK);
  CHECK(acore_lock_ref(l) == l);
  acore_lock_unref(l);
  CHECK(acore_lock_is_locked(l) == 0 && acore_lock_owner(l) == NULL);
#ifdef ACORE_ADDRESS_MAX /* 1.1 headers */
  CHECK(acore_lock_loop(l) == loop && acore_lock_loop(NULL) == NULL);
#endif
  CHECK(acore_lock_acquire(l, &a) == ACORE_OK && acore_future_is_done(a) == 1);
  CHECK(acore_lock_acquire_finish(l, a) == ACORE_OK);
  CHECK(acore_lock_is_locked(l) == 1 && acore_lock_try_acquire(l) == ACORE_EAGAIN);
  CHECK(acore_lock_acquire(l, &b) == ACORE_OK && acore_future_is_done(b) == 0);
  CHECK(acore_lock_waiter_count(l) == 1);
  CHECK(acore_lock_release(l) == ACORE_OK);
  acore_loop_run(loop);
  CHECK(acore_future_is_done(b) == 1 && acore_lock_acquire_finish(l, b) == ACORE_OK);
  CHECK(acore_lock_is_locked(l) == 1 && acore_lock_waiter_count(l) == 0);
  CHECK(acore_lock_release(l) == ACORE_OK);
  CHECK(acore_lock_release(l) == ACORE_EINVALIDSTATE);
  CHECK(acore_lock_try_acquire(l) == ACORE_OK && acore_lock_release(l) == ACORE_OK);
  acore_future_unref(a);
  acore_future_unref(b);
  acore_lock_unref(l);
}

static void events(acore_loop_t *loop) {
  acore_event_t *e = NULL;
  acore_future_t *w[3], *now = NULL;
  int i;

  ob_log_reset();
  CHECK(acore_event_new(loop, &e) == ACORE_OK);
  CHECK(acore_event_ref(e) == e);
  acore_event_unref(e);
  CHECK(acore_event_is_set(e) == 0);
  for (i = 0; i < 3; i++) {
    CHECK(acore_event_wait(e, &w[i]) == ACORE_OK);
    acore_future_add_done_callback(w[i], on_done, OB_ID(i + 1), NULL);
  }
  CHECK(acore_event_waiter_count(e) == 3);
  CHECK(acore_event_set(e) == ACORE_OK && acore_event_is_set(e) == 1);
  acore_loop_run(loop);
  CHECK(strcmp(ob_log, "123") == 0 && ob_int(w[0]) == 1);
  CHECK(acore_event_wait(e, &now) == ACORE_OK && acore_future_is_done(now) == 1);
  CHECK(acore_event_clear(e) == ACORE_OK && acore_event_is_set(e) == 0);
  acore_future_unref(now);
  for (i = 0; i < 3; i++)
    acore_future_unref(w[i]);
  acore_event_unref(e);
}

/* Conditions need the lock held by the current task: a task drives it. */
struct condjob {
  acore_cond_t *c;
  int at, flag, pred_calls, freed;
};

static int pred(void *ud) {
  struct condjob *j = ud;
  j->pred_calls++;
  return j->flag;
}
static void pred_free(void *ud) { ((struct condjob *)ud)->freed++; }

static int waiter(acore_task_t *t, void *ud) {
  struct condjob *j = ud;
  acore_lock_t *l = acore_cond_lock(j->c);
  acore_future_t *f = NULL;

  switch (j->at++) {
  case 0:
    acore_lock_acquire(l, &f);
    return acore_task_await_take(t, f);
  case 1:
    CHECK(acore_lock_acquire_finish(l, acore_task_awaited(t)) == ACORE_OK);
    CHECK(acore_lock_owner(l) == t);
    CHECK(acore_cond_wait(j->c, &f) == ACORE_OK);
    return acore_task_await_take(t, f);
  case 2:
    CHECK(ob_int(acore_task_awaited(t)) == 1 && acore_lock_owner(l) == t);
    CHECK(acore_cond_wait_for(j->c, pred, j, pred_free, &f) == ACORE_OK);
    return acore_task_await_take(t, f);
  default:
    CHECK(acore_lock_owner(l) == t && j->flag == 1);
    CHECK(acore_lock_release(l) == ACORE_OK);
    return ACORE_TASK_DONE;
  }
}

static int notifier(acore_task_t *t, void *ud) {
  struct condjob *j = ud;
  acore_lock_t *l = acore_cond_lock(j->c);
  int rc;

  if (acore_lock_try_acquire(l) != ACORE_OK)
    return acore_task_yield(t);
  rc = j->flag ? acore_cond_notify_all(j->c) : acore_cond_notify(j->c, 1);
  CHECK(rc == 1);
  acore_lock_release(l);
  return ACORE_TASK_DONE;
}

static void conditions(acore_loop_t *loop) {
  struct condjob j;
  acore_task_t *w = NULL, *n = NULL;

  memset(&j, 0, sizeof(j));
  CHECK(acore_cond_new(loop, NULL, &j.c) == ACORE_OK);
  CHECK(acore_cond_ref(j.c) == j.c);
  acore_cond_unref(j.c);
  CHECK(acore_cond_lock(j.c) != NULL && acore_cond_lock(NULL) == NULL);
  CHECK(acore_cond_notify(j.c, 1) == ACORE_ENOTOWNER);
  CHECK(acore_task_spawn(loop, waiter, &j, NULL, &w) == ACORE_OK);
  acore_loop_run(loop);
  CHECK(j.at == 2 && acore_cond_waiter_count(j.c) == 1);
  CHECK(acore_task_spawn(loop, notifier, &j, NULL, &n) == ACORE_OK);
  acore_loop_run(loop);
  acore_task_unref(n);
  CHECK(j.at == 3 && j.pred_calls == 1); /* predicate false: waiting again */
  j.flag = 1;
  CHECK(acore_task_spawn(loop, notifier, &j, NULL, &n) == ACORE_OK);
  acore_loop_run(loop);
  CHECK(acore_future_state(acore_task_future(w)) == ACORE_FUTURE_RESULT);
  CHECK(j.pred_calls == 2 && j.freed == 1);
  acore_task_unref(n);
  acore_task_unref(w);
  acore_cond_unref(j.c);
}

void ob_sync(void) {
  acore_loop_t *loop = ob_vloop();

  semaphores(loop);
  locks(loop);
  events(loop);
  conditions(loop);
  ob_vloop_done(loop);
}
