/* SPDX-License-Identifier: MIT */
/*
 * where.h - the loop's part that where.c owns: the "describe where" host
 * callback (acore_loop_set_where_fn) that names a task's creation site
 * when a dump needs it and the task has none of its own. Internal.
 */
#ifndef ACORE_WHERE_H
#define ACORE_WHERE_H

#include "acore.h"

#include <stdbool.h>

/* A field of struct acore_loop. */
typedef struct acore__loop_where {
  acore_where_fn fn; /* NULL: none */
  void *ud;
  acore_free_fn ud_free;
  bool in_fn;        /* the callback runs: a nested ask gets nothing */
} acore__loop_where;

/* The creation site of `t`: its own (acore_task_where), else the one the
 * loop's where callback writes into `buf` (`cap` bytes, cut to fit), else
 * NULL. Loop thread; allocates nothing. */
const char *acore__task_site(acore_task_t *t, char *buf, size_t cap);
/* Drop the callback (loop close). */
void acore__where_close(acore_loop_t *loop);

#endif /* ACORE_WHERE_H */
