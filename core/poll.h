/* SPDX-License-Identifier: MIT */
/*
 * poll.h - what the loop (loop.c) asks of the poll hook and wake-up fd
 * (poll.c). Internal.
 */
#ifndef ACORE_POLL_H
#define ACORE_POLL_H

#include "acore.h"

#include <uv.h>

/* Set up the prepare handle at creation; announce the end of a
 * wait (the check handle, first thing); close both handles at close
 * (each counted in loop->closing_handles until its close callback). */
void acore__poll_init(acore_loop_t *loop);
void acore__poll_after(acore_loop_t *loop);
void acore__poll_close(acore_loop_t *loop, uv_close_cb on_closed);

#endif /* ACORE_POLL_H */
