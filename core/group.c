/* SPDX-License-Identifier: MIT */
/*
 * group.c - task groups (structured concurrency): a future that tasks are
 * spawned into, done when they all are.
 *
 * Design notes
 * - A group is a composite future plus a list of members, one per
 *   unfinished task: the task (a reference) and the registration on it
 *   whose ud is the member. While it has members the group holds a
 *   reference to itself, so a group nobody holds still finishes.
 * - spawn reserves everything it needs (member, registration, room for
 *   one more error) before spawning, so after the spawn nothing can fail.
 * - The first task error starts the abort (every other task is cancelled,
 *   no spawn accepted); errors are collected in completion order. A cancel
 *   of the group future does the same and marks it cancel-requested: the
 *   group then ends cancelled, whatever its tasks ended as, so a nested
 *   group never swallows its parent's cancellation; errors collected by a
 *   cancelled group are handed to the loop's error handler, never lost.
 * - The group completes when it has no members and it is sealed, aborting
 *   or cancel-requested.
 */
#include "alloc.h"
#include "comb.h"
#include "future.h"
#include "loop.h"
#include "queue.h"
#include "task.h"
#include "value.h"

#include <assert.h>
#include <string.h>

typedef struct member {
  acore__queue node;
  struct acore_group *g;
  acore_task_t *task; /* a reference */
  bool finished;      /* on_task ran */
} member;

struct acore_group {
  acore__xfuture x;       /* first */
  acore__queue members;   /* unfinished tasks */
  size_t nmembers;        /* registrations not yet gone */
  size_t nfinished;       /* members whose task finished */
  bool sealed, aborting, cancel_requested;
  char *cancel_msg;
  acore_error_t **errors; /* collected, first first */
  size_t nerrors, cap;
};

static const acore__future_ops group_ops;

/* ---- completion ------------------------------------------------------------------- */

static void report_lost(acore_group_t *g) {
  size_t i;

  for (i = 0; i < g->nerrors; i++)
    acore__loop_report(g->x.fut.loop, ACORE_REPORT_UNRETRIEVED,
                       "task error in a cancelled task group", g->errors[i],
                       &g->x.fut);
}

static void fail_group(acore_group_t *g) {
  acore_error_t *err;
  acore__value v;

  if (acore_error_new_group(ACORE_EGROUP, "errors in a task group",
                            g->errors, g->nerrors, &err) != ACORE_OK)
    err = acore_error_ref(g->errors[0]); /* out of memory: the first one */
  v = acore__value_err(err);
  acore__future_complete(&g->x.fut, ACORE_FUTURE_ERROR, ACORE_VALUE_NONE, v);
}

static void maybe_finish(acore_group_t *g) {
  if (g->x.fut.state != ACORE_FUTURE_PENDING ||
      g->nfinished != g->nmembers ||
      !(g->sealed || g->aborting || g->cancel_requested))
    return;
  if (g->cancel_requested) {
    report_lost(g);
    acore__comb_set_cancelled(&g->x.fut, g->cancel_msg);
  } else if (g->nerrors > 0) {
    fail_group(g);
  } else {
    acore__comb_set_none(&g->x.fut);
  }
}

static void abort_all(acore_group_t *g, const char *message) {
  acore__queue *q;

  g->aborting = true;
  for (q = g->members.next; q != &g->members; q = q->next) {
    member *m = acore__queue_data(q, member, node);
    if (m->task->fut.state == ACORE_FUTURE_PENDING)
      acore_task_cancel(m->task, message);
  }
}

static void on_task(acore_future_t *f, void *ud) {
  member *m = ud;
  acore_group_t *g = m->g;

  m->finished = true;
  g->nfinished++;
  if (f->state == ACORE_FUTURE_ERROR) {
    ACORE__FUTURE_FLAG(f, ACORE__F_RETRIEVED); /* the group speaks for it */
    g->errors[g->nerrors++] = acore_error_ref(f->v.err);
    if (!g->aborting)
      abort_all(g, NULL);
  }
  maybe_finish(g);
}

static void member_gone(void *ud) {
  member *m = ud;
  acore_group_t *g = m->g;

  acore__queue_remove(&m->node);
  acore_task_unref(m->task);
  if (m->finished)
    g->nfinished--;
  acore__free(m);
  if (--g->nmembers == 0)
    acore_future_unref(&g->x.fut); /* the self-reference */
}

/* ---- ops ------------------------------------------------------------------------ */

static int group_cancel(acore_future_t *f, const char *message) {
  acore_group_t *g = (acore_group_t *)f;
  char *copy = NULL;

  if (g->cancel_requested)
    return 1;
  if (message != NULL && (copy = acore__strdup(message)) == NULL)
    return ACORE_ENOMEM;
  g->cancel_requested = true;
  g->cancel_msg = copy;
  abort_all(g, message);
  maybe_finish(g);
  return 1;
}

static void group_destroy(acore_future_t *f) {
  acore_group_t *g = (acore_group_t *)f;
  size_t i;

  assert(g->nmembers == 0);
  for (i = 0; i < g->nerrors; i++)
    acore_error_unref(g->errors[i]);
  acore__free(g->errors);
  acore__free(g->cancel_msg);
}

static size_t group_children(const acore_future_t *f, acore_future_t **out,
                             size_t cap) {
  const acore_group_t *g = (const acore_group_t *)f;
  const acore__queue *q;
  size_t k = 0;

  for (q = g->members.next; q != &g->members; q = q->next)
    if (k++ < cap)
      out[k - 1] = acore_task_future(acore__queue_data(q, member, node)->task);
  return k;
}

static const acore__future_ops group_ops = {
    .cancel = group_cancel, .destroy = group_destroy, .name = "group",
    .children = group_children};

/* ---- public ------------------------------------------------------------------------ */

int acore_group_new(acore_loop_t *loop, acore_group_t **out) {
  acore_future_t *f;
  int rc;

  if (out == NULL)
    return ACORE_EINVAL;
  if ((rc = acore__comb_check(loop, NULL, 0)) != ACORE_OK)
    return rc;
  f = acore__xfuture_new(loop, sizeof(acore_group_t), &group_ops,
                         ACORE__F_NOSET);
  if (f == NULL)
    return ACORE_ENOMEM;
  acore__queue_init(&((acore_group_t *)f)->members);
  *out = (acore_group_t *)f;
  return ACORE_OK;
}

acore_group_t *acore_group_ref(acore_group_t *group) {
  acore_future_ref(group ? &group->x.fut : NULL);
  return group;
}

void acore_group_unref(acore_group_t *group) {
  acore_future_unref(group ? &group->x.fut : NULL);
}

acore_future_t *acore_group_future(acore_group_t *group) {
  return group ? &group->x.fut : NULL;
}

acore_group_t *acore_group_from_future(acore_future_t *fut) {
  if (fut == NULL || !(ACORE__LOAD(fut->flags) & ACORE__F_CUSTOM) ||
      ((acore__xfuture *)fut)->ops != &group_ops)
    return NULL;
  return (acore_group_t *)fut;
}

/* Room for one more error per task ever spawned. */
static int reserve_error(acore_group_t *g) {
  size_t need = g->nmembers + g->nerrors + 1, cap;
  acore_error_t **e;

  if (need <= g->cap)
    return ACORE_OK;
  cap = g->cap ? g->cap * 2 : 4;
  while (cap < need)
    cap *= 2;
  e = acore__realloc(g->errors, cap * sizeof(*e));
  if (e == NULL)
    return ACORE_ENOMEM;
  g->errors = e;
  g->cap = cap;
  return ACORE_OK;
}

static int spawn_check(acore_group_t *g, acore_step_fn fn) {
  int rc;

  if (g == NULL || fn == NULL)
    return ACORE_EINVAL;
  if ((rc = acore__comb_check(g->x.fut.loop, NULL, 0)) != ACORE_OK)
    return rc;
  if (g->x.fut.state != ACORE_FUTURE_PENDING || g->aborting ||
      g->cancel_requested)
    return ACORE_EINVALIDSTATE;
  return reserve_error(g);
}

int acore_group_spawn(acore_group_t *group, acore_step_fn fn, void *ud,
                      acore_free_fn ud_free, acore_task_t **out) {
  acore__cbrec *rec = NULL;
  member *m = NULL;
  acore_task_t *t;
  int rc = spawn_check(group, fn);

  if (rc == ACORE_OK && ((m = acore__malloc(sizeof(*m))) == NULL ||
                         (rec = acore__cbrec_reserve(group->x.fut.loop)) == NULL))
    rc = ACORE_ENOMEM;
  if (rc != ACORE_OK) {
    acore__free(m);
    if (ud_free != NULL)
      ud_free(ud);
    return rc;
  }
  if ((rc = acore_task_spawn(group->x.fut.loop, fn, ud, ud_free, &t)) != ACORE_OK) {
    acore__cbrec_unreserve(group->x.fut.loop, rec);
    acore__free(m);
    return rc;
  }
  m->g = group;
  m->task = t;
  m->finished = false;
  acore__queue_insert_tail(&group->members, &m->node);
  if (group->nmembers++ == 0)
    acore_future_ref(&group->x.fut); /* the self-reference */
  acore__cbrec_attach(&t->fut, rec, on_task, m, member_gone);
  if (out != NULL)
    *out = acore_task_ref(t);
  return ACORE_OK;
}

int acore_group_seal(acore_group_t *group) {
  int rc;

  if (group == NULL)
    return ACORE_EINVAL;
  if ((rc = acore__comb_check(group->x.fut.loop, NULL, 0)) != ACORE_OK)
    return rc;
  group->sealed = true;
  maybe_finish(group);
  return ACORE_OK;
}

size_t acore_group_task_count(const acore_group_t *group) {
  return group ? group->nmembers - group->nfinished : 0;
}
