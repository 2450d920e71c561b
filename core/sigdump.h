/* SPDX-License-Identifier: MIT */
/*
 * sigdump.h - the loop's part that sigdump.c owns: the dump on a signal
 * (the option acore_loop_options_set_dump_signal). Internal.
 */
#ifndef ACORE_SIGDUMP_H
#define ACORE_SIGDUMP_H

#include "acore.h"

#include <uv.h>

/* A field of struct acore_loop. */
typedef struct acore__loop_sigdump {
  uv_signal_t sig; /* watching `signum`, unreferenced */
  int signum;      /* 0: off */
} acore__loop_sigdump;

/* Start watching `signum` (> 0, checked by the option's setter; 0: off). */
void acore__sigdump_init(acore_loop_t *loop, int signum);
/* Close the watcher (loop close), counted in the loop's closing handles. */
void acore__sigdump_close(acore_loop_t *loop, uv_close_cb on_closed);

#endif /* ACORE_SIGDUMP_H */
