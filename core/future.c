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
 * - A plain future (acore__pfuture) keeps its first done callback without
 *   ud_free in itself: registering it, queueing it and running it
 *   allocate nothing. The slot is used only while registration order
 *   allows it (nothing registered before on a pending future; any time
 *   on a done one) and queued before the items of f->cbs, which were all
 *   registered after it. Loop close has nothing to release for it.
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

static bool is_plain(const acore_future_t *f) {
  return (f->flags & (ACORE__F_TASK | ACORE__F_CUSTOM)) == 0;
}

static acore__item *first_of(acore_future_t *f) {
  return &((acore__pfuture *)f)->first;
}

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
  if (is_plain(f)) {
    first_of(f)->kind = ACORE__ITEM_FIRSTCB;
    first_of(f)->b[0] = ACORE__FIRST_FREE;
  }
}

/* acore_future_new() when the loop's cache of futures is empty. */
__attribute__((noinline)) static int new_slow(acore_loop_t *loop,
                                              acore_future_t **out) {
  acore_future_t *f = acore__obj_alloc_slow(loop, ACORE__SLAB_FUTURE);

  if (f == NULL)
    return ACORE_ENOMEM;
  acore__future_init(loop, f, 0);
  *out = f;
  return ACORE_OK;
}

int acore_future_new(acore_loop_t *loop, acore_future_t **out) {
  acore_future_t *f;
  int rc;

  if (out == NULL)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(loop)) != ACORE_OK)
    return rc;
  if (acore__core(loop)->slabs[ACORE__SLAB_FUTURE].free_list == NULL)
    return new_slow(loop, out);
  f = acore__obj_alloc(loop, ACORE__SLAB_FUTURE);
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
 * atomic reference; past 255 pins it takes a real reference instead.
 * Returns 1 for a reference (kept in the record's b[0]), else 0. A plain
 * future's first callback always pins: its future has few pins when it
 * completes, and a done future past 255 pins gives it a record. */
static uint8_t pin(acore_future_t *f) {
  if (f->pins < UINT8_MAX) {
    f->pins++;
    return 0;
  }
  acore_future_ref(f);
  return 1;
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

/* The last reference went on the loop thread just now: nobody can have
 * taken a new one. */
static void release_now(acore_future_t *f) {
  if (f->pins > 0)
    ACORE__FUTURE_FLAG(f, ACORE__F_DEAD);
  else
    acore__future_destroy(f);
}

void acore__future_release(acore_future_t *f) {
  if (atomic_load_explicit(&f->refs, memory_order_acquire) != 0)
    return; /* revived by a callback before a deferred release */
  release_now(f);
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
    release_now(fut);
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

/* A plain future, pending or done with a number (or no) result, with no
 * registration left: it owns nothing (the common end of a future). */
static bool owns_nothing(const acore_future_t *f) {
  return is_plain(f) && acore__queue_empty(&f->cbs) &&
         (f->state == ACORE_FUTURE_PENDING ||
          (f->state == ACORE_FUTURE_RESULT && f->kind != ACORE_VALUE_PTR &&
           f->kind != ACORE_VALUE_BYTES));
}

static void destroy_all(acore_future_t *f);

void acore__future_destroy(acore_future_t *f) {
  if (owns_nothing(f))
    acore__obj_free(f->loop, ACORE__SLAB_FUTURE, f);
  else
    destroy_all(f);
}

/* acore__future_destroy() of a done plain future (its f->cbs is empty):
 * the end of a future whose first callback ran. */
static void destroy_done_plain(acore_future_t *f) {
  if (f->state == ACORE_FUTURE_RESULT && f->kind != ACORE_VALUE_PTR &&
      f->kind != ACORE_VALUE_BYTES) /* a number, or no result: nothing */
    acore__obj_free(f->loop, ACORE__SLAB_FUTURE, f);
  else
    destroy_all(f);
}

/* Report, release and free everything a future holds. */
__attribute__((noinline)) static void destroy_all(acore_future_t *f) {
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

/* Queue a pending plain future's armed first callback `cb`, ahead of the
 * items of f->cbs (registered after it), which the caller has moved out:
 * f->cbs's bytes hold the callback while it is queued. Once the loop is
 * closed it is dropped instead (the slot freed). */
static inline __attribute__((always_inline)) void
first_queue(acore_future_t *f, acore__firstcb cb) {
  acore__item *it = first_of(f);

  if (acore__loop_closed(f->loop)) {
    it->b[0] = ACORE__FIRST_FREE;
    acore__queue_init(&f->cbs);
    return;
  }
  f->queued = cb;
  it->b[0] = ACORE__FIRST_QUEUED;
  acore__future_pin(f);
  acore__loop_push_inline(f->loop, it);
}

/* The completion is over: its static probe and trace hook (trace.h). */
static inline void done_trace(acore_future_t *f) {
  ACORE__PROBE2(future_done, f, f->state);
  ACORE__TRACE_HOOK(f->loop, ACORE_TRACE_FUTURE_DONE, f);
}

/* Queue the items of `q` (f's tasks and records), in registration order. */
static inline __attribute__((always_inline)) void
queue_waiters(acore_future_t *f, acore__queue *q) {
  acore_loop_t *loop = f->loop;

  while (!acore__queue_empty(q)) {
    acore__queue *n = acore__queue_head(q);
    acore__item *it = acore__queue_data(n, acore__item, node);

    acore__queue_remove(n);
    if (it->kind != ACORE__ITEM_TASK) {
      acore__cbrec *r = (acore__cbrec *)it;
      acore__queue_remove(&r->lnode);
      r->item.b[0] = pin(f);
    }
    acore__loop_push(loop, it);
  }
}

/* Queue the items waiting on a completing future (not its first). */
__attribute__((noinline)) static void queue_cbs(acore_future_t *f) {
  queue_waiters(f, &f->cbs);
}

/* Completion of any other future with items waiting: queue them. */
__attribute__((noinline)) static void complete_waiters(acore_future_t *f) {
  queue_waiters(f, &f->cbs);
  done_trace(f);
}

/* The first callback, then the items registered after it. */
__attribute__((noinline)) static void queue_all(acore_future_t *f,
                                                acore__firstcb cb) {
  acore__queue later;

  acore__queue_move(&f->cbs, &later);
  first_queue(f, cb);
  queue_waiters(f, &later);
}

/* The same, past its common case: the first callback with later ones, or
 * on a closed or traced loop (core.detour). */
__attribute__((noinline)) static void complete_first_all(acore_future_t *f,
                                                         acore__firstcb cb) {
  if (acore__queue_empty(&f->cbs))
    first_queue(f, cb);
  else
    queue_all(f, cb);
  done_trace(f);
}

/* Completion of a plain future whose first callback is armed. Its common
 * case - the only callback, an open loop without a trace hook: one test
 * of core.detour - queues it here, the probe's arguments still in
 * registers and the hook's test folded into the loop's. */
__attribute__((noinline)) static void complete_first(acore_future_t *f,
                                                     int state, uint8_t kind,
                                                     acore__value v) {
  acore__firstcb cb = f->armed;
  acore_loop_t *loop = f->loop;
  acore__item *it = first_of(f);

  f->state = (uint8_t)state;
  f->kind = kind;
  f->v = v;
  if (__builtin_expect(acore__core(loop)->detour, 0) ||
      !acore__queue_empty(&f->cbs)) {
    complete_first_all(f, cb);
    return;
  }
  ACORE__PROBE2(future_done, f, f->state);
  f->queued = cb;
  it->b[0] = ACORE__FIRST_QUEUED;
  acore__future_pin(f);
  acore__loop_push_inline(loop, it);
}

void acore__future_complete(acore_future_t *f, int state, uint8_t kind,
                            acore__value v) {
  assert(f->state == ACORE_FUTURE_PENDING);
  if (is_plain(f) && first_of(f)->b[0] == ACORE__FIRST_ARMED) {
    complete_first(f, state, kind, v);
    return;
  }
  f->state = (uint8_t)state;
  f->kind = kind;
  f->v = v;
  if (!acore__queue_empty(&f->cbs))
    complete_waiters(f);
  else
    done_trace(f);
}

void acore__future_complete_task(acore_future_t *f, int state, uint8_t kind,
                                 acore__value v) {
  assert(f->state == ACORE_FUTURE_PENDING && (f->flags & ACORE__F_TASK));
  f->state = (uint8_t)state;
  f->kind = kind;
  f->v = v;
  ACORE__PROBE2(future_done, f, f->state); /* first: queue_cbs a tail call */
  if (!acore__queue_empty(&f->cbs))
    queue_cbs(f);
}

/* ---- completion ------------------------------------------------------------- */

static int check_settable(acore_future_t *f) {
  int rc;

  if (f == NULL || (f->flags & (ACORE__F_TASK | ACORE__F_NOSET)))
    return ACORE_EINVAL;
  if ((rc = acore__loop_check_own(f->loop)) != ACORE_OK)
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
  if ((rc = acore__loop_check_own(fut->loop)) != ACORE_OK)
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
  r->item.b[0] = pin(f);
  acore__loop_push(f->loop, &r->item);
}

/* Register fn(f, ud) in a plain future's own slot, when it is free and
 * registration order allows it. Returns false otherwise. */
static bool first_take(acore_future_t *f, acore_done_fn fn, void *ud) {
  acore__item *it = first_of(f);

  if (!is_plain(f) || it->b[0] != ACORE__FIRST_FREE)
    return false;
  if (f->state == ACORE_FUTURE_PENDING) { /* pinned by few internal items */
    if (!acore__queue_empty(&f->cbs)) /* registered earlier: they go first */
      return false;
    f->armed.fn = fn;
    f->armed.ud = ud;
    it->b[0] = ACORE__FIRST_ARMED;
    return true;
  }
  if (f->pins == UINT8_MAX) /* a record takes a reference instead */
    return false;
  f->queued.fn = fn; /* done: f->cbs is empty and stays so */
  f->queued.ud = ud;
  it->b[0] = ACORE__FIRST_QUEUED;
  acore__future_pin(f);
  acore__loop_push_inline(f->loop, it);
  return true;
}

/* A refused registration: `ud` is freed all the same. Returns `rc`. */
__attribute__((noinline, cold)) static int add_refused(int rc, void *ud,
                                                       acore_free_fn ud_free) {
  if (ud_free != NULL)
    ud_free(ud);
  return rc;
}

/* A registration in a record of its own (the slot is taken, or ud_free). */
__attribute__((noinline)) static int add_record(acore_future_t *fut,
                                                acore_done_fn fn, void *ud,
                                                acore_free_fn ud_free) {
  acore__cbrec *r = cbrec_new(fut, ACORE__ITEM_DONECB, fn, ud, ud_free);

  if (r == NULL)
    return add_refused(ACORE_ENOMEM, ud, ud_free);
  cbrec_attach(fut, r, true);
  return ACORE_OK;
}

int acore_future_add_done_callback(acore_future_t *fut, acore_done_fn fn,
                                   void *ud, acore_free_fn ud_free) {
  if (fut == NULL || fn == NULL)
    return add_refused(ACORE_EINVAL, ud, ud_free);
  if (ACORE__WRONG_THREAD(fut->loop))
    return add_refused(ACORE_EWRONGTHREAD, ud, ud_free);
  if (acore__core(fut->loop)->closing) /* as acore__loop_check_sched */
    return add_refused(ACORE_ECLOSED, ud, ud_free);
  if (ud_free == NULL && first_take(fut, fn, ud))
    return ACORE_OK;
  return add_record(fut, fn, ud, ud_free);
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
  if (fut->state != ACORE_FUTURE_PENDING)
    return 0; /* queued callbacks are not removed (f->cbs is empty) */
  if (is_plain(fut) && first_of(fut)->b[0] == ACORE__FIRST_ARMED &&
      fut->armed.fn == fn && fut->armed.ud == ud) {
    first_of(fut)->b[0] = ACORE__FIRST_FREE;
    fut->armed.fn = NULL;
    fut->armed.ud = NULL;
    count++;
  }
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

/* The first callback's item leaves the ready queue: free the slot (f->cbs
 * an empty list again) and return the callback. */
static acore__firstcb first_release(acore_future_t *f, acore__item *it) {
  acore__firstcb cb = f->queued;

  assert(it->b[0] == ACORE__FIRST_QUEUED);
  acore__queue_init(&f->cbs);
  it->b[0] = ACORE__FIRST_FREE;
  return cb;
}

void acore__first_run(acore_loop_t *loop, acore__item *it) {
  acore_future_t *f = &((acore__pfuture *)((char *)it -
                        offsetof(acore__pfuture, first)))->fut;
  acore__firstcb cb = first_release(f, it); /* fn may register again */

  (void)loop;
  cb.fn(f, cb.ud);
  if (--f->pins == 0 && (f->flags & ACORE__F_DEAD))
    destroy_done_plain(f);
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
  } else if (it->kind == ACORE__ITEM_FIRSTCB) {
    acore_future_t *f = &((acore__pfuture *)((char *)it -
                          offsetof(acore__pfuture, first)))->fut;

    first_release(f, it);
    unpin(f, 0);
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
