/* SPDX-License-Identifier: MIT */
/*
 * comb.h - helpers shared by the combinators (sleep.c, gather.c, wait.c,
 * timeout.c, group.c). Nothing here is public.
 */
#ifndef ACORE_COMB_H
#define ACORE_COMB_H

#include "acore.h"
#include "acore/combinators.h"

/* Check a combinator's input: loop usable, array and futures valid and of
 * `loop`. ACORE_OK or the error to return. */
int acore__comb_check(acore_loop_t *loop, acore_future_t *const *futures,
                      size_t n);
/* A timeout argument: 0 (fine) or ACORE_EINVAL (negative, NaN). */
int acore__comb_check_timeout(double timeout);
/* 1 if `timeout` means "none" (infinite). */
int acore__comb_no_timeout(double timeout);

/* Schedule fn(ud) `delay` seconds from now (or at absolute `when` when
 * `absolute`) and keep the handle in *slot without a reference: the
 * handle's ud_free `clear(ud)` must set *slot to NULL. */
int acore__comb_timer(acore_loop_t *loop, double t, int absolute,
                      acore_callback_fn fn, void *ud, acore_free_fn clear,
                      acore_handle_t **slot);
/* Cancel a timer kept by acore__comb_timer (no-op for NULL). */
void acore__comb_timer_cancel(acore_handle_t **slot);

/* Complete the pending `dst` as the done `src` ended: an error is the very
 * same object (marked retrieved on src); a pointer result with a
 * destructor moves (src then reads as a stolen NULL result); numbers are
 * copied; bytes are copied (ACORE_ENOMEM error on dst if that fails); a
 * cancellation keeps its message. */
void acore__comb_handover(acore_future_t *dst, acore_future_t *src);
/* Complete the pending `f` with no value / with a new error of `code`. */
void acore__comb_set_none(acore_future_t *f);
void acore__comb_set_code(acore_future_t *f, int code, const char *message);
/* Cancel the pending `f` with a copy of `msg` (NULL when it fails). */
void acore__comb_set_cancelled(acore_future_t *f, const char *msg);

#endif /* ACORE_COMB_H */
