/* SPDX-License-Identifier: MIT */
/*
 * stuck.h - the loop's part that stuck.c owns: stuck-task detection (the
 * option acore_loop_options_set_stuck_threshold). Internal.
 */
#ifndef ACORE_STUCK_H
#define ACORE_STUCK_H

#include "acore.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

/* A field of struct acore_loop. */
typedef struct acore__loop_stuck {
  uv_timer_t timer;      /* ticks every threshold / 2, unreferenced */
  uint64_t threshold_ns; /* 0: off */
} acore__loop_stuck;

/* Start watching (threshold > 0; the loop records task times). */
void acore__stuck_init(acore_loop_t *loop, double threshold);
/* Close the timer (loop close), counted in the loop's closing handles. */
void acore__stuck_close(acore_loop_t *loop, uv_close_cb on_closed);
/* Report the tasks waiting longer than the threshold, not yet reported. */
void acore__stuck_scan(acore_loop_t *loop);

#endif /* ACORE_STUCK_H */
