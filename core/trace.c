/* SPDX-License-Identifier: MIT */
/*
 * trace.c - the loop's trace hook: a callback on task create, step start,
 * step end, task finish and future completion (trace.h has the points and
 * their static probes).
 *
 * Design notes
 * - Unset, a point costs one load and one predictable branch (and a
 *   probe's nop); a plain future's completion with its first callback
 *   tests the hook with the loop's other states (core.detour), so it
 *   costs the nop alone.
 * - Set, the hook runs synchronously; a hook that triggers another point
 *   (it should not) is not called again from inside itself.
 */
#include "loop_impl.h"
#include "trace.h"

void acore__trace_call(acore_loop_t *loop, int event, acore_future_t *fut) {
  if (loop->trace.in_hook)
    return;
  loop->trace.in_hook = true;
  loop->trace.fn(loop, event, fut, loop->trace.ud);
  loop->trace.in_hook = false;
}

/* Install `fn` (NULL: none), then run the replaced hook's ud_free: host
 * code that sets a hook again from there replaces this one (freeing its
 * ud), so every ud is freed once and the last set stays. */
static void swap(acore_loop_t *loop, acore_trace_fn fn, void *ud,
                 acore_free_fn ud_free) {
  acore_free_fn old_free = loop->trace.ud_free;
  void *old = loop->trace.ud;

  loop->trace.fn = fn;
  loop->trace.ud = ud;
  loop->trace.ud_free = ud_free;
  acore__loop_sync_detour(loop);
  if (old_free != NULL)
    old_free(old);
}

static void drop(acore_loop_t *loop) { swap(loop, NULL, NULL, NULL); }

void acore__trace_close(acore_loop_t *loop) { drop(loop); }

int acore_loop_set_trace_hook(acore_loop_t *loop, acore_trace_fn fn, void *ud,
                              acore_free_fn ud_free) {
  int rc = acore__loop_check(loop);

  if (rc == ACORE_OK && loop->trace.in_hook)
    rc = ACORE_EBUSY;
  if (rc != ACORE_OK || fn == NULL) {
    if (rc == ACORE_OK)
      drop(loop);
    if (ud_free != NULL)
      ud_free(ud);
    return rc;
  }
  if (loop->tasks.stage.task != NULL) /* set by a step: its end is traced */
    loop->tasks.stage.after |= ACORE__AFTER_TRACE;
  swap(loop, fn, ud, ud_free);
  return ACORE_OK;
}
