/* SPDX-License-Identifier: MIT */
/*
 * acore/combinators.h - sleep, gather, wait, wait_for, timeout scopes,
 * as_completed, shield and task groups.
 *
 * Every combinator takes tasks and futures alike (a task is passed as
 * acore_task_future(task)) and hands out a future (a new reference) that
 * completes on the loop, so they compose: a gather of wait_fors of task
 * groups is just a gather of futures. All of them take their own reference
 * to every future they are given; the caller may drop its own at once.
 * asyncio's behaviour is the default; stricter behaviours are flags.
 *
 * Combinator futures are not settable: acore_future_set_*() on them returns
 * ACORE_EINVAL. Cancelling one (acore_future_cancel, or cancelling a task
 * that awaits it) does what each entry's "Cancel:" line says; the exact
 * tables are in docs/combinators.md.
 *
 * Timeouts are seconds >= 0 on the loop clock; ACORE_NO_TIMEOUT (an
 * infinity) means none. A negative or NaN timeout is ACORE_EINVAL.
 */
#ifndef ACORE_COMBINATORS_H
#define ACORE_COMBINATORS_H

#include "../acore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* No timeout: positive infinity (any infinite value works), made without
 * <math.h> so this header does not bring it to every consumer. */
#if defined(__GNUC__) || defined(__clang__)
#define ACORE_NO_TIMEOUT (__builtin_inf())
#else
#define ACORE_NO_TIMEOUT (1e308 * 10.0)
#endif

/* ------------------------------------------------------------------------ */
/* Sleep                                                                     */
/* ------------------------------------------------------------------------ */

/* acore_sleep() - a future that completes (with no value) `delay` seconds
 * from now. A delay of 0 completes it on the very next loop iteration: it
 * is pending after this call and done once one iteration has run (a task
 * awaiting it resumes on the iteration after that; for asyncio's bare
 * `await sleep(0)`, return acore_task_yield() instead).
 * Cancel: the future ends cancelled at once and its timer is removed (a
 *   zero delay has no timer: the queued call just lets the future go).
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (loop or out
 *          NULL, delay negative or NaN); ACORE_ENOMEM; ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_sleep(acore_loop_t *loop, double delay,
                          acore_future_t **out);

/* ------------------------------------------------------------------------ */
/* Gather                                                                    */
/* ------------------------------------------------------------------------ */

/* Flags of acore_gather(). 0 is asyncio's gather(). */
enum {
  /* Complete only when every child is done, with a result whatever the
   * children ended as; each child's result, error or cancellation stays
   * readable (asyncio's return_exceptions=True, JavaScript's allSettled). */
  ACORE_GATHER_SETTLE_ALL = 1u << 0,
  /* The first child that fails (or is cancelled on its own) cancels every
   * other child that is not done. */
  ACORE_GATHER_CANCEL_ON_ERROR = 1u << 1,
  /* After the first failure, complete only once every other child is
   * done (with CANCEL_ON_ERROR: once the cancelled ones have finished
   * cancelling), still with the first failure. */
  ACORE_GATHER_DRAIN = 1u << 2
};

/* acore_gather() - a future that completes when all `n` futures have.
 * On success it completes with no value; read each child, in input order,
 * with acore_gather_child(). Empty input (n == 0) gives a future already
 * done. A future passed twice is gathered twice (it fills two places).
 * Default: the first child that fails completes the gather with that very
 * error object (acore_future_error() returns the same pointer); a child
 * cancelled on its own completes it cancelled (with the child's message);
 * the other children keep running, and their errors count as retrieved.
 * See the ACORE_GATHER_* flags for the other behaviours.
 * Cancel: cancels every child that is not done and returns 1 if any
 *   accepted; the gather then ends cancelled once its children are done.
 *   If every child is already done, returns 0 and the gather completes
 *   normally (asyncio's rule). The message is copied for the gather first
 *   (ACORE_ENOMEM, nothing cancelled, if that fails); a child whose own
 *   copy of it cannot be made is cancelled without a message.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (loop or out
 *          NULL, futures NULL with n > 0, a NULL future, a future of
 *          another loop, unknown flags); ACORE_ENOMEM; ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_gather(acore_loop_t *loop, acore_future_t *const *futures,
                           size_t n, unsigned flags, acore_future_t **out);

/* acore_gather_child_count() - the number of children of a gather future; 0 for
 * NULL or a future that is not a gather.  Thread: loop.  Since: 0.1 */
ACORE_API size_t acore_gather_child_count(const acore_future_t *gather);

/* acore_gather_child() - the i-th child (input order), borrowed: valid as
 * long as the gather future. NULL when out of range or not a gather.
 * Thread: loop.  Since: 0.1 */
ACORE_API acore_future_t *acore_gather_child(const acore_future_t *gather,
                                             size_t i);

/* ------------------------------------------------------------------------ */
/* Wait                                                                      */
/* ------------------------------------------------------------------------ */

/* When acore_wait() completes. */
enum {
  ACORE_WAIT_ALL_COMPLETED = 0,  /* every future is done */
  ACORE_WAIT_FIRST_COMPLETED = 1,/* any future is done */
  ACORE_WAIT_FIRST_ERROR = 2     /* any future failed (cancelled does not
                                    count), else every future is done */
};

/* acore_wait() - a future that completes (always with a result, never an
 * error) when `return_when` is met or `timeout` seconds have passed,
 * whichever comes first. It then holds the done and the pending futures,
 * each in input order (acore_wait_done / acore_wait_pending), as they
 * were at that moment. It never cancels any of the futures and never
 * retrieves their errors. Empty input gives a future already done; a
 * future passed twice is counted and listed twice.
 * Cancel: the wait future ends cancelled; the futures are not touched.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (loop or out
 *          NULL, futures NULL with n > 0, a NULL future, a future of
 *          another loop, unknown return_when, negative or NaN timeout);
 *          ACORE_ENOMEM; ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_wait(acore_loop_t *loop, acore_future_t *const *futures,
                         size_t n, int return_when, double timeout,
                         acore_future_t **out);

/* acore_wait_at_least() - a wait future, as acore_wait(), that completes
 * once at least `count` of the futures are done ("N completed"; count 1 is
 * FIRST_COMPLETED, count n is ALL_COMPLETED).
 * Returns: as acore_wait; ACORE_EINVAL also for count 0 (with n > 0) or
 *          count > n.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_wait_at_least(acore_loop_t *loop,
                                  acore_future_t *const *futures, size_t n,
                                  size_t count, double timeout,
                                  acore_future_t **out);

/* acore_wait_done_count() / acore_wait_pending_count() - the sizes of the
 * done and pending sets of a completed wait future (0 while it is pending,
 * for NULL, or for a future that is not a wait).
 * acore_wait_done() / acore_wait_pending() - their i-th future (input
 * order), borrowed: valid as long as the wait future; NULL when out of
 * range.  Thread: loop.  Since: 0.1 */
ACORE_API size_t acore_wait_done_count(const acore_future_t *wait);
ACORE_API size_t acore_wait_pending_count(const acore_future_t *wait);
ACORE_API acore_future_t *acore_wait_done(const acore_future_t *wait,
                                          size_t i);
ACORE_API acore_future_t *acore_wait_pending(const acore_future_t *wait,
                                             size_t i);

/* ------------------------------------------------------------------------ */
/* wait_for                                                                  */
/* ------------------------------------------------------------------------ */

/* acore_wait_for() - a future that ends as `fut` ends, unless `timeout`
 * seconds pass first: then `fut` is cancelled, and once it has finished
 * cancelling the returned future fails with ACORE_ETIMEDOUT - or, if `fut`
 * absorbed the cancellation and completed with a value or an error, ends
 * with that. Results are handed over: a pointer result moves to the
 * returned future (`fut` then reads as a NULL result, as after
 * acore_future_steal_result), numbers and bytes are copied, an error is
 * the very same error object (marked retrieved on `fut`).
 * Cancel (from outside): cancels `fut`, returns 1, and the returned future
 * ends cancelled once `fut` is done - always, even if `fut` completed in
 * the same iteration or absorbed the cancellation (CPython gh-86296), so
 * an outside cancellation is never swallowed and never looks like a
 * timeout.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (fut or out
 *          NULL, negative or NaN timeout); ACORE_ENOMEM; ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_wait_for(acore_future_t *fut, double timeout,
                             acore_future_t **out);

/* ------------------------------------------------------------------------ */
/* Timeout scopes (asyncio.timeout for a task)                              */
/* ------------------------------------------------------------------------ */

/*
 * A scope gives a task a deadline. When the deadline passes while the
 * scope is open, the task is cancelled (acore_task_cancel: what it awaits
 * is cancelled, and its next step sees ACORE_ECANCELLED). The step that
 * leaves the scope passes the status it got to acore_timeout_exit(), which
 * turns the scope's own cancellation into ACORE_ETIMEDOUT:
 *
 *   case START:
 *     acore_timeout_new(t, acore_loop_time(loop) + 5.0, &job->scope);
 *     return acore_task_await_take(t, fetch(loop));
 *   case FETCHED:
 *     rc = acore_timeout_exit(job->scope, acore_task_resume(t, &done));
 *     acore_timeout_free(job->scope);
 *     if (rc == ACORE_ETIMEDOUT) ...     the deadline passed
 *     if (rc == ACORE_ECANCELLED) ...    cancelled from outside
 *
 * Scopes nest (open one inside another, exit in reverse order). The
 * innermost expired scope reports the timeout; an enclosing scope that
 * expired too passes ACORE_ETIMEDOUT through; a cancellation from outside
 * (one not made by an expired scope, counted with acore_task_cancelling_count)
 * is never turned into a timeout.
 */
typedef struct acore_timeout acore_timeout_t;

/* acore_timeout_new() - open a scope for `task` with the absolute deadline
 * `when` (loop time, acore_loop_time(); ACORE_NO_TIMEOUT: none yet; a time
 * already past expires on the next iteration).
 * Returns: ACORE_OK and the scope in *out (free it with
 *          acore_timeout_free); ACORE_EINVAL (task or out NULL, when NaN,
 *          task finished); ACORE_ENOMEM; ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_timeout_new(acore_task_t *task, double when,
                                acore_timeout_t **out);

/* acore_timeout_reschedule() - move the deadline to `when` (absolute;
 * ACORE_NO_TIMEOUT removes it).
 * Returns: ACORE_OK; ACORE_EINVAL (NULL, NaN); ACORE_EINVALIDSTATE (the
 *          scope expired or was exited); ACORE_ENOMEM; ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_timeout_reschedule(acore_timeout_t *scope, double when);

/* acore_timeout_when() - the deadline, ACORE_NO_TIMEOUT when none; -1.0 for
 * NULL.  Thread: loop.  Since: 0.1 */
ACORE_API double acore_timeout_when(const acore_timeout_t *scope);

/* acore_timeout_is_expired() - 1 once the deadline passed while the scope was
 * open (it cancelled the task), else 0; ACORE_EINVAL.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_timeout_is_expired(const acore_timeout_t *scope);

/* acore_timeout_exit() - leave the scope with the `status` the step got
 * (ACORE_OK, ACORE_ECANCELLED, or any error code) and remove its deadline.
 * If the scope expired, its cancel request is withdrawn
 * (acore_task_uncancel) and an ACORE_ECANCELLED status becomes
 * ACORE_ETIMEDOUT when no other cancellation is outstanding; only then is
 * the step's cancel handled (see "Tasks" in acore.h).
 * Returns: the status to act on; ACORE_EINVAL (scope NULL, status > 0);
 *          ACORE_EINVALIDSTATE (already exited).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_timeout_exit(acore_timeout_t *scope, int status);

/* acore_timeout_free() - free a scope; one not exited is exited first
 * (with ACORE_OK). Accepts NULL.  Thread: loop.  Since: 0.1 */
ACORE_API void acore_timeout_free(acore_timeout_t *scope);

/* ------------------------------------------------------------------------ */
/* as_completed                                                              */
/* ------------------------------------------------------------------------ */

/* acore_as_completed() - hand out the `n` futures themselves in the order
 * they complete, with an optional overall timeout. Two ways to read them:
 * - `fn` (may be NULL) is called fn(future, ud) once per future as it
 *   completes (the original future, borrowed for the call), in completion
 *   order, never inside this call (futures that complete in the same
 *   iteration are handed out in that iteration);
 * - acore_as_completed_next() hands out the next one as a future.
 * The returned future completes with no value once every future is done,
 * or fails with ACORE_ETIMEDOUT when the timeout passes first (futures
 * that complete later are not handed out). Nothing is ever cancelled.
 * Cancel: the as_completed future ends cancelled, `fn` is not called
 *   again, a pending acore_as_completed_next() future is cancelled.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (as
 *          acore_wait); ACORE_ENOMEM; ACORE_ECLOSED.
 * Owns: `ud`: `ud_free(ud)` runs once after the last call of `fn`.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_as_completed(acore_loop_t *loop,
                                 acore_future_t *const *futures, size_t n,
                                 double timeout, acore_done_fn fn, void *ud,
                                 acore_free_fn ud_free, acore_future_t **out);

/* acore_as_completed_next() - a future for the next completed future: its
 * pointer result (acore_future_result) is that original future, held by
 * it. Already done if one is waiting to be handed out; fails with
 * ACORE_ETIMEDOUT after the timeout passed; cancelled if the as_completed
 * future was. Cancelling it loses nothing: the next call gets that future.
 * Returns: ACORE_OK and a new reference in *next; ACORE_EINVAL (NULL, not
 *          an as_completed future); ACORE_EEMPTY (all were handed out);
 *          ACORE_EBUSY (the previous next future is still pending);
 *          ACORE_ENOMEM; ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_as_completed_next(acore_future_t *ac,
                                      acore_future_t **next);

/* ------------------------------------------------------------------------ */
/* Shield                                                                    */
/* ------------------------------------------------------------------------ */

/* acore_shield() - a future that ends as `fut` ends, but whose
 * cancellation does not reach `fut`. If `fut` is already done, it is
 * returned itself (a new reference). Results are handed over as by
 * acore_wait_for(). After the shield is cancelled, the loop keeps `fut`
 * alive until it completes, and an error it ends with that nobody
 * retrieves is still reported to the loop's error handler.
 * Cancel: the shield ends cancelled at once; `fut` is untouched.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (NULL);
 *          ACORE_ENOMEM; ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_shield(acore_future_t *fut, acore_future_t **out);

/* ------------------------------------------------------------------------ */
/* Task groups (structured concurrency)                                     */
/* ------------------------------------------------------------------------ */

/*
 * A group is a future (acore_group_future) that tasks are spawned into.
 * It completes once it is sealed (acore_group_seal: the end of asyncio's
 * `async with TaskGroup()` body) and all its tasks are done:
 *  - all succeeded (or were cancelled on their own): a result, no value;
 *  - a task failed: every other task is cancelled at once, and the group
 *    fails with an ACORE_EGROUP error whose children (acore_error_child)
 *    are all the tasks' errors, first one first - without waiting for the
 *    seal, since no task can be added any more;
 *  - the group was cancelled (acore_future_cancel on its future, e.g. by a
 *    cancelled task awaiting it): every task is cancelled, and the group
 *    ends cancelled once they are done - even if they absorbed the
 *    cancellation or failed, so a nested group never swallows its
 *    parent's cancellation (errors its tasks ended with are then handed
 *    to the loop's error handler, ACORE_REPORT_UNRETRIEVED, never lost).
 */
typedef struct acore_group acore_group_t;

/* acore_group_new() - an empty, open group on `loop`.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL;
 *          ACORE_ENOMEM; ACORE_ECLOSED.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_group_new(acore_loop_t *loop, acore_group_t **out);

/* acore_group_ref() / acore_group_unref() - references (the same count as
 * the group's future). The loop keeps a group with unfinished tasks alive.
 * Thread: any.  Since: 0.1 */
ACORE_API acore_group_t *acore_group_ref(acore_group_t *group);
ACORE_API void acore_group_unref(acore_group_t *group);

/* acore_group_future() - the group as a future, borrowed (same object and
 * count); NULL for NULL.
 * acore_group_from_future() - the group a future is, borrowed, or NULL.
 * Thread: any.  Since: 0.1 */
ACORE_API acore_future_t *acore_group_future(acore_group_t *group);
ACORE_API acore_group_t *acore_group_from_future(acore_future_t *fut);

/* acore_group_spawn() - spawn a task (as acore_task_spawn) into the group.
 * Tasks of the group may spawn more tasks into it until it is done.
 * Returns: ACORE_OK (and a new reference in *out, which may be NULL);
 *          ACORE_EINVAL (group or fn NULL); ACORE_EINVALIDSTATE (the group
 *          is done, or shutting down after an error or a cancel);
 *          ACORE_ENOMEM; ACORE_ECLOSED.
 * Owns: `ud`, as acore_task_spawn (also when this call fails).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_group_spawn(acore_group_t *group, acore_step_fn fn,
                                void *ud, acore_free_fn ud_free,
                                acore_task_t **out);

/* acore_group_seal() - no more tasks from outside the group: it completes
 * once its tasks are done (at once if it has none). Sealing twice is
 * harmless.
 * Returns: ACORE_OK; ACORE_EINVAL; ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_group_seal(acore_group_t *group);

/* acore_group_task_count() - the number of the group's unfinished tasks; 0 for
 * NULL.  Thread: loop.  Since: 0.1 */
ACORE_API size_t acore_group_task_count(const acore_group_t *group);

#ifdef __cplusplus
}
#endif

#endif /* ACORE_COMBINATORS_H */
