/* SPDX-License-Identifier: MIT */
/*
 * timer.h - handles and timers (timer.c): a scheduled call the user may
 * hold (call_soon with a handle, call_later, call_at) and the loop's heap
 * of pending timers. Internal.
 *
 * Design notes
 * - A handle is a ready-queue item. A timer waits in the loop's binary
 *   min-heap on (deadline, sequence) until it is due; then it joins the
 *   ready queue's tail like any call, so equal deadlines run in the order
 *   they were scheduled.
 */
#ifndef ACORE_TIMER_H
#define ACORE_TIMER_H

#include "loop.h"

#include <stdatomic.h>
#include <stdbool.h>

struct acore_handle {
  acore__item item; /* b[0] cancelled, b[1] is a timer, b[2] done */
  atomic_uint refs;
  acore_loop_t *loop;
  acore_callback_fn fn;
  void *ud;
  acore_free_fn ud_free;
  uint64_t when; /* timers: deadline in ns of loop time */
  uint64_t seq;  /* timers: order among equal deadlines */
  size_t heap_index;
};

/* A pending call's handle: from the loop's cache when only the loop holds
 * it, else (user_ref: two references) a plain allocation. Loop thread. */
acore_handle_t *acore__handle_new_call(acore_loop_t *loop, bool user_ref);
/* A plain allocation with one reference, for call_soon_threadsafe (any
 * thread: it touches nothing of the loop). */
acore_handle_t *acore__handle_new_threadsafe(acore_loop_t *loop);
void acore__handle_run(acore_loop_t *loop, acore_handle_t *h);
void acore__handle_drop(acore_handle_t *h); /* never runs: frees its ud */
void acore__handle_release(acore_handle_t *h);
/* call_later (`t` a delay) or call_at (`absolute`: `t` a loop time) with a
 * handle only the loop holds (from its cache): *borrowed is valid until
 * ud_free(ud) runs (the call ran, was cancelled or dropped at close), so
 * a borrower clears its copy there. Returns as acore_loop_call_later. */
int acore__timer(acore_loop_t *loop, double t, bool absolute,
                 acore_callback_fn fn, void *ud, acore_free_fn ud_free,
                 acore_handle_t **borrowed);
/* Move due timers to the ready queue. */
void acore__timers_collect(acore_loop_t *loop, uint64_t now);
void acore__timers_drop(acore_loop_t *loop);

/* The loop's part that timer.c owns (a field of struct acore_loop): a
 * binary min-heap of pending timers on (when, seq). */
typedef struct acore__loop_timers {
  acore_handle_t **heap;
  size_t heap_len;
  size_t heap_cap;
  uint64_t timer_seq; /* the next timer's seq */
} acore__loop_timers;

#endif /* ACORE_TIMER_H */
