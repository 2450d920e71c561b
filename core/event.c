/* SPDX-License-Identifier: MIT */
/*
 * event.c - the event: set, clear, wait, is_set.
 *
 * Design notes
 * - While set, nobody waits: set() completes every waiter (in the order
 *   they began waiting) and a wait on a set event is done at once.
 * - A cancelled or dropped waiter leaves the queue at once (waitq.c).
 */
#include "alloc.h"
#include "loop.h"
#include "waitq.h"

struct acore_event {
  atomic_uint refs;
  bool set;
  acore_loop_t *loop;
  acore__waitq wq;
};

static int check_event(const acore_event_t *ev) {
  return ev == NULL ? ACORE_EINVAL : acore__loop_check(ev->loop);
}

int acore_event_new(acore_loop_t *loop, acore_event_t **out) {
  int rc;
  acore_event_t *ev;

  if (out == NULL)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(loop)) != ACORE_OK)
    return rc;
  if ((ev = acore__calloc(1, sizeof(*ev))) == NULL)
    return ACORE_ENOMEM;
  atomic_init(&ev->refs, 1);
  ev->loop = acore_loop_ref(loop);
  acore__waitq_init(&ev->wq, ev, NULL, NULL);
  ev->wq.name = "event";
  *out = ev;
  return ACORE_OK;
}

acore_event_t *acore_event_ref(acore_event_t *ev) {
  if (ev != NULL)
    ACORE__REF(ev);
  return ev;
}

static void event_destroy(void *ud) {
  acore_event_t *ev = ud;

  acore__waitq_fail_all(&ev->wq, ACORE_ECLOSED, "event freed");
  acore_loop_unref(ev->loop);
  acore__free(ev);
}

void acore_event_unref(acore_event_t *ev) {
  if (ev != NULL && ACORE__UNREF_LAST(ev))
    acore__sync_destroy(ev->loop, event_destroy, ev);
}

int acore_event_set(acore_event_t *ev) {
  acore__waiter *w;
  int rc;

  if ((rc = check_event(ev)) != ACORE_OK)
    return rc;
  ev->set = true;
  while ((w = acore__waitq_head(&ev->wq)) != NULL)
    acore__waiter_grant(w, 1);
  return ACORE_OK;
}

int acore_event_clear(acore_event_t *ev) {
  if (ev == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(ev->loop))
    return ACORE_EWRONGTHREAD;
  ev->set = false;
  return ACORE_OK;
}

int acore_event_wait(acore_event_t *ev, acore_future_t **out) {
  acore__waiter *w;
  acore_future_t *f;
  int rc;

  if (out == NULL)
    return ACORE_EINVAL;
  if ((rc = check_event(ev)) != ACORE_OK)
    return rc;
  if (ev->set) {
    if ((f = acore__done_future(ev->loop, 1)) == NULL)
      return ACORE_ENOMEM;
    *out = f;
    return ACORE_OK;
  }
  if ((w = acore__waiter_new(ev->loop, sizeof(*w), NULL)) == NULL)
    return ACORE_ENOMEM;
  acore__waitq_push(&ev->wq, w);
  *out = &w->x.fut;
  return ACORE_OK;
}

int acore_event_is_set(const acore_event_t *ev) {
  return ev ? ev->set : ACORE_EINVAL;
}

size_t acore_event_waiter_count(const acore_event_t *ev) {
  return ev ? ev->wq.len : 0;
}
