/* SPDX-License-Identifier: MIT */
/*
 * executor.c - the executor's pool: options, worker threads, the job
 * queue, resizing, statistics, shutdown and the executor's lifetime; and
 * a loop's default executor. What a job of acore_run_in_executor() is and
 * how it reaches its loop is in work.c.
 *
 * Design notes
 * - One mutex guards the whole pool (queue, counters, worker lists). Idle
 *   workers wait on work_cond; whoever waits for workers to leave
 *   (shutdown with WAIT, the last unref) waits on exit_cond.
 * - A worker takes a job only while fewer than max_workers run, so the
 *   limit holds at every moment, also while it changes. A worker leaves
 *   when there are more workers than the maximum, when the executor is
 *   shut down and the queue is empty, or after idling idle_ns above the
 *   minimum. It decrements nworkers when it decides, under the mutex.
 * - Wake-ups are counted and chained: nsignals is the number of signals
 *   sent to waiting workers that none has consumed yet. A submission
 *   signals a sleeper only when no wake-up is in flight; the worker that
 *   wakes, once it has taken a job, signals the next sleeper if jobs are
 *   still queued, and so on. So the thread that submits a burst pays for
 *   one wake-up, and workers wake each other only while there is a
 *   backlog. (Signalling on every submission let workers, each faster
 *   than a slowed submitter, empty the queue, sleep and be woken again
 *   every few jobs: W4_loaded made 0.3-1.0 futex calls per job, with the
 *   chain 0.005-0.03.) A queued job never waits for a running one to
 *   finish while a worker sleeps: a sleeper is signalled or in flight,
 *   the spinner claims it, or a worker is started.
 * - Before it sleeps, an idle worker spins briefly (a few microseconds,
 *   yielding the CPU now and then) watching qhint, a lock-free mirror of
 *   nqueued; one spinner at a time. A job submitted meanwhile is claimed
 *   for the spinner (nspin_claims) instead of costing a futex wake-up:
 *   without this, tiny jobs fall into a regime where every submission
 *   wakes a sleeping worker that runs one job and sleeps again (measured:
 *   one context switch per 4 jobs, 10x slower).
 * - Threads are joined, never abandoned: a worker that leaves moves its
 *   record to `zombies`, which the next spawn, shutdown(WAIT) or the last
 *   unref joins. Threads start under the mutex (rare: only when growing),
 *   so a worker's thread id is always read under it.
 * - The last unref shuts the pool down and joins its workers (all idle:
 *   every job holds a reference). On one of its own workers (the release
 *   of a job whose loop was closed) that worker cannot join itself: it
 *   joins the others, and frees the executor when it leaves.
 * - The pool knows a job only through pool.h (a node, a state, a token and
 *   two operations): what runs and where its result goes is the
 *   submitter's (work.c for acore_run_in_executor()).
 * - A loop's default executor is a closer record on the loop (made on
 *   first use, or by acore_loop_set_default_executor()); at the loop's
 *   close it is shut down with CANCEL_PENDING if the loop made it, and
 *   released.
 */
#define _GNU_SOURCE
#include "alloc.h"
#include "loop.h"
#include "pool.h"
#include "queue.h"

#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <uv.h>
#ifndef _WIN32
#include <pthread.h>
#endif

struct acore_executor_options {
  unsigned max_workers;
  unsigned min_workers;
  double idle_timeout;
  size_t stack_size;
  acore_worker_fn hook;  /* worker start/stop, or NULL */
  void *hook_ud;
};

typedef struct worker {
  acore__queue node;     /* ex->workers, then ex->zombies */
  uv_thread_t tid;       /* under ex->mutex */
  acore_executor_t *ex;
  bool frees_ex;         /* the executor died on this thread */
} worker;

struct acore_executor {
  atomic_uint refs;
  uv_mutex_t mutex;
  uv_cond_t work_cond;   /* idle workers wait here */
  uv_cond_t exit_cond;   /* signalled when a worker leaves */
  acore__queue queue;    /* jobs waiting, FIFO */
  acore__queue workers;  /* alive */
  acore__queue zombies;  /* left, to join */
  unsigned max_workers;
  unsigned min_workers;
  uint64_t idle_ns;      /* UINT64_MAX: never leave for idling */
  size_t stack_size;
  acore_worker_fn hook;  /* immutable after creation */
  void *hook_ud;
  unsigned nworkers;
  unsigned nrunning;
  unsigned nwaiting;     /* in a wait on work_cond */
  unsigned nsignals;     /* signals not consumed yet */
  unsigned nspinning;    /* 0 or 1: spinning before it sleeps */
  unsigned nspin_claims; /* jobs left for the spinner to find */
  size_t nqueued;
  atomic_size_t qhint;   /* nqueued, readable without the mutex */
  uint64_t ncompleted;
  uint64_t ncancelled;
  bool shut;
};

/* Rounds an idle worker spins before it sleeps (about 5 us). */
enum { SPIN_ROUNDS = 64 };

/* The worker running on this thread, if any. */
static _Thread_local worker *current;

/* ---- options ---------------------------------------------------------------- */

static void options_default(acore_executor_options_t *o) {
  unsigned n = uv_available_parallelism() + 4;

  o->max_workers = n < 32 ? n : 32;
  o->min_workers = 0;
  o->idle_timeout = 10.0;
  o->stack_size = 0;
  o->hook = NULL;
  o->hook_ud = NULL;
}

int acore_executor_options_new(acore_executor_options_t **out) {
  acore_executor_options_t *o;

  if (out == NULL)
    return ACORE_EINVAL;
  o = acore__malloc(sizeof(*o));
  if (o == NULL)
    return ACORE_ENOMEM;
  options_default(o);
  *out = o;
  return ACORE_OK;
}

void acore_executor_options_free(acore_executor_options_t *opts) {
  acore__free(opts);
}

int acore_executor_options_set_max_workers(acore_executor_options_t *opts,
                                           unsigned n) {
  if (opts == NULL || n == 0 || n > ACORE_EXECUTOR_MAX_WORKERS)
    return ACORE_EINVAL;
  opts->max_workers = n;
  return ACORE_OK;
}

int acore_executor_options_set_min_workers(acore_executor_options_t *opts,
                                           unsigned n) {
  if (opts == NULL || n > ACORE_EXECUTOR_MAX_WORKERS)
    return ACORE_EINVAL;
  opts->min_workers = n;
  return ACORE_OK;
}

int acore_executor_options_set_idle_timeout(acore_executor_options_t *opts,
                                            double seconds) {
  if (opts == NULL || !(seconds >= 0))
    return ACORE_EINVAL;
  opts->idle_timeout = seconds;
  return ACORE_OK;
}

int acore_executor_options_set_stack_size(acore_executor_options_t *opts,
                                          size_t bytes) {
  if (opts == NULL)
    return ACORE_EINVAL;
  opts->stack_size = bytes;
  return ACORE_OK;
}

int acore_executor_options_set_worker_hook(acore_executor_options_t *opts,
                                           acore_worker_fn fn, void *ud) {
  if (opts == NULL)
    return ACORE_EINVAL;
  opts->hook = fn;
  opts->hook_ud = fn != NULL ? ud : NULL;
  return ACORE_OK;
}

/* ---- taking jobs (under the mutex) ------------------------------------------ */

static void set_queued(acore_executor_t *ex, size_t n) {
  ex->nqueued = n;
  atomic_store_explicit(&ex->qhint, n, memory_order_relaxed);
}

static bool can_take(const acore_executor_t *ex) {
  return !acore__queue_empty(&ex->queue) && ex->nrunning < ex->max_workers;
}

/* Wake one waiting worker unless every waiting one is already woken. */
static void wake_one(acore_executor_t *ex) {
  if (ex->nwaiting > ex->nsignals) {
    ex->nsignals++;
    uv_cond_signal(&ex->work_cond);
  }
}

/* Whether a queued job needs no new wake-up: the spinner has none left
 * to find yet (claims it for it), or a woken worker is on its way while
 * others sleep (it takes a job and wakes the next: the chain). */
static bool someone_coming(acore_executor_t *ex) {
  if (ex->nspinning > ex->nspin_claims) {
    ex->nspin_claims++; /* the spinner will see it */
    return true;
  }
  return ex->nsignals > 0 && ex->nwaiting > ex->nsignals;
}

/* Whether to signal a sleeper for a queued job, counting the signal; the
 * caller signals after unlocking (so the woken worker does not block on
 * the mutex). False when no sleeper is left unsignalled. */
static bool claim_wake(acore_executor_t *ex) {
  if (ex->nwaiting <= ex->nsignals)
    return false;
  ex->nsignals++;
  return true;
}

/* Take the queue's first job (there is one); returns whether to signal
 * the next sleeper (jobs are left and nobody is coming for them: the
 * chain of wake-ups; after unlocking). */
static acore__job *take(acore_executor_t *ex, bool *chain) {
  acore__queue *n = acore__queue_head(&ex->queue);
  acore__job *job = acore__queue_data(n, acore__job, node);

  acore__queue_remove(n);
  set_queued(ex, ex->nqueued - 1);
  ex->nrunning++;
  job->state = ACORE__JOB_RUNNING;
  *chain = can_take(ex) && !someone_coming(ex) && claim_wake(ex);
  return job;
}

/* Should this worker leave now? Counts it out if so. */
static bool leave_now(acore_executor_t *ex, bool timed_out) {
  bool leave = ex->nworkers > ex->max_workers ||
               (ex->shut && acore__queue_empty(&ex->queue)) ||
               (timed_out && ex->nworkers > ex->min_workers && !can_take(ex));

  if (leave)
    ex->nworkers--;
  return leave;
}

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* Watch for a queued job a little while (called without the mutex). */
static void spin(acore_executor_t *ex) {
  int i;

  for (i = 0; i < SPIN_ROUNDS; i++) {
    if (atomic_load_explicit(&ex->qhint, memory_order_relaxed) > 0)
      return;
    if (i % 8 == 7)
      sched_yield(); /* a loop thread on this CPU may be the one to run */
    else
      cpu_relax();
  }
}

/* Wait until there is a job to take (returned) or this worker must leave
 * (NULL). */
static acore__job *wait_job(acore_executor_t *ex, bool *chain) {
  bool timed_out = false, spun = false;

  for (;;) {
    if (ex->nworkers <= ex->max_workers && can_take(ex))
      return take(ex, chain);
    if (leave_now(ex, timed_out))
      return NULL;
    if (!spun && ex->nspinning == 0) {
      spun = true;
      ex->nspinning++;
      uv_mutex_unlock(&ex->mutex);
      spin(ex);
      uv_mutex_lock(&ex->mutex);
      ex->nspinning--;
      if (ex->nspin_claims > 0)
        ex->nspin_claims--;
      continue;
    }
    spun = false;
    ex->nwaiting++;
    if (ex->idle_ns != UINT64_MAX && ex->nworkers > ex->min_workers)
      timed_out = uv_cond_timedwait(&ex->work_cond, &ex->mutex,
                                    ex->idle_ns) == UV_ETIMEDOUT;
    else
      uv_cond_wait(&ex->work_cond, &ex->mutex);
    ex->nwaiting--;
    if (ex->nsignals > 0)
      ex->nsignals--;
  }
}

/* ---- workers ------------------------------------------------------------------ */

static void ex_free(acore_executor_t *ex) {
  uv_cond_destroy(&ex->exit_cond);
  uv_cond_destroy(&ex->work_cond);
  uv_mutex_destroy(&ex->mutex);
  acore__free(ex);
}

/* Join the threads of the worker records in `zs` and free the records. */
static void reap(acore__queue *zs) {
  while (!acore__queue_empty(zs)) {
    acore__queue *n = acore__queue_head(zs);
    worker *w = acore__queue_data(n, worker, node);

    acore__queue_remove(n);
    uv_thread_join(&w->tid);
    acore__free(w);
  }
}

/* The worker leaves (called under the mutex, which it releases). */
static void worker_leave(acore_executor_t *ex, worker *w) {
  bool frees = w->frees_ex;

  acore__queue_remove(&w->node);
  if (!frees)
    acore__queue_insert_tail(&ex->zombies, &w->node);
  if (can_take(ex))
    wake_one(ex); /* this one was counted as able to run it */
  uv_cond_broadcast(&ex->exit_cond);
  uv_mutex_unlock(&ex->mutex);
  if (frees) {
#ifndef _WIN32
    pthread_detach(pthread_self()); /* nobody is left to join it */
#endif
    ex_free(ex);
    acore__free(w);
  }
}

/* The hook is copied first: the executor may be freed by this worker's
 * leave (the STOP call comes after it; the thread is joined, or detached,
 * only once it returns). */
static void worker_main(void *arg) {
  worker *w = arg;
  acore_executor_t *ex = w->ex;
  acore_worker_fn hook = ex->hook;
  void *hook_ud = ex->hook_ud;
  acore__job *job, *next;
  bool chain = false;

  current = w;
#if defined(__linux__)
  pthread_setname_np(pthread_self(), "acore-worker");
#endif
  if (hook != NULL)
    hook(ACORE_WORKER_START, hook_ud);
  uv_mutex_lock(&ex->mutex);
  while ((job = wait_job(ex, &chain)) != NULL) {
    uv_mutex_unlock(&ex->mutex);
    do { /* run jobs back to back while there are some */
      if (chain)
        uv_cond_signal(&ex->work_cond);
      job->ops->run(job);
      uv_mutex_lock(&ex->mutex);
      ex->nrunning--;
      ex->ncompleted++;
      chain = false;
      next = ex->nworkers <= ex->max_workers && can_take(ex)
                 ? take(ex, &chain) : NULL;
      uv_mutex_unlock(&ex->mutex);
      job->ops->done(job); /* may drop the executor's last reference */
      job = next;
    } while (job != NULL);
    uv_mutex_lock(&ex->mutex);
  }
  worker_leave(ex, w);
  current = NULL;
  if (hook != NULL)
    hook(ACORE_WORKER_STOP, hook_ud);
}

/* Start one worker (under the mutex). Workers block the asynchronous
 * signals, so they go to the program's own threads. */
static int spawn_locked(acore_executor_t *ex) {
  uv_thread_options_t to;
  worker *w;
  int rc;
#ifndef _WIN32
  sigset_t all, old;
#endif

  w = acore__malloc(sizeof(*w));
  if (w == NULL)
    return ACORE_ENOMEM;
  w->ex = ex;
  w->frees_ex = false;
  to.flags = ex->stack_size ? UV_THREAD_HAS_STACK_SIZE : UV_THREAD_NO_FLAGS;
  to.stack_size = ex->stack_size;
#ifndef _WIN32
  sigfillset(&all);
  sigdelset(&all, SIGSEGV);
  sigdelset(&all, SIGBUS);
  sigdelset(&all, SIGFPE);
  sigdelset(&all, SIGILL);
  pthread_sigmask(SIG_SETMASK, &all, &old);
#endif
  rc = uv_thread_create_ex(&w->tid, &to, worker_main, w);
#ifndef _WIN32
  pthread_sigmask(SIG_SETMASK, &old, NULL);
#endif
  if (rc != 0) {
    acore__free(w);
    /* EAGAIN (no thread or stack to be had) is the documented ACORE_EIO */
    return rc == UV_ENOMEM ? ACORE_ENOMEM : ACORE_EIO;
  }
  acore__queue_insert_tail(&ex->workers, &w->node);
  ex->nworkers++;
  return ACORE_OK;
}

/* ---- lifetime ----------------------------------------------------------------- */

/* Shut down, wait for the workers to leave and join them. On one of its
 * own workers, that worker frees the executor when it leaves. */
static void ex_destroy(acore_executor_t *ex) {
  bool self = current != NULL && current->ex == ex;
  acore__queue zs;

  uv_mutex_lock(&ex->mutex);
  ex->shut = true;
  uv_cond_broadcast(&ex->work_cond);
  while (ex->nworkers > (self ? 1u : 0u))
    uv_cond_wait(&ex->exit_cond, &ex->mutex);
  acore__queue_move(&ex->zombies, &zs);
  if (self)
    current->frees_ex = true;
  uv_mutex_unlock(&ex->mutex);
  reap(&zs);
  if (!self)
    ex_free(ex);
}

static int ex_init_sync(acore_executor_t *ex) {
  if (uv_mutex_init(&ex->mutex) != 0)
    return ACORE_EIO;
  if (uv_cond_init(&ex->work_cond) != 0)
    goto fail_work;
  if (uv_cond_init(&ex->exit_cond) != 0)
    goto fail_exit;
  return ACORE_OK;

fail_exit:
  uv_cond_destroy(&ex->work_cond);
fail_work:
  uv_mutex_destroy(&ex->mutex);
  return ACORE_EIO;
}

int acore_executor_new(const acore_executor_options_t *opts,
                       acore_executor_t **out) {
  acore_executor_options_t o;
  acore_executor_t *ex;
  int rc = ACORE_OK;
  unsigned i;

  if (opts == NULL)
    options_default(&o);
  else
    o = *opts;
  if (out == NULL || o.min_workers > o.max_workers)
    return ACORE_EINVAL;
  ex = acore__calloc(1, sizeof(*ex));
  if (ex == NULL)
    return ACORE_ENOMEM;
  if (ex_init_sync(ex) != ACORE_OK) {
    acore__free(ex);
    return ACORE_EIO;
  }
  atomic_init(&ex->refs, 1);
  acore__queue_init(&ex->queue);
  acore__queue_init(&ex->workers);
  acore__queue_init(&ex->zombies);
  ex->max_workers = o.max_workers;
  ex->min_workers = o.min_workers;
  ex->idle_ns = isinf(o.idle_timeout) || o.idle_timeout > 1e9
                    ? UINT64_MAX : (uint64_t)(o.idle_timeout * 1e9);
  ex->stack_size = o.stack_size;
  ex->hook = o.hook;
  ex->hook_ud = o.hook_ud;
  uv_mutex_lock(&ex->mutex);
  for (i = 0; i < o.min_workers && rc == ACORE_OK; i++)
    rc = spawn_locked(ex);
  uv_mutex_unlock(&ex->mutex);
  if (rc != ACORE_OK) {
    ex_destroy(ex);
    return rc;
  }
  *out = ex;
  return ACORE_OK;
}

acore_executor_t *acore_executor_ref(acore_executor_t *ex) {
  if (ex != NULL)
    atomic_fetch_add_explicit(&ex->refs, 1, memory_order_relaxed);
  return ex;
}

void acore_executor_unref(acore_executor_t *ex) {
  if (ex != NULL &&
      atomic_fetch_sub_explicit(&ex->refs, 1, memory_order_acq_rel) == 1)
    ex_destroy(ex);
}

/* ---- jobs --------------------------------------------------------------------- */

void acore__job_init(acore__job *job, const acore__job_ops *ops) {
  acore__queue_init(&job->node);
  job->ops = ops;
  job->state = 0;
  atomic_init(&job->cancel, 0);
}

int acore__executor_submit(acore_executor_t *ex, acore__job *job) {
  acore__queue zs;
  bool signal = false;
  int rc = ACORE_OK;

  acore__queue_init(&zs);
  uv_mutex_lock(&ex->mutex);
  if (ex->shut) {
    uv_mutex_unlock(&ex->mutex);
    return ACORE_ECLOSED;
  }
  job->state = ACORE__JOB_QUEUED;
  acore__queue_insert_tail(&ex->queue, &job->node);
  set_queued(ex, ex->nqueued + 1);
  if (someone_coming(ex)) {
    /* the spinner or a woken worker takes it, or wakes a sleeper */
  } else if (claim_wake(ex)) {
    signal = true;
  } else if (ex->nworkers < ex->max_workers) {
    rc = spawn_locked(ex);
    if (rc != ACORE_OK && ex->nworkers > 0)
      rc = ACORE_OK; /* a worker that exists will run it */
    if (rc != ACORE_OK) {
      acore__queue_remove(&job->node);
      set_queued(ex, ex->nqueued - 1);
    }
    acore__queue_move(&ex->zombies, &zs);
  }
  uv_mutex_unlock(&ex->mutex);
  if (signal) /* a waiting worker was counted: it takes the job or a later
                 one; the queue is checked again under the mutex */
    uv_cond_signal(&ex->work_cond);
  reap(&zs);
  return rc;
}

int acore__executor_cancel_job(acore_executor_t *ex, acore__job *job) {
  int dropped = 0;

  uv_mutex_lock(&ex->mutex);
  if (job->state == ACORE__JOB_QUEUED) {
    acore__queue_remove(&job->node);
    set_queued(ex, ex->nqueued - 1);
    ex->ncancelled++;
    job->state = ACORE__JOB_DROPPED;
    dropped = 1;
  }
  atomic_store(&job->cancel, 1);
  uv_mutex_unlock(&ex->mutex);
  return dropped;
}

/* ---- control ------------------------------------------------------------------ */

int acore_executor_set_max_workers(acore_executor_t *ex, unsigned n) {
  acore__queue zs;
  int rc = ACORE_OK;

  if (ex == NULL || n == 0 || n > ACORE_EXECUTOR_MAX_WORKERS)
    return ACORE_EINVAL;
  uv_mutex_lock(&ex->mutex);
  if (ex->shut) {
    uv_mutex_unlock(&ex->mutex);
    return ACORE_ECLOSED;
  }
  ex->max_workers = n;
  if (ex->min_workers > n)
    ex->min_workers = n;
  uv_cond_broadcast(&ex->work_cond); /* the extra leave, the waiting run */
  while (rc == ACORE_OK && ex->nworkers < n && ex->nqueued > ex->nwaiting)
    rc = spawn_locked(ex); /* a failure leaves the work to those alive */
  acore__queue_move(&ex->zombies, &zs);
  uv_mutex_unlock(&ex->mutex);
  reap(&zs);
  return ACORE_OK;
}

int64_t acore_executor_stat(acore_executor_t *ex, int which) {
  int64_t v;

  if (ex == NULL)
    return ACORE_EINVAL;
  uv_mutex_lock(&ex->mutex);
  switch (which) {
  case ACORE_EXECUTOR_STAT_QUEUED: v = (int64_t)ex->nqueued; break;
  case ACORE_EXECUTOR_STAT_RUNNING: v = ex->nrunning; break;
  case ACORE_EXECUTOR_STAT_IDLE: v = (int64_t)ex->nworkers - ex->nrunning; break;
  case ACORE_EXECUTOR_STAT_WORKERS: v = ex->nworkers; break;
  case ACORE_EXECUTOR_STAT_COMPLETED: v = (int64_t)ex->ncompleted; break;
  case ACORE_EXECUTOR_STAT_CANCELLED: v = (int64_t)ex->ncancelled; break;
  case ACORE_EXECUTOR_STAT_MAX_WORKERS: v = ex->max_workers; break;
  default: v = ACORE_EINVAL; break;
  }
  uv_mutex_unlock(&ex->mutex);
  return v;
}

/* Take every queued job out (under the mutex) into `q`. */
static void drop_queued(acore_executor_t *ex, acore__queue *q) {
  acore__queue *n;

  for (n = ex->queue.next; n != &ex->queue; n = n->next) {
    acore__job *job = acore__queue_data(n, acore__job, node);
    job->state = ACORE__JOB_DROPPED;
    atomic_store(&job->cancel, 1);
  }
  ex->ncancelled += ex->nqueued;
  set_queued(ex, 0);
  acore__queue_move(&ex->queue, q);
}

int acore_executor_shutdown(acore_executor_t *ex, unsigned flags) {
  acore__queue dropped, zs;

  if (ex == NULL ||
      (flags & ~(ACORE_EXECUTOR_WAIT | ACORE_EXECUTOR_CANCEL_PENDING)))
    return ACORE_EINVAL;
  if ((flags & ACORE_EXECUTOR_WAIT) && current != NULL && current->ex == ex)
    return ACORE_EWRONGTHREAD;
  acore__queue_init(&dropped);
  uv_mutex_lock(&ex->mutex);
  ex->shut = true;
  if (flags & ACORE_EXECUTOR_CANCEL_PENDING)
    drop_queued(ex, &dropped);
  uv_cond_broadcast(&ex->work_cond);
  uv_mutex_unlock(&ex->mutex);
  while (!acore__queue_empty(&dropped)) { /* their submitters cancel them */
    acore__queue *n = acore__queue_head(&dropped);
    acore__job *job = acore__queue_data(n, acore__job, node);

    acore__queue_remove(n);
    job->ops->done(job);
  }
  if (!(flags & ACORE_EXECUTOR_WAIT))
    return ACORE_OK;
  uv_mutex_lock(&ex->mutex);
  while (ex->nworkers > 0)
    uv_cond_wait(&ex->exit_cond, &ex->mutex);
  acore__queue_move(&ex->zombies, &zs);
  uv_mutex_unlock(&ex->mutex);
  reap(&zs);
  return ACORE_OK;
}

/* ---- a loop's default executor ------------------------------------------------ */

typedef struct dflt {
  acore__closer closer;  /* on loop->closers */
  acore_executor_t *ex;  /* a reference */
  bool own;              /* made by the loop: shut down at its close */
} dflt;

static void dflt_close(acore__closer *c, acore_loop_t *loop) {
  dflt *d = acore__queue_data(c, dflt, closer);

  (void)loop;
  if (d->own)
    acore_executor_shutdown(d->ex, ACORE_EXECUTOR_CANCEL_PENDING);
  acore_executor_unref(d->ex);
  acore__free(d);
}

static dflt *dflt_find(acore_loop_t *loop) {
  acore__closer *c = acore__loop_find_closer(loop, dflt_close);

  return c ? acore__queue_data(c, dflt, closer) : NULL;
}

/* Record `ex` (a reference, made by the loop if `own`) as the loop's. */
static int dflt_new(acore_loop_t *loop, acore_executor_t *ex, bool own) {
  dflt *d = acore__malloc(sizeof(*d));

  if (d == NULL)
    return ACORE_ENOMEM;
  d->closer.fn = dflt_close;
  d->ex = ex;
  d->own = own;
  acore__loop_add_closer(loop, &d->closer);
  return ACORE_OK;
}

int acore__loop_executor(acore_loop_t *loop, acore_executor_t **out,
                         bool *made) {
  dflt *d = dflt_find(loop);
  acore_executor_t *ex;
  int rc;

  *made = false;
  if (d != NULL) {
    *out = d->ex;
    return ACORE_OK;
  }
  if ((rc = acore_executor_new(NULL, &ex)) != ACORE_OK)
    return rc;
  if ((rc = dflt_new(loop, ex, true)) != ACORE_OK) {
    acore_executor_unref(ex); /* no job yet: joins its (no) workers */
    return rc;
  }
  *made = true;
  *out = ex;
  return ACORE_OK;
}

void acore__loop_executor_undo(acore_loop_t *loop) {
  dflt *d = dflt_find(loop);

  acore__loop_remove_closer(&d->closer);
  acore_executor_shutdown(d->ex, 0);
  acore_executor_unref(d->ex);
  acore__free(d);
}

int acore_loop_default_executor(acore_loop_t *loop, acore_executor_t **out) {
  acore_executor_t *ex;
  bool made;
  int rc;

  if (out == NULL)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(loop)) != ACORE_OK ||
      (rc = acore__loop_executor(loop, &ex, &made)) != ACORE_OK)
    return rc;
  *out = acore_executor_ref(ex);
  return ACORE_OK;
}

int acore_loop_set_default_executor(acore_loop_t *loop, acore_executor_t *ex) {
  dflt *d;
  acore_executor_t *old;
  int rc;

  if (ex == NULL)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(loop)) != ACORE_OK)
    return rc;
  if ((d = dflt_find(loop)) == NULL) {
    if ((rc = dflt_new(loop, ex, false)) == ACORE_OK)
      acore_executor_ref(ex);
    return rc;
  }
  old = d->ex;
  if (d->own)
    acore_executor_shutdown(old, 0);
  d->ex = acore_executor_ref(ex);
  d->own = false;
  acore_executor_unref(old);
  return ACORE_OK;
}
