/* SPDX-License-Identifier: MIT */
/*
 * loop_impl.h - the whole loop, for the files that own a part of it:
 * loop.c, and the concepts whose per-loop state lives in the loop
 * (future.c, task.c, timer.c, poll.c, report.c, host.c). Every other core
 * file sees only the loop's core part and its scheduling interface
 * (loop.h).
 * Internal.
 *
 * Each group of fields below names the file that owns it: only that file
 * (and loop.c, which makes, runs and closes the loop) touches it.
 */
#ifndef ACORE_LOOP_IMPL_H
#define ACORE_LOOP_IMPL_H

#include "loop.h"
#include "poll.h"
#include "report.h"
#include "sigdump.h"
#include "stuck.h"
#include "task.h"
#include "timer.h"
#include "trace.h"
#include "where.h"

#include <stdatomic.h>

struct acore_loop_options {
  unsigned flags;
  double slow_callback;
  void *uv_loop;
  size_t threadsafe_limit;
  double stuck_threshold; /* seconds; 0: off */
  int dump_signal;        /* 0: off */
};

struct acore_loop {
  acore__loopcore core; /* first: what every core file reads (loop.h) */

  /* loop.c: the loop itself */
  atomic_uint refs;
  uv_loop_t own_uv;
  bool owns_uv;
  bool running;
  bool in_uv_cb;    /* in one of acore's libuv callbacks (a host's uv_run) */
  bool close_later; /* closed inside in_uv_cb: the last handle close frees */
  bool idle_on;
  bool stopped;     /* uv_stop was issued by acore_loop_stop */
  bool nowait;      /* this run's poll never blocks (ACORE_RUN_NOWAIT) */
  bool spin;        /* acore_loop_run/_until_complete on acore's own uv
                       loop: a check may run more than one iteration */
  uint64_t slow_ns;
  uv_check_t check;
  uv_idle_t idle;
  uv_timer_t timer;
  uv_async_t async;
  int closing_handles;
  acore__queue ready;     /* items to run */
  acore_future_t *uc_fut; /* run_until_complete's future, or NULL */
  acore__queue closers;   /* acore__closer records */
  uint64_t armed_when;    /* deadline the uv timer is armed for, or 0 */
  uint64_t vnow;          /* virtual clock, ns */
  uint64_t epoch;         /* real clock origin, ns of uv_hrtime */
  /* ... under core.mutex: */
  acore__queue tsq;       /* call_soon_threadsafe records */
  size_t tsq_len;         /* ... how many */
  size_t tsq_limit;       /* ... at most (a public call; internal ones pass) */
  acore_future_t *zombies;
  struct acore__waker *spin_waker; /* the executors' delivery wake-up
                             (work.c), or NULL: its handle counts as the
                             loop's own (poll.c's census) and its news is
                             taken between iterations without a poll */
  atomic_bool news;       /* tsq or zombies may hold something: set under
                             the mutex before the async wake-up */
  atomic_int holds;
  atomic_int stop_req;

  /* The other concepts' parts, each a type of its owner's header. */
  acore__loop_futures futures; /* future.c (future.h) */
  acore__loop_tasks tasks;     /* task.c (task.h) */
  acore__loop_timers timers;   /* timer.c (timer.h) */
  acore__loop_reporter report; /* report.c (report.h) */
  acore__loop_poll poll;       /* poll.c (poll.h) */
  acore__loop_trace trace;     /* trace.c (trace.h) */
  acore__loop_stuck stuck;     /* stuck.c (stuck.h) */
  acore__loop_sigdump sigdump; /* sigdump.c (sigdump.h) */
  acore__loop_where where;     /* where.c (where.h) */

  /* host.c: host data slots */
  struct acore__hostslot *host;
};

/* acore__loop_push() inlined, for the hot paths of the files that see
 * the loop's body (a future's completion, its first callback); the same
 * steps as loop.c's (which tests/abi's self-checks edit). */
static inline void acore__loop_push_inline(acore_loop_t *loop,
                                           acore__item *it) {
  acore__queue_insert_tail(&loop->ready, &it->node);
  if (!loop->idle_on)
    acore__loop_kick(loop);
}

/* Recompute core.detour when the loop is made, closed (under its mutex)
 * or its trace hook changes: the hot paths that test it alone
 * (acore__obj_free, a plain future's completion with its first callback)
 * see all three with one load. Loop thread. */
static inline void acore__loop_sync_detour(acore_loop_t *loop) {
  bool detour = loop->core.closed || loop->core.cache_off ||
                ACORE__TRACE_ON(loop);

  if (loop->core.detour != detour) /* once closed, never written again: */
    loop->core.detour = detour;    /* other threads free objects then */
}

/* host.c: run every host data slot's destructor (last step of close). */
void acore__loop_host_drop(acore_loop_t *loop);

/* An object of the loop is gone (closed path: takes the mutex). */
void acore__loop_obj_gone(acore_loop_t *loop, int slab, void *p);

#endif /* ACORE_LOOP_IMPL_H */
