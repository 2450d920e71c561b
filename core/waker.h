/* SPDX-License-Identifier: MIT */
/*
 * waker.h - a cross-thread wake-up of a loop (waker.c): an fd the loop
 * polls, written once by whoever has news for it. Internal.
 */
#ifndef ACORE_WAKER_H
#define ACORE_WAKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

typedef struct acore__waker {
#ifndef _WIN32
  uv_poll_t poll;
  int fds[2];              /* read end, write end (the same for eventfd) */
  atomic_bool pending;     /* woken since `fn` last ran (acore__waker_take) */
#else
  uv_async_t poll;
#endif
  void (*fn)(struct acore__waker *w);     /* on the loop thread */
  void (*closed)(struct acore__waker *w); /* after close */
} acore__waker;

/* Set up on `uv` (unreferenced); `fn` runs on the loop after wake-ups.
 * Returns ACORE_OK, ACORE_ENOMEM or ACORE_EIO. Loop thread. */
int acore__waker_init(uv_loop_t *uv, acore__waker *w,
                      void (*fn)(acore__waker *w));
/* Wake the loop (any thread; one write, no lock, no handshake). */
void acore__waker_wake(acore__waker *w);
/* Run `fn` now if the loop was woken since it last ran (without waiting
 * for the poll: a loop's iterations without a poll, core/loop.c). Returns
 * whether it ran. Loop thread; false on systems with no wake-up fd. */
bool acore__waker_take(acore__waker *w);
/* Keep the loop running (hold) or not. Loop thread. */
void acore__waker_hold(acore__waker *w, bool hold);
/* Close; `closed` runs once the memory may go. Loop thread. */
void acore__waker_close(acore__waker *w, void (*closed)(acore__waker *w));

#endif /* ACORE_WAKER_H */
