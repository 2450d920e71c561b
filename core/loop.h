/* SPDX-License-Identifier: MIT */
/*
 * loop.h - the loop's scheduling interface: what the core files ask of a
 * loop (loop.c) without knowing how it is made. Internal.
 *
 * Design notes
 * - Everything that runs "later" is an item on the loop's ready queue: a
 *   scheduled call (acore__call, an acore_handle), a done callback record,
 *   or a task's step. acore__loop_push() appends one; one libuv iteration
 *   runs one acore iteration (in a uv_check handle): due timers join the
 *   tail of the ready queue, then exactly the items present at that moment
 *   run, each dispatched on its kind.
 * - Objects of a loop (futures, tasks, handles) come from the loop's
 *   caches (acore__obj_alloc) and are counted live; the loop's memory is
 *   freed when its references and its live objects are gone and it is
 *   closed. While the loop is open, objects are destroyed on the loop
 *   thread only (a last unref elsewhere is deferred to it); once closed,
 *   destruction happens under the loop's mutex.
 * - Lock order: the loop's mutex is a leaf lock; no callback runs under it.
 */
#ifndef ACORE_LOOP_H
#define ACORE_LOOP_H

#include "acore.h"
#include "alloc.h"
#include "queue.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

/* ---- ready-queue items --------------------------------------------------- */

enum { ACORE__ITEM_CALL = 1, ACORE__ITEM_DONECB, ACORE__ITEM_TASK,
       ACORE__ITEM_INTERNAL, ACORE__ITEM_SCALL, ACORE__ITEM_FIRSTCB };

typedef struct acore__item {
  acore__queue node;
  uint8_t kind;
  uint8_t b[3];  /* spare bytes for the owner */
  uint32_t u32;  /* spare word for the owner */
} acore__item;

/* A call_soon nobody holds a handle to: the smallest ready item. */
typedef struct acore__call {
  acore__item item;
  acore_callback_fn fn;
  void *ud;
  acore_free_fn ud_free;
} acore__call;

/* Fields that functions of any thread read (acore_future_is_task reads a
 * future's flags; acore_loop_is_running/_is_closed/_time read the loop's
 * running, closed and vnow) are written by the loop thread only, through
 * these relaxed atomic stores (plain moves on common CPUs), and read
 * with ACORE__LOAD off the loop thread, so the reads are not data races. */
#define ACORE__STORE(lv, v) __atomic_store_n(&(lv), (v), __ATOMIC_RELAXED)
#define ACORE__LOAD(lv) __atomic_load_n(&(lv), __ATOMIC_RELAXED)

/* ---- what every core file may read of a loop ----------------------------- */

/* The first member of struct acore_loop (loop_impl.h, which only the files
 * that own a part of the loop include): what the inline checks and object
 * caches below need, and what most concepts read. */
typedef struct acore__loopcore {
  unsigned flags;        /* ACORE_LOOP_*, fixed at creation */
  const void *owner;     /* the owning thread's marker (on_loop_thread) */
  bool closed;           /* written under mutex */
  bool closing;          /* acore_loop_close() is at work (or done) */
  bool cache_off;        /* objects are their own mallocs (ACORE_NO_CACHE) */
  bool detour;           /* closed, caches off or a trace hook set: a hot
                            path that tests this byte alone takes its
                            general way (acore__loop_sync_detour) */
  acore_task_t *current; /* the task whose step runs, or NULL (task.c) */
  uv_loop_t *uv;
  uv_mutex_t mutex;      /* guards `closed`, and loop_impl.h's marked fields */
  size_t nlive;          /* futures, tasks and handles alive (mutex once
                            closed) */
  acore__slab slabs[ACORE__SLAB_COUNT];
} acore__loopcore;

static inline acore__loopcore *acore__core(const acore_loop_t *loop) {
  return (acore__loopcore *)(uintptr_t)loop;
}
static inline bool acore__loop_closed(const acore_loop_t *loop) {
  return acore__core(loop)->closed;
}
static inline acore_task_t *acore__loop_current(const acore_loop_t *loop) {
  return acore__core(loop)->current;
}

/* Each thread's marker is the address of a thread-local byte. Any thread
 * may ask (the answer is only ever "yes" on the owner), while a run on the
 * loop thread stores the owner again: a relaxed atomic on both sides. */
extern __thread char acore__thread_marker
    __attribute__((tls_model("initial-exec")));
static inline bool acore__on_loop_thread(const acore_loop_t *loop) {
  return ACORE__LOAD(acore__core(loop)->owner) == &acore__thread_marker;
}
/* Loop-thread check for debug mode. */
#define ACORE__WRONG_THREAD(loop) \
  ((acore__core(loop)->flags & ACORE_LOOP_DEBUG) && \
   !acore__on_loop_thread(loop))

/* What every loop-thread entry point checks after its own arguments:
 * ACORE_EINVAL (NULL loop), ACORE_EWRONGTHREAD (debug mode, another
 * thread), ACORE_ECLOSED, else ACORE_OK. */
static inline int acore__loop_check(const acore_loop_t *loop) {
  if (loop == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(loop))
    return ACORE_EWRONGTHREAD;
  return acore__core(loop)->closed ? ACORE_ECLOSED : ACORE_OK;
}
/* acore__loop_check() of an object's own loop, which is never NULL. */
static inline int acore__loop_check_own(const acore_loop_t *loop) {
  if (ACORE__WRONG_THREAD(loop))
    return ACORE_EWRONGTHREAD;
  return acore__core(loop)->closed ? ACORE_ECLOSED : ACORE_OK;
}
/* The same for the entry points that schedule a callback or a task: they
 * refuse from the moment close starts (also inside the cleanups it runs),
 * so nothing is scheduled that close would not see. */
static inline int acore__loop_check_sched(const acore_loop_t *loop) {
  if (loop == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(loop))
    return ACORE_EWRONGTHREAD;
  return acore__core(loop)->closing ? ACORE_ECLOSED : ACORE_OK; /* closed
                                                   implies closing */
}

/* ---- the loop's object caches -------------------------------------------- */

void *acore__obj_alloc_slow(acore_loop_t *loop, int slab);
void acore__obj_free_slow(acore_loop_t *loop, int slab, void *p);

/* An object from the loop's cache of `slab`, counted in nlive. */
static inline void *acore__obj_alloc(acore_loop_t *loop, int slab) {
  acore__loopcore *c = acore__core(loop);
  acore__slab *s = &c->slabs[slab];
  void **b = s->free_list;

  if (b == NULL)
    return acore__obj_alloc_slow(loop, slab);
  ACORE__UNPOISON(b, s->block_size);
  s->free_list = *b;
  c->nlive++;
  return b;
}

/* Give an object back; slab -1: it came from acore__malloc. */
static inline void acore__obj_free(acore_loop_t *loop, int slab, void *p) {
  acore__loopcore *c = acore__core(loop);

  if (slab >= 0 && !c->detour) { /* open, caches on */
    acore__slab *s = &c->slabs[slab];
    *(void **)p = s->free_list;
    s->free_list = p;
    ACORE__POISON(p, s->block_size);
    c->nlive--;
    return;
  }
  acore__obj_free_slow(loop, slab, p);
}

/* ---- scheduling ---------------------------------------------------------- */

void acore__loop_push(acore_loop_t *loop, acore__item *it); /* ready tail */
/* call_soon_threadsafe without its bound, for acore's own calls that must
 * not fail while the loop is open (a destruction that must run on the
 * loop thread). Returns as acore_loop_call_soon_threadsafe. */
int acore__loop_post(acore_loop_t *loop, acore_callback_fn fn, void *ud,
                     acore_free_fn ud_free);
uint64_t acore__loop_now(const acore_loop_t *loop); /* ns, fresh */
void acore__loop_wake_timers(acore_loop_t *loop); /* re-arm after changes */
/* Defer a future's destruction to the loop thread (any thread). */
void acore__loop_defer_destroy(acore_loop_t *loop, acore_future_t *f);
/* Hand an unhandled problem to the loop's error handler (report.c). */
void acore__loop_report(acore_loop_t *loop, int kind, const char *message,
                        acore_error_t *err, acore_future_t *fut);

/* A libuv handle of the loop's uv loop that acore made (an I/O handle):
 * acore__loop_uv_close() closes it with `cb`, and `cb` must end by calling
 * acore__loop_uv_closed(loop), after which it may not touch the loop.
 * acore_loop_close() runs libuv until every handle closed this way has had
 * its callback (or, inside a host's uv_run, keeps the loop's memory until
 * then), so a handle closed by a closer record (below) never outlives the
 * loop. Loop thread. */
void acore__loop_uv_close(acore_loop_t *loop, uv_handle_t *h, uv_close_cb cb);
void acore__loop_uv_closed(acore_loop_t *loop);
/* Something else libuv must finish before the loop closes (a request in
 * flight, such as a getaddrinfo): acore_loop_close() waits, as for a
 * handle, until a matching acore__loop_uv_closed(loop). Loop thread. */
void acore__loop_close_wait(acore_loop_t *loop);

/* A future of the loop was completed inside a libuv callback that runs
 * before the poll (libuv's pending phase: write, shutdown and some
 * connect callbacks): keep that poll from blocking, so the iteration's
 * check sees it (run_until_complete's future has no ready item).
 * Loop thread. */
void acore__loop_kick(acore_loop_t *loop);

/* Something that must hear of the loop's close before anything else is
 * dropped (an executor with work in flight for the loop, a default
 * executor). Registered with acore__loop_add_closer(); `fn` runs once, on
 * the loop thread, at the start of acore_loop_close(), after which the
 * record is unlinked (the owner frees it, possibly inside `fn`). */
typedef struct acore__closer {
  acore__queue node;
  void (*fn)(struct acore__closer *c, acore_loop_t *loop);
} acore__closer;

void acore__loop_add_closer(acore_loop_t *loop, acore__closer *c);
void acore__loop_remove_closer(acore__closer *c);

/* The executors' delivery wake-up of `loop` (work.c), or NULL before it
 * closes: a busy loop takes its news between iterations without a poll,
 * so using an executor keeps those iterations (core/loop.c). Loop
 * thread. */
struct acore__waker;
void acore__loop_set_spin_waker(acore_loop_t *loop, struct acore__waker *w);
/* The loop's closer record whose fn is `fn`, or NULL. Loop thread. */
acore__closer *acore__loop_find_closer(acore_loop_t *loop,
                                       void (*fn)(acore__closer *c,
                                                  acore_loop_t *loop));

#endif /* ACORE_LOOP_H */
