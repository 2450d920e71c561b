/* SPDX-License-Identifier: MIT */
/*
 * waitq.c - the FIFO wait queue of the synchronisation primitives: waiter
 * futures that leave their queue synchronously when cancelled or dropped.
 *
 * Design notes
 * - See waitq.h. A waiter's future is an acore__xfuture flagged NOSET, so
 *   only its primitive completes it; its cancel op unlinks it before the
 *   owner's on_leave hook runs, so the hook sees the queue without it.
 * - Waiters are never completed on a closed loop: the ready queue is gone.
 */
#include "alloc.h"
#include "future.h"
#include "loop.h"
#include "queue.h"
#include "task.h"
#include "value.h"
#include "waitq.h"

#include <assert.h>
#include <stdio.h>

/* Once the loop is closed, waiters and their primitives may be destroyed
 * on any thread, several at once: their queue links change under the
 * loop's mutex then (and no hook runs: nothing completes any more). */
static void leave(acore__waiter *w) {
  acore_loop_t *loop = w->x.fut.loop;
  acore__waitq *wq;

  if (acore__loop_closed(loop)) {
    uv_mutex_lock(&acore__core(loop)->mutex);
    acore__waiter_unlink(w);
    uv_mutex_unlock(&acore__core(loop)->mutex);
    return;
  }
  if ((wq = w->wq) == NULL)
    return;
  acore__waiter_unlink(w);
  if (wq->on_leave != NULL)
    wq->on_leave(wq, w);
}

int acore__waiter_cancel(acore_future_t *f, const char *message) {
  int rc = acore__future_cancel(f, message);

  if (rc == 1)
    leave((acore__waiter *)f);
  return rc;
}

void acore__waiter_destroy(acore_future_t *f) { leave((acore__waiter *)f); }

int acore__waiter_describe(const acore_future_t *f, char *buf, size_t cap) {
  const acore__waiter *w = (const acore__waiter *)f;
  const acore__waitq *wq = w->wq;
  const acore__queue *q;
  size_t pos = 1;

  if (wq == NULL && w->origin == NULL)
    return snprintf(buf, cap, "%s", "");
  if (wq == NULL) /* w->origin may be freed: its copy in w->was */
    return snprintf(buf, cap, "%s %p, served",
                    w->was.name ? w->was.name : "queue", w->was.owner);
  for (q = wq->q.next; q != &w->node; q = q->next)
    pos++;
  return snprintf(buf, cap, "%s %p, %zu of %zu waiting",
                  wq->name ? wq->name : "queue", wq->owner, pos, wq->len);
}

int acore__waiter_describe_held(const acore_future_t *f, char *buf,
                                size_t cap, acore_task_t *holder) {
  char name[ACORE__TASK_NAME_BUF];
  int n = acore__waiter_describe(f, buf, cap);
  size_t at = n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap;

  if (((const acore__waiter *)f)->wq == NULL || n < 0)
    return n;
  if (holder == NULL)
    return n + snprintf(buf + at, cap - at, "; held outside a task");
  return n + snprintf(buf + at, cap - at, "; held by %s (#%llu)",
                      acore__task_name(holder, name),
                      (unsigned long long)acore_task_id(holder));
}

const acore__future_ops acore__waiter_ops = {
    .cancel = acore__waiter_cancel, .destroy = acore__waiter_destroy,
    .name = "waiter", .describe = acore__waiter_describe};
const acore__waiter_kind acore__waiter_plain = { sizeof(acore__waiter),
                                                 &acore__waiter_ops };

acore__waiter *acore__waiter_new(acore_loop_t *loop, size_t size,
                                 const acore__future_ops *ops) {
  acore__waiter *w;

  w = (acore__waiter *)acore__xfuture_new(loop, size,
                                          ops ? ops : &acore__waiter_ops,
                                          ACORE__F_NOSET);
  if (w != NULL)
    acore__queue_init(&w->node);
  return w;
}

/* What describe shows of a waiter out of `wq` (node is unused then). */
static void keep_was(acore__waiter *w, const acore__waitq *wq) {
  w->was.name = wq->name;
  w->was.owner = wq->owner;
}

void acore__waiter_unlink(acore__waiter *w) {
  acore__waitq *wq = w->wq;

  if (wq == NULL)
    return;
  acore__queue_remove(&w->node);
  wq->len--;
  w->wq = NULL;
  keep_was(w, wq);
}

void acore__waiter_grant(acore__waiter *w, int64_t value) {
  acore__value v;

  acore__waiter_unlink(w);
  if (acore__loop_closed(w->x.fut.loop) ||
      w->x.fut.state != ACORE_FUTURE_PENDING)
    return;
  v = acore__value_int(value);
  acore__future_complete(&w->x.fut, ACORE_FUTURE_RESULT, ACORE_VALUE_INT, v);
}

void acore__waiter_give(acore__waiter *w, void *ptr, acore_free_fn ptr_free) {
  acore__value v;

  acore__waiter_unlink(w);
  assert(!acore__loop_closed(w->x.fut.loop) &&
         w->x.fut.state == ACORE_FUTURE_PENDING);
  v = acore__value_ptr(ptr, ptr_free);
  acore__future_complete(&w->x.fut, ACORE_FUTURE_RESULT,
                         acore__ptr_kind(ptr, ptr_free), v);
}

void acore__waiter_fail(acore__waiter *w, int code, const char *message) {
  acore__value v;

  acore__waiter_unlink(w);
  if (acore__loop_closed(w->x.fut.loop) ||
      w->x.fut.state != ACORE_FUTURE_PENDING)
    return;
  v = acore__value_err(acore__error_make(code, message));
  acore__future_complete(&w->x.fut, ACORE_FUTURE_ERROR, ACORE_VALUE_NONE, v);
}

/* The caller checked the loop: no public entry's checks again. */
acore_future_t *acore__done_future(acore_loop_t *loop, int64_t value) {
  acore_future_t *f = acore__obj_alloc(loop, ACORE__SLAB_FUTURE);

  if (f == NULL)
    return NULL;
  acore__future_init(loop, f, 0);
  f->state = ACORE_FUTURE_RESULT;
  f->kind = ACORE_VALUE_INT;
  f->v = acore__value_int(value);
  return f;
}

void acore__waitq_init(acore__waitq *wq, void *owner,
                       void (*on_leave)(acore__waitq *, acore__waiter *),
                       const acore__waiter_kind *kind) {
  acore__queue_init(&wq->q);
  wq->len = 0;
  wq->on_leave = on_leave;
  wq->owner = owner;
  wq->loop = NULL;
  wq->kind = kind != NULL ? kind : &acore__waiter_plain;
  wq->name = NULL;
}

acore__waiter *acore__waiter_for(acore__waitq *wq, acore_loop_t *loop) {
  acore__waiter *w = acore__waiter_new(loop, wq->kind->size, wq->kind->ops);

  if (w != NULL) {
    w->origin = wq;
    keep_was(w, wq);
  }
  return w;
}

acore__waiter *acore__waiter_of(acore_future_t *fut, const acore__waitq *wq) {
  acore__waiter *w = (acore__waiter *)fut;

  if (!(fut->flags & ACORE__F_CUSTOM) ||
      ((acore__xfuture *)fut)->ops != wq->kind->ops || w->origin != wq)
    return NULL;
  return w;
}

void acore__waitq_push(acore__waitq *wq, acore__waiter *w) {
  assert(w->wq == NULL);
  wq->loop = w->x.fut.loop;
  acore__queue_insert_tail(&wq->q, &w->node);
  w->wq = wq;
  w->origin = wq;
  wq->len++;
}

acore__waiter *acore__waitq_head(const acore__waitq *wq) {
  if (acore__queue_empty(&wq->q))
    return NULL;
  return acore__queue_data(acore__queue_head(&wq->q), acore__waiter, node);
}

void acore__waitq_fail_all(acore__waitq *wq, int code, const char *message) {
  acore_loop_t *loop = wq->loop;
  acore__waiter *w;

  if (loop == NULL) /* nobody ever waited */
    return;
  if (acore__loop_closed(loop)) { /* see leave(): unlink only, under mutex */
    uv_mutex_lock(&acore__core(loop)->mutex);
    while ((w = acore__waitq_head(wq)) != NULL)
      acore__waiter_unlink(w);
    uv_mutex_unlock(&acore__core(loop)->mutex);
    return;
  }
  while ((w = acore__waitq_head(wq)) != NULL)
    acore__waiter_fail(w, code, message);
}

static void noop(void *ud) { (void)ud; }

void acore__sync_destroy(acore_loop_t *loop, acore_free_fn destroy, void *obj) {
  if (acore__on_loop_thread(loop)) {
    destroy(obj);
    return;
  }
  /* destroy runs as the call's ud_free: once, on the loop thread - or here
   * if the call cannot be queued (the loop is closed), once the post has
   * read `closed` under the loop's mutex, which orders this thread after
   * everything close wrote (another thread must not read it bare). */
  acore__loop_post(loop, noop, obj, destroy); /* not bounded: never EAGAIN */
}

int acore__cancel_delivered(acore_future_t *fut) {
  acore_task_t *t = acore__loop_current(fut->loop);

  return t != NULL && t->awaited == fut &&
         fut->state == ACORE_FUTURE_RESULT &&
         acore_task_step_status(t) == ACORE_ECANCELLED;
}
