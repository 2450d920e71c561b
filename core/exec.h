/* SPDX-License-Identifier: MIT */
/*
 * exec.h - what the executor's two halves share (internal): the pool of
 * workers (executor.c) and the jobs with their delivery to loops (work.c).
 *
 * Design notes
 * - A job is a composite future (acore__xfuture, flagged NOSET): the
 *   future handed out and the job are one allocation, kept alive by the
 *   future's reference count. A job in flight holds one reference to its
 *   future, one to its executor and one to its loop's delivery state.
 * - A job's state moves QUEUED -> RUNNING -> (posted to its loop) under
 *   the executor's mutex, or QUEUED -> DROPPED when it is taken out of the
 *   queue before it started (cancel, shutdown, loop close): a DROPPED job
 *   never runs. Only one side ever owns a job: the queue, a worker, the
 *   loop's done list, or whoever dropped it.
 * - Locks: the executor's mutex and a loop's delivery mutex are never held
 *   together; no user code and no unref runs under either.
 */
#ifndef ACORE_EXEC_H
#define ACORE_EXEC_H

#include "future.h"
#include "acore/executor.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

enum { ACORE__JOB_QUEUED = 1, ACORE__JOB_RUNNING, ACORE__JOB_DROPPED };

typedef struct acore__exloop acore__exloop;

struct acore_work {
  acore__xfuture x;        /* first: the job's future */
  /* loop thread only */
  acore__queue lnode;      /* el->inflight while not delivered */
  /* handed between threads under the executor's or the loop's mutex */
  acore__queue node;       /* ex->queue, or the loop's done list */
  acore_executor_t *ex;    /* a reference */
  acore__exloop *el;       /* a reference */
  acore_work_fn fn;
  void *ud;
  acore_free_fn ud_free;
  int state;               /* ACORE__JOB_*, under ex->mutex */
  atomic_int cancel;       /* the token */
  bool ran;                /* fn returned (written by the worker) */
  uint8_t rstate;          /* 0 or ACORE_FUTURE_*: what fn produced */
  uint8_t rkind;
  acore__value rv;
};

/* ---- a cross-thread wake-up of a loop (waker.c) ---- */

typedef struct acore__waker {
#ifndef _WIN32
  uv_poll_t poll;
  int fds[2];              /* read end, write end (the same for eventfd) */
#else
  uv_async_t poll;
#endif
  void (*fn)(struct acore__waker *w);     /* on the loop thread */
  void (*closed)(struct acore__waker *w); /* after close */
} acore__waker;

/* Set up on `uv` (unreferenced); `fn` runs on the loop after wake-ups.
 * Returns ACORE_OK, ACORE_ENOMEM or ACORE_EIO. Loop thread. */
int acore__waker_init(uv_loop_t *uv, acore__waker *w,
                      void (*fn)(acore__waker *w));
/* Wake the loop (any thread; one write, no lock, no handshake). */
void acore__waker_wake(acore__waker *w);
/* Keep the loop running (hold) or not. Loop thread. */
void acore__waker_hold(acore__waker *w, bool hold);
/* Close; `closed` runs once the memory may go. Loop thread. */
void acore__waker_close(acore__waker *w, void (*closed)(acore__waker *w));

/* ---- the pool (executor.c) ---- */

/* Queue `job` (state QUEUED), waking or starting a worker.
 * Returns: ACORE_OK; ACORE_ECLOSED (shut down); ACORE_ENOMEM / ACORE_EIO
 * (no worker exists and none could start; nothing was queued). */
int acore__executor_submit(acore_executor_t *ex, acore_work_t *job);
/* Take a queued job out (it becomes DROPPED, counted cancelled): 1; or,
 * when it already runs or ran, raise its token: 0. */
int acore__executor_cancel_job(acore_executor_t *ex, acore_work_t *job);

/* ---- jobs (work.c), called by workers ---- */

/* Run the work function and settle what it produced (no lock held). */
void acore__work_exec(acore_work_t *job);
/* Hand a finished or DROPPED job to its loop (no lock held). */
void acore__work_post(acore_work_t *job);

/* Options, shared with the default executor of a loop. */
struct acore_executor_options {
  unsigned max_workers;
  unsigned min_workers;
  double idle_timeout;
  size_t stack_size;
  acore_worker_fn hook;  /* worker start/stop, or NULL */
  void *hook_ud;
};

#endif /* ACORE_EXEC_H */
