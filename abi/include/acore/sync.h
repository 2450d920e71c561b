/* SPDX-License-Identifier: MIT */
/*
 * acore/sync.h - synchronisation: semaphore, lock, event, condition, queue
 * and a bounded map ("n jobs, at most k in flight").
 *
 * Every primitive belongs to one loop and is used on its thread. Waiting
 * calls (acquire, wait, get, put) hand out a future (a new reference) that
 * completes on the loop; a task awaits it with acore_task_await_take().
 *
 * Fairness: waiters are served strictly first come, first served. A
 * newcomer never overtakes a queued waiter, even when what it asks for is
 * free at that instant.
 *
 * Cancel-safety, in acore's model:
 *  - A waiter whose future is cancelled (acore_future_cancel, or
 *    acore_task_cancel of the task awaiting it) or dropped (its last
 *    reference released) while queued leaves the queue at once, inside
 *    that call, and whoever is now first is served. It never receives
 *    anything.
 *  - A waiter that was served (its future has a result: permits, the lock,
 *    an item) owns what it received. If the task awaiting it is cancelled
 *    before its step ran, that step is resumed with
 *    acore_task_step_status() == ACORE_ECANCELLED and the future done with
 *    a result. Calling the primitive's _finish() function there (as
 *    asyncio's acquire()/get() do internally) gives what was received back
 *    to the next waiter and returns ACORE_ECANCELLED, so nothing is lost
 *    and nobody hangs. A step that does not call _finish() owns the grant
 *    and must give it back itself.
 */
#ifndef ACORE_SYNC_H
#define ACORE_SYNC_H

#include "../acore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Semaphore                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct acore_sem acore_sem_t;

/* Semaphore flags (acore_sem_new). */
enum {
  /* Releasing past the initial value is an error (ACORE_EOVERFLOW) that
   * changes nothing. */
  ACORE_SEM_BOUNDED = 1u << 0,
  /* A lock made of a semaphore of one permit, as a binding builds
   * asyncio's Lock (which any task may release, unlike acore_lock): the
   * dumps show its waiters as a lock's, naming the task that
   * acore_sem_set_holder() gave ("lock 0x..., 1 of 2 waiting; held by
   * worker (#3)"). Nothing else changes.  Since: 1.1 */
  ACORE_SEM_LOCK = 1u << 1
};

/* acore_sem_new() - a semaphore with `value` permits on `loop`.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (loop or out
 *          NULL, unknown flags); ACORE_ENOMEM; ACORE_ECLOSED (loop closed).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_sem_new(acore_loop_t *loop, size_t value, unsigned flags,
                            acore_sem_t **out);

/* acore_sem_ref() / acore_sem_unref() - references. Dropping the last one
 * closes the semaphore (waiters fail with ACORE_ECLOSED). unref accepts
 * NULL.  Thread: any; a last unref on another thread defers the closing to
 * the loop thread.  Since: 0.1 */
ACORE_API acore_sem_t *acore_sem_ref(acore_sem_t *sem);
ACORE_API void acore_sem_unref(acore_sem_t *sem);

/* acore_sem_acquire() - ask for `n` permits. *out completes with the
 * int result `n` once they are granted (at once when they are free and
 * nobody waits: the future is then already done), fails with
 * ACORE_ECLOSED when the semaphore is closed while waiting, or ends
 * cancelled. A request for n waiting first blocks smaller ones behind it.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (NULL, n 0,
 *          n above the initial value of a bounded semaphore); ACORE_ENOMEM;
 *          ACORE_ECLOSED (semaphore or loop closed).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_sem_acquire(acore_sem_t *sem, size_t n,
                                acore_future_t **out);

/* acore_sem_acquire_finish() - call in the step resumed by an acquire
 * future `fut` (asyncio's end of acquire()). Does not consume `fut`.
 * Returns: ACORE_OK (the permits are held); ACORE_ECANCELLED (the acquire
 *          was cancelled; or it was granted but a cancellation was
 *          delivered to this step - then the permits were given back and
 *          the next waiter served); ACORE_ECLOSED (closed while waiting);
 *          ACORE_EINVALIDSTATE (fut pending); ACORE_EINVAL (NULL).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_sem_acquire_finish(acore_sem_t *sem, acore_future_t *fut);

/* acore_sem_try_acquire() - take `n` permits now
 * if they are free and nobody waits, without waiting.
 * Returns: ACORE_OK (taken); ACORE_EAGAIN (not free, or waiters queued);
 *          ACORE_EINVAL (NULL, n 0); ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_sem_try_acquire(acore_sem_t *sem, size_t n);

/* acore_sem_release() - give back `n` permits and
 * serve waiters in order while the first one's request fits. Allowed after
 * close (the permits are counted, nobody is served).
 * Returns: ACORE_OK; ACORE_EINVAL (NULL, n 0); ACORE_EOVERFLOW (bounded
 *          and the count would pass the initial value, or it would pass
 *          SIZE_MAX: nothing changed); ACORE_ECLOSED (loop closed).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_sem_release(acore_sem_t *sem, size_t n);

/* acore_sem_close() - fail every waiter with ACORE_ECLOSED (in queue
 * order) and every later acquire. Closing twice is harmless.
 * Returns: ACORE_OK; ACORE_EINVAL; ACORE_ECLOSED (loop closed).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_sem_close(acore_sem_t *sem);

/* acore_sem_set_holder() - name `task` (NULL: none) as the task that
 * holds the semaphore's permit, for the dumps (acore_future_describe of
 * its waiters): an ACORE_SEM_LOCK semaphore's binding calls it when a
 * task has taken the permit and with NULL when it gives it back. Only the
 * dumps read it.
 * Returns: ACORE_OK; ACORE_EINVAL (sem NULL, task of another loop);
 *          ACORE_ECLOSED (loop closed).
 * Owns: a reference to `task`, until the next call or the semaphore's
 *       end.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_sem_set_holder(acore_sem_t *sem, acore_task_t *task);

/* acore_sem_available_count() - free permits; acore_sem_waiter_count() - queued
 * requests; 0 for NULL.  Thread: loop.  Since: 0.1 */
ACORE_API size_t acore_sem_available_count(const acore_sem_t *sem);
ACORE_API size_t acore_sem_waiter_count(const acore_sem_t *sem);

/* ------------------------------------------------------------------------ */
/* Lock                                                                      */
/* ------------------------------------------------------------------------ */

typedef struct acore_lock acore_lock_t;

/* acore_lock_new() - an unlocked FIFO lock on `loop`.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL; ACORE_ENOMEM;
 *          ACORE_ECLOSED.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_lock_new(acore_loop_t *loop, acore_lock_t **out);

/* acore_lock_ref() / acore_lock_unref() - references; unref accepts NULL.
 * Dropping the last one fails waiters with ACORE_ECLOSED.
 * Thread: any (as acore_sem_unref).  Since: 0.1 */
ACORE_API acore_lock_t *acore_lock_ref(acore_lock_t *lock);
ACORE_API void acore_lock_unref(acore_lock_t *lock);

/* acore_lock_acquire() - acquire the lock for the current task
 * (acore_loop_current_task(); NULL outside a task step, then the lock is
 * owned by "no task"). *out completes (int result 1) when the lock is the
 * caller's; at once if it is free and nobody waits. A task that finishes
 * while holding the lock is reported to the loop's error handler
 * (ACORE_REPORT_CALLBACK_ERROR, error ACORE_ENOTOWNER) and the lock passes
 * on to the next waiter, so nobody hangs. The lock is not reentrant: its
 * owner acquiring it again waits for itself (as in asyncio).
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL; ACORE_ENOMEM;
 *          ACORE_ECLOSED (loop closed).  Thread: loop.  Since: 0.1 */
ACORE_API int acore_lock_acquire(acore_lock_t *lock, acore_future_t **out);

/* acore_lock_acquire_finish() - as acore_sem_acquire_finish() for a lock:
 * ACORE_OK (held); ACORE_ECANCELLED (not held: cancelled, or granted and a
 * cancellation delivered - then released to the next waiter); ACORE_ECLOSED;
 * ACORE_EINVALIDSTATE (pending); ACORE_EINVAL.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_lock_acquire_finish(acore_lock_t *lock,
                                        acore_future_t *fut);

/* acore_lock_try_acquire() - take the lock now for the current task if it
 * is free and nobody waits.
 * Returns: ACORE_OK; ACORE_EAGAIN; ACORE_EINVAL; ACORE_ENOMEM; ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_lock_try_acquire(acore_lock_t *lock);

/* acore_lock_release() - release the lock held by the current task; the
 * first waiter gets it.
 * Returns: ACORE_OK; ACORE_EINVAL; ACORE_EINVALIDSTATE (not locked);
 *          ACORE_ENOTOWNER (held by another task, or by none while a task
 *          runs, or by a task while none runs); ACORE_ECLOSED (loop closed).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_lock_release(acore_lock_t *lock);

/* acore_lock_is_locked() - 1 locked, 0 not; ACORE_EINVAL.
 * acore_lock_owner() - the owning task, borrowed, or NULL.
 * acore_lock_waiter_count() - queued acquires (0 for NULL).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_lock_is_locked(const acore_lock_t *lock);
ACORE_API acore_task_t *acore_lock_owner(const acore_lock_t *lock);

/* acore_lock_loop() - the loop the lock belongs to, borrowed; NULL for
 * NULL. (A condition's: acore_lock_loop(acore_cond_lock(cond)).)
 * Thread: any.  Since: 1.1 */
ACORE_API acore_loop_t *acore_lock_loop(const acore_lock_t *lock);
ACORE_API size_t acore_lock_waiter_count(const acore_lock_t *lock);

/* ------------------------------------------------------------------------ */
/* Event                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct acore_event acore_event_t;

/* acore_event_new() - an event, initially clear.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL; ACORE_ENOMEM;
 *          ACORE_ECLOSED.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_event_new(acore_loop_t *loop, acore_event_t **out);

/* acore_event_ref() / acore_event_unref() - references; unref accepts NULL.
 * Dropping the last one fails waiters with ACORE_ECLOSED.
 * Thread: any (as acore_sem_unref).  Since: 0.1 */
ACORE_API acore_event_t *acore_event_ref(acore_event_t *ev);
ACORE_API void acore_event_unref(acore_event_t *ev);

/* acore_event_set() - set the event: every waiter completes (int result 1)
 * in the order it began waiting; later waits complete at once until clear.
 * Returns: ACORE_OK; ACORE_EINVAL; ACORE_ECLOSED.  Thread: loop.
 * Since: 0.1 */
ACORE_API int acore_event_set(acore_event_t *ev);

/* acore_event_clear() - clear the event.
 * Returns: ACORE_OK; ACORE_EINVAL.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_event_clear(acore_event_t *ev);

/* acore_event_wait() - *out completes when the event is set (already done
 * when it is set now).
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL; ACORE_ENOMEM;
 *          ACORE_ECLOSED.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_event_wait(acore_event_t *ev, acore_future_t **out);

/* acore_event_is_set() - 1 set, 0 clear; ACORE_EINVAL.
 * acore_event_waiter_count() - waiters (0 for NULL).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_event_is_set(const acore_event_t *ev);
ACORE_API size_t acore_event_waiter_count(const acore_event_t *ev);

/* ------------------------------------------------------------------------ */
/* Condition                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct acore_cond acore_cond_t;

/* A predicate for acore_cond_wait_for(): nonzero when the wait is over. */
typedef int (*acore_pred_fn)(void *ud);

/* acore_cond_new() - a condition bound to `lock` (a reference is taken);
 * NULL makes a lock of its own.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (loop or out
 *          NULL, lock of another loop); ACORE_ENOMEM; ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_cond_new(acore_loop_t *loop, acore_lock_t *lock,
                             acore_cond_t **out);

/* acore_cond_ref() / acore_cond_unref() - references; unref accepts NULL.
 * Each waiting wait holds one.  Thread: any (as acore_sem_unref).
 * Since: 0.1 */
ACORE_API acore_cond_t *acore_cond_ref(acore_cond_t *cond);
ACORE_API void acore_cond_unref(acore_cond_t *cond);

/* acore_cond_lock() - the bound lock, borrowed; NULL for NULL.
 * Thread: loop.  Since: 0.1 */
ACORE_API acore_lock_t *acore_cond_lock(const acore_cond_t *cond);

/* acore_cond_wait() - release the lock (held by the current task) and wait
 * for a notification. *out completes only once the lock is held again by
 * the same task: with the int result 1 when notified, cancelled when
 * cancelled (also then the lock is re-acquired first). A waiter notified
 * and cancelled before it re-acquired the lock passes its notification to
 * the next waiter.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL; ACORE_ENOMEM;
 *          ACORE_ENOTOWNER (the lock is not held by the current task);
 *          ACORE_ECLOSED.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_cond_wait(acore_cond_t *cond, acore_future_t **out);

/* acore_cond_wait_for() - wait until `fn(ud)` is true, checked with the
 * lock held: now (then *out is already done), and after each notification
 * once the lock is re-acquired (if false, the lock is released again and
 * the waiter goes to the back of the queue). Completes with the lock held.
 * Returns: as acore_cond_wait.
 * Owns: `ud`: `ud_free(ud)` runs once after the last call of `fn` (when
 *       *out completes or is dropped), also when this call fails.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_cond_wait_for(acore_cond_t *cond, acore_pred_fn fn,
                                  void *ud, acore_free_fn ud_free,
                                  acore_future_t **out);

/* acore_cond_notify() - wake up to `n` waiters (in order); each re-acquires
 * the lock before it completes. acore_cond_notify_all() wakes them all.
 * Returns: the number woken (>= 0); ACORE_EINVAL; ACORE_ENOTOWNER (the
 *          lock is not held by the current task); ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_cond_notify(acore_cond_t *cond, size_t n);
ACORE_API int acore_cond_notify_all(acore_cond_t *cond);

/* acore_cond_waiter_count() - waiters not yet notified (0 for NULL).
 * Thread: loop.  Since: 0.1 */
ACORE_API size_t acore_cond_waiter_count(const acore_cond_t *cond);

/* ------------------------------------------------------------------------ */
/* Queue                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct acore_queue acore_queue_t;

/* Orders (acore_queue_new). */
enum {
  ACORE_QUEUE_FIFO = 0,
  ACORE_QUEUE_LIFO = 1
};

/* Shutdown flags (acore_queue_shutdown). */
enum {
  /* Drop the queued items at once (their item_free runs; each counts as a
   * task_done) instead of letting getters drain them. */
  ACORE_QUEUE_IMMEDIATE = 1u << 0
};

/* Priority order: negative when `a` comes out before `b`. Equal items come
 * out in the order they were put. */
typedef int (*acore_compare_fn)(const void *a, const void *b, void *ud);

/* acore_queue_new() - a FIFO or LIFO queue holding at most `maxsize` items
 * (0: unbounded).
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (NULL, unknown
 *          order); ACORE_ENOMEM; ACORE_ECLOSED.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_queue_new(acore_loop_t *loop, size_t maxsize, int order,
                              acore_queue_t **out);

/* acore_queue_new_priority() - a priority queue ordered by fn(a, b, ud).
 * Returns: as acore_queue_new; ACORE_EINVAL (fn NULL).
 * Owns: `ud`: `ud_free(ud)` runs when the queue is freed, also when this
 *       call fails.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_queue_new_priority(acore_loop_t *loop, size_t maxsize,
                                       acore_compare_fn fn, void *ud,
                                       acore_free_fn ud_free,
                                       acore_queue_t **out);

/* acore_queue_ref() / acore_queue_unref() - references; unref accepts NULL.
 * Dropping the last one shuts the queue down at once and frees its items.
 * Thread: any (as acore_sem_unref).  Since: 0.1 */
ACORE_API acore_queue_t *acore_queue_ref(acore_queue_t *q);
ACORE_API void acore_queue_unref(acore_queue_t *q);

/* acore_queue_put() - put `item`; *out completes (int result 0) at once
 * when there is room and no putter waits, else when the putter is admitted
 * (room was freed and it is first): the room is kept for it and the item
 * goes in when the task that awaited *out resumes and calls
 * acore_queue_put_finish(), or, if it does not, right after that step. A
 * putter cancelled while waiting, or admitted and cancelled in the step
 * that resumes it, never inserts; a putter failed by shutdown fails with
 * ACORE_ECLOSED. In those cases `item_free(item)` runs when the put's
 * future is freed.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL; ACORE_ENOMEM;
 *          ACORE_ECLOSED (shut down).
 * Owns: `item` passes to the queue only on ACORE_OK; the getter's future
 *       then owns it (read it, or take it with acore_future_steal_result
 *       using `item_free` as the tag).  Thread: loop.  Since: 0.1 */
ACORE_API int acore_queue_put(acore_queue_t *q, void *item,
                              acore_free_fn item_free, acore_future_t **out);

/* acore_queue_put_nowait() - put `item` now if there is room.
 * Returns: ACORE_OK; ACORE_EFULL; ACORE_EINVAL; ACORE_ENOMEM; ACORE_ECLOSED.
 * Owns: `item` passes to the queue only on ACORE_OK.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_queue_put_nowait(acore_queue_t *q, void *item,
                                     acore_free_fn item_free);

/* acore_queue_get() - *out completes with the next item as its pointer
 * result (with item_free as its destructor); already done when an item is
 * queued and no getter waits. A getter cancelled while waiting never takes
 * an item; after shutdown, getters fail with ACORE_ECLOSED once the queue
 * is empty (at once with ACORE_QUEUE_IMMEDIATE).
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL; ACORE_ENOMEM;
 *          ACORE_ECLOSED (shut down and empty).  Thread: loop.  Since: 0.1 */
ACORE_API int acore_queue_get(acore_queue_t *q, acore_future_t **out);

/* acore_queue_put_finish() - call in the step resumed by a put future
 * `fut` (asyncio's end of put()): puts the admitted item in. Does not
 * consume `fut`.
 * Returns: ACORE_OK (the item is in); ACORE_ECANCELLED (the put was
 *          cancelled while waiting; or it was admitted but a cancellation
 *          was delivered to this step - then the item stays out, with the
 *          put's future, and the room goes to the next putter);
 *          ACORE_ECLOSED (shut down before the item went in);
 *          ACORE_EINVALIDSTATE (fut pending); ACORE_EINVAL (NULL, another
 *          loop, not a put's future).
 * Thread: loop.  Since: 1.0 */
ACORE_API int acore_queue_put_finish(acore_queue_t *q, acore_future_t *fut);

/* acore_queue_get_finish() - as acore_sem_acquire_finish() for a get:
 * ACORE_OK (the item is in fut); ACORE_ECANCELLED (cancelled; or served and
 * a cancellation delivered to this step - then the item went back to the
 * front of the queue, or to the next getter); ACORE_ECLOSED;
 * ACORE_EINVALIDSTATE; ACORE_EINVAL.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_queue_get_finish(acore_queue_t *q, acore_future_t *fut);

/* acore_queue_get_nowait() - take the next item now: its pointer in *item
 * and its destructor in *item_free (may be NULL); the caller owns it.
 * Returns: ACORE_OK; ACORE_EEMPTY; ACORE_EINVAL (q or item NULL);
 *          ACORE_ECLOSED (shut down and empty).  Thread: loop.  Since: 0.1 */
ACORE_API int acore_queue_get_nowait(acore_queue_t *q, void **item,
                                     acore_free_fn *item_free);

/* acore_queue_task_done() - one item taken earlier is processed.
 * Returns: ACORE_OK; ACORE_EINVAL; ACORE_EINVALIDSTATE (more task_done
 *          calls than items put).  Thread: loop.  Since: 0.1 */
ACORE_API int acore_queue_task_done(acore_queue_t *q);

/* acore_queue_join() - *out completes (int result 0) once every item put
 * has been marked done (already done when none is outstanding).
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL; ACORE_ENOMEM;
 *          ACORE_ECLOSED (loop closed).  Thread: loop.  Since: 0.1 */
ACORE_API int acore_queue_join(acore_queue_t *q, acore_future_t **out);

/* acore_queue_shutdown() - refuse further puts (ACORE_ECLOSED); waiting
 * putters fail with ACORE_ECLOSED. Getters go on draining the queued items
 * and then fail with ACORE_ECLOSED; with ACORE_QUEUE_IMMEDIATE the items
 * are dropped and waiting getters fail at once.
 * Returns: ACORE_OK; ACORE_EINVAL (NULL, unknown flags); ACORE_ECLOSED
 *          (loop closed).  Thread: loop.  Since: 0.1 */
ACORE_API int acore_queue_shutdown(acore_queue_t *q, unsigned flags);

/* acore_queue_item_count() - items queued; acore_queue_capacity() - the bound
 * (0: none); acore_queue_unfinished_count() - items put and not yet task_done;
 * 0 for NULL.  Thread: loop.  Since: 0.1 */
ACORE_API size_t acore_queue_item_count(const acore_queue_t *q);
ACORE_API size_t acore_queue_capacity(const acore_queue_t *q);
ACORE_API size_t acore_queue_unfinished_count(const acore_queue_t *q);

/* ------------------------------------------------------------------------ */
/* Bounded map                                                               */
/* ------------------------------------------------------------------------ */

/* A job of acore_map(): store a new reference to job i's future in *out
 * and return ACORE_OK, or return a negative code (job i fails with it). */
typedef int (*acore_map_fn)(acore_loop_t *loop, size_t i, void *ud,
                            acore_future_t **out);

/* Map flags (gather's). Default: the first job error completes the map
 * with that error; the other jobs keep running and the rest still start. */
enum {
  /* Complete only when every job is done, with no result; each job's
   * outcome is read with acore_map_job() (asyncio return_exceptions). A
   * job that could not start reads as failed with its code; if even that
   * cannot be recorded (out of memory), the map fails with ACORE_ENOMEM. */
  ACORE_MAP_SETTLE_ALL = 1u << 0,
  /* On the first error, cancel the jobs in flight and start no more. */
  ACORE_MAP_CANCEL_ON_ERROR = 1u << 1,
  /* With CANCEL_ON_ERROR: complete with the error only once the cancelled
   * jobs have finished. */
  ACORE_MAP_DRAIN = 1u << 2
};

/* acore_map() - run jobs 0..n-1 with at most `k` in flight, starting them
 * in index order from a later loop iteration (never inside this call), and
 * return the map's future in *out. It completes with no result once every
 * job succeeded (at once, on a later iteration, for n == 0), or as the
 * flags say on an error. Cancelling it cancels the jobs in flight and
 * starts no more. Job results, in input order: acore_map_job().
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (loop, fn or
 *          out NULL, k 0, unknown flags); ACORE_ENOMEM; ACORE_ECLOSED.
 * Owns: `ud`: `ud_free(ud)` runs once after the last call of `fn`, also
 *       when this call fails.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_map(acore_loop_t *loop, size_t n, size_t k,
                        acore_map_fn fn, void *ud, acore_free_fn ud_free,
                        unsigned flags, acore_future_t **out);

/* acore_map_job() - job i's future, borrowed (valid while `map` lives), or
 * NULL (i out of range, not started yet, never started, or `map` is not a
 * map's future). A job whose fn failed reads as a future failed with that
 * code.  Thread: loop.  Since: 0.1 */
ACORE_API acore_future_t *acore_map_job(acore_future_t *map, size_t i);

/* acore_map_in_flight_count() - jobs started and not done (0 for NULL or not a
 * map), and acore_map_peak_count() - the most ever in flight at once.
 * Thread: loop.  Since: 0.1 */
ACORE_API size_t acore_map_in_flight_count(acore_future_t *map);
ACORE_API size_t acore_map_peak_count(acore_future_t *map);

#ifdef __cplusplus
}
#endif

#endif /* ACORE_SYNC_H */
