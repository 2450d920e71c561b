/* SPDX-License-Identifier: MIT */
/*
 * gather.c - acore_gather(): one future for many, results in input order.
 *
 * Design notes
 * - A gather is a composite future with one slot per input position: the
 *   child (a reference) and its registration, whose ud is the slot. The
 *   same future passed twice simply has two slots and two registrations.
 * - Registrations are reserved before anything is done, then attached
 *   (which cannot fail), so a failing call has no side effect.
 * - While any registration is attached the gather holds a reference to
 *   itself (`narmed` counts them; each registration's ud_free drops one),
 *   so the children's callbacks always find it; loop close drops the
 *   registrations and with them this reference.
 * - Completion follows asyncio's _GatheringFuture: the first bad child
 *   (failed, or cancelled on its own) decides at once unless SETTLE_ALL or
 *   DRAIN ask to wait for the rest; cancelling the gather cancels the
 *   children and, if any accepted, marks the gather "cancel requested" so
 *   it ends cancelled when they are done. Every child's error counts as
 *   retrieved once the gather has seen it: the gather speaks for it.
 */
#include "alloc.h"
#include "comb.h"
#include "future.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define NO_SLOT ((size_t)-1)

struct gather;

typedef struct gslot {
  struct gather *g;
  acore_future_t *child; /* a reference, once attached */
  acore__cbrec *rec;     /* reserved or attached; NULL once it ran */
} gslot;

typedef struct gather {
  acore__xfuture x; /* first */
  unsigned flags;
  size_t n;
  size_t ndone;     /* children whose callback ran */
  size_t narmed;    /* registrations not yet gone */
  size_t first_bad; /* slot of the first failed/cancelled child */
  bool cancel_requested;
  char *cancel_msg;
  gslot slots[];
} gather;

enum { ALL_FLAGS = ACORE_GATHER_SETTLE_ALL | ACORE_GATHER_CANCEL_ON_ERROR |
                   ACORE_GATHER_DRAIN };

static const acore__future_ops gather_ops;

static gather *gather_of(const acore_future_t *f) {
  if (f == NULL || !(f->flags & ACORE__F_CUSTOM) ||
      ((const acore__xfuture *)f)->ops != &gather_ops)
    return NULL;
  return (gather *)f;
}

static bool is_bad(const acore_future_t *f) {
  return f->state == ACORE_FUTURE_ERROR || f->state == ACORE_FUTURE_CANCELLED;
}

/* ---- completion --------------------------------------------------------------- */

/* End the gather as the bad child `c` ended: same error, or cancelled. */
static void finish_bad(gather *g, acore_future_t *c) {
  acore__comb_handover(&g->x.fut, c);
}

static void finish_all(gather *g) {
  if (g->cancel_requested)
    acore__comb_set_cancelled(&g->x.fut, g->cancel_msg);
  else if (!(g->flags & ACORE_GATHER_SETTLE_ALL) && g->first_bad != NO_SLOT)
    finish_bad(g, g->slots[g->first_bad].child);
  else
    acore__comb_set_none(&g->x.fut);
}

static void cancel_others(gather *g) {
  size_t i;

  for (i = 0; i < g->n; i++)
    if (g->slots[i].child->state == ACORE_FUTURE_PENDING)
      acore_future_cancel(g->slots[i].child, NULL);
}

/* Count the done child of slot `s` and finish the gather if it decides. */
static void settle(gslot *s) {
  gather *g = s->g;
  acore_future_t *c = s->child;
  bool bad = is_bad(c);

  g->ndone++;
  if (c->state == ACORE_FUTURE_ERROR)
    ACORE__FUTURE_FLAG(c, ACORE__F_RETRIEVED); /* the gather speaks for it */
  if (g->x.fut.state != ACORE_FUTURE_PENDING)
    return;
  if (bad && g->first_bad == NO_SLOT) {
    g->first_bad = (size_t)(s - g->slots);
    if (g->flags & ACORE_GATHER_CANCEL_ON_ERROR)
      cancel_others(g);
    if (!(g->flags & (ACORE_GATHER_SETTLE_ALL | ACORE_GATHER_DRAIN))) {
      finish_bad(g, c);
      return;
    }
  }
  if (g->ndone == g->n)
    finish_all(g);
}

static void on_child(acore_future_t *c, void *ud) {
  gslot *s = ud;

  (void)c;
  s->rec = NULL;
  settle(s);
}

/* A registration is gone (ran, or dropped at close). */
static void slot_gone(void *ud) {
  gather *g = ((gslot *)ud)->g;

  if (--g->narmed == 0)
    acore_future_unref(&g->x.fut); /* the self-reference */
}

/* ---- ops ------------------------------------------------------------------------ */

static int gather_cancel(acore_future_t *f, const char *message) {
  gather *g = (gather *)f;
  char *copy = NULL;
  int any = 0;
  size_t i;

  if (message != NULL && (copy = acore__strdup(message)) == NULL)
    return ACORE_ENOMEM;
  for (i = 0; i < g->n; i++) {
    acore_future_t *child = g->slots[i].child;
    int rc = acore_future_cancel(child, message);

    if (rc == ACORE_ENOMEM) /* no copy of the message for this child */
      rc = acore_future_cancel(child, NULL);
    if (rc == 1)
      any = 1;
  }
  if (!any) {
    acore__free(copy);
    return 0;
  }
  g->cancel_requested = true;
  acore__free(g->cancel_msg);
  g->cancel_msg = copy;
  return 1;
}

static void gather_destroy(acore_future_t *f) {
  gather *g = (gather *)f;
  size_t i;

  assert(g->narmed == 0);
  for (i = 0; i < g->n; i++)
    acore_future_unref(g->slots[i].child);
  acore__free(g->cancel_msg);
}

static size_t gather_children(const acore_future_t *f, acore_future_t **out,
                              size_t cap) {
  const gather *g = (const gather *)f;
  size_t i, k = 0;

  for (i = 0; i < g->n; i++)
    if (g->slots[i].child != NULL && k++ < cap)
      out[k - 1] = g->slots[i].child;
  return k;
}

static int gather_describe(const acore_future_t *f, char *buf, size_t cap) {
  const gather *g = (const gather *)f;

  return snprintf(buf, cap, "%zu of %zu done", g->ndone, g->n);
}

static const acore__future_ops gather_ops = {
    .cancel = gather_cancel, .destroy = gather_destroy, .name = "gather",
    .children = gather_children, .describe = gather_describe};

/* ---- creation ------------------------------------------------------------------- */

static void unreserve(gather *g, size_t upto) {
  size_t i;

  for (i = 0; i < upto; i++)
    acore__cbrec_unreserve(g->x.fut.loop, g->slots[i].rec);
}

static int reserve(gather *g) {
  size_t i;

  for (i = 0; i < g->n; i++) {
    g->slots[i].g = g;
    g->slots[i].rec = acore__cbrec_reserve(g->x.fut.loop);
    if (g->slots[i].rec == NULL) {
      unreserve(g, i);
      return ACORE_ENOMEM;
    }
  }
  return ACORE_OK;
}

/* Register on the pending children; the children already done count at
 * once, in input order (asyncio 3.12+), so a gather over done children is
 * done when acore_gather returns. */
static void attach(gather *g, acore_future_t *const *futures) {
  size_t i;

  g->narmed = 0;
  for (i = 0; i < g->n; i++)
    if (futures[i]->state == ACORE_FUTURE_PENDING)
      g->narmed++;
  if (g->narmed > 0)
    acore_future_ref(&g->x.fut); /* the self-reference, while armed */
  for (i = 0; i < g->n; i++) {
    gslot *s = &g->slots[i];
    s->child = acore_future_ref(futures[i]);
    if (s->child->state == ACORE_FUTURE_PENDING) {
      acore__cbrec_attach(s->child, s->rec, on_child, s, slot_gone);
    } else {
      acore__cbrec_unreserve(g->x.fut.loop, s->rec);
      s->rec = NULL;
    }
  }
  for (i = 0; i < g->n; i++)
    if (g->slots[i].rec == NULL)
      settle(&g->slots[i]);
}

int acore_gather(acore_loop_t *loop, acore_future_t *const *futures, size_t n,
                 unsigned flags, acore_future_t **out) {
  acore_future_t *f;
  gather *g;
  int rc;

  if (out == NULL || (flags & ~(unsigned)ALL_FLAGS) ||
      n > (SIZE_MAX - sizeof(gather)) / sizeof(gslot))
    return ACORE_EINVAL;
  if ((rc = acore__comb_check(loop, futures, n)) != ACORE_OK)
    return rc;
  f = acore__xfuture_new(loop, sizeof(gather) + n * sizeof(gslot),
                         &gather_ops, ACORE__F_NOSET);
  if (f == NULL)
    return ACORE_ENOMEM;
  g = (gather *)f;
  g->flags = flags;
  g->n = n;
  g->first_bad = NO_SLOT;
  if ((rc = reserve(g)) != ACORE_OK) {
    g->n = 0; /* nothing attached: destroy has no child to drop */
    acore_future_unref(f);
    return rc;
  }
  if (n == 0)
    acore__comb_set_none(f);
  else
    attach(g, futures);
  *out = f;
  return ACORE_OK;
}

size_t acore_gather_child_count(const acore_future_t *gather_fut) {
  gather *g = gather_of(gather_fut);
  return g ? g->n : 0;
}

acore_future_t *acore_gather_child(const acore_future_t *gather_fut,
                                   size_t i) {
  gather *g = gather_of(gather_fut);
  return g != NULL && i < g->n ? g->slots[i].child : NULL;
}
