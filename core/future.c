/* SPDX-License-Identifier: MIT */
/*
 * future.c - futures: completion, values, errors, done callbacks.
 *
 * Design notes
 * - A future completes exactly once (acore__future_complete). Completion
 *   moves every registered item - done callback records and waiting tasks -
 *   to the tail of the ready queue in registration order; nothing runs
 *   inside the completing call.
 * - A queued done callback pins its future (f->pins, no atomic operation;
 *   a real reference past 255 pins): a future whose last reference goes
 *   while pinned is marked DEAD and destroyed when the last pin goes,
 *   unless a callback took a new reference meanwhile (that revives it). A
 *   waiting task holds a reference to the future it awaits, so f->cbs
 *   never outlives the future.
 * - Errors count as retrieved once read (result/error accessors); a failed
 *   future nobody read is reported when it is destroyed.
 * - A task is a future (its first member); completing a task's future is
 *   only done by its step (task.c), so the public setters refuse tasks.
 */
#include "alloc.h"
#include "future.h"
#include "loop_impl.h"
#include "queue.h"
#include "task.h"
#include "value.h"

#include <assert.h>
#include <string.h>

void acore__future_init(acore_loop_t *loop, acore_future_t *f, uint8_t flags) {
  atomic_init(&f->refs, 1);
  f->state = ACORE_FUTURE_PENDING;
  f->kind = ACORE_VALUE_NONE;
  f->flags = flags;
  f->pins = 0;
  f->loop = loop;
  f->v.p.ptr = NULL;
  f->v.p.free = NULL;
  acore__queue_init(&f->cbs);
  f->znext = NULL;
}

int acore_future_new(acore_loop_t *loop, acore_future_t **out) {
  acore_future_t *f;
  int rc;

  if (out == NULL)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(loop)) != ACORE_OK)
    return rc;
  f = acore__obj_alloc(loop, ACORE__SLAB_FUTURE);
  if (f == NULL)
    return ACORE_ENOMEM;
  acore__future_init(loop, f, 0);
  *out = f;
  return ACORE_OK;
}

acore_future_t *acore__xfuture_new(acore_loop_t *loop, size_t size,
                                   const acore__future_ops *ops,
                                   uint8_t flags) {
  size_t cls = (size + 15) / 16;
  acore__xfuture *x;
  int slab = -1;

  assert(size >= sizeof(*x));
  if (cls <= ACORE__XSLABS) { /* from the loop's cache of that size */
    slab = ACORE__SLAB_X0 + (int)cls - 1;
    x = acore__obj_alloc(loop, slab);
    if (x == NULL)
      return NULL;
    memset(x, 0, size);
  } else {
    x = acore__calloc(1, size);
    if (x == NULL)
      return NULL;
    loop->core.nlive++;
  }
  acore__future_init(loop, &x->fut, ACORE__F_CUSTOM | flags);
  x->ops = ops;
  x->slab = slab;
  return &x->fut;
}

/* A reference taken from 0 can only come from a queued done callback of
 * a future whose holders are all gone (it reaches the future through its
 * pin, on the loop thread): the future lives on, no longer dead. */
acore_future_t *acore_future_ref(acore_future_t *fut) {
  if (fut != NULL &&
      atomic_fetch_add_explicit(&fut->refs, 1, memory_order_relaxed) == 0)
    ACORE__STORE(fut->flags, (uint8_t)(fut->flags & ~ACORE__F_DEAD));
  return fut;
}

/* Pins: a queued done callback keeps its future's memory without an
 * atomic reference; past 255 pins it takes a real reference instead
 * (recorded in the record's b[0]). */
static void pin(acore_future_t *f, acore__cbrec *r) {
  if (f->pins < UINT8_MAX) {
    f->pins++;
    r->item.b[0] = 0;
  } else {
    acore_future_ref(f);
    r->item.b[0] = 1;
  }
}

static void unpin(acore_future_t *f, uint8_t had_ref) {
  if (had_ref)
    acore_future_unref(f);
  else if (--f->pins == 0 && (f->flags & ACORE__F_DEAD))
    acore__future_destroy(f);
}

void acore__future_pin(acore_future_t *f) {
  assert(f->pins < UINT8_MAX);
  f->pins++;
}

void acore__future_unpin(acore_future_t *f) { unpin(f, 0); }

void acore__future_release(acore_future_t *f) {
  if (atomic_load_explicit(&f->refs, memory_order_acquire) != 0)
    return; /* revived by a callback before a deferred release */
  if (f->pins > 0)
    ACORE__FUTURE_FLAG(f, ACORE__F_DEAD);
  else
    acore__future_destroy(f);
}

void acore_future_unref(acore_future_t *fut) {
  acore_loop_t *loop;

  if (fut == NULL)
    return;
  /* Holding the only reference, nobody can race us: skip the RMW (but
   * leave 0 behind: a pinned future may be revived by its callbacks). */
  if (atomic_load_explicit(&fut->refs, memory_order_acquire) == 1)
    atomic_store_explicit(&fut->refs, 0, memory_order_relaxed);
  else if (atomic_fetch_sub_explicit(&fut->refs, 1, memory_order_acq_rel) != 1)
    return;
  loop = fut->loop;
  if (acore__on_loop_thread(loop) && !loop->core.closed)
    acore__future_release(fut);
  else
    acore__loop_defer_destroy(loop, fut);
}

void acore__value_free(uint8_t state, uint8_t kind, acore__value *v) {
  switch (state) {
  case ACORE_FUTURE_RESULT:
    if (kind == ACORE_VALUE_PTR && v->p.free != NULL)
      v->p.free(v->p.ptr);
    else if (kind == ACORE_VALUE_BYTES)
      acore__free(v->b.data);
    break;
  case ACORE_FUTURE_ERROR:
    acore_error_unref(v->err);
    break;
  case ACORE_FUTURE_CANCELLED:
    acore__free(v->msg);
    break;
  default:
    break;
  }
  memset(v, 0, sizeof(*v));
}

static void cbrec_free(acore_loop_t *loop, acore__cbrec *r) {
  acore__obj_free(loop, ACORE__SLAB_CBREC, r);
}

/* A registration that will never run: unlink it, free its user data. */
static void cbrec_unregister(acore_loop_t *loop, acore__cbrec *r) {
  acore__queue_remove(&r->item.node);
  acore__queue_remove(&r->lnode);
  if (r->ud_free != NULL)
    r->ud_free(r->ud);
  cbrec_free(loop, r);
}

void acore__future_destroy(acore_future_t *f) {
  acore_loop_t *loop = f->loop;
  bool task = (f->flags & ACORE__F_TASK) != 0;

  if (f->state == ACORE_FUTURE_ERROR && !(f->flags & ACORE__F_RETRIEVED))
    acore__loop_report(loop, ACORE_REPORT_UNRETRIEVED,
                       task ? "task error was never retrieved"
                            : "future error was never retrieved",
                       f->v.err, f);
  if (task)
    acore__task_destroy((acore_task_t *)f);
  while (!acore__queue_empty(&f->cbs)) {
    acore__queue *n = acore__queue_head(&f->cbs);
    cbrec_unregister(loop, acore__queue_data(n, acore__cbrec, item.node));
  }
  if (f->state != ACORE_FUTURE_RESULT || f->kind == ACORE_VALUE_PTR ||
      f->kind == ACORE_VALUE_BYTES) /* numbers own nothing */
    acore__value_free(f->state, f->kind, &f->v);
  if (f->flags & ACORE__F_CUSTOM) {
    const acore__future_ops *ops = ((acore__xfuture *)f)->ops;
    if (ops != NULL && ops->destroy != NULL)
      ops->destroy(f);
    acore__obj_free(loop, ((acore__xfuture *)f)->slab, f);
    return;
  }
  acore__obj_free(loop, task ? ACORE__SLAB_TASK : ACORE__SLAB_FUTURE, f);
}

void acore__future_complete(acore_future_t *f, int state, uint8_t kind,
                            acore__value v) {
  acore_loop_t *loop = f->loop;

  assert(f->state == ACORE_FUTURE_PENDING);
  f->state = (uint8_t)state;
  f->kind = kind;
  f->v = v;
  while (!acore__queue_empty(&f->cbs)) {
    acore__queue *n = acore__queue_head(&f->cbs);
    acore__item *it = acore__queue_data(n, acore__item, node);

    acore__queue_remove(n);
    if (it->kind != ACORE__ITEM_TASK) {
      acore__cbrec *r = (acore__cbrec *)it;
      acore__queue_remove(&r->lnode);
      pin(f, r);
    }
    acore__loop_push(loop, it);
  }
  ACORE__PROBE2(future_done, f, f->state);
  ACORE__TRACE_HOOK(loop, ACORE_TRACE_FUTURE_DONE, f);
}

/* ---- completion ------------------------------------------------------------- */

static int check_settable(acore_future_t *f) {
  int rc;

  if (f == NULL || (f->flags & (ACORE__F_TASK | ACORE__F_NOSET)))
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(f->loop)) != ACORE_OK)
    return rc;
  if (f->state != ACORE_FUTURE_PENDING)
    return ACORE_EINVALIDSTATE;
  return ACORE_OK;
}

int acore_future_set_result(acore_future_t *fut, void *value,
                            acore_free_fn value_free) {
  acore__value v;
  int rc = check_settable(fut);

  if (rc != ACORE_OK)
    return rc;
  v = acore__value_ptr(value, value_free);
  acore__future_complete(fut, ACORE_FUTURE_RESULT,
                         acore__ptr_kind(value, value_free),
                         v);
  return ACORE_OK;
}

int acore_future_set_int(acore_future_t *fut, int64_t value) {
  acore__value v;
  int rc = check_settable(fut);

  if (rc != ACORE_OK)
    return rc;
  v = acore__value_int(value);
  acore__future_complete(fut, ACORE_FUTURE_RESULT, ACORE_VALUE_INT, v);
  return ACORE_OK;
}

int acore_future_set_double(acore_future_t *fut, double value) {
  acore__value v;
  int rc = check_settable(fut);

  if (rc != ACORE_OK)
    return rc;
  v = acore__value_double(value);
  acore__future_complete(fut, ACORE_FUTURE_RESULT, ACORE_VALUE_DOUBLE, v);
  return ACORE_OK;
}

int acore__value_bytes(const void *data, size_t len, acore__value *v) {
  char *copy;

  if (data == NULL && len > 0)
    return ACORE_EINVAL;
  copy = acore__malloc(len + 1);
  if (copy == NULL)
    return ACORE_ENOMEM;
  if (len > 0)
    memcpy(copy, data, len);
  copy[len] = '\0';
  v->b.data = copy;
  v->b.len = len;
  return ACORE_OK;
}

int acore_future_set_bytes(acore_future_t *fut, const void *data, size_t len) {
  acore__value v;
  int rc = check_settable(fut);

  if (rc == ACORE_OK)
    rc = acore__value_bytes(data, len, &v);
  if (rc != ACORE_OK)
    return rc;
  acore__future_complete(fut, ACORE_FUTURE_RESULT, ACORE_VALUE_BYTES, v);
  return ACORE_OK;
}

int acore_future_set_error(acore_future_t *fut, acore_error_t *err) {
  acore__value v;
  int rc;

  if (err == NULL)
    return ACORE_EINVAL;
  if ((rc = check_settable(fut)) != ACORE_OK)
    return rc;
  v = acore__value_err(acore_error_ref(err));
  acore__future_complete(fut, ACORE_FUTURE_ERROR, ACORE_VALUE_NONE, v);
  return ACORE_OK;
}

int acore_future_set_error_code(acore_future_t *fut, int code,
                                const char *message) {
  acore_error_t *err;
  int rc;

  if (code >= 0)
    return ACORE_EINVAL;
  if ((rc = check_settable(fut)) != ACORE_OK)
    return rc;
  if ((rc = acore_error_new(code, message, &err)) != ACORE_OK)
    return rc;
  rc = acore_future_set_error(fut, err);
  acore_error_unref(err);
  return rc;
}

int acore__future_cancel(acore_future_t *f, const char *message) {
  acore__value v;

  if (f->state != ACORE_FUTURE_PENDING)
    return 0;
  memset(&v, 0, sizeof(v));
  if (message != NULL && (v.msg = acore__strdup(message)) == NULL)
    return ACORE_ENOMEM;
  acore__future_complete(f, ACORE_FUTURE_CANCELLED, ACORE_VALUE_NONE, v);
  return 1;
}

/* ---- cancelling a graph ---------------------------------------------------- */

/* One future's own cancel: a task's, a composite's op, or the plain one. */
static int cancel_one(acore_future_t *f, const char *message) {
  if (f->flags & ACORE__F_TASK)
    return acore__task_cancel((acore_task_t *)f, message);
  if (f->flags & ACORE__F_CUSTOM) {
    const acore__future_ops *ops = ((acore__xfuture *)f)->ops;
    if (ops != NULL && ops->cancel != NULL)
      return ops->cancel(f, message);
  }
  return acore__future_cancel(f, message);
}

/* The futures a cancel reached are listed through znext (free while a
 * future has references), ended by this marker: a future is listed iff
 * its znext is not NULL. */
static char wave_end_marker;
#define WAVE_END ((acore_future_t *)(void *)&wave_end_marker)

/* The outermost cancel returns: forget the marks (all of them first: an
 * unref may start a new cancel), then the references. */
static void cancel_wave_end(acore_loop_t *loop) {
  acore_future_t *f, *next;

  for (f = loop->futures.cwave; f != WAVE_END; f = f->znext)
    ACORE__STORE(f->flags,
                 (uint8_t)(f->flags & ~(ACORE__F_CVISIT | ACORE__F_CACCEPT)));
  f = loop->futures.cwave;
  loop->futures.cwave = NULL;
  for (; f != WAVE_END; f = next) {
    next = f->znext;
    f->znext = NULL;
    acore_future_unref(f);
  }
}

int acore__cancel(acore_future_t *f, const char *message) {
  acore_loop_t *loop = f->loop;
  int rc;

  if (f->state != ACORE_FUTURE_PENDING) {
    ACORE__FUTURE_FLAG(f, ACORE__F_RETRIEVED); /* a cancel reads the error */
    return 0;
  }
  if (f->flags & ACORE__F_CVISIT) { /* reached before by this cancel */
    if (f->flags & ACORE__F_CACCEPT)
      return 1;
    if ((f->flags & ACORE__F_TASK) &&
        acore__task_cancel_cycle((acore_task_t *)f) == 1) {
      ACORE__FUTURE_FLAG(f, ACORE__F_CACCEPT);
      return 1;
    }
    return 0;
  }
  if (atomic_load_explicit(&f->refs, memory_order_relaxed) == 0)
    return cancel_one(f, message); /* znext may be taken: not marked */
  if (f->znext == NULL) { /* listed, and held, until the wave ends */
    f->znext = loop->futures.cwave != NULL ? loop->futures.cwave : WAVE_END;
    loop->futures.cwave = acore_future_ref(f);
  }
  ACORE__FUTURE_FLAG(f, ACORE__F_CVISIT);
  loop->futures.cdepth++;
  rc = cancel_one(f, message);
  if (rc == 1)
    ACORE__FUTURE_FLAG(f, ACORE__F_CACCEPT);
  else if (rc < 0) /* failed (ENOMEM): a later path may try again */
    ACORE__STORE(f->flags, (uint8_t)(f->flags & ~ACORE__F_CVISIT));
  if (--loop->futures.cdepth == 0)
    cancel_wave_end(loop);
  return rc;
}

int acore_future_cancel(acore_future_t *fut, const char *message) {
  int rc;

  if (fut == NULL)
    return ACORE_EINVAL;
  if (fut->flags & ACORE__F_TASK)
    return acore_task_cancel((acore_task_t *)fut, message);
  if ((rc = acore__loop_check(fut->loop)) != ACORE_OK)
    return rc;
  return acore__cancel(fut, message);
}

/* ---- reading ---------------------------------------------------------------- */

/* A future's state for a reader: ACORE_EINVAL / ACORE_EWRONGTHREAD, or
 * the ACORE_FUTURE_* state (>= 0). */
static int state_of(const acore_future_t *f) {
  if (f == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(f->loop))
    return ACORE_EWRONGTHREAD;
  return f->state;
}

int acore_future_state(const acore_future_t *fut) { return state_of(fut); }

int acore_future_is_done(const acore_future_t *fut) {
  int s = state_of(fut);
  return s < 0 ? s : s != ACORE_FUTURE_PENDING;
}

int acore_future_is_cancelled(const acore_future_t *fut) {
  int s = state_of(fut);
  return s < 0 ? s : s == ACORE_FUTURE_CANCELLED;
}

acore_loop_t *acore_future_loop(const acore_future_t *fut) {
  return fut ? fut->loop : NULL;
}

int acore_future_is_task(const acore_future_t *fut) {
  return fut ? (ACORE__LOAD(fut->flags) & ACORE__F_TASK) != 0 : ACORE_EINVAL;
}

/* The status of reading a result: OK only for a result. */
static int read_status(acore_future_t *f) {
  if (ACORE__WRONG_THREAD(f->loop))
    return ACORE_EWRONGTHREAD;
  switch (f->state) {
  case ACORE_FUTURE_RESULT:
    return ACORE_OK;
  case ACORE_FUTURE_ERROR:
    ACORE__FUTURE_FLAG(f, ACORE__F_RETRIEVED);
    return f->v.err->code;
  case ACORE_FUTURE_CANCELLED:
    return ACORE_ECANCELLED;
  default:
    return ACORE_EINVALIDSTATE;
  }
}

int acore_future_result(acore_future_t *fut, void **out) {
  int rc;

  if (fut == NULL)
    return ACORE_EINVAL;
  rc = read_status(fut);
  if (rc == ACORE_OK && out != NULL)
    *out = fut->kind == ACORE_VALUE_PTR ? fut->v.p.ptr : NULL;
  return rc;
}

int acore_future_result_kind(const acore_future_t *fut) {
  int s = state_of(fut);
  return s < 0 ? s : s == ACORE_FUTURE_RESULT ? fut->kind : ACORE_VALUE_NONE;
}

static int read_typed(acore_future_t *f, const void *out, uint8_t kind) {
  int rc;

  if (f == NULL || out == NULL)
    return ACORE_EINVAL;
  rc = read_status(f);
  if (rc == ACORE_OK && f->kind != kind)
    return ACORE_ETYPE;
  return rc;
}

int acore_future_result_int(acore_future_t *fut, int64_t *out) {
  int rc = read_typed(fut, out, ACORE_VALUE_INT);

  if (rc == ACORE_OK)
    *out = fut->v.i;
  return rc;
}

int acore_future_result_double(acore_future_t *fut, double *out) {
  int rc = read_typed(fut, out, ACORE_VALUE_DOUBLE);

  if (rc == ACORE_OK)
    *out = fut->v.d;
  return rc;
}

int acore_future_result_bytes(acore_future_t *fut, const void **data, size_t *len) {
  int rc = read_typed(fut, data, ACORE_VALUE_BYTES);

  if (rc != ACORE_OK)
    return rc;
  *data = fut->v.b.data;
  if (len != NULL)
    *len = fut->v.b.len;
  return ACORE_OK;
}

int acore_future_result_tagged(acore_future_t *fut, acore_free_fn tag,
                               void **out) {
  int rc = tag == NULL ? ACORE_EINVAL : read_typed(fut, out, ACORE_VALUE_PTR);

  if (rc != ACORE_OK)
    return rc;
  if (fut->v.p.free != tag || (fut->flags & ACORE__F_STOLEN))
    return ACORE_ETYPE;
  *out = fut->v.p.ptr;
  return ACORE_OK;
}

int acore_future_steal_result(acore_future_t *fut, acore_free_fn tag,
                              void **out) {
  int rc = read_typed(fut, out, ACORE_VALUE_PTR);

  if (rc != ACORE_OK)
    return rc;
  if (tag == NULL || fut->v.p.free != tag || (fut->flags & ACORE__F_STOLEN))
    return ACORE_ETYPE;
  *out = fut->v.p.ptr;
  fut->v.p.ptr = NULL;
  fut->v.p.free = NULL;
  ACORE__FUTURE_FLAG(fut, ACORE__F_STOLEN);
  return ACORE_OK;
}

acore_error_t *acore_future_error(acore_future_t *fut) {
  if (fut == NULL || fut->state != ACORE_FUTURE_ERROR)
    return NULL;
  ACORE__FUTURE_FLAG(fut, ACORE__F_RETRIEVED);
  return fut->v.err;
}

const char *acore_future_cancel_message(const acore_future_t *fut) {
  if (fut == NULL || fut->state != ACORE_FUTURE_CANCELLED)
    return NULL;
  return fut->v.msg;
}

/* ---- done callbacks --------------------------------------------------------- */

static acore__cbrec *cbrec_new(acore_future_t *f, uint8_t kind,
                               acore_done_fn fn, void *ud,
                               acore_free_fn ud_free) {
  acore__cbrec *r = acore__obj_alloc(f->loop, ACORE__SLAB_CBREC);

  if (r == NULL)
    return NULL;
  r->item.kind = kind;
  acore__queue_init(&r->lnode);
  r->fn = fn;
  r->ud = ud;
  r->ud_free = ud_free;
  r->fut = f;
  return r;
}

/* Register `r`: wait on a pending future, or queue at once. */
static void cbrec_attach(acore_future_t *f, acore__cbrec *r, bool user) {
  if (f->state == ACORE_FUTURE_PENDING) {
    acore__queue_insert_tail(&f->cbs, &r->item.node);
    if (user)
      acore__queue_insert_tail(&f->loop->futures.cbrecs, &r->lnode);
    return;
  }
  pin(f, r);
  acore__loop_push(f->loop, &r->item);
}

int acore_future_add_done_callback(acore_future_t *fut, acore_done_fn fn,
                                   void *ud, acore_free_fn ud_free) {
  acore__cbrec *r;
  int rc;

  if (fut == NULL || fn == NULL) {
    rc = ACORE_EINVAL;
    goto fail;
  }
  if ((rc = acore__loop_check_sched(fut->loop)) != ACORE_OK)
    goto fail;
  r = cbrec_new(fut, ACORE__ITEM_DONECB, fn, ud, ud_free);
  if (r == NULL) {
    rc = ACORE_ENOMEM;
    goto fail;
  }
  cbrec_attach(fut, r, true);
  return ACORE_OK;

fail:
  if (ud_free != NULL)
    ud_free(ud);
  return rc;
}

int acore__future_add_internal(acore_future_t *f, acore_done_fn fn, void *ud,
                               acore__cbrec **out) {
  acore__cbrec *r = cbrec_new(f, ACORE__ITEM_INTERNAL, fn, ud, NULL);

  if (r == NULL)
    return ACORE_ENOMEM;
  cbrec_attach(f, r, false);
  if (out != NULL)
    *out = r;
  return ACORE_OK;
}

int acore_future_remove_done_callback(acore_future_t *fut, acore_done_fn fn,
                                      void *ud) {
  acore__queue *n, *next, gone;
  acore_loop_t *loop;
  int count = 0;

  if (fut == NULL || fn == NULL)
    return ACORE_EINVAL;
  loop = fut->loop;
  if (ACORE__WRONG_THREAD(loop))
    return ACORE_EWRONGTHREAD;
  acore__queue_init(&gone);
  for (n = fut->cbs.next; n != &fut->cbs; n = next) {
    acore__item *it = acore__queue_data(n, acore__item, node);
    acore__cbrec *r = (acore__cbrec *)it;

    next = n->next;
    if (it->kind == ACORE__ITEM_DONECB && r->fn == fn && r->ud == ud) {
      acore__queue_remove(&r->lnode);
      acore__queue_remove(n);
      acore__queue_insert_tail(&gone, n);
      count++;
    }
  }
  /* The cleanups run after the walk: one may call back into acore and
   * add or remove this future's callbacks. */
  while (!acore__queue_empty(&gone)) {
    acore__cbrec *r =
        acore__queue_data(acore__queue_head(&gone), acore__cbrec, item.node);

    acore__queue_remove(&r->item.node);
    if (r->ud_free != NULL)
      r->ud_free(r->ud);
    cbrec_free(loop, r);
  }
  return count;
}

void acore__cbrec_run(acore_loop_t *loop, acore__cbrec *r) {
  acore_future_t *f = r->fut;
  uint8_t had_ref = r->item.b[0];

  r->fn(f, r->ud);
  if (r->ud_free != NULL)
    r->ud_free(r->ud);
  cbrec_free(loop, r);
  unpin(f, had_ref);
}

void acore__cbrec_drop(acore_loop_t *loop, acore__cbrec *r) {
  acore_future_t *f = r->fut;
  bool queued = f->state != ACORE_FUTURE_PENDING;
  uint8_t had_ref = r->item.b[0];

  acore__queue_remove(&r->item.node);
  acore__queue_remove(&r->lnode);
  if (r->ud_free != NULL)
    r->ud_free(r->ud);
  cbrec_free(loop, r);
  if (queued)
    unpin(f, had_ref);
}

void acore__future_drop_callbacks(acore_loop_t *loop) {
  while (!acore__queue_empty(&loop->futures.cbrecs)) {
    acore__queue *n = acore__queue_head(&loop->futures.cbrecs);
    cbrec_unregister(loop, acore__queue_data(n, acore__cbrec, lnode));
  }
}

void acore__future_drop_item(acore__item *it) {
  if (it->kind == ACORE__ITEM_DONECB || it->kind == ACORE__ITEM_INTERNAL) {
    acore__cbrec *r = (acore__cbrec *)it;
    acore__cbrec_drop(r->fut->loop, r);
  }
  /* Task items: tasks were closed before the ready queue is dropped. */
}

/* ---- two-phase registration (combinators) ----------------------------------- */

acore__cbrec *acore__cbrec_reserve(acore_loop_t *loop) {
  return acore__obj_alloc(loop, ACORE__SLAB_CBREC);
}

void acore__cbrec_unreserve(acore_loop_t *loop, acore__cbrec *r) {
  if (r != NULL)
    cbrec_free(loop, r);
}

void acore__cbrec_attach(acore_future_t *f, acore__cbrec *r, acore_done_fn fn,
                         void *ud, acore_free_fn ud_free) {
  r->item.kind = ACORE__ITEM_INTERNAL;
  acore__queue_init(&r->lnode);
  r->fn = fn;
  r->ud = ud;
  r->ud_free = ud_free;
  r->fut = f;
  cbrec_attach(f, r, true);
}
