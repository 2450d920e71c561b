/* SPDX-License-Identifier: MIT */
/*
 * pool.h - the executor's pool of worker threads (executor.c), generic
 * over what it runs: a job is a node with two operations. What a job of
 * acore_run_in_executor() is, and how its result reaches its loop, is the
 * submitter's business (work.c). Internal.
 *
 * Design notes
 * - A job's state moves QUEUED -> RUNNING -> (done) under the executor's
 *   mutex, or QUEUED -> DROPPED when it is taken out of the queue before it
 *   started (cancel, shutdown with CANCEL_PENDING): a DROPPED job never
 *   runs. Only one side ever owns a job: the queue, a worker, or whoever
 *   dropped it; `done` hands it back to its submitter.
 * - Locks: the executor's mutex is never held while a job's operation
 *   runs, nor while anything is unreferenced.
 */
#ifndef ACORE_POOL_H
#define ACORE_POOL_H

#include "acore/executor.h"
#include "queue.h"

#include <stdatomic.h>
#include <stdbool.h>

enum { ACORE__JOB_QUEUED = 1, ACORE__JOB_RUNNING, ACORE__JOB_DROPPED };

typedef struct acore__job acore__job;

typedef struct acore__job_ops {
  /* Run the job on a worker thread (no lock held). */
  void (*run)(acore__job *job);
  /* The pool is done with the job: after `run` returned (on that worker),
   * or once a shutdown with CANCEL_PENDING dropped it (on the thread that
   * shut the pool down; state DROPPED). Not called for a job that
   * acore__executor_cancel_job() took out. No lock held; may drop the
   * executor's last reference. */
  void (*done)(acore__job *job);
} acore__job_ops;

/* Embedded in the submitter's job; set up by acore__job_init. */
struct acore__job {
  acore__queue node;          /* the pool's queue while QUEUED; the
                                 submitter's to use after `done` */
  const acore__job_ops *ops;
  int state;                  /* ACORE__JOB_*, under the executor's mutex */
  atomic_int cancel;          /* the token, raised by cancel or shutdown */
};

void acore__job_init(acore__job *job, const acore__job_ops *ops);

/* Queue `job` (state QUEUED), waking or starting a worker.
 * Returns: ACORE_OK; ACORE_ECLOSED (shut down); ACORE_ENOMEM / ACORE_EIO
 * (no worker exists and none could start; nothing was queued). */
int acore__executor_submit(acore_executor_t *ex, acore__job *job);
/* Take a queued job out (it becomes DROPPED, counted cancelled; its `done`
 * is not called: the caller owns it again): 1; or, when it already runs
 * or ran, raise its token: 0. */
int acore__executor_cancel_job(acore_executor_t *ex, acore__job *job);

/* ---- a loop's default executor (executor.c) ---- */

/* The loop's default executor (borrowed), made on first use; *made says
 * whether this call made it. ACORE_OK, ACORE_ENOMEM or ACORE_EIO. Loop
 * thread, open loop. */
int acore__loop_executor(acore_loop_t *loop, acore_executor_t **out,
                         bool *made);
/* Forget the default executor acore__loop_executor() just made (a failed
 * first use leaves nothing behind). */
void acore__loop_executor_undo(acore_loop_t *loop);

#endif /* ACORE_POOL_H */
