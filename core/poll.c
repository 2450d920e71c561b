/* SPDX-License-Identifier: MIT */
/*
 * poll.c - the poll hook and the wake-up fd: what a binding needs to
 * release its interpreter lock while the loop sleeps, and to be woken by
 * a signal, without reaching libuv.
 *
 * Design notes
 * - A prepare handle (active only while a hook is set, unreferenced) runs
 *   just before libuv computes its poll timeout. If that wait may block
 *   (see may_block), the hook
 *   is told BEFORE and poll_waiting is set; the check handle, which runs
 *   right after the poll, tells it AFTER first thing. So a busy loop never
 *   calls the hook, and every BEFORE has exactly one AFTER.
 * - The wake-up fd is a heap-allocated, unreferenced uv_poll handle: a
 *   replaced one is closed and freed by its close callback, so it can be
 *   replaced at any time. Its callback drains the fd and tells the hook
 *   WAKEUP.
 * - in_poll_hook refuses re-entrant hook changes (ACORE_EBUSY), so a hook
 *   is never freed while it runs.
 * - The census (acore__poll_skippable) walks the uv loop's handles only
 *   when the list may have changed: libuv appends every new handle at its
 *   tail, so a census that found only the loop's own handles stays true
 *   while the tail and the wake-up handle are the same (the loop's own
 *   handles live as long as it; a freed wake-up handle changes
 *   loop->poll.wakeup). A census that found others is redone when the
 *   tail changes, or after a wait that doubles (RECOUNT_*), so a long
 *   list of sockets is not walked every iteration.
 */
#include "alloc.h"
#include "loop_impl.h"
#include "poll.h"
#include "waker.h"

#include <unistd.h>

static void call_hook(acore_loop_t *loop, int phase) {
  loop->poll.in_poll_hook = true;
  loop->poll.poll_fn(loop, phase, loop->poll.poll_ud);
  loop->poll.in_poll_hook = false;
}

/* The poll that follows may block: no run without waiting, nothing ready
 * (acore's idle handle is off) and something keeps the uv loop alive.
 * (uv_backend_timeout() cannot tell from here: libuv 1.44 answers 0
 * inside a prepare callback.) */
static bool may_block(const acore_loop_t *loop) {
  return !loop->nowait && !loop->idle_on && uv_loop_alive(loop->core.uv);
}

static void on_prepare(uv_prepare_t *h) {
  acore_loop_t *loop = h->data;

  if (loop->poll.poll_fn == NULL || !may_block(loop))
    return;
  loop->poll.poll_waiting = true;
  call_hook(loop, ACORE_POLL_BEFORE);
}

void acore__poll_init(acore_loop_t *loop) {
  uv_prepare_init(loop->core.uv, &loop->poll.prepare);
  loop->poll.prepare.data = loop;
  uv_unref((uv_handle_t *)&loop->poll.prepare);
}

void acore__poll_after(acore_loop_t *loop) {
  if (!loop->poll.poll_waiting)
    return;
  loop->poll.poll_waiting = false;
  if (loop->poll.poll_fn != NULL)
    call_hook(loop, ACORE_POLL_AFTER);
}

static void drop_hook(acore_loop_t *loop) {
  acore_free_fn ud_free = loop->poll.poll_free;
  void *ud = loop->poll.poll_ud;

  loop->poll.poll_fn = NULL;
  loop->poll.poll_ud = NULL;
  loop->poll.poll_free = NULL;
  loop->poll.poll_waiting = false;
  if (ud_free != NULL)
    ud_free(ud);
}

int acore_loop_set_poll_hook(acore_loop_t *loop, acore_poll_fn fn, void *ud,
                             acore_free_fn ud_free) {
  int rc = acore__loop_check(loop);

  if (rc == ACORE_OK && loop->poll.in_poll_hook)
    rc = ACORE_EBUSY;
  if (rc != ACORE_OK) {
    if (ud_free != NULL)
      ud_free(ud);
    return rc;
  }
  drop_hook(loop);
  if (fn == NULL) {
    uv_prepare_stop(&loop->poll.prepare);
    if (ud_free != NULL)
      ud_free(ud);
    return ACORE_OK;
  }
  loop->poll.poll_fn = fn;
  loop->poll.poll_ud = ud;
  loop->poll.poll_free = ud_free;
  uv_prepare_start(&loop->poll.prepare, on_prepare);
  return ACORE_OK;
}

/* ---- the wake-up fd ---------------------------------------------------------- */

static void free_poll(uv_handle_t *h) { acore__free(h); }

static void on_wakeup(uv_poll_t *p, int status, int events) {
  acore_loop_t *loop = p->data;
  char buf[64];
  int fd;

  (void)status;
  (void)events;
  if (uv_fileno((uv_handle_t *)p, &fd) == 0)
    while (read(fd, buf, sizeof(buf)) > 0)
      ;
  if (loop->poll.poll_fn != NULL)
    call_hook(loop, ACORE_POLL_WAKEUP);
}

static void stop_wakeup(acore_loop_t *loop) {
  if (loop->poll.wakeup == NULL)
    return;
  uv_close((uv_handle_t *)loop->poll.wakeup, free_poll);
  loop->poll.wakeup = NULL;
}

/* 1 when `fd` is the one watched now. */
static int watching(const acore_loop_t *loop, int fd) {
  int cur;

  return loop->poll.wakeup != NULL &&
         uv_fileno((const uv_handle_t *)loop->poll.wakeup, &cur) == 0 &&
         cur == fd;
}

int acore_loop_set_wakeup_fd(acore_loop_t *loop, int fd) {
  uv_poll_t *p;
  int rc = fd < -1 ? ACORE_EINVAL : acore__loop_check(loop);

  if (rc != ACORE_OK || watching(loop, fd))
    return rc;
  if (fd == -1) {
    stop_wakeup(loop);
    return ACORE_OK;
  }
  if ((p = acore__malloc(sizeof(*p))) == NULL)
    return ACORE_ENOMEM;
  if (uv_poll_init(loop->core.uv, p, fd) != 0) {
    acore__free(p);
    return ACORE_EIO;
  }
  p->data = loop;
  if (uv_poll_start(p, UV_READABLE, on_wakeup) != 0) {
    uv_close((uv_handle_t *)p, free_poll);
    return ACORE_EIO;
  }
  uv_unref((uv_handle_t *)p);
  stop_wakeup(loop);
  loop->poll.wakeup = p;
  return ACORE_OK;
}

/* ---- the census: may the poll be skipped? ------------------------------------ */

/* A census that found other handles is redone after this many asks,
 * doubled each time it fails again (up to the most): a closed handle that
 * was not the list's last leaves no trace but in the list. */
enum { RECOUNT_FIRST = 16, RECOUNT_MOST = 4096 };

typedef struct census {
  const acore_loop_t *loop;
  unsigned other; /* handles that are not the loop's own, or closing */
} census;

static bool own_handle(const acore_loop_t *loop, const uv_handle_t *h) {
  return h == (const uv_handle_t *)&loop->check ||
         h == (const uv_handle_t *)&loop->idle ||
         h == (const uv_handle_t *)&loop->timer ||
         h == (const uv_handle_t *)&loop->async ||
         h == (const uv_handle_t *)&loop->poll.prepare ||
         (loop->poll.wakeup != NULL &&
          h == (const uv_handle_t *)loop->poll.wakeup) ||
         (loop->spin_waker != NULL &&
          h == (const uv_handle_t *)&loop->spin_waker->poll);
}

static void count_handle(uv_handle_t *h, void *arg) {
  census *c = arg;

  if (!own_handle(c->loop, h) || uv_is_closing(h))
    c->other++;
}

/* The last handle of the uv loop's list (libuv appends new ones). */
static const void *handles_tail(const uv_loop_t *uv) {
#if UV_VERSION_HEX >= 0x012e00 /* 1.46: struct uv__queue */
  return uv->handle_queue.prev;
#else
  return uv->handle_queue[1];
#endif
}

static void take_census(acore_loop_t *loop, const void *tail, bool again) {
  acore__loop_poll *p = &loop->poll;
  census c = {loop, 0};

  uv_walk(loop->core.uv, count_handle, &c);
  p->census_tail = tail;
  p->census_wakeup = p->wakeup;
  p->census_quiet = c.other == 0;
  if (!again || p->census_wait_next < RECOUNT_FIRST)
    p->census_wait_next = RECOUNT_FIRST;
  else if (p->census_wait_next < RECOUNT_MOST)
    p->census_wait_next *= 2;
  p->census_wait = p->census_wait_next;
}

bool acore__poll_skippable(acore_loop_t *loop) {
  acore__loop_poll *p = &loop->poll;
  const void *tail = handles_tail(loop->core.uv);

  if (loop->core.uv->active_reqs.count != 0)
    return false;
  if (tail != p->census_tail || p->wakeup != p->census_wakeup)
    take_census(loop, tail, false);
  else if (!p->census_quiet && --p->census_wait == 0)
    take_census(loop, tail, true);
  return p->census_quiet;
}

/* ---- close -------------------------------------------------------------------- */

static void on_wakeup_closed(uv_handle_t *h) {
  acore_loop_t *loop = h->data;

  acore__free(h);
  loop->closing_handles--;
}

void acore__poll_close(acore_loop_t *loop, uv_close_cb on_closed) {
  drop_hook(loop);
  loop->closing_handles++;
  uv_close((uv_handle_t *)&loop->poll.prepare, on_closed);
  if (loop->poll.wakeup != NULL) {
    loop->closing_handles++;
    uv_close((uv_handle_t *)loop->poll.wakeup, on_wakeup_closed);
    loop->poll.wakeup = NULL;
  }
}
