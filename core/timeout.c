/* SPDX-License-Identifier: MIT */
/*
 * timeout.c - acore_wait_for(), timeout scopes (acore_timeout_*) and
 * acore_shield().
 *
 * Design notes
 * - wait_for is a composite future over one inner future. It never
 *   completes on its own: only the inner's completion callback completes
 *   it, so "the inner has finished cancelling" is always true when it
 *   ends. The timer and an outside cancel only set a reason (timed_out,
 *   cancel_requested) and cancel the inner; the callback then decides:
 *   outside cancel first (never swallowed, gh-86296), then timeout (only if
 *   the inner really ended cancelled), else the inner's own outcome.
 * - A timeout scope is asyncio's Timeout: on expiry it cancels the task
 *   (one request, counted by acore_task_cancelling_count) and becomes EXPIRING;
 *   acore_timeout_exit() withdraws that request (uncancel) and reports
 *   ACORE_ETIMEDOUT only when the task got ACORE_ECANCELLED and no request
 *   is left beyond those counted at entry and those of enclosing scopes
 *   that expired since; only then is the step's cancel handled (any other
 *   cancel still propagates). Open scopes of a task form a stack (the
 *   task's acore__task_tscope() slot, linked through `parent`), which is
 *   how an inner scope knows about the expired enclosing ones and so wins
 *   over them.
 * - shield is a composite future fed by the inner's callback; its cancel
 *   is the plain one. The registration holds the shield and the shield
 *   holds the inner, so the inner lives until it completes.
 */
#include "alloc.h"
#include "comb.h"
#include "future.h"
#include "task.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* ---- wait_for --------------------------------------------------------------------- */

typedef struct wfor {
  acore__xfuture x; /* first */
  acore_future_t *inner;
  acore_handle_t *timer;
  bool timed_out, cancel_requested;
  char *cancel_msg;
} wfor;

static void unref_xfut(void *ud) { acore_future_unref(ud); }

static void wfor_on_inner(acore_future_t *inner, void *ud) {
  wfor *w = ud;
  acore_future_t *f = &w->x.fut;

  acore__comb_timer_cancel(&w->timer);
  if (f->state != ACORE_FUTURE_PENDING)
    return;
  if (w->cancel_requested)
    acore__comb_set_cancelled(f, w->cancel_msg);
  else if (w->timed_out && inner->state == ACORE_FUTURE_CANCELLED)
    acore__comb_set_code(f, ACORE_ETIMEDOUT, NULL);
  else
    acore__comb_handover(f, inner);
}

static void wfor_on_timeout(void *ud) {
  wfor *w = ud;

  if (w->inner->state != ACORE_FUTURE_PENDING || w->cancel_requested)
    return; /* its callback is queued, or a cancel is on its way */
  w->timed_out = true;
  acore_future_cancel(w->inner, NULL);
}

static void wfor_timer_gone(void *ud) { ((wfor *)ud)->timer = NULL; }

static int wfor_cancel(acore_future_t *f, const char *message) {
  wfor *w = (wfor *)f;
  char *copy = NULL;

  if (w->cancel_requested)
    return 1;
  if (message != NULL && (copy = acore__strdup(message)) == NULL)
    return ACORE_ENOMEM;
  w->cancel_requested = true;
  w->cancel_msg = copy;
  acore__comb_timer_cancel(&w->timer);
  acore_future_cancel(w->inner, message);
  return 1;
}

static void wfor_destroy(acore_future_t *f) {
  wfor *w = (wfor *)f;

  acore__comb_timer_cancel(&w->timer);
  acore_future_unref(w->inner);
  acore__free(w->cancel_msg);
}

/* The one future a wait_for or a shield waits for. */
static size_t inner_child(acore_future_t *inner, acore_future_t **out,
                          size_t cap) {
  if (inner == NULL)
    return 0;
  if (cap > 0)
    out[0] = inner;
  return 1;
}

static size_t wfor_children(const acore_future_t *f, acore_future_t **out,
                            size_t cap) {
  return inner_child(((const wfor *)f)->inner, out, cap);
}

static const acore__future_ops wfor_ops = {
    .cancel = wfor_cancel, .destroy = wfor_destroy, .name = "wait_for",
    .children = wfor_children};

int acore_wait_for(acore_future_t *fut, double timeout, acore_future_t **out) {
  acore__cbrec *rec;
  acore_future_t *f;
  wfor *w;
  int rc;

  if (fut == NULL || out == NULL ||
      acore__comb_check_timeout(timeout) != ACORE_OK)
    return ACORE_EINVAL;
  if ((rc = acore__comb_check(fut->loop, NULL, 0)) != ACORE_OK)
    return rc;
  f = acore__xfuture_new(fut->loop, sizeof(wfor), &wfor_ops, ACORE__F_NOSET);
  if (f == NULL)
    return ACORE_ENOMEM;
  w = (wfor *)f;
  if ((rec = acore__cbrec_reserve(fut->loop)) == NULL) {
    acore_future_unref(f);
    return ACORE_ENOMEM;
  }
  if (!acore__comb_no_timeout(timeout) &&
      (rc = acore__comb_timer(fut->loop, timeout, 0, wfor_on_timeout, w,
                              wfor_timer_gone, &w->timer)) != ACORE_OK) {
    acore__cbrec_unreserve(fut->loop, rec);
    acore_future_unref(f);
    return rc;
  }
  w->inner = acore_future_ref(fut);
  acore__cbrec_attach(fut, rec, wfor_on_inner, acore_future_ref(f),
                      unref_xfut);
  *out = f;
  return ACORE_OK;
}

/* ---- timeout scopes ------------------------------------------------------------------ */

enum { SC_ENTERED = 1, SC_EXPIRING, SC_EXPIRED, SC_EXITED };

struct acore_timeout {
  acore_task_t *task;            /* a reference */
  struct acore_timeout *parent;  /* the enclosing open scope of the task */
  acore_handle_t *timer;
  double when;
  int state;
  int base;       /* the task's cancelling() at entry */
  int expiring0;  /* enclosing scopes already expiring at entry */
};

static int count_expiring(const acore_timeout_t *s) {
  int n = 0;

  for (; s != NULL; s = s->parent)
    n += s->state == SC_EXPIRING;
  return n;
}

static void scope_on_timer(void *ud) {
  acore_timeout_t *s = ud;

  assert(s->state == SC_ENTERED);
  s->state = SC_EXPIRING;
  acore_task_cancel(s->task, NULL);
}

static void scope_timer_gone(void *ud) { ((acore_timeout_t *)ud)->timer = NULL; }

/* Replace the timer by one for `when`; unchanged on failure. */
static int scope_arm(acore_timeout_t *s, double when) {
  acore_handle_t *old = s->timer, *fresh = NULL;
  int rc = ACORE_OK;

  if (!isinf(when))
    rc = acore__comb_timer(s->task->fut.loop, when, 1, scope_on_timer, s,
                           scope_timer_gone, &fresh);
  if (rc != ACORE_OK) {
    s->timer = old; /* the failed call's ud_free cleared it */
    return rc;
  }
  acore__comb_timer_cancel(&old); /* its ud_free clears s->timer... */
  s->timer = fresh;               /* ...so set the new one after */
  s->when = when;
  return ACORE_OK;
}

int acore_timeout_new(acore_task_t *task, double when, acore_timeout_t **out) {
  acore_timeout_t *s, **slot;
  int rc;

  if (task == NULL || out == NULL || isnan(when) ||
      task->fut.state != ACORE_FUTURE_PENDING)
    return ACORE_EINVAL;
  if ((rc = acore__comb_check(task->fut.loop, NULL, 0)) != ACORE_OK)
    return rc;
  if (acore__task_tscope(task, true) == NULL) /* the task's scope stack */
    return ACORE_ENOMEM;
  if ((s = acore__calloc(1, sizeof(*s))) == NULL)
    return ACORE_ENOMEM;
  s->task = task;
  if ((rc = scope_arm(s, when)) != ACORE_OK) {
    acore__free(s);
    return rc;
  }
  acore_task_ref(task);
  s->state = SC_ENTERED;
  slot = (acore_timeout_t **)acore__task_tscope(task, true);
  s->parent = *slot;
  *slot = s;
  s->base = acore_task_cancelling_count(task);
  s->expiring0 = count_expiring(s->parent);
  *out = s;
  return ACORE_OK;
}

int acore_timeout_reschedule(acore_timeout_t *scope, double when) {
  int rc;

  if (scope == NULL || isnan(when))
    return ACORE_EINVAL;
  if ((rc = acore__comb_check(scope->task->fut.loop, NULL, 0)) != ACORE_OK)
    return rc;
  if (scope->state != SC_ENTERED)
    return ACORE_EINVALIDSTATE;
  return scope_arm(scope, when);
}

double acore_timeout_when(const acore_timeout_t *scope) {
  return scope ? scope->when : -1.0;
}

int acore_timeout_is_expired(const acore_timeout_t *scope) {
  if (scope == NULL)
    return ACORE_EINVAL;
  return scope->state == SC_EXPIRING || scope->state == SC_EXPIRED;
}

/* Take the scope off its task's stack (normally its top). */
static void scope_unlink(acore_timeout_t *s) {
  acore_timeout_t **p = (acore_timeout_t **)acore__task_tscope(s->task, true);

  while (*p != NULL && *p != s)
    p = &(*p)->parent;
  if (*p == s)
    *p = s->parent;
}

int acore_timeout_exit(acore_timeout_t *scope, int status) {
  int left, others;

  if (scope == NULL || status > 0)
    return ACORE_EINVAL;
  if (scope->state == SC_EXITED || scope->state == SC_EXPIRED)
    return ACORE_EINVALIDSTATE;
  acore__comb_timer_cancel(&scope->timer);
  scope_unlink(scope);
  if (scope->state == SC_ENTERED) {
    scope->state = SC_EXITED;
    return status;
  }
  scope->state = SC_EXPIRED;
  others = count_expiring(scope->parent) - scope->expiring0;
  left = acore__task_uncancel(scope->task);
  if (status == ACORE_ECANCELLED && left - others <= scope->base) {
    acore__task_cancel_handled(scope->task); /* it became a timeout */
    return ACORE_ETIMEDOUT;
  }
  return status;
}

void acore_timeout_free(acore_timeout_t *scope) {
  if (scope == NULL)
    return;
  if (scope->state == SC_ENTERED || scope->state == SC_EXPIRING)
    acore_timeout_exit(scope, ACORE_OK);
  acore_task_unref(scope->task);
  acore__free(scope);
}

/* ---- shield -------------------------------------------------------------------------- */

typedef struct shield {
  acore__xfuture x; /* first */
  acore_future_t *inner;
} shield;

static void shield_on_inner(acore_future_t *inner, void *ud) {
  shield *s = ud;

  if (s->x.fut.state == ACORE_FUTURE_PENDING)
    acore__comb_handover(&s->x.fut, inner);
  /* else: cancelled; the inner's error, if any, stays unretrieved */
}

static void shield_destroy(acore_future_t *f) {
  acore_future_unref(((shield *)f)->inner);
}

static size_t shield_children(const acore_future_t *f, acore_future_t **out,
                              size_t cap) {
  return inner_child(((const shield *)f)->inner, out, cap);
}

static const acore__future_ops shield_ops = {
    .destroy = shield_destroy, .name = "shield", .children = shield_children};

int acore_shield(acore_future_t *fut, acore_future_t **out) {
  acore__cbrec *rec;
  acore_future_t *f;
  int rc;

  if (fut == NULL || out == NULL)
    return ACORE_EINVAL;
  if ((rc = acore__comb_check(fut->loop, NULL, 0)) != ACORE_OK)
    return rc;
  if (fut->state != ACORE_FUTURE_PENDING) {
    *out = acore_future_ref(fut);
    return ACORE_OK;
  }
  f = acore__xfuture_new(fut->loop, sizeof(shield), &shield_ops,
                         ACORE__F_NOSET);
  if (f == NULL)
    return ACORE_ENOMEM;
  if ((rec = acore__cbrec_reserve(fut->loop)) == NULL) {
    acore_future_unref(f);
    return ACORE_ENOMEM;
  }
  ((shield *)f)->inner = acore_future_ref(fut);
  acore__cbrec_attach(fut, rec, shield_on_inner, acore_future_ref(f),
                      unref_xfut);
  *out = f;
  return ACORE_OK;
}
