/* SPDX-License-Identifier: MIT */
/*
 * internal.h - the shapes of acore's objects and the functions the core
 * files share. Nothing here is public.
 *
 * Design notes
 * - Everything that runs "later" is an item on the loop's ready queue: a
 *   scheduled call (acore_handle), a done callback record, or a task's step.
 *   One libuv iteration runs one acore iteration (in a uv_check handle):
 *   due timers join the tail of the ready queue, then exactly the items
 *   present at that moment run.
 * - A loop's objects (futures, tasks, handles) are counted in loop->nlive;
 *   the loop's memory is freed when its refs, and nlive, are 0 and it is
 *   closed. While the loop is open, objects are destroyed on the loop
 *   thread only (a last unref elsewhere is deferred through the zombie
 *   list); once closed, destruction happens under loop->mutex.
 * - Lock order: loop->mutex is a leaf lock; no callback runs under it.
 */
#ifndef ACORE_INTERNAL_H
#define ACORE_INTERNAL_H

#include "acore.h"
#include "alloc.h"
#include "future.h"
#include "loop.h"
#include "poll.h"
#include "queue.h"
#include "task.h"
#include "timer.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

/* ---- the loop ------------------------------------------------------------ */

struct acore_loop_options {
  unsigned flags;
  double slow_callback;
  void *uv_loop;
  size_t threadsafe_limit;
};

struct acore_loop {
  atomic_uint refs;
  uv_loop_t *uv;
  uv_loop_t own_uv;
  bool owns_uv;
  bool running;
  bool closed;      /* written under mutex */
  bool closing;     /* acore_loop_close() is at work (or done) */
  bool in_uv_cb;    /* in one of acore's libuv callbacks (a host's uv_run) */
  bool close_later; /* closed inside in_uv_cb: the last handle close frees */
  bool idle_on;
  bool stopped;     /* uv_stop was issued by acore_loop_stop */
  unsigned flags;
  uint64_t slow_ns;

  uv_check_t check;
  uv_idle_t idle;
  uv_timer_t timer;
  uv_async_t async;
  int closing_handles;

  acore__queue ready;   /* items to run */
  acore__queue cbrecs;  /* user callbacks waiting on pending futures */
  acore__queue tasks;   /* unfinished tasks, oldest first */
  size_t ntasks;
  uint64_t next_task_id;
  acore_task_t *current;
  acore__stage stage;
  acore_future_t *uc_fut; /* run_until_complete's future, or NULL */
  acore_future_t *cwave; /* futures the cancel under way reached (znext) */
  unsigned cdepth;       /* nested acore__cancel calls */
  acore__queue closers; /* acore__closer records */

  /* timers: a binary min-heap on (when, seq) */
  acore_handle_t **heap;
  size_t heap_len;
  size_t heap_cap;
  uint64_t timer_seq;
  uint64_t armed_when;  /* deadline the uv timer is armed for, or 0 */
  uint64_t vnow;        /* virtual clock, ns */
  uint64_t epoch;       /* real clock origin, ns of uv_hrtime */

  const void *owner; /* the owning thread's marker (acore__on_loop_thread) */
  uv_mutex_t mutex;     /* guards the fields below and `closed` */
  acore__queue tsq;     /* call_soon_threadsafe records */
  size_t tsq_len;       /* ... how many */
  size_t tsq_limit;     /* ... at most (a public call; internal ones pass) */
  acore_future_t *zombies;
  size_t nlive;         /* futures, tasks and handles alive */
  atomic_int holds;
  atomic_int stop_req;

  acore_error_handler_fn eh;
  void *eh_ud;
  acore_free_fn eh_free;

  /* poll.c: the poll hook and the wake-up fd */
  uv_prepare_t prepare; /* active while a hook is set */
  acore_poll_fn poll_fn;
  void *poll_ud;
  acore_free_fn poll_free;
  bool nowait;          /* this run's poll never blocks (ACORE_RUN_NOWAIT) */
  bool poll_waiting;    /* BEFORE was called; AFTER is due */
  bool in_poll_hook;    /* the hook is running */
  uv_poll_t *wakeup;    /* the wake-up fd's handle, or NULL */

  struct acore__hostslot *host; /* host.c: host data slots */

  acore__slab slabs[ACORE__SLAB_COUNT];
};

/* Each thread's marker is the address of a thread-local byte. */
extern __thread char acore__thread_marker
    __attribute__((tls_model("initial-exec")));
static inline bool acore__on_loop_thread(const acore_loop_t *loop) {
  return loop->owner == &acore__thread_marker;
}
/* Loop-thread check for debug mode. */
#define ACORE__WRONG_THREAD(loop) \
  (((loop)->flags & ACORE_LOOP_DEBUG) && !acore__on_loop_thread(loop))

/* host.c: run every host data slot's destructor (last step of close). */
typedef struct acore__hostslot acore__hostslot;
void acore__loop_host_drop(acore_loop_t *loop);
/* What every loop-thread entry point checks after its own arguments:
 * ACORE_EINVAL (NULL loop), ACORE_EWRONGTHREAD (debug mode, another
 * thread), ACORE_ECLOSED, else ACORE_OK. */
static inline int acore__loop_check(const acore_loop_t *loop) {
  if (loop == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(loop))
    return ACORE_EWRONGTHREAD;
  return loop->closed ? ACORE_ECLOSED : ACORE_OK;
}
/* The same for the entry points that schedule a callback or a task: they
 * refuse from the moment close starts (also inside the cleanups it runs),
 * so nothing is scheduled that close would not see. */
static inline int acore__loop_check_sched(const acore_loop_t *loop) {
  int rc = acore__loop_check(loop);

  return rc == ACORE_OK && loop->closing ? ACORE_ECLOSED : rc;
}

void *acore__obj_alloc_slow(acore_loop_t *loop, int slab);
void acore__obj_free_slow(acore_loop_t *loop, int slab, void *p);

/* An object from the loop's cache of `slab`, counted in nlive. */
static inline void *acore__obj_alloc(acore_loop_t *loop, int slab) {
  acore__slab *s = &loop->slabs[slab];
  void **b = s->free_list;

  if (b == NULL)
    return acore__obj_alloc_slow(loop, slab);
  ACORE__UNPOISON(b, s->block_size);
  s->free_list = *b;
  loop->nlive++;
  return b;
}

/* Give an object back; slab -1: it came from acore__malloc. */
static inline void acore__obj_free(acore_loop_t *loop, int slab, void *p) {
  if (slab >= 0 && !loop->closed && !acore__cache_off()) {
    acore__slab *s = &loop->slabs[slab];
    *(void **)p = s->free_list;
    s->free_list = p;
    ACORE__POISON(p, s->block_size);
    loop->nlive--;
    return;
  }
  acore__obj_free_slow(loop, slab, p);
}
/* An object of the loop is gone (closed path: takes the mutex). */
void acore__loop_obj_gone(acore_loop_t *loop, int slab, void *p);

#endif /* ACORE_INTERNAL_H */
