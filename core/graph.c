/* SPDX-License-Identifier: MIT */
/*
 * graph.c - the live await graph: what a future is (kind, detail), what a
 * composite waits for (children), who awaits a future, and the walks that
 * dump.c prints.
 *
 * Design notes
 * - A kind describes itself through its acore__future_ops (name, children,
 *   describe: future.h); a plain future is "future", a task "task".
 * - See graph.h for the walks' rules (pending futures only, tasks end a
 *   walk, scratch sets).
 */
#include "alloc.h"
#include "graph.h"
#include "loop.h"

#include <stdio.h>
#include <string.h>

/* ---- a set of pointers ------------------------------------------------------ */

void acore__pset_init(acore__pset *s) { memset(s, 0, sizeof(*s)); }

void acore__pset_free(acore__pset *s) {
  acore__free(s->slots);
  acore__pset_init(s);
}

void acore__pset_clear(acore__pset *s) {
  s->gen++;
  s->len = 0;
}

static size_t pslot_of(const acore__pset *s, const void *p) {
  size_t h = (size_t)((uintptr_t)p >> 4) * (size_t)0x9E3779B97F4A7C15ull;
  size_t i = h & (s->cap - 1);

  while (s->slots[i].gen == s->gen + 1 && s->slots[i].p != p)
    i = (i + 1) & (s->cap - 1);
  return i;
}

/* Slots are live when their gen is the set's gen + 1 (0 never is after
 * a calloc, whatever the set's gen). */
static int pset_grow(acore__pset *s) {
  acore__pset bigger;
  size_t i;

  bigger.cap = s->cap ? s->cap * 2 : 64;
  bigger.len = 0;
  bigger.gen = 0;
  bigger.slots = acore__calloc(bigger.cap, sizeof(*bigger.slots));
  if (bigger.slots == NULL)
    return ACORE_ENOMEM;
  for (i = 0; i < s->cap; i++)
    if (s->slots[i].gen == s->gen + 1) {
      size_t j = pslot_of(&bigger, s->slots[i].p);
      bigger.slots[j].p = s->slots[i].p;
      bigger.slots[j].gen = 1;
      bigger.len++;
    }
  acore__free(s->slots);
  *s = bigger;
  return ACORE_OK;
}

int acore__pset_add(acore__pset *s, const void *p) {
  size_t i;

  if ((s->len + 1) * 2 > s->cap && pset_grow(s) != ACORE_OK)
    return ACORE_ENOMEM;
  i = pslot_of(s, p);
  if (s->slots[i].gen == s->gen + 1)
    return 0;
  s->slots[i].p = p;
  s->slots[i].gen = s->gen + 1;
  s->len++;
  return 1;
}

bool acore__pset_has(const acore__pset *s, const void *p) {
  return s->cap > 0 && s->slots[pslot_of(s, p)].gen == s->gen + 1;
}

/* ---- what a future is --------------------------------------------------------- */

static const acore__future_ops *ops_of(const acore_future_t *f) {
  if (!(ACORE__LOAD(f->flags) & ACORE__F_CUSTOM))
    return NULL;
  return ((const acore__xfuture *)f)->ops;
}

const char *acore_future_kind(const acore_future_t *fut) {
  const acore__future_ops *ops;

  if (fut == NULL)
    return "";
  if (ACORE__LOAD(fut->flags) & ACORE__F_TASK)
    return "task";
  ops = ops_of(fut);
  return ops != NULL && ops->name != NULL ? ops->name : "future";
}

const char *acore__task_state_name(int state) {
  switch (state) {
  case ACORE_TASK_STATE_RUNNING: return "running";
  case ACORE_TASK_STATE_WAITING: return "waiting";
  case ACORE_TASK_STATE_DONE: return "done";
  default: return "ready";
  }
}

/* A task's detail: its name, id and state. */
static int task_describe(const acore_task_t *t, char *buf, size_t cap) {
  char name[ACORE__TASK_NAME_BUF];

  return snprintf(buf, cap, "%s (#%llu) %s", acore__task_name(t, name),
                  (unsigned long long)acore_task_id(t),
                  acore__task_state_name(acore_task_state(t)));
}

int acore_future_describe(const acore_future_t *fut, char *buf, size_t cap) {
  const acore__future_ops *ops;
  char tmp[1];
  int n;

  if (fut == NULL || (buf == NULL && cap > 0))
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(fut->loop))
    return ACORE_EWRONGTHREAD;
  if (cap == 0) { /* measure only: the hooks always get a buffer */
    buf = tmp;
    cap = 1;
  }
  ops = ops_of(fut);
  if (ACORE__LOAD(fut->flags) & ACORE__F_TASK)
    n = task_describe((const acore_task_t *)fut, buf, cap);
  else if (ops != NULL && ops->describe != NULL)
    n = ops->describe(fut, buf, cap);
  else
    n = snprintf(buf, cap, "%s", "");
  return n < 0 ? 0 : n;
}

/* ---- children ------------------------------------------------------------------ */

/* All children of `f` (borrowed), as acore__kids but pending or not. */
static size_t all_kids(const acore_future_t *f, acore_future_t **small,
                       acore_future_t ***list) {
  const acore__future_ops *ops = ops_of(f);
  size_t n;

  *list = small;
  if (ops == NULL || ops->children == NULL)
    return 0;
  n = ops->children(f, small, ACORE__KIDS_SMALL);
  if (n <= ACORE__KIDS_SMALL)
    return n;
  if ((*list = acore__calloc(n, sizeof(**list))) == NULL) {
    *list = small;
    return SIZE_MAX;
  }
  return ops->children(f, *list, n);
}

size_t acore__kids(const acore_future_t *f, acore_future_t **small,
                   acore_future_t ***list) {
  size_t n = all_kids(f, small, list), i, k = 0;

  if (n == SIZE_MAX)
    return n;
  for (i = 0; i < n; i++)
    if ((*list)[i]->state == ACORE_FUTURE_PENDING)
      (*list)[k++] = (*list)[i];
  return k;
}

void acore__kids_free(acore_future_t **small, acore_future_t **list) {
  if (list != small)
    acore__free(list);
}

int acore_future_children(acore_future_t *fut, acore_future_t **out,
                          size_t cap, size_t *n) {
  acore_future_t *small[ACORE__KIDS_SMALL], **list;
  size_t k, i;

  if (fut == NULL || n == NULL || (out == NULL && cap > 0))
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(fut->loop))
    return ACORE_EWRONGTHREAD;
  if ((k = all_kids(fut, small, &list)) == SIZE_MAX)
    return ACORE_ENOMEM;
  for (i = 0; i < k && i < cap; i++)
    out[i] = acore_future_ref(list[i]);
  acore__kids_free(small, list);
  *n = k;
  return ACORE_OK;
}

/* ---- walks -------------------------------------------------------------------- */

typedef struct walk {
  acore__pset *seen;
  acore_task_t *from;
  void (*fn)(acore_task_t *task, acore_task_t *waited, void *ud);
  void *ud;
} walk;

/* Follow `f` (pending) from w->from: a task ends the path, a composite
 * goes on to its children, each future once. */
static int walk_future(walk *w, acore_future_t *f, unsigned depth) {
  acore_future_t *small[ACORE__KIDS_SMALL], **list;
  acore_task_t *t = acore_task_from_future(f);
  size_t n, i;
  int rc;

  if ((rc = acore__pset_add(w->seen, f)) != 1)
    return rc; /* 0: seen (ACORE_OK), or ENOMEM */
  if (t != NULL) {
    if (t != w->from)
      w->fn(w->from, t, w->ud);
    return ACORE_OK;
  }
  if (depth > 1000 || (n = acore__kids(f, small, &list)) == SIZE_MAX)
    return depth > 1000 ? ACORE_OK : ACORE_ENOMEM;
  for (i = 0, rc = ACORE_OK; i < n && rc == ACORE_OK; i++)
    rc = walk_future(w, list[i], depth + 1);
  acore__kids_free(small, list);
  return rc;
}

int acore__graph_task_edges(acore_loop_t *loop, acore__pset *seen,
                            void (*fn)(acore_task_t *task,
                                       acore_task_t *waited, void *ud),
                            void *ud) {
  walk w = {seen, NULL, fn, ud};
  acore_task_t *t = NULL;
  int rc = ACORE_OK;

  while (rc == ACORE_OK && (t = acore__task_next(loop, t)) != NULL) {
    if (acore_task_state(t) != ACORE_TASK_STATE_WAITING)
      continue;
    acore__pset_clear(seen);
    w.from = t;
    rc = walk_future(&w, t->awaited, 0);
  }
  return rc;
}

/* ---- who awaits a future ------------------------------------------------------ */

typedef struct awaiters {
  acore_future_t *target;
  acore_future_t **out;
  size_t cap, n;
  acore__pset seen, parents;
} awaiters;

static int note_parent(awaiters *a, acore_future_t *parent) {
  int rc = acore__pset_add(&a->parents, parent);

  if (rc == 1 && a->n++ < a->cap)
    a->out[a->n - 1] = acore_future_ref(parent);
  return rc < 0 ? rc : ACORE_OK;
}

/* Expand the composite `f` once, noting it when `target` is a child. */
static int expand(awaiters *a, acore_future_t *f, unsigned depth) {
  acore_future_t *small[ACORE__KIDS_SMALL], **list;
  size_t n, i;
  int rc;

  if (acore_task_from_future(f) != NULL || depth > 1000 ||
      (rc = acore__pset_add(&a->seen, f)) == 0)
    return ACORE_OK;
  if (rc < 0 || (n = acore__kids(f, small, &list)) == SIZE_MAX)
    return ACORE_ENOMEM;
  for (i = 0, rc = ACORE_OK; i < n && rc == ACORE_OK; i++) {
    if (list[i] == a->target)
      rc = note_parent(a, f);
    if (rc == ACORE_OK)
      rc = expand(a, list[i], depth + 1);
  }
  acore__kids_free(small, list);
  return rc;
}

int acore_future_awaiters(acore_future_t *fut, acore_future_t **out,
                          size_t cap, size_t *n) {
  awaiters a = {fut, out, cap, 0, {0}, {0}};
  acore_task_t *t = NULL;
  int rc = ACORE_OK;

  if (fut == NULL || n == NULL || (out == NULL && cap > 0))
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(fut->loop))
    return ACORE_EWRONGTHREAD;
  while (rc == ACORE_OK && (t = acore__task_next(fut->loop, t)) != NULL) {
    if (acore_task_state(t) != ACORE_TASK_STATE_WAITING)
      continue;
    if (t->awaited == fut)
      rc = note_parent(&a, &t->fut);
    if (rc == ACORE_OK)
      rc = expand(&a, t->awaited, 0);
  }
  acore__pset_free(&a.seen);
  acore__pset_free(&a.parents);
  if (rc != ACORE_OK) {
    while (a.n > 0)
      if (--a.n < cap)
        acore_future_unref(out[a.n]);
    return rc;
  }
  *n = a.n;
  return ACORE_OK;
}
