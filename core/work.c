/* SPDX-License-Identifier: MIT */
/*
 * work.c - executor jobs: acore_run_in_executor(), what a work function
 * produces, cancellation, and the delivery of finished jobs to their loop
 * (one queue and one wake-up per loop, drained in batches). The pool
 * itself, and a loop's default executor, are in executor.c.
 *
 * Design notes
 * - Each loop that uses an executor gets one delivery state (exloop),
 *   found through its closer record among the loop's closers. Workers append
 *   finished jobs to its `done` list under its mutex; only the append that
 *   finds the list empty sends the wake-up (waker.c), and the loop thread
 *   takes the whole list at once, so a burst costs one wake-up. The
 *   wake-up is sent after unlocking (a woken loop thread must not block on
 *   the poster's lock); `sending` counts such posters, and close waits for
 *   them before it closes the waker.
 * - The waker is referenced while jobs of the loop are in flight
 *   (ninflight > 0), so acore_loop_run() waits for them; otherwise it is
 *   unreferenced.
 * - Close: the loop's closer drops its queued jobs (they never run), cancels
 *   the futures of its running ones, delivers what was already posted and
 *   marks the exloop closed under its mutex; a worker finishing later
 *   sees `closed` and frees the job itself. The exloop lives on, counted,
 *   until its last job is gone; the waker's memory until its close
 *   callback.
 * - A job is a composite future (acore__xfuture, flagged NOSET): the
 *   future handed out and the job are one allocation, kept alive by the
 *   future's reference count. A job in flight holds one reference to its
 *   future, one to its executor and one to its loop's delivery state.
 * - The pool (executor.c) sees only the job's acore__job (pool.h): it calls
 *   job_run on a worker, then job_done, which posts the job to its loop;
 *   only one side ever owns a job: the pool, the loop's done list, or
 *   whoever dropped it.
 * - Locks: the executor's mutex and a loop's delivery mutex are never held
 *   together; no user code and no unref runs under either.
 * - A job completes its future only on the loop thread, and only if the
 *   future is still pending; otherwise what the work produced is freed.
 */
#include "alloc.h"
#include "future.h"
#include "loop.h"
#include "pool.h"
#include "queue.h"
#include "value.h"
#include "waker.h"

#include <assert.h>

typedef struct acore__exloop acore__exloop;

struct acore_work {
  acore__xfuture x;        /* first: the job's future */
  acore__job job;          /* the pool's part; job.node: then el->done */
  acore__queue lnode;      /* el->inflight while not delivered (loop thread) */
  acore_executor_t *ex;    /* a reference */
  acore__exloop *el;       /* a reference */
  acore_work_fn fn;
  void *ud;
  acore_free_fn ud_free;
  bool ran;                /* fn returned (written by the worker) */
  uint8_t rstate;          /* 0 or ACORE_FUTURE_*: what fn produced */
  uint8_t rkind;
  acore__value rv;
};

static acore_work_t *work_of(acore__job *job) {
  return acore__queue_data(job, acore_work_t, job);
}

struct acore__exloop {
  acore__closer closer;    /* on loop->closers while the loop is open */
  acore_loop_t *loop;
  acore__waker waker;
  atomic_uint refs;        /* the loop's (until the waker closed), jobs' */
  uv_mutex_t mutex;        /* guards done and closed */
  acore__queue done;
  bool closed;
  atomic_int sending;      /* posters between unlock and their wake-up */
  acore__queue inflight;   /* loop thread: jobs not yet delivered */
  size_t ninflight;
};

/* ---- delivery state of a loop ---------------------------------------------------- */

static void el_unref(acore__exloop *el) {
  if (atomic_fetch_sub_explicit(&el->refs, 1, memory_order_acq_rel) != 1)
    return;
  uv_mutex_destroy(&el->mutex);
  acore__free(el);
}

static void el_close(acore__closer *c, acore_loop_t *loop);
static void el_drain(acore__exloop *el);

static void on_el_wake(acore__waker *w) {
  el_drain(acore__queue_data(w, acore__exloop, waker));
}

static void on_el_closed(acore__waker *w) {
  el_unref(acore__queue_data(w, acore__exloop, waker));
}

static acore__exloop *el_find(acore_loop_t *loop) {
  acore__closer *c = acore__loop_find_closer(loop, el_close);

  return c ? acore__queue_data(c, acore__exloop, closer) : NULL;
}

static int el_get(acore_loop_t *loop, acore__exloop **out) {
  acore__exloop *el = el_find(loop);
  int rc;

  if (el == NULL) {
    el = acore__calloc(1, sizeof(*el));
    if (el == NULL)
      return ACORE_ENOMEM;
    if (uv_mutex_init(&el->mutex) != 0) {
      acore__free(el);
      return ACORE_EIO;
    }
    rc = acore__waker_init(acore__core(loop)->uv, &el->waker, on_el_wake);
    if (rc != ACORE_OK) {
      uv_mutex_destroy(&el->mutex);
      acore__free(el);
      return rc;
    }
    el->loop = loop;
    atomic_init(&el->refs, 1);
    acore__queue_init(&el->done);
    acore__queue_init(&el->inflight);
    el->closer.fn = el_close;
    acore__loop_add_closer(loop, &el->closer);
    acore__loop_set_spin_waker(loop, &el->waker);
  }
  *out = el;
  return ACORE_OK;
}

/* ---- a job's end -------------------------------------------------------------- */

static void track(acore__exloop *el, acore_work_t *job) {
  acore__queue_insert_tail(&el->inflight, &job->lnode);
  if (el->ninflight++ == 0)
    acore__waker_hold(&el->waker, true);
}

static void untrack(acore__exloop *el, acore_work_t *job) {
  if (!acore__queue_linked(&job->lnode))
    return;
  acore__queue_remove(&job->lnode);
  if (--el->ninflight == 0)
    acore__waker_hold(&el->waker, false);
}

static void free_result(acore_work_t *job) {
  acore__value_free(job->rstate, job->rkind, &job->rv);
  job->rstate = 0;
}

/* The job is over: its ud_free runs, its references go. May free it. */
static void job_release(acore_work_t *job) {
  acore_executor_t *ex = job->ex;
  acore__exloop *el = job->el;
  acore_free_fn ud_free = job->ud_free;

  job->ud_free = NULL;
  job->ex = NULL;
  job->el = NULL;
  if (ud_free != NULL)
    ud_free(job->ud);
  acore_future_unref(&job->x.fut);
  el_unref(el);
  acore_executor_unref(ex);
}

/* On the loop thread: complete the future with what the job produced. */
static void deliver(acore__exloop *el, acore_work_t *job) {
  acore_future_t *f = &job->x.fut;

  untrack(el, job);
  if (f->state == ACORE_FUTURE_PENDING) {
    if (!job->ran || job->rstate == ACORE_FUTURE_CANCELLED) {
      acore__future_cancel(f, NULL);
    } else {
      acore__future_complete(f, job->rstate, job->rkind, job->rv);
      job->rstate = 0; /* the future owns the value now */
    }
  }
  free_result(job);
  job_release(job);
}

static void deliver_all(acore__exloop *el, acore__queue *q) {
  while (!acore__queue_empty(q)) {
    acore__queue *n = acore__queue_head(q);
    acore__queue_remove(n);
    deliver(el, work_of(acore__queue_data(n, acore__job, node)));
  }
}

static void el_drain(acore__exloop *el) {
  acore__queue q;

  uv_mutex_lock(&el->mutex);
  acore__queue_move(&el->done, &q);
  uv_mutex_unlock(&el->mutex);
  deliver_all(el, &q);
}

/* The pool is done with the job (it ran, or it was dropped): post it to
 * its loop. Any thread, no lock held. */
static void job_done(acore__job *pj) {
  acore_work_t *job = work_of(pj);
  acore__exloop *el = job->el;

  uv_mutex_lock(&el->mutex);
  if (!el->closed) {
    bool first = acore__queue_empty(&el->done);
    acore__queue_insert_tail(&el->done, &job->job.node);
    if (first)
      atomic_fetch_add(&el->sending, 1);
    uv_mutex_unlock(&el->mutex);
    if (first) { /* outside the lock: the loop thread wakes to an open one */
      acore__waker_wake(&el->waker);
      atomic_fetch_sub(&el->sending, 1);
    }
    return;
  }
  uv_mutex_unlock(&el->mutex);
  free_result(job); /* the loop is gone: free it here */
  job_release(job);
}

/* The loop closes: nothing of it may run later. */
static void el_close(acore__closer *c, acore_loop_t *loop) {
  acore__exloop *el = acore__queue_data(c, acore__exloop, closer);
  acore__queue q;

  (void)loop;
  while (!acore__queue_empty(&el->inflight)) {
    acore_work_t *job =
        acore__queue_data(acore__queue_head(&el->inflight), acore_work_t, lnode);
    int dropped;

    untrack(el, job);
    dropped = acore__executor_cancel_job(job->ex, &job->job);
    acore__future_cancel(&job->x.fut, NULL);
    if (dropped)
      job_release(job); /* never runs; a running one is freed later */
  }
  uv_mutex_lock(&el->mutex);
  el->closed = true;
  acore__queue_move(&el->done, &q);
  uv_mutex_unlock(&el->mutex);
  while (atomic_load(&el->sending) > 0)
    uv_sleep(0); /* a poster is waking us: let it finish */
  deliver_all(el, &q);
  acore__loop_set_spin_waker(el->loop, NULL);
  acore__waker_close(&el->waker, on_el_closed);
}

/* ---- the job's future --------------------------------------------------------- */

/* acore_future_cancel() on a pending job: it never runs if it has not
 * started; otherwise its token is raised. The future is cancelled now. */
static int job_cancel(acore_future_t *f, const char *message) {
  acore_work_t *job = (acore_work_t *)f;
  int rc = acore__future_cancel(f, message); /* 1, or ENOMEM: no change */

  if (rc == 1 && acore__executor_cancel_job(job->ex, &job->job)) {
    assert(atomic_load(&f->refs) > 1); /* the caller holds one */
    untrack(job->el, job);
    job_release(job);
  }
  return rc;
}

static const acore__future_ops job_ops = { .cancel = job_cancel,
                                          .name = "executor.job" };

static void job_run(acore__job *pj);
static const acore__job_ops job_pool_ops = { job_run, job_done };

/* ---- running work --------------------------------------------------------------- */

static acore_work_t *job_new(acore__exloop *el, acore_executor_t *ex,
                             acore_work_fn fn, void *ud,
                             acore_free_fn ud_free) {
  acore_work_t *job = (acore_work_t *)acore__xfuture_new(
      el->loop, sizeof(*job), &job_ops, ACORE__F_NOSET);

  if (job == NULL)
    return NULL;
  acore__queue_init(&job->lnode);
  acore__job_init(&job->job, &job_pool_ops);
  job->ex = acore_executor_ref(ex);
  job->el = el;
  atomic_fetch_add(&el->refs, 1);
  job->fn = fn;
  job->ud = ud;
  job->ud_free = ud_free;
  return job;
}

/* Undo what a failed acore_run_in_executor() set up for the loop: the
 * default executor it made, and the delivery state it made (no job of it
 * is in flight, and the loop still needs no closer for it). */
static void el_undo(acore__exloop *el, bool made_el, bool made_dflt) {
  if (made_dflt)
    acore__loop_executor_undo(el->loop);
  if (made_el) {
    assert(el->ninflight == 0);
    acore__loop_remove_closer(&el->closer);
    acore__loop_set_spin_waker(el->loop, NULL);
    acore__waker_close(&el->waker, on_el_closed);
  }
}

int acore_run_in_executor(acore_loop_t *loop, acore_executor_t *ex,
                          acore_work_fn fn, void *ud, acore_free_fn ud_free,
                          acore_future_t **out) {
  acore__exloop *el = NULL;
  acore_work_t *job;
  bool made_el = false, made_dflt = false;
  int rc;

  if (fn == NULL)
    rc = ACORE_EINVAL;
  else if ((rc = acore__loop_check(loop)) == ACORE_OK) {
    made_el = el_find(loop) == NULL;
    if ((rc = el_get(loop, &el)) == ACORE_OK && ex == NULL)
      rc = acore__loop_executor(loop, &ex, &made_dflt);
  }
  if (rc != ACORE_OK)
    goto fail;
  if ((job = job_new(el, ex, fn, ud, ud_free)) == NULL) {
    rc = ACORE_ENOMEM;
    goto fail;
  }
  if ((rc = acore__executor_submit(ex, &job->job)) != ACORE_OK) {
    job->ud_free = NULL; /* runs below */
    job_release(job);
    goto fail;
  }
  track(el, job);
  if (out != NULL)
    *out = acore_future_ref(&job->x.fut);
  return ACORE_OK;

fail:
  if (el != NULL) /* a failed call leaves nothing behind */
    el_undo(el, made_el, made_dflt);
  if (ud_free != NULL)
    ud_free(ud);
  return rc;
}

/* ---- on the worker ---------------------------------------------------------------- */

/* Run the work function and settle what it produced (no lock held). */
static void job_run(acore__job *pj) {
  acore_work_t *job = work_of(pj);
  int rc = job->fn(job, job->ud);

  job->ran = true;
  if (rc >= 0) {
    if (job->rstate == 0)
      job->rstate = ACORE_FUTURE_RESULT; /* a NULL result */
    return;
  }
  if (job->rstate == ACORE_FUTURE_ERROR)
    return; /* the error set wins */
  free_result(job);
  if (rc == ACORE_ECANCELLED) {
    job->rstate = ACORE_FUTURE_CANCELLED;
    return;
  }
  job->rstate = ACORE_FUTURE_ERROR;
  job->rv.err = acore__error_make(rc, NULL);
}

static int settable(const acore_work_t *w) {
  if (w == NULL)
    return ACORE_EINVAL;
  return w->rstate != 0 || w->ran ? ACORE_EINVALIDSTATE : ACORE_OK;
}

static int set_value(acore_work_t *w, uint8_t state, uint8_t kind,
                     acore__value v) {
  w->rstate = state;
  w->rkind = kind;
  w->rv = v;
  return ACORE_OK;
}

int acore_work_set_result(acore_work_t *work, void *value,
                          acore_free_fn value_free) {
  acore__value v;
  int rc = settable(work);

  if (rc != ACORE_OK)
    return rc;
  v = acore__value_ptr(value, value_free);
  return set_value(work, ACORE_FUTURE_RESULT,
                   acore__ptr_kind(value, value_free), v);
}

int acore_work_set_int(acore_work_t *work, int64_t value) {
  acore__value v;
  int rc = settable(work);

  if (rc != ACORE_OK)
    return rc;
  v = acore__value_int(value);
  return set_value(work, ACORE_FUTURE_RESULT, ACORE_VALUE_INT, v);
}

int acore_work_set_double(acore_work_t *work, double value) {
  acore__value v;
  int rc = settable(work);

  if (rc != ACORE_OK)
    return rc;
  v = acore__value_double(value);
  return set_value(work, ACORE_FUTURE_RESULT, ACORE_VALUE_DOUBLE, v);
}

int acore_work_set_bytes(acore_work_t *work, const void *data, size_t len) {
  acore__value v;
  int rc = settable(work);

  if (rc == ACORE_OK) /* EINVAL for data NULL with len > 0 */
    rc = acore__value_bytes(data, len, &v);
  if (rc != ACORE_OK)
    return rc;
  return set_value(work, ACORE_FUTURE_RESULT, ACORE_VALUE_BYTES, v);
}

int acore_work_set_error(acore_work_t *work, acore_error_t *err) {
  acore__value v;
  int rc = settable(work);

  if (rc == ACORE_OK && err == NULL)
    rc = ACORE_EINVAL;
  if (rc != ACORE_OK)
    return rc;
  v = acore__value_err(acore_error_ref(err));
  return set_value(work, ACORE_FUTURE_ERROR, ACORE_VALUE_NONE, v);
}

int acore_work_set_error_code(acore_work_t *work, int code,
                              const char *message) {
  acore_error_t *err;
  int rc = settable(work);

  if (rc == ACORE_OK && code >= 0)
    rc = ACORE_EINVAL;
  if (rc == ACORE_OK)
    rc = acore_error_new(code, message, &err);
  if (rc != ACORE_OK)
    return rc;
  rc = acore_work_set_error(work, err);
  acore_error_unref(err);
  return rc;
}

int acore_work_is_cancelled(const acore_work_t *work) {
  if (work == NULL)
    return ACORE_EINVAL;
  return atomic_load_explicit(&work->job.cancel, memory_order_relaxed) != 0;
}

acore_loop_t *acore_work_loop(const acore_work_t *work) {
  return work != NULL ? work->x.fut.loop : NULL;
}
