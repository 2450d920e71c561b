/* SPDX-License-Identifier: MIT */
/*
 * waitq.h - the FIFO wait queue shared by the synchronisation primitives
 * (semaphore, lock, event, condition, queue). Internal.
 *
 * Design notes
 * - A waiter is a composite future (acore__xfuture) with a queue node. It
 *   is in at most one wait queue (w->wq != NULL while queued). The queue
 *   holds no reference: the future's holder does. A waiter whose future is
 *   cancelled, or dropped by its last holder, leaves its queue at once
 *   (synchronously, inside acore_future_cancel / the last unref) and the
 *   queue's on_leave hook runs so the owner can wake whoever is now first.
 * - A waiter leaves its queue before its future completes; nothing is ever
 *   completed once the loop is closed (acore__waiter_* check it).
 * - Once the loop is closed, waiters and primitives may be destroyed on
 *   any thread at once: the links of their queues change only under the
 *   loop's mutex then.
 * - A waiter future may outlive its primitive (its holder keeps it): once
 *   it left its queue it reads nothing of it (what describe shows was
 *   copied when it left).
 * - The queue knows no primitive: a primitive whose waiters carry more
 *   (the lock's owner and watch, lock.h; a queue putter's item, aqueue.c)
 *   makes them bigger and supplies their future ops (a waiter kind) built
 *   on acore__waiter_cancel and acore__waiter_destroy.
 */
#ifndef ACORE_WAITQ_H
#define ACORE_WAITQ_H

#include "future.h"
#include "acore/sync.h"

typedef struct acore__waitq acore__waitq;
typedef struct acore__waiter acore__waiter;

/* What the waiters made for a queue are: their size (>= sizeof
 * (acore__waiter)) and their future ops. */
typedef struct acore__waiter_kind {
  size_t size;
  const acore__future_ops *ops;
} acore__waiter_kind;

struct acore__waitq {
  acore__queue q;
  size_t len;
  /* A waiter left by cancel or abandon (may be NULL). */
  void (*on_leave)(acore__waitq *wq, acore__waiter *w);
  void *owner;
  acore_loop_t *loop; /* the waiters' loop, from the first push */
  const acore__waiter_kind *kind; /* of acore__waiter_for / _of */
  const char *name; /* what the queue is for, in dumps ("semaphore") */
};

struct acore__waiter {
  acore__xfuture x;     /* first: the future handed out */
  union {
    acore__queue node;  /* in wq->q, while queued */
    struct {            /* not queued, made for a queue (origin set): the
                           queue's name and owner, for describe, which
                           must not read the queue: it may be freed */
      const char *name;
      const void *owner;
    } was;
  };
  acore__waitq *wq;     /* the queue it waits in, or NULL */
  acore__waitq *origin; /* the queue it was made for (kept once served,
                           for acore__waiter_of to compare: never read
                           then, its primitive may be gone) */
  size_t n;             /* semaphore: permits asked for; queue: a
                           putter's stage */
};

/* A pending waiter of `size` bytes (>= sizeof(acore__waiter)) with `ops`
 * (NULL: the plain waiter ops: cancel leaves the queue). NULL on ENOMEM. */
acore__waiter *acore__waiter_new(acore_loop_t *loop, size_t size,
                                 const acore__future_ops *ops);
/* The plain ops (cancel and destroy leave the queue) and kind. */
extern const acore__future_ops acore__waiter_ops;
extern const acore__waiter_kind acore__waiter_plain;
/* The plain ops, for a kind's own ops to call: cancel the future and
 * leave the queue (running on_leave); leave the queue (destroy). */
int acore__waiter_cancel(acore_future_t *f, const char *message);
void acore__waiter_destroy(acore_future_t *f);
/* The plain describe hook (future.h): the queue's name and owner, and the
 * waiter's place in it. */
int acore__waiter_describe(const acore_future_t *f, char *buf, size_t cap);
/* The plain description of a queued waiter of a held lock, followed by
 * "; held by NAME (#ID)", or "; held outside a task" for a NULL `holder`.
 * A waiter that is not queued gets the plain description only. */
int acore__waiter_describe_held(const acore_future_t *f, char *buf,
                                size_t cap, acore_task_t *holder);
/* Leave the queue if queued (no hook runs). */
void acore__waiter_unlink(acore__waiter *w);
/* Complete with an int result / an error code (after unlinking). */
void acore__waiter_grant(acore__waiter *w, int64_t value);
void acore__waiter_fail(acore__waiter *w, int code, const char *message);
/* Complete with a pointer result owned by the future. */
void acore__waiter_give(acore__waiter *w, void *ptr, acore_free_fn ptr_free);
/* A done future with an int result (the fast path); NULL on ENOMEM. */
acore_future_t *acore__done_future(acore_loop_t *loop, int64_t value);
/* A pending waiter of wq's kind made for `wq` but not queued (a fast path
 * that serves it at once with acore__waiter_grant/_give); NULL on ENOMEM. */
acore__waiter *acore__waiter_for(acore__waitq *wq, acore_loop_t *loop);
/* `fut` as a waiter of wq's kind handed out for `wq` (queued or served),
 * else NULL: what the _finish() calls accept. */
acore__waiter *acore__waiter_of(acore_future_t *fut, const acore__waitq *wq);

/* `kind` NULL: acore__waiter_plain. */
void acore__waitq_init(acore__waitq *wq, void *owner,
                       void (*on_leave)(acore__waitq *, acore__waiter *),
                       const acore__waiter_kind *kind);
void acore__waitq_push(acore__waitq *wq, acore__waiter *w);
acore__waiter *acore__waitq_head(const acore__waitq *wq); /* or NULL */
/* Unlink every waiter and fail it with `code` (skipped on a closed loop). */
void acore__waitq_fail_all(acore__waitq *wq, int code, const char *message);

/* A primitive's reference count: atomic, so the last reference may be
 * dropped on any thread (a garbage collector's). */
#define ACORE__REF(obj) atomic_fetch_add_explicit(&(obj)->refs, 1, \
                                                  memory_order_relaxed)
/* 1 when this drop was the last. */
#define ACORE__UNREF_LAST(obj) \
  (atomic_fetch_sub_explicit(&(obj)->refs, 1, memory_order_acq_rel) == 1)
/* Run destroy(obj) on the loop thread: now when called there, else
 * deferred with call_soon_threadsafe - or run on the calling thread when
 * the loop is closed, after reading that under the loop's mutex. */
void acore__sync_destroy(acore_loop_t *loop, acore_free_fn destroy, void *obj);

/* The task whose step is cancelled now while its awaited future `fut` is
 * done with a result: 1 (the holder must give back what it got), else 0. */
int acore__cancel_delivered(acore_future_t *fut);

#endif /* ACORE_WAITQ_H */
