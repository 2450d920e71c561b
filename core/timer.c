/* SPDX-License-Identifier: MIT */
/*
 * timer.c - scheduled calls: call_later / call_at, their heap, and the
 * handles that cancel them (call_soon's too).
 *
 * Design notes
 * - Timers live in a binary min-heap ordered by (deadline, sequence), so
 *   equal deadlines run in the order they were scheduled.
 * - Deadlines are nanoseconds of loop time, read from a fresh clock, and
 *   compare as signed numbers: a deadline before the loop's time 0 keeps
 *   its place, so calls whose deadlines have passed run in deadline order
 *   (asyncio's order), not in the order they were scheduled.
 * - A handle is queued in exactly one place at a time: the heap, the ready
 *   queue, or nowhere (ACORE__H_DONE: ran, cancelled or dropped). A done
 *   handle never touches its loop again, so a handle the user holds may
 *   outlive the loop: user-held handles (and call_soon_threadsafe's, made
 *   on other threads) are plain allocations, the others come from the
 *   loop's cache - also a combinator's timer, which it only borrows.
 */
#include "alloc.h"
#include "loop_impl.h"
#include "queue.h"
#include "timer.h"

#include <math.h>
#include <string.h>

enum {
  H_CANCELLED = 1u << 0,
  H_TIMER = 1u << 1,
  H_DONE = 1u << 2,
  H_MALLOCED = 1u << 3
};

#define NOT_IN_HEAP ((size_t)-1)

/* ---- the heap --------------------------------------------------------------- */

static bool before(const acore_handle_t *a, const acore_handle_t *b) {
  int64_t wa = (int64_t)a->when, wb = (int64_t)b->when;
  return wa < wb || (wa == wb && a->seq < b->seq);
}

static void heap_set(acore_loop_t *loop, size_t i, acore_handle_t *h) {
  loop->timers.heap[i] = h;
  h->heap_index = i;
}

static void sift_up(acore_loop_t *loop, size_t i) {
  acore_handle_t *h = loop->timers.heap[i];

  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(h, loop->timers.heap[parent]))
      break;
    heap_set(loop, i, loop->timers.heap[parent]);
    i = parent;
  }
  heap_set(loop, i, h);
}

static void sift_down(acore_loop_t *loop, size_t i) {
  acore_handle_t *h = loop->timers.heap[i];

  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    const acore_handle_t *best = h;

    if (l < loop->timers.heap_len && before(loop->timers.heap[l], best))
      best = loop->timers.heap[m = l];
    if (r < loop->timers.heap_len && before(loop->timers.heap[r], best))
      m = r;
    if (m == i)
      break;
    heap_set(loop, i, loop->timers.heap[m]);
    i = m;
  }
  heap_set(loop, i, h);
}

static int heap_reserve(acore_loop_t *loop) {
  size_t cap;
  acore_handle_t **heap;

  if (loop->timers.heap_len < loop->timers.heap_cap)
    return ACORE_OK;
  cap = loop->timers.heap_cap ? loop->timers.heap_cap * 2 : 16;
  heap = acore__realloc(loop->timers.heap, cap * sizeof(*heap));
  if (heap == NULL)
    return ACORE_ENOMEM;
  loop->timers.heap = heap;
  loop->timers.heap_cap = cap;
  return ACORE_OK;
}

static void heap_remove(acore_loop_t *loop, acore_handle_t *h) {
  size_t i = h->heap_index;
  acore_handle_t *last = loop->timers.heap[--loop->timers.heap_len];

  h->heap_index = NOT_IN_HEAP;
  if (last == h)
    return;
  heap_set(loop, i, last);
  if (i > 0 && before(last, loop->timers.heap[(i - 1) / 2]))
    sift_up(loop, i);
  else
    sift_down(loop, i);
}

void acore__timers_collect(acore_loop_t *loop, uint64_t now) {
  while (loop->timers.heap_len > 0 &&
         (int64_t)loop->timers.heap[0]->when <= (int64_t)now) {
    acore_handle_t *h = loop->timers.heap[0];
    heap_remove(loop, h);
    acore__loop_push(loop, &h->item);
  }
}

/* ---- handles ----------------------------------------------------------------- */

void acore__handle_release(acore_handle_t *h) {
  if (!(h->item.u32 & H_MALLOCED)) { /* only the loop holds it */
    acore__obj_free(h->loop, ACORE__SLAB_HANDLE, h);
    return;
  }
  if (atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) == 1)
    acore__free(h);
}

/* Mark done and let go of the user data (the call will never run). */
void acore__handle_drop(acore_handle_t *h) {
  h->item.u32 |= H_DONE;
  if (h->ud_free != NULL)
    h->ud_free(h->ud);
  acore__handle_release(h);
}

void acore__handle_run(acore_loop_t *loop, acore_handle_t *h) {
  (void)loop;
  h->item.u32 |= H_DONE; /* cancelling it from inside fn returns 0 */
  h->fn(h->ud);
  acore__handle_drop(h);
}

void acore__timers_drop(acore_loop_t *loop) {
  while (loop->timers.heap_len > 0) {
    acore_handle_t *h = loop->timers.heap[loop->timers.heap_len - 1];
    loop->timers.heap_len--;
    h->heap_index = NOT_IN_HEAP;
    acore__handle_drop(h);
  }
}

/* A handle with `refs` references: a plain allocation (H_MALLOCED, which
 * may outlive the loop and be made on any thread) or from the loop's
 * cache (loop thread, only the loop holds it). */
static acore_handle_t *handle_new(acore_loop_t *loop, bool malloced,
                                  unsigned refs) {
  acore_handle_t *h = malloced ? acore__malloc(sizeof(*h))
                               : acore__obj_alloc(loop, ACORE__SLAB_HANDLE);

  if (h == NULL)
    return NULL;
  memset(h, 0, sizeof(*h));
  h->item.kind = ACORE__ITEM_CALL;
  h->item.u32 = malloced ? H_MALLOCED : 0;
  atomic_init(&h->refs, refs);
  h->loop = loop;
  h->heap_index = NOT_IN_HEAP;
  return h;
}

acore_handle_t *acore__handle_new_call(acore_loop_t *loop, bool user_ref) {
  return handle_new(loop, user_ref, user_ref ? 2 : 1);
}

acore_handle_t *acore__handle_new_threadsafe(acore_loop_t *loop) {
  return handle_new(loop, true, 1);
}

static int schedule_at(acore_loop_t *loop, uint64_t when, acore_callback_fn fn,
                       void *ud, acore_free_fn ud_free, bool user_ref,
                       acore_handle_t **out) {
  acore_handle_t *h;

  if (heap_reserve(loop) != ACORE_OK)
    goto nomem;
  h = acore__handle_new_call(loop, user_ref);
  if (h == NULL)
    goto nomem;
  h->item.u32 |= H_TIMER;
  h->fn = fn;
  h->ud = ud;
  h->ud_free = ud_free;
  h->when = when;
  h->seq = loop->timers.timer_seq++;
  h->heap_index = loop->timers.heap_len++;
  loop->timers.heap[h->heap_index] = h;
  sift_up(loop, h->heap_index);
  acore__loop_wake_timers(loop);
  if (out != NULL)
    *out = h;
  return ACORE_OK;

nomem:
  if (ud_free != NULL)
    ud_free(ud);
  return ACORE_ENOMEM;
}

static int check_call(acore_loop_t *loop, acore_callback_fn fn, double t) {
  return fn == NULL || isnan(t) ? ACORE_EINVAL : acore__loop_check_sched(loop);
}

/* Seconds to signed nanoseconds, kept within +-2^62 so that the sums
 * below cannot overflow. */
static int64_t seconds_to_ns(double s) {
  if (s >= 1.8e10) /* about 570 years: treat as never */
    return INT64_MAX / 2;
  if (s <= -1.8e10)
    return -(INT64_MAX / 2);
  return (int64_t)(s * 1e9 + (s < 0 ? -0.5 : 0.5));
}

/* call_later (`t` a delay) or call_at (`t` a time); see acore__timer. */
static int schedule(acore_loop_t *loop, double t, bool absolute,
                    acore_callback_fn fn, void *ud, acore_free_fn ud_free,
                    bool user_ref, acore_handle_t **out) {
  int rc = check_call(loop, fn, t);

  if (rc == ACORE_OK && !absolute && t < 0)
    rc = ACORE_EINVAL;
  if (rc != ACORE_OK) {
    if (ud_free != NULL)
      ud_free(ud);
    return rc;
  }
  return schedule_at(loop,
                     (uint64_t)((absolute ? 0 : (int64_t)acore__loop_now(loop)) +
                                seconds_to_ns(t)),
                     fn, ud, ud_free, user_ref, out);
}

int acore_loop_call_later(acore_loop_t *loop, double delay,
                          acore_callback_fn fn, void *ud,
                          acore_free_fn ud_free, acore_handle_t **out) {
  return schedule(loop, delay, false, fn, ud, ud_free, out != NULL, out);
}

int acore_loop_call_at(acore_loop_t *loop, double when, acore_callback_fn fn,
                       void *ud, acore_free_fn ud_free, acore_handle_t **out) {
  return schedule(loop, when, true, fn, ud, ud_free, out != NULL, out);
}

int acore__timer(acore_loop_t *loop, double t, bool absolute,
                 acore_callback_fn fn, void *ud, acore_free_fn ud_free,
                 acore_handle_t **borrowed) {
  return schedule(loop, t, absolute, fn, ud, ud_free, false, borrowed);
}

int acore_handle_cancel(acore_handle_t *h) {
  acore_loop_t *loop;

  if (h == NULL)
    return ACORE_EINVAL;
  if (h->item.u32 & H_DONE)
    return 0;
  loop = h->loop;
  if (ACORE__WRONG_THREAD(loop))
    return ACORE_EWRONGTHREAD;
  if (h->heap_index != NOT_IN_HEAP)
    heap_remove(loop, h);
  else
    acore__queue_remove(&h->item.node);
  h->item.u32 |= H_CANCELLED;
  acore__handle_drop(h);
  return 1;
}

int acore_handle_is_cancelled(const acore_handle_t *h) {
  if (h == NULL)
    return ACORE_EINVAL;
  return (h->item.u32 & H_CANCELLED) != 0;
}

double acore_handle_when(const acore_handle_t *h) {
  if (h == NULL || !(h->item.u32 & H_TIMER))
    return -1.0;
  return (double)(int64_t)h->when / 1e9;
}

acore_handle_t *acore_handle_ref(acore_handle_t *h) {
  if (h != NULL)
    atomic_fetch_add_explicit(&h->refs, 1, memory_order_relaxed);
  return h;
}

void acore_handle_unref(acore_handle_t *h) {
  if (h != NULL)
    acore__handle_release(h);
}
