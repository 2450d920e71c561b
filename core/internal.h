/* SPDX-License-Identifier: MIT */
/*
 * internal.h - every internal header at once, for tests and tools that
 * reach into the core. No file of core/ includes it: each includes the
 * headers of the concepts it uses (see docs/internals/README.md).
 */
#ifndef ACORE_INTERNAL_H
#define ACORE_INTERNAL_H

#include "alloc.h"
#include "future.h"
#include "graph.h"
#include "loop.h"
#include "loop_impl.h"
#include "poll.h"
#include "queue.h"
#include "task.h"
#include "timer.h"
#include "value.h"

#endif /* ACORE_INTERNAL_H */
