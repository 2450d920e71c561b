/* SPDX-License-Identifier: MIT */
/*
 * where.c - a task's creation site, asked for lazily: the loop's where
 * callback (acore_loop_set_where_fn) names the site of a task that has
 * none of its own when a dump (dump.c, the dump signal, the stuck report)
 * needs it.
 *
 * Design notes
 * - A binding that sets the site at every spawn pays for it on every task
 *   (a copy, an ident record); with the callback it pays only when a dump
 *   asks, for the tasks dumped: Python formats "file:line in coro()" from
 *   the task's coroutine, then.
 * - The callback writes into the caller's buffer: nothing is stored or
 *   allocated, so a dump changes nothing. It is user code run inside a
 *   dump: a nested ask (a dump from inside the callback) gets no site, and
 *   the callback cannot be replaced from inside itself (ACORE_EBUSY).
 */
#include "loop_impl.h"
#include "where.h"

const char *acore__task_site(acore_task_t *t, char *buf, size_t cap) {
  acore_loop_t *loop = t->fut.loop;
  const char *own = acore_task_where(t);
  int n;

  if (own != NULL || loop->where.fn == NULL || loop->where.in_fn ||
      cap == 0 || acore_task_state(t) == ACORE_TASK_STATE_DONE)
    return own; /* a finished task's step data is gone */
  buf[0] = '\0';
  loop->where.in_fn = true;
  n = loop->where.fn(t, t->fn, t->ud, buf, cap, loop->where.ud);
  loop->where.in_fn = false;
  buf[cap - 1] = '\0';
  return n > 0 && buf[0] != '\0' ? buf : NULL;
}

/* Install `fn` (NULL: none), then run the replaced callback's ud_free:
 * host code that sets a callback again from there replaces this one
 * (freeing its ud), so every ud is freed once and the last set stays. */
static void swap(acore_loop_t *loop, acore_where_fn fn, void *ud,
                 acore_free_fn ud_free) {
  acore_free_fn old_free = loop->where.ud_free;
  void *old = loop->where.ud;

  loop->where.fn = fn;
  loop->where.ud = ud;
  loop->where.ud_free = ud_free;
  if (old_free != NULL)
    old_free(old);
}

static void drop(acore_loop_t *loop) { swap(loop, NULL, NULL, NULL); }

void acore__where_close(acore_loop_t *loop) { drop(loop); }

int acore_loop_set_where_fn(acore_loop_t *loop, acore_where_fn fn, void *ud,
                            acore_free_fn ud_free) {
  int rc = acore__loop_check(loop);

  if (rc == ACORE_OK && loop->where.in_fn)
    rc = ACORE_EBUSY;
  if (rc != ACORE_OK || fn == NULL) {
    if (rc == ACORE_OK)
      drop(loop);
    if (ud_free != NULL)
      ud_free(ud);
    return rc;
  }
  swap(loop, fn, ud, ud_free);
  return ACORE_OK;
}
