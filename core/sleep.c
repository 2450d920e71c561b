/* SPDX-License-Identifier: MIT */
/*
 * sleep.c - acore_sleep(): a future completed by a timer.
 *
 * Design notes
 * - A sleep is a composite future holding a plain pointer to its timer
 *   (see comb.c): the timer does not hold the future, the future's destroy
 *   and cancel remove the timer, and the timer's ud_free clears the
 *   pointer, so neither can outlive the other.
 * - A delay of 0 is the hot path (a task yielding through a future): it
 *   skips the timer heap and the composite. The future is a plain one from
 *   the loop's cache, marked not settable, and a call from the cache,
 *   queued like call_soon and holding a reference to it, completes it on
 *   the next iteration. Cancelling it just completes it cancelled; the
 *   queued call then finds it done and only lets it go (one iteration
 *   later, never observable: there is no timer to remove).
 */
#include "alloc.h"
#include "comb.h"
#include "future.h"
#include "loop.h"

#include <string.h>

typedef struct sleep_fut {
  acore__xfuture x;   /* first */
  acore_handle_t *h;  /* the pending call, or NULL */
} sleep_fut;

static void on_fire(void *ud) {
  sleep_fut *s = ud;

  if (s->x.fut.state == ACORE_FUTURE_PENDING)
    acore__comb_set_none(&s->x.fut);
}

static void on_gone(void *ud) { ((sleep_fut *)ud)->h = NULL; }

static int sleep_cancel(acore_future_t *f, const char *message) {
  sleep_fut *s = (sleep_fut *)f;
  int rc = acore__future_cancel(f, message);

  if (rc == 1)
    acore__comb_timer_cancel(&s->h);
  return rc;
}

static void sleep_destroy(acore_future_t *f) {
  acore__comb_timer_cancel(&((sleep_fut *)f)->h);
}

static const acore__future_ops sleep_ops = {
    .cancel = sleep_cancel, .destroy = sleep_destroy, .name = "sleep"};

static void zero_fire(void *ud) {
  acore_future_t *f = ud;

  if (f->state == ACORE_FUTURE_PENDING)
    acore__comb_set_none(f);
}

static void zero_gone(void *ud) { acore__future_unpin(ud); }

/* sleep(0): a cached plain future completed by a queued call item, which
 * pins it (no atomic reference) until it ran or was dropped. */
static int sleep_zero(acore_loop_t *loop, acore_future_t **out) {
  acore_future_t *f = acore__obj_alloc(loop, ACORE__SLAB_FUTURE);
  acore__call *c;

  if (f == NULL)
    return ACORE_ENOMEM;
  c = acore__obj_alloc(loop, ACORE__SLAB_CALL);
  if (c == NULL) {
    acore__obj_free(loop, ACORE__SLAB_FUTURE, f);
    return ACORE_ENOMEM;
  }
  acore__future_init(loop, f, ACORE__F_NOSET);
  acore__future_pin(f);
  c->item.kind = ACORE__ITEM_SCALL;
  c->fn = zero_fire;
  c->ud = f;
  c->ud_free = zero_gone;
  acore__loop_push(loop, &c->item);
  *out = f;
  return ACORE_OK;
}

int acore_sleep(acore_loop_t *loop, double delay, acore_future_t **out) {
  acore_future_t *f;
  sleep_fut *s;
  int rc;

  if (out == NULL || acore__comb_check_timeout(delay) != ACORE_OK)
    return ACORE_EINVAL;
  if ((rc = acore__comb_check(loop, NULL, 0)) != ACORE_OK)
    return rc;
  if (delay == 0)
    return sleep_zero(loop, out);
  f = acore__xfuture_new(loop, sizeof(sleep_fut), &sleep_ops, ACORE__F_NOSET);
  if (f == NULL)
    return ACORE_ENOMEM;
  s = (sleep_fut *)f;
  rc = acore__comb_timer(loop, delay, 0, on_fire, s, on_gone, &s->h);
  if (rc != ACORE_OK) {
    acore_future_unref(f);
    return rc;
  }
  *out = f;
  return ACORE_OK;
}
