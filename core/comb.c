/* SPDX-License-Identifier: MIT */
/*
 * comb.c - helpers shared by the combinators: input checks, timers kept
 * without a reference, and handing one future's outcome to another.
 *
 * Design notes
 * - A combinator's timer is owned by the loop alone; the combinator keeps
 *   a plain pointer to it that the handle's ud_free clears. The ud_free
 *   runs whenever the handle goes (it ran, was cancelled, or was dropped
 *   at loop close), so the pointer is never stale.
 * - Handover never fails half way: whatever it cannot copy becomes an
 *   ACORE_ENOMEM error on the destination.
 */
#include "alloc.h"
#include "comb.h"
#include "future.h"
#include "loop.h"
#include "timer.h"
#include "value.h"

#include <assert.h>
#include <math.h>
#include <string.h>

int acore__comb_check(acore_loop_t *loop, acore_future_t *const *futures,
                      size_t n) {
  size_t i;

  if (loop == NULL || (futures == NULL && n > 0))
    return ACORE_EINVAL;
  for (i = 0; i < n; i++)
    if (futures[i] == NULL || futures[i]->loop != loop)
      return ACORE_EINVAL;
  return acore__loop_check(loop);
}

int acore__comb_check_timeout(double timeout) {
  return timeout >= 0 ? ACORE_OK : ACORE_EINVAL; /* false for NaN */
}

int acore__comb_no_timeout(double timeout) { return isinf(timeout) != 0; }

int acore__comb_timer(acore_loop_t *loop, double t, int absolute,
                      acore_callback_fn fn, void *ud, acore_free_fn clear,
                      acore_handle_t **slot) {
  acore_handle_t *h;
  int rc = acore__timer(loop, t, absolute != 0, fn, ud, clear, &h);

  if (rc != ACORE_OK)
    return rc; /* clear(ud) ran: *slot is NULL */
  *slot = h; /* borrowed: clear(ud) runs when the handle goes */
  return ACORE_OK;
}

void acore__comb_timer_cancel(acore_handle_t **slot) {
  if (*slot != NULL)
    acore_handle_cancel(*slot); /* its ud_free clears *slot */
  *slot = NULL;
}

void acore__comb_set_none(acore_future_t *f) {
  acore__value v;

  memset(&v, 0, sizeof(v));
  acore__future_complete(f, ACORE_FUTURE_RESULT, ACORE_VALUE_NONE, v);
}

void acore__comb_set_code(acore_future_t *f, int code, const char *message) {
  acore__value v;

  v = acore__value_err(acore__error_make(code, message));
  acore__future_complete(f, ACORE_FUTURE_ERROR, ACORE_VALUE_NONE, v);
}

void acore__comb_set_cancelled(acore_future_t *f, const char *msg) {
  acore__value v;

  memset(&v, 0, sizeof(v));
  v.msg = msg != NULL ? acore__strdup(msg) : NULL;
  acore__future_complete(f, ACORE_FUTURE_CANCELLED, ACORE_VALUE_NONE, v);
}

/* The result of `src` as a value for `dst`; false when a copy failed. */
static bool take_result(acore_future_t *src, acore__value *v) {
  switch (src->kind) {
  case ACORE_VALUE_PTR:
    v->p = src->v.p;
    if (src->v.p.free != NULL) { /* move it, as steal_result would */
      src->v.p.ptr = NULL;
      src->v.p.free = NULL;
      ACORE__FUTURE_FLAG(src, ACORE__F_STOLEN);
    }
    return true;
  case ACORE_VALUE_BYTES:
    return acore__value_bytes(src->v.b.data, src->v.b.len, v) == ACORE_OK;
  default:
    *v = src->v;
    return true;
  }
}

void acore__comb_handover(acore_future_t *dst, acore_future_t *src) {
  acore__value v;

  memset(&v, 0, sizeof(v));
  switch (src->state) {
  case ACORE_FUTURE_RESULT:
    if (!take_result(src, &v)) {
      acore__comb_set_code(dst, ACORE_ENOMEM, NULL);
      return;
    }
    acore__future_complete(dst, ACORE_FUTURE_RESULT, src->kind, v);
    return;
  case ACORE_FUTURE_ERROR:
    ACORE__FUTURE_FLAG(src, ACORE__F_RETRIEVED);
    v.err = acore_error_ref(src->v.err);
    acore__future_complete(dst, ACORE_FUTURE_ERROR, ACORE_VALUE_NONE, v);
    return;
  default:
    assert(src->state == ACORE_FUTURE_CANCELLED);
    acore__comb_set_cancelled(dst, src->v.msg);
    return;
  }
}
