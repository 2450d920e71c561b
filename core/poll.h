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
} acore__loop_poll;

/* Set up the prepare handle at creation; announce the end of a
 * wait (the check handle, first thing); close both handles at close
 * (each counted in loop->closing_handles until its close callback). */
void acore__poll_init(acore_loop_t *loop);
void acore__poll_after(acore_loop_t *loop);
void acore__poll_close(acore_loop_t *loop, uv_close_cb on_closed);

#endif /* ACORE_POLL_H */
