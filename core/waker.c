/* SPDX-License-Identifier: MIT */
/*
 * waker.c - a cross-thread wake-up for one loop: an eventfd (Linux) or a
 * pipe (other Unix systems) that the loop polls; a uv_async on Windows.
 *
 * Design notes
 * - Waking is one write(2); the loop thread's callback reads the fd empty
 *   and then runs `fn`. Whoever wakes must make its news visible (under
 *   its own lock) before waking, and `fn` must take all news, so a
 *   wake-up is never lost; a spurious one is harmless.
 * - Why not uv_async_send(): it brackets its write with a handshake that
 *   the loop thread spins on (up to ~1,000 pauses, then yields). When the
 *   waker and the loop share a CPU and the woken loop preempts the waker
 *   mid-send, that spin costs ~30 us (measured: 3-5% of wake-ups in the
 *   executor's same-CPU latency benchmark). A plain fd has no handshake.
 * - `pending` is set before the write and cleared before the read, so a
 *   loop that takes the news without polling (acore__waker_take) misses
 *   none: a wake-up after the clear finds the flag set again, and its
 *   write keeps the fd readable for the next poll (a spurious run of `fn`
 *   at worst).
 * - The owner must not wake after acore__waker_close(); the fds are closed
 *   in the poll handle's close callback.
 */
#include "acore.h"
#include "waker.h"

#ifndef _WIN32
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif
#endif

#ifndef _WIN32

/* Empty the fd, then run `fn` (which takes every news made visible
 * before a wake-up). */
static void drain_and_run(acore__waker *w) {
#ifdef __linux__
  uint64_t n;

  atomic_store(&w->pending, false);
  (void)!read(w->fds[0], &n, sizeof(n)); /* one read resets the counter */
#else
  char buf[64];

  atomic_store(&w->pending, false);
  while (read(w->fds[0], buf, sizeof(buf)) == (ssize_t)sizeof(buf))
    ; /* empty the pipe */
#endif
  w->fn(w);
}

static void on_readable(uv_poll_t *p, int status, int events) {
  (void)status;
  (void)events;
  drain_and_run(p->data);
}

bool acore__waker_take(acore__waker *w) {
  if (!atomic_load_explicit(&w->pending, memory_order_acquire))
    return false;
  drain_and_run(w);
  return true;
}

static int open_fds(int fds[2]) {
#ifdef __linux__
  fds[0] = fds[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  return fds[0] < 0 ? -1 : 0;
#else
  int i;

  if (pipe(fds) != 0)
    return -1;
  for (i = 0; i < 2; i++) {
    fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
  }
  return 0;
#endif
}

static void close_fds(int fds[2]) {
  close(fds[0]);
  if (fds[1] != fds[0])
    close(fds[1]);
}

int acore__waker_init(uv_loop_t *uv, acore__waker *w,
                      void (*fn)(acore__waker *w)) {
  if (open_fds(w->fds) != 0)
    return errno == ENOMEM ? ACORE_ENOMEM : ACORE_EIO;
  if (uv_poll_init(uv, &w->poll, w->fds[0]) != 0) {
    close_fds(w->fds);
    return ACORE_EIO;
  }
  w->fn = fn;
  w->poll.data = w;
  atomic_init(&w->pending, false);
  uv_poll_start(&w->poll, UV_READABLE, on_readable);
  uv_unref((uv_handle_t *)&w->poll);
  return ACORE_OK;
}

void acore__waker_wake(acore__waker *w) {
#ifdef __linux__
  uint64_t one = 1;
#else
  char one = 1;
#endif
  ssize_t r;

  atomic_store_explicit(&w->pending, true, memory_order_release);
  do
    r = write(w->fds[1], &one, sizeof(one));
  while (r < 0 && errno == EINTR);
  /* EAGAIN: the counter or pipe is full, so a wake-up is pending anyway */
}

static void on_closed(uv_handle_t *h) {
  acore__waker *w = h->data;

  close_fds(w->fds);
  w->closed(w);
}

#else /* _WIN32 */

static void on_async(uv_async_t *a) {
  acore__waker *w = a->data;
  w->fn(w);
}

int acore__waker_init(uv_loop_t *uv, acore__waker *w,
                      void (*fn)(acore__waker *w)) {
  if (uv_async_init(uv, &w->poll, on_async) != 0)
    return ACORE_EIO;
  w->fn = fn;
  w->poll.data = w;
  uv_unref((uv_handle_t *)&w->poll);
  return ACORE_OK;
}

void acore__waker_wake(acore__waker *w) { uv_async_send(&w->poll); }

bool acore__waker_take(acore__waker *w) {
  (void)w;
  return false;
}

static void on_closed(uv_handle_t *h) {
  acore__waker *w = h->data;
  w->closed(w);
}

#endif

void acore__waker_hold(acore__waker *w, bool hold) {
  if (hold)
    uv_ref((uv_handle_t *)&w->poll);
  else
    uv_unref((uv_handle_t *)&w->poll);
}

void acore__waker_close(acore__waker *w, void (*closed)(acore__waker *w)) {
  w->closed = closed;
  uv_close((uv_handle_t *)&w->poll, on_closed);
}
