/* SPDX-License-Identifier: MIT */
/*
 * poll.h - what the loop (loop.c) asks of the poll hook and wake-up fd
 * (poll.c). Internal.
 */
#ifndef ACORE_POLL_H
#define ACORE_POLL_H

#include "acore.h"

#include <stdbool.h>
#include <uv.h>

/* The loop's part that poll.c owns (a field of struct acore_loop). */
typedef struct acore__loop_poll {
  uv_prepare_t prepare; /* active while a hook is set */
  acore_poll_fn poll_fn;
  void *poll_ud;
  acore_free_fn poll_free;
  bool poll_waiting;    /* BEFORE was called; AFTER is due */
  bool in_poll_hook;    /* the hook is running */
  uv_poll_t *wakeup;    /* the wake-up fd's handle, or NULL */
  /* The last census of the uv loop's handles (acore__poll_skippable): */
  const void *census_tail;         /* the handle list's tail then */
  const uv_poll_t *census_wakeup;  /* the wake-up fd's handle then */
  unsigned census_wait;            /* asks before a failed one is redone */
  unsigned census_wait_next;       /* ... the wait after the next failure */
  bool census_quiet;               /* only the loop's own, none closing */
} acore__loop_poll;

/* Set up the prepare handle at creation; announce the end of a
 * wait (the check handle, first thing); close both handles at close
 * (each counted in loop->closing_handles until its close callback). */
void acore__poll_init(acore_loop_t *loop);
void acore__poll_after(acore_loop_t *loop);
void acore__poll_close(acore_loop_t *loop, uv_close_cb on_closed);

/* True when libuv's poll can bring nothing but acore's own wake-ups: the
 * uv loop holds no handle but the loop's own (check, idle, timer, async,
 * the hook's prepare, the wake-up fd), none closing, and no request is in
 * flight. Then loop.c may run an iteration without the poll: it takes
 * call_soon_threadsafe's queue itself, and the wake-up fd waits at most
 * a few iterations (a signal handler runs later anyway). Loop thread. */
bool acore__poll_skippable(acore_loop_t *loop);

#endif /* ACORE_POLL_H */
