/* SPDX-License-Identifier: MIT */
/*
 * future.h - the future (future.c): its shape, its done-callback records
 * and the composite futures the other concepts build on it. Internal.
 *
 * Design notes
 * - A future completes exactly once (acore__future_complete); its done
 *   callbacks are ready-queue items queued then, in registration order,
 *   never run inside the completing call.
 * - References: `refs` counts holders; `pins` counts queued callbacks that
 *   still read the memory after the last unref (the memory goes when
 *   both are 0). A task is a future (task.h); so is every composite.
 */
#ifndef ACORE_FUTURE_H
#define ACORE_FUTURE_H

#include "loop.h"
#include "value.h"

enum { /* future flags */
  ACORE__F_TASK = 1u << 0,
  ACORE__F_RETRIEVED = 1u << 1,
  ACORE__F_STOLEN = 1u << 2,
  ACORE__F_CUSTOM = 1u << 3, /* an acore__xfuture with its own ops */
  ACORE__F_NOSET = 1u << 4,  /* public setters refuse it (EINVAL) */
  ACORE__F_DEAD = 1u << 5,   /* no references left; waits for pins == 0 */
  ACORE__F_CVISIT = 1u << 6, /* reached by the cancel under way */
  ACORE__F_CACCEPT = 1u << 7 /* ... which it accepted (returned 1) */
};

/* Set a mutable flag bit (RETRIEVED, STOLEN, DEAD) on the loop thread. */
#define ACORE__FUTURE_FLAG(f, bit) \
  ACORE__STORE((f)->flags, (uint8_t)((f)->flags | (bit)))

/* The loop's part that future.c owns (a field of struct acore_loop). */
typedef struct acore__loop_futures {
  acore__queue cbrecs;   /* user callbacks waiting on pending futures */
  acore_future_t *cwave; /* futures the cancel under way reached (znext) */
  unsigned cdepth;       /* nested acore__cancel calls */
} acore__loop_futures;

/* A plain future's first done callback, without its ud_free (future.c). */
typedef struct acore__firstcb {
  acore_done_fn fn;
  void *ud;
} acore__firstcb;

struct acore_future {
  atomic_uint refs;
  uint8_t state; /* ACORE_FUTURE_* */
  uint8_t kind;  /* ACORE_VALUE_* when state is RESULT */
  uint8_t flags; /* ACORE__F_* */
  uint8_t pins;  /* queued done callbacks that rely on this memory */
  acore_loop_t *loop;
  union {
    acore__value v;
    acore__firstcb armed; /* pending plain future: its first callback */
  };
  union {
    acore__queue cbs;      /* pending: items waiting for completion */
    acore__firstcb queued; /* done plain future: its first callback, queued */
  };
  struct acore_future *znext;   /* zombie list link */
};

/* A plain future (no TASK or CUSTOM flag: acore_future_new, sleep(0),
 * done futures): room for one done callback without ud_free, so the
 * common single registration allocates nothing. `first.b[0]` is the
 * slot's state; the callback lives in `armed` while the future is
 * pending, in `queued` once its item is on the ready queue (cbs is empty
 * then); otherwise `cbs` is an (empty) list again. */
enum { ACORE__FIRST_FREE, ACORE__FIRST_ARMED, ACORE__FIRST_QUEUED };

typedef struct acore__pfuture {
  struct acore_future fut; /* first */
  acore__item first;       /* kind ACORE__ITEM_FIRSTCB */
} acore__pfuture;

/* A done callback registration. `lnode` links it in loop->futures.cbrecs
 * while it waits on a pending future, so close can drop it. */
typedef struct acore__cbrec {
  acore__item item;
  acore__queue lnode;
  acore_done_fn fn;
  void *ud;
  acore_free_fn ud_free;
  acore_future_t *fut;
} acore__cbrec;

void acore__future_init(acore_loop_t *loop, acore_future_t *f, uint8_t flags);

/*
 * Composite futures (gather, semaphore waiters, executor jobs, ...): a
 * struct whose first member is an acore__xfuture, allocated with
 * acore__xfuture_new(). Its ops are called on the loop thread:
 * - cancel (may be NULL): called synchronously by acore_future_cancel()
 *   on the pending future instead of the plain cancel; it returns what
 *   acore_future_cancel returns (1, 0, or an error) and normally ends by
 *   calling acore__future_cancel(f, message) itself.
 * - destroy (may be NULL): called once at the last unref, after the
 *   future's callbacks and value were released, to free what the
 *   composite owns; acore frees the memory itself afterwards.
 */
typedef struct acore__future_ops {
  int (*cancel)(acore_future_t *f, const char *message);
  void (*destroy)(acore_future_t *f);
  /* How the kind shows in the await graph (graph.c, dump.c); each may be
   * NULL. A new kind (an I/O operation, say) fills them in to describe
   * itself, nothing else changes (docs/internals/observability.md):
   * - name: the kind's name, a static string ("gather", "lock", "tcp.read");
   *   NULL shows as "future".
   * - children: the futures it waits for (a combinator's inputs), borrowed:
   *   at most `cap` written into `out`; returns how many there are.
   * - describe: one short line of detail (what, on which object, how far),
   *   snprintf-like into `buf`; returns the length it needs. */
  const char *name;
  size_t (*children)(const acore_future_t *f, acore_future_t **out,
                     size_t cap);
  int (*describe)(const acore_future_t *f, char *buf, size_t cap);
} acore__future_ops;

typedef struct acore__xfuture {
  struct acore_future fut; /* first */
  const acore__future_ops *ops;
  int slab; /* the loop cache it came from, or -1 (acore__malloc) */
} acore__xfuture;

/* A pending composite future of `size` bytes (>= sizeof(acore__xfuture)),
 * zeroed past the xfuture header; `flags` may add ACORE__F_NOSET.
 * NULL on allocation failure. Loop thread only. */
acore_future_t *acore__xfuture_new(acore_loop_t *loop, size_t size,
                                   const acore__future_ops *ops,
                                   uint8_t flags);
void acore__future_destroy(acore_future_t *f); /* refs reached 0 */
/* The last reference is gone, on the loop thread: destroy now, or once the
 * queued callbacks that pin it have run. */
void acore__future_release(acore_future_t *f);
/* Keep a future's memory while an internal item refers to it, without a
 * reference (at most a few pins of this kind per future). */
void acore__future_pin(acore_future_t *f);
void acore__future_unpin(acore_future_t *f);
/* Complete a pending future with an already-prepared value; queues its
 * callbacks. `state` is ACORE_FUTURE_RESULT/ERROR/CANCELLED. */
void acore__future_complete(acore_future_t *f, int state, uint8_t kind,
                            acore__value v);
/* acore__future_complete() of a task's future (task.c's finish): its
 * FUTURE_DONE probe fires, the trace hook is not called (the caller calls
 * it for this point and its own behind one test). */
void acore__future_complete_task(acore_future_t *f, int state, uint8_t kind,
                                 acore__value v);
/* Internal done callback, not counted as a user registration. */
int acore__future_add_internal(acore_future_t *f, acore_done_fn fn, void *ud,
                               acore__cbrec **out);
/* Cancel `f` (checked by the caller) as part of the cancel under way, or
 * of a new one: every future is cancelled at most once per cancel, however
 * many paths lead to it (a later path gets the first answer), and a task
 * reached again while its own cancel is passed on (it awaits, indirectly,
 * itself) is woken to see the cancel. Returns as acore_future_cancel. */
int acore__cancel(acore_future_t *f, const char *message);
/* Cancel a plain future (no task routing, no checks): 1, 0 or ENOMEM. */
int acore__future_cancel(acore_future_t *f, const char *message);
void acore__cbrec_run(acore_loop_t *loop, acore__cbrec *r);
/* A plain future's first done callback (an ACORE__ITEM_FIRSTCB item). */
void acore__first_run(acore_loop_t *loop, acore__item *it);
void acore__cbrec_drop(acore_loop_t *loop, acore__cbrec *r);
/* Drop the registrations still waiting on pending futures (close). */
void acore__future_drop_callbacks(acore_loop_t *loop);
void acore__future_drop_item(acore__item *it); /* close: a queued item */
/* Two-phase registration (combinators), for callers that must not fail
 * once they have done something: reserve records first, attach them later
 * (never fails). An attached record is an ACORE__ITEM_INTERNAL item that
 * loop close drops with its ud_free like a user callback, and that
 * acore_future_remove_done_callback() ignores. */
acore__cbrec *acore__cbrec_reserve(acore_loop_t *loop);
void acore__cbrec_unreserve(acore_loop_t *loop, acore__cbrec *r);
void acore__cbrec_attach(acore_future_t *f, acore__cbrec *r, acore_done_fn fn,
                         void *ud, acore_free_fn ud_free);

#endif /* ACORE_FUTURE_H */
