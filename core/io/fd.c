/* SPDX-License-Identifier: MIT */
/*
 * fd.c - readiness of any file descriptor: acore_fd_readable() /
 * acore_fd_writable() futures and acore_fd_watcher_t (acore/fd.h).
 *
 * Design notes
 * - libuv allows one poll handle per fd and loop, so each loop keeps a
 *   registry (found through its closer record) with one entry per watched
 *   fd: a uv_poll_t, the pending futures (waiters) and the watchers. The
 *   entry watches the union of what they want; it is closed (through
 *   acore__loop_uv_close) as soon as nothing waits on it.
 * - An entry remembers its file's identity (st_dev, st_ino). Before it adds
 *   interest it checks the fd still is that file: a closed fd (which the
 *   kernel dropped silently) or a reused number would make libuv abort on
 *   its next epoll_ctl. Then the waiters fail with ACORE_EBADF, the
 *   watchers are paused, and the registration starts afresh.
 * - A watcher is a composite future nobody sees as one: its reference
 *   count, its deferred destruction on the loop thread and its share in the
 *   loop's lifetime come from the future machinery. Closing it unlinks it
 *   and runs ud_free; its destroy op closes it if needed.
 * - The poll callback completes the waiters (no user code runs), then
 *   calls the watchers from a private list, each put back before its call
 *   and held by a reference during it, so a callback may close or change
 *   any watcher. While it runs (`busy`) the entry is never closed or
 *   re-armed; that happens once, at its end.
 * - libuv stops a poll handle on POLLERR and reports UV_EBADF: that is an
 *   error condition of the fd, delivered as ACORE_FD_ERROR plus every
 *   event the waiter wants, as asyncio's selector does.
 */
#include "acore/fd.h"

#include "alloc.h"
#include "comb.h"
#include "future.h"
#include "io.h"
#include "loop.h"
#include "queue.h"
#include "uverr.h"
#include "value.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#define FD_EVENTS (ACORE_FD_READABLE | ACORE_FD_WRITABLE)

typedef struct fdreg fdreg;

typedef struct fdent {
  acore__uvblock blk;    /* first: the loop; freed once the poll closed */
  uv_poll_t poll;        /* data: the entry */
  fdreg *reg;
  int fd;
  dev_t dev;             /* the file's identity when it was registered */
  ino_t ino;
  unsigned armed;        /* events libuv watches (0: stopped) */
  bool busy;             /* on_poll is calling out */
  acore__queue waiters;  /* fdwait.node */
  acore__queue watchers; /* acore_fd_watcher.node */
} fdent;

struct fdreg {
  acore__ioreg reg;     /* first (its live list stays empty) */
  fdent **tab;          /* indexed by fd */
  size_t cap;
};

typedef struct fdwait {
  acore__xfuture x; /* first */
  acore__queue node; /* in ent->waiters while pending */
  fdent *ent;
  unsigned want;
} fdwait;

struct acore_fd_watcher {
  acore__xfuture x;  /* first: refs and lifetime */
  acore__queue node; /* in ent->watchers (or on_poll's list) */
  fdent *ent;        /* NULL once closed */
  int fd;
  unsigned events;
  bool closed;
  acore_fd_fn fn;
  void *ud;
  acore_free_fn ud_free;
};

/* ---- the registry ------------------------------------------------------- */

static void reg_close(acore__closer *c, acore_loop_t *loop);

static fdreg *reg_get(acore_loop_t *loop) {
  return acore__ioreg_get(loop, reg_close, sizeof(fdreg));
}

/* Room for `fd` in the table. */
static int reg_reserve(fdreg *r, int fd) {
  size_t cap = r->cap < 16 ? 16 : r->cap;
  fdent **tab;

  if ((size_t)fd < r->cap)
    return ACORE_OK;
  while (cap <= (size_t)fd)
    cap *= 2;
  tab = acore__realloc(r->tab, cap * sizeof(*tab));
  if (tab == NULL)
    return ACORE_ENOMEM;
  memset(tab + r->cap, 0, (cap - r->cap) * sizeof(*tab));
  r->tab = tab;
  r->cap = cap;
  return ACORE_OK;
}

/* ---- entries ------------------------------------------------------------ */

static int stat_fd(int fd, struct stat *st) {
  if (fstat(fd, st) == 0)
    return ACORE_OK;
  return errno == ENOMEM ? ACORE_ENOMEM : ACORE_EBADF;
}

static unsigned ent_want(const fdent *e) {
  unsigned want = 0;
  acore__queue *n;

  for (n = e->waiters.next; n != &e->waiters; n = n->next)
    want |= acore__queue_data(n, fdwait, node)->want;
  for (n = e->watchers.next; n != &e->watchers; n = n->next)
    want |= acore__queue_data(n, struct acore_fd_watcher, node)->events;
  return want;
}

static void on_poll(uv_poll_t *h, int status, int uvev);

/* Bring libuv's registration in line with what waits; close the entry
 * when nothing does. Never fails (uv_poll_start cannot on a valid
 * handle; if it did, the waiters would only stay pending). */
static void ent_update(fdent *e) {
  unsigned want;

  if (e->busy)
    return; /* on_poll does it once done */
  if (acore__queue_empty(&e->waiters) && acore__queue_empty(&e->watchers)) {
    e->reg->tab[e->fd] = NULL;
    acore__uvblock_close((uv_handle_t *)&e->poll);
    return;
  }
  want = ent_want(e);
  if (want == e->armed)
    return;
  if (want == 0)
    uv_poll_stop(&e->poll);
  else if (uv_poll_start(&e->poll, ((want & ACORE_FD_READABLE) ? UV_READABLE
                                                              : 0) |
                                       ((want & ACORE_FD_WRITABLE) ? UV_WRITABLE
                                                                   : 0),
                         on_poll) != 0)
    want = 0;
  e->armed = want;
}

static void wait_fail(fdwait *w, int code, const char *message) {
  acore__queue_remove(&w->node);
  w->ent = NULL;
  acore__comb_set_code(&w->x.fut, code, message);
}

/* The fd was closed (or its number reused) behind the entry's back:
 * fail the waiters, pause the watchers, forget libuv's registration. */
static void ent_stale(fdent *e) {
  acore__queue *n;

  while (!acore__queue_empty(&e->waiters))
    wait_fail(acore__queue_data(acore__queue_head(&e->waiters), fdwait, node),
              ACORE_EBADF, "fd: the file descriptor was closed while watched");
  for (n = e->watchers.next; n != &e->watchers; n = n->next)
    acore__queue_data(n, struct acore_fd_watcher, node)->events = 0;
  uv_poll_stop(&e->poll);
  e->armed = 0;
}

/* Before adding interest to an existing entry: is the fd still its file?
 * ACORE_OK (possibly after a reset for a new file); ACORE_EBADF. */
static int ent_check(fdent *e) {
  struct stat st;
  int rc = stat_fd(e->fd, &st);

  if (rc == ACORE_ENOMEM)
    return rc;
  if (rc == ACORE_OK && st.st_dev == e->dev && st.st_ino == e->ino)
    return ACORE_OK;
  ent_stale(e);
  if (rc != ACORE_OK)
    return rc;
  e->dev = st.st_dev;
  e->ino = st.st_ino;
  return ACORE_OK;
}

/* A new entry for `fd` in `r` (a slot reserved). */
static int ent_new(acore_loop_t *loop, fdreg *r, int fd, fdent **out) {
  struct stat st;
  fdent *e;
  int rc = stat_fd(fd, &st);

  if (rc != ACORE_OK)
    return rc;
  e = acore__calloc(1, sizeof(*e));
  if (e == NULL)
    return ACORE_ENOMEM;
  rc = uv_poll_init(acore__core(loop)->uv, &e->poll, fd);
  if (rc != 0) {
    acore__free(e);
    return acore__uv_code(rc);
  }
  e->poll.data = e;
  e->blk.loop = loop;
  e->reg = r;
  e->fd = fd;
  e->dev = st.st_dev;
  e->ino = st.st_ino;
  acore__queue_init(&e->waiters);
  acore__queue_init(&e->watchers);
  r->tab[fd] = e;
  *out = e;
  return ACORE_OK;
}

/* The entry for `fd`, made if needed and checked if it existed. When the
 * check fails the entry may be left empty: the caller updates it. */
static int ent_get(acore_loop_t *loop, int fd, fdent **out) {
  fdreg *r = reg_get(loop);
  int rc;

  if (r == NULL)
    return ACORE_ENOMEM;
  if ((rc = reg_reserve(r, fd)) != ACORE_OK)
    return rc;
  if (r->tab[fd] == NULL)
    return ent_new(loop, r, fd, out);
  *out = r->tab[fd];
  rc = ent_check(*out);
  if (rc != ACORE_OK)
    ent_update(*out);
  return rc;
}

/* ---- the poll callback -------------------------------------------------- */

static unsigned seen_events(int status, int uvev) {
  if (status < 0) /* POLLERR: libuv stopped the handle */
    return ACORE_FD_ERROR | FD_EVENTS;
  return ((uvev & UV_READABLE) ? ACORE_FD_READABLE : 0) |
         ((uvev & UV_WRITABLE) ? ACORE_FD_WRITABLE : 0) |
         ((uvev & UV_DISCONNECT) ? ACORE_FD_READABLE : 0);
}

static void wake_waiters(fdent *e, unsigned seen) {
  acore__queue *n = e->waiters.next;

  while (n != &e->waiters) {
    fdwait *w = acore__queue_data(n, fdwait, node);
    unsigned got = seen & (w->want | ACORE_FD_ERROR);

    n = n->next;
    if ((got & w->want) == 0)
      continue;
    acore__queue_remove(&w->node);
    w->ent = NULL;
    acore__future_complete(&w->x.fut, ACORE_FUTURE_RESULT, ACORE_VALUE_INT,
                           acore__value_int(got));
  }
}

static void wake_watchers(fdent *e, unsigned seen) {
  acore__queue q;

  acore__queue_move(&e->watchers, &q);
  while (!acore__queue_empty(&q)) {
    acore__queue *n = acore__queue_head(&q);
    acore_fd_watcher_t *w = acore__queue_data(n, acore_fd_watcher_t, node);
    unsigned got = seen & (w->events | ACORE_FD_ERROR);

    acore__queue_remove(n);
    acore__queue_insert_tail(&e->watchers, n);
    if ((got & w->events) == 0)
      continue;
    acore_future_ref(&w->x.fut);
    w->fn(w, w->fd, got, w->ud);
    acore_future_unref(&w->x.fut);
  }
}

static void on_poll(uv_poll_t *h, int status, int uvev) {
  fdent *e = h->data;
  unsigned seen = seen_events(status, uvev);

  if (status < 0)
    e->armed = 0;
  wake_waiters(e, seen);
  e->busy = true;
  wake_watchers(e, seen);
  e->busy = false;
  ent_update(e);
}

/* ---- futures ------------------------------------------------------------ */

static int wait_cancel(acore_future_t *f, const char *message) {
  fdwait *w = (fdwait *)f;
  fdent *e = w->ent;
  int rc = acore__future_cancel(f, message);

  if (rc == 1 && e != NULL) {
    acore__queue_remove(&w->node);
    w->ent = NULL;
    ent_update(e);
  }
  return rc;
}

static void wait_destroy(acore_future_t *f) {
  fdwait *w = (fdwait *)f;
  fdent *e = w->ent;

  if (e != NULL) { /* dropped while pending */
    acore__queue_remove(&w->node);
    w->ent = NULL;
    ent_update(e);
  }
}

static const acore__future_ops wait_ops = {
    .cancel = wait_cancel,
    .destroy = wait_destroy,
    .name = "fd.wait"};

static int fd_wait(acore_loop_t *loop, int fd, unsigned want,
                   acore_future_t **out) {
  acore_future_t *f;
  fdwait *w;
  fdent *e;
  int rc;

  if (out == NULL || fd < 0)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check_sched(loop)) != ACORE_OK)
    return rc;
  f = acore__xfuture_new(loop, sizeof(fdwait), &wait_ops, ACORE__F_NOSET);
  if (f == NULL)
    return ACORE_ENOMEM;
  if ((rc = ent_get(loop, fd, &e)) != ACORE_OK) {
    acore_future_unref(f);
    return rc;
  }
  w = (fdwait *)f;
  w->want = want;
  w->ent = e;
  acore__queue_insert_tail(&e->waiters, &w->node);
  ent_update(e);
  *out = f;
  return ACORE_OK;
}

int acore_fd_readable(acore_loop_t *loop, int fd, acore_future_t **out) {
  return fd_wait(loop, fd, ACORE_FD_READABLE, out);
}

int acore_fd_writable(acore_loop_t *loop, int fd, acore_future_t **out) {
  return fd_wait(loop, fd, ACORE_FD_WRITABLE, out);
}

/* ---- watchers ----------------------------------------------------------- */

/* Close: unlink, update the entry, run ud_free. Idempotent. */
static void watcher_close(acore_fd_watcher_t *w) {
  fdent *e = w->ent;
  acore_free_fn ud_free = w->ud_free;

  if (w->closed)
    return;
  w->closed = true;
  w->events = 0;
  w->ud_free = NULL;
  if (e != NULL) {
    acore__queue_remove(&w->node);
    w->ent = NULL;
    ent_update(e);
  }
  if (ud_free != NULL)
    ud_free(w->ud);
}

static void watcher_destroy(acore_future_t *f) {
  watcher_close((acore_fd_watcher_t *)f);
}

static const acore__future_ops watcher_ops = {
    .destroy = watcher_destroy,
    .name = "fd.watcher"};

int acore_fd_watcher_new(acore_loop_t *loop, int fd, unsigned events,
                         acore_fd_fn fn, void *ud, acore_free_fn ud_free,
                         acore_fd_watcher_t **out) {
  acore_fd_watcher_t *w = NULL;
  fdent *e;
  int rc = ACORE_EINVAL;

  if (fn == NULL || out == NULL || fd < 0 || (events & ~FD_EVENTS))
    goto fail;
  if ((rc = acore__loop_check_sched(loop)) != ACORE_OK)
    goto fail;
  w = (acore_fd_watcher_t *)acore__xfuture_new(loop, sizeof(*w), &watcher_ops,
                                               ACORE__F_NOSET);
  rc = ACORE_ENOMEM;
  if (w == NULL || (rc = ent_get(loop, fd, &e)) != ACORE_OK)
    goto fail;
  w->fd = fd;
  w->events = events;
  w->fn = fn;
  w->ud = ud;
  w->ud_free = ud_free;
  w->ent = e;
  acore__queue_insert_tail(&e->watchers, &w->node);
  ent_update(e);
  *out = w;
  return ACORE_OK;

fail:
  if (w != NULL) {
    w->closed = true; /* its destroy must not touch an entry */
    acore_future_unref(&w->x.fut);
  }
  if (ud_free != NULL)
    ud_free(ud);
  return rc;
}

/* The common checks of a watcher's loop-thread calls. */
static int watcher_check(const acore_fd_watcher_t *w) {
  int rc;

  if (w == NULL)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(w->x.fut.loop)) != ACORE_OK)
    return rc;
  return w->closed ? ACORE_ECLOSED : ACORE_OK;
}

int acore_fd_watcher_set_events(acore_fd_watcher_t *w, unsigned events) {
  int rc;

  if (w != NULL && (events & ~FD_EVENTS))
    return ACORE_EINVAL;
  if ((rc = watcher_check(w)) != ACORE_OK)
    return rc;
  if ((events & ~w->events) != 0 && (rc = ent_check(w->ent)) != ACORE_OK) {
    ent_update(w->ent);
    return rc;
  }
  w->events = events;
  ent_update(w->ent);
  return ACORE_OK;
}

unsigned acore_fd_watcher_events(const acore_fd_watcher_t *w) {
  return w != NULL && !w->closed ? w->events : 0;
}

int acore_fd_watcher_fd(const acore_fd_watcher_t *w) {
  return w != NULL ? w->fd : -1;
}

int acore_fd_watcher_close(acore_fd_watcher_t *w) {
  if (w == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(w->x.fut.loop))
    return ACORE_EWRONGTHREAD;
  watcher_close(w);
  return ACORE_OK;
}

acore_fd_watcher_t *acore_fd_watcher_ref(acore_fd_watcher_t *w) {
  if (w != NULL)
    acore_future_ref(&w->x.fut);
  return w;
}

void acore_fd_watcher_unref(acore_fd_watcher_t *w) {
  if (w != NULL)
    acore_future_unref(&w->x.fut);
}

/* ---- loop close --------------------------------------------------------- */

static void ent_close_all(fdent *e) {
  e->busy = true; /* one update at the end */
  while (!acore__queue_empty(&e->waiters)) {
    fdwait *w = acore__queue_data(acore__queue_head(&e->waiters), fdwait, node);
    acore__queue_remove(&w->node);
    w->ent = NULL;
    acore__comb_set_cancelled(&w->x.fut, "loop closed");
  }
  while (!acore__queue_empty(&e->watchers))
    watcher_close(acore__queue_data(acore__queue_head(&e->watchers),
                                    acore_fd_watcher_t, node));
  e->busy = false;
  ent_update(e); /* empty: closes it */
}

static void reg_close(acore__closer *c, acore_loop_t *loop) {
  fdreg *r = (fdreg *)c;
  size_t i;

  (void)loop;
  for (i = 0; i < r->cap; i++)
    if (r->tab[i] != NULL)
      ent_close_all(r->tab[i]);
  acore__free(r->tab);
  acore__free(r);
}
