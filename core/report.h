/* SPDX-License-Identifier: MIT */
/*
 * report.h - the loop's part that report.c owns: the error handler that
 * reports go to. Internal.
 */
#ifndef ACORE_REPORT_H
#define ACORE_REPORT_H

#include "acore.h"

/* A field of struct acore_loop. */
typedef struct acore__loop_reporter {
  acore_error_handler_fn eh; /* NULL: the default (stderr) */
  void *eh_ud;
  acore_free_fn eh_free;
} acore__loop_reporter;

#endif /* ACORE_REPORT_H */
