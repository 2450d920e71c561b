/* SPDX-License-Identifier: MIT */
/*
 * udp.c - UDP sockets (acore/udp.h): a libuv uv_udp_t whose sends and
 * receives are composite futures.
 *
 * Design notes
 * - Receives wait in `recvs`, FIFO; the socket reads (uv_udp_recv_start)
 *   exactly while that queue is not empty, so datagrams nobody asked for
 *   stay in the kernel. libuv's alloc callback hands out the head's buffer
 *   and its recv callback completes the head: nothing runs in between, so
 *   the head cannot change. A receive leaves the queue when it completes,
 *   is cancelled, or is destroyed (its last reference dropped while
 *   pending): after that its buffer is never written.
 * - A send copies its data into its future (one allocation) and hands it
 *   to uv_udp_send(); the request holds a reference to the future until
 *   libuv's callback, which always comes (with UV_ECANCELED after a close).
 *   In-flight sends are listed in `sends` so a close completes them at once.
 * - Lifetime: the user's references (`refs`); the libuv handle's memory is
 *   the object's, so the object is freed when both its last reference is
 *   gone (`orphan`) and the handle's close callback ran (`gone`); the one
 *   that comes second frees it. Those two flags are read and written under
 *   the loop's mutex, since a last unref on another thread after the loop
 *   closed decides on them there. The object counts in the loop's live
 *   objects, so the loop's memory outlives it.
 * - Close (acore_udp_close, the last unref, the loop's close through the
 *   object's closer record) cancels the pending futures with the message
 *   "closed", as a stream's close does, and closes the handle through
 *   acore__loop_uv_close().
 */
#include "acore.h"
#include "acore/udp.h"

#include "alloc.h"
#include "comb.h"
#include "future.h"
#include "loop.h"
#include "uverr.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <uv.h>

struct acore_udp {
  uv_udp_t h;              /* h.data: this object */
  acore__closer closer;    /* on the loop's closers while open */
  atomic_uint refs;
  acore_loop_t *loop;
  acore__queue recvs;      /* pending receives (recv_fut.node), FIFO */
  acore__queue sends;      /* sends libuv has not called back */
  bool closed;             /* close started: handle closing or gone */
  bool reading;            /* uv_udp_recv_start is in effect */
  bool connected;
  bool orphan;             /* no references left (loop mutex) */
  bool gone;               /* the handle's close callback ran (loop mutex) */
};

typedef struct recv_fut {
  acore__xfuture x;        /* first */
  acore__queue node;       /* in u->recvs while pending */
  acore_udp_t *u;          /* valid while queued */
  char *buf;
  size_t cap;
  bool owned;              /* buf is ours (recv_bytes): cap + 1 bytes */
  struct sockaddr_storage from;
} recv_fut;

typedef struct send_fut {
  acore__xfuture x;        /* first */
  uv_udp_send_t req;
  acore__queue node;       /* in u->sends until libuv's callback */
  size_t len;
  char data[];
} send_fut;

/* ---- addresses ----------------------------------------------------------- */

/* `host`:`port` as a socket address; ACORE_EINVAL when it is not a numeric
 * IPv4/IPv6 address or the port is outside minport..65535. */
static int addr_parse(const char *host, int port, int minport,
                      struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof(*ss));
  if (host == NULL || port < minport || port > 65535)
    return ACORE_EINVAL;
  if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0)
    return ACORE_OK;
  memset(ss, 0, sizeof(*ss));
  if (strchr(host, ':') != NULL &&
      uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0)
    return ACORE_OK;
  return ACORE_EINVAL;
}

static int addr_out(const struct sockaddr *sa, char *host, size_t cap,
                    int *port) {
  char tmp[ACORE_ADDRESS_MAX];
  int p, rc = UV_EINVAL;

  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    rc = uv_ip4_name(in, tmp, sizeof(tmp));
    p = ntohs(in->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    rc = uv_ip6_name(in6, tmp, sizeof(tmp));
    p = ntohs(in6->sin6_port);
  }
  if (rc != 0 || strlen(tmp) >= cap)
    return ACORE_EINVAL;
  memcpy(host, tmp, strlen(tmp) + 1);
  if (port != NULL)
    *port = p;
  return ACORE_OK;
}

/* ---- lifetime ------------------------------------------------------------ */

/* Mark one of the two conditions of the object's end; the second frees it. */
static void udp_mark(acore_udp_t *u, bool *flag) {
  acore_loop_t *loop = u->loop;
  bool done;

  uv_mutex_lock(&acore__core(loop)->mutex);
  *flag = true;
  done = u->orphan && u->gone;
  uv_mutex_unlock(&acore__core(loop)->mutex);
  if (done)
    acore__obj_free(loop, -1, u);
}

static void on_udp_closed(uv_handle_t *h) {
  acore_udp_t *u = h->data;

  acore__loop_uv_closed(u->loop); /* u still counts: the loop stays */
  udp_mark(u, &u->gone);
}

/* ---- close --------------------------------------------------------------- */

static void end_future(acore_future_t *f) {
  if (f->state == ACORE_FUTURE_PENDING)
    acore__comb_set_cancelled(f, "closed");
}

static void recv_unlink(recv_fut *r) {
  acore_udp_t *u = r->u;

  if (!acore__queue_linked(&r->node))
    return;
  acore__queue_remove(&r->node);
  acore__queue_init(&r->node);
  if (acore__queue_empty(&u->recvs) && u->reading) {
    uv_udp_recv_stop(&u->h);
    u->reading = false;
  }
}

/* Cancel every pending operation and close the handle. Loop thread.
 * `unlink`: take the closer record off the loop (the loop's close took it
 * off itself). */
static void udp_shut(acore_udp_t *u, bool unlink) {
  if (u->closed)
    return;
  u->closed = true;
  if (unlink)
    acore__loop_remove_closer(&u->closer);
  while (!acore__queue_empty(&u->recvs)) {
    recv_fut *r = acore__queue_data(acore__queue_head(&u->recvs), recv_fut,
                                    node);
    recv_unlink(r);
    end_future(&r->x.fut);
  }
  while (!acore__queue_empty(&u->sends)) {
    send_fut *s = acore__queue_data(acore__queue_head(&u->sends), send_fut,
                                    node);
    acore__queue_remove(&s->node);
    acore__queue_init(&s->node);
    end_future(&s->x.fut);
  }
  acore__loop_uv_close(u->loop, (uv_handle_t *)&u->h, on_udp_closed);
}

static void udp_closer(acore__closer *c, acore_loop_t *loop) {
  (void)loop;
  udp_shut(acore__queue_data(c, acore_udp_t, closer), false);
}

/* The last reference is gone; on the loop thread, or once the loop closed. */
static void udp_last(void *ud) {
  acore_udp_t *u = ud;

  if (!u->closed)
    udp_shut(u, true);
  udp_mark(u, &u->orphan);
}

static void noop(void *ud) { (void)ud; }

/* udp_last as the ud_free of a call posted from another thread: it runs on
 * the loop thread, or at once when the post failed: the loop is closed
 * (then the handle is closed too), or memory ran out (nothing can be done
 * on this thread: the object stays, as a leak). */
static void udp_last_posted(void *ud) {
  acore_udp_t *u = ud;
  acore__loopcore *c = acore__core(u->loop);
  bool closed;

  if (!acore__on_loop_thread(u->loop)) {
    uv_mutex_lock(&c->mutex); /* orders this thread after close's writes */
    closed = c->closed;
    uv_mutex_unlock(&c->mutex);
    if (!closed)
      return;
  }
  udp_last(u);
}

/* ---- checks -------------------------------------------------------------- */

static int udp_check(acore_udp_t *u) {
  if (u == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(u->loop))
    return ACORE_EWRONGTHREAD;
  return u->closed || acore__loop_closed(u->loop) ? ACORE_ECLOSED : ACORE_OK;
}

/* ---- bind, ref, close, connect ------------------------------------------- */

static void on_bind_failed(uv_handle_t *h) {
  acore_udp_t *u = h->data;
  acore_loop_t *loop = u->loop;

  acore__free(u);
  acore__loop_uv_closed(loop);
}

static unsigned uv_flags(unsigned flags) {
  return ((flags & ACORE_UDP_REUSEADDR) ? UV_UDP_REUSEADDR : 0) |
         ((flags & ACORE_UDP_IPV6ONLY) ? UV_UDP_IPV6ONLY : 0);
}

int acore_udp_bind(acore_loop_t *loop, const char *host, int port,
                   unsigned flags, acore_udp_t **out) {
  struct sockaddr_storage ss;
  acore_udp_t *u;
  int rc;

  if (out == NULL ||
      (flags & ~(unsigned)(ACORE_UDP_REUSEADDR | ACORE_UDP_IPV6ONLY)) != 0)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check_sched(loop)) != ACORE_OK)
    return rc;
  if (addr_parse(host, port, 0, &ss) != ACORE_OK)
    return ACORE_EINVAL;
  if ((u = acore__calloc(1, sizeof(*u))) == NULL)
    return ACORE_ENOMEM;
  rc = uv_udp_init_ex(acore__core(loop)->uv, &u->h, ss.ss_family);
  if (rc != 0) { /* no handle made */
    acore__free(u);
    return acore__uv_code(rc);
  }
  u->h.data = u;
  u->loop = loop;
  rc = uv_udp_bind(&u->h, (const struct sockaddr *)&ss, uv_flags(flags));
  if (rc != 0) { /* the socket is closed on a later iteration */
    acore__loop_uv_close(loop, (uv_handle_t *)&u->h, on_bind_failed);
    return acore__uv_code(rc);
  }
  atomic_init(&u->refs, 1);
  acore__queue_init(&u->recvs);
  acore__queue_init(&u->sends);
  u->closer.fn = udp_closer;
  acore__loop_add_closer(loop, &u->closer);
  acore__core(loop)->nlive++; /* freed by acore__obj_free(loop, -1, u) */
  *out = u;
  return ACORE_OK;
}

acore_udp_t *acore_udp_ref(acore_udp_t *u) {
  if (u != NULL)
    atomic_fetch_add_explicit(&u->refs, 1, memory_order_relaxed);
  return u;
}

void acore_udp_unref(acore_udp_t *u) {
  if (u == NULL ||
      atomic_fetch_sub_explicit(&u->refs, 1, memory_order_acq_rel) != 1)
    return;
  if (acore__on_loop_thread(u->loop)) {
    udp_last(u);
    return;
  }
  /* Another thread: udp_last runs on the loop thread as the call's
   * ud_free, whether the call runs or the loop's close drops it - or
   * here, once the post saw the loop closed under its mutex (a bare read
   * of `closed` would not order this thread after close's writes). */
  acore__loop_post(u->loop, noop, u, udp_last_posted);
}

int acore_udp_close(acore_udp_t *u) {
  if (u == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(u->loop))
    return ACORE_EWRONGTHREAD;
  udp_shut(u, true);
  return ACORE_OK;
}

int acore_udp_connect(acore_udp_t *u, const char *host, int port) {
  struct sockaddr_storage ss;
  int rc = udp_check(u);

  if (rc != ACORE_OK)
    return rc;
  if (host != NULL && addr_parse(host, port, 1, &ss) != ACORE_OK)
    return ACORE_EINVAL;
  if (u->connected) {
    if ((rc = uv_udp_connect(&u->h, NULL)) != 0)
      return acore__uv_code(rc);
    u->connected = false;
  }
  if (host == NULL)
    return ACORE_OK;
  if ((rc = uv_udp_connect(&u->h, (const struct sockaddr *)&ss)) != 0)
    return acore__uv_code(rc);
  u->connected = true;
  return ACORE_OK;
}

/* ---- send ---------------------------------------------------------------- */

static const acore__future_ops send_ops = {.name = "udp.send"};

static void on_sent(uv_udp_send_t *req, int status) {
  send_fut *s = acore__queue_data(req, send_fut, req);
  acore_future_t *f = &s->x.fut;
  acore_error_t *err;

  if (acore__queue_linked(&s->node)) {
    acore__queue_remove(&s->node);
    acore__queue_init(&s->node);
  }
  if (f->state == ACORE_FUTURE_PENDING) {
    if (status >= 0) {
      acore__future_complete(f, ACORE_FUTURE_RESULT, ACORE_VALUE_INT,
                             acore__value_int((int64_t)s->len));
    } else {
      acore__uv_error_new(status, "send", &err);
      acore__future_complete(f, ACORE_FUTURE_ERROR, ACORE_VALUE_NONE,
                             acore__value_err(err));
    }
  }
  acore_future_unref(f); /* the request's reference */
}

int acore_udp_send(acore_udp_t *u, const void *data, size_t len,
                   const char *host, int port, acore_future_t **out) {
  struct sockaddr_storage ss;
  acore_future_t *f;
  send_fut *s;
  uv_buf_t buf;
  int rc;

  if (u == NULL || out == NULL || (data == NULL && len > 0) ||
      len > INT32_MAX)
    return ACORE_EINVAL;
  if ((rc = udp_check(u)) != ACORE_OK)
    return rc;
  if (host != NULL && (u->connected || addr_parse(host, port, 1, &ss) != 0))
    return ACORE_EINVAL;
  if (host == NULL && !u->connected)
    return ACORE_ENOTCONN;
  f = acore__xfuture_new(u->loop, sizeof(send_fut) + len, &send_ops,
                         ACORE__F_NOSET);
  if (f == NULL)
    return ACORE_ENOMEM;
  s = (send_fut *)f;
  acore__queue_init(&s->node);
  s->len = len;
  if (len > 0)
    memcpy(s->data, data, len);
  buf = uv_buf_init(s->data, (unsigned)len);
  rc = uv_udp_send(&s->req, &u->h, &buf, 1,
                   host != NULL ? (const struct sockaddr *)&ss : NULL,
                   on_sent);
  if (rc != 0) {
    acore_future_unref(f);
    return acore__uv_code(rc);
  }
  acore__queue_insert_tail(&u->sends, &s->node);
  *out = acore_future_ref(f); /* one for the caller, one for the request */
  return ACORE_OK;
}

/* ---- receive ------------------------------------------------------------- */

static int recv_cancel(acore_future_t *f, const char *message) {
  int rc = acore__future_cancel(f, message);

  if (rc == 1)
    recv_unlink((recv_fut *)f);
  return rc;
}

static void recv_destroy(acore_future_t *f) {
  recv_fut *r = (recv_fut *)f;

  recv_unlink(r);
  if (r->owned)
    acore__free(r->buf);
}

static const acore__future_ops recv_ops = {
    .cancel = recv_cancel, .destroy = recv_destroy, .name = "udp.recv"};

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  acore_udp_t *u = h->data;
  recv_fut *r;

  (void)suggested;
  if (acore__queue_empty(&u->recvs)) { /* not reading: cannot happen */
    *buf = uv_buf_init(NULL, 0);
    return;
  }
  r = acore__queue_data(acore__queue_head(&u->recvs), recv_fut, node);
  *buf = uv_buf_init(r->buf, (unsigned)r->cap);
}

/* The head got `n` bytes from `from`. */
static void recv_done(recv_fut *r, ssize_t n, const struct sockaddr *from) {
  acore__value v;

  memcpy(&r->from, from, from->sa_family == AF_INET6
                             ? sizeof(struct sockaddr_in6)
                             : sizeof(struct sockaddr_in));
  if (!r->owned) {
    acore__future_complete(&r->x.fut, ACORE_FUTURE_RESULT, ACORE_VALUE_INT,
                           acore__value_int((int64_t)n));
    return;
  }
  v = acore__value_int(0);
  r->buf[n] = '\0';
  v.b.data = r->buf;
  v.b.len = (size_t)n;
  r->owned = false; /* the value owns it now */
  acore__future_complete(&r->x.fut, ACORE_FUTURE_RESULT, ACORE_VALUE_BYTES, v);
}

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf,
                    const struct sockaddr *from, unsigned flags) {
  acore_udp_t *u = h->data;
  acore_error_t *err;
  recv_fut *r;

  (void)buf;
  (void)flags; /* UV_UDP_PARTIAL: cut to the buffer, as documented */
  if ((n == 0 && from == NULL) || n == UV_ENOBUFS ||
      acore__queue_empty(&u->recvs))
    return; /* nothing there (EAGAIN), or no buffer was handed out */
  r = acore__queue_data(acore__queue_head(&u->recvs), recv_fut, node);
  recv_unlink(r);
  if (n >= 0) {
    recv_done(r, n, from);
    return;
  }
  acore__uv_error_new((int)n, "recv", &err);
  acore__future_complete(&r->x.fut, ACORE_FUTURE_ERROR, ACORE_VALUE_NONE,
                         acore__value_err(err));
}

static int recv_new(acore_udp_t *u, char *buf, size_t cap, bool owned,
                    acore_future_t **out) {
  acore_future_t *f;
  recv_fut *r;
  int rc;

  f = acore__xfuture_new(u->loop, sizeof(recv_fut), &recv_ops,
                         ACORE__F_NOSET);
  if (f == NULL)
    return ACORE_ENOMEM;
  r = (recv_fut *)f;
  acore__queue_init(&r->node);
  r->u = u;
  r->buf = buf;
  r->cap = cap;
  if (!u->reading) {
    rc = uv_udp_recv_start(&u->h, on_alloc, on_recv);
    if (rc != 0) {
      acore_future_unref(f); /* buf stays the caller's */
      return acore__uv_code(rc);
    }
    u->reading = true;
  }
  r->owned = owned;
  acore__queue_insert_tail(&u->recvs, &r->node);
  *out = f;
  return ACORE_OK;
}

int acore_udp_recv(acore_udp_t *u, void *buf, size_t cap,
                   acore_future_t **out) {
  int rc;

  if (u == NULL || buf == NULL || out == NULL || cap == 0 || cap > INT32_MAX)
    return ACORE_EINVAL;
  if ((rc = udp_check(u)) != ACORE_OK)
    return rc;
  return recv_new(u, buf, cap, false, out);
}

int acore_udp_recv_bytes(acore_udp_t *u, size_t max, acore_future_t **out) {
  char *buf;
  int rc;

  if (u == NULL || out == NULL || max == 0 || max > 65536)
    return ACORE_EINVAL;
  if ((rc = udp_check(u)) != ACORE_OK)
    return rc;
  if ((buf = acore__malloc(max + 1)) == NULL)
    return ACORE_ENOMEM;
  rc = recv_new(u, buf, max, true, out);
  if (rc != ACORE_OK)
    acore__free(buf);
  return rc;
}

/* ---- addresses of objects and datagrams ---------------------------------- */

int acore_udp_recv_address(acore_future_t *fut, char *host, size_t cap,
                           int *port) {
  if (fut == NULL || host == NULL || !(fut->flags & ACORE__F_CUSTOM) ||
      ((acore__xfuture *)fut)->ops != &recv_ops)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(fut->loop))
    return ACORE_EWRONGTHREAD;
  if (fut->state != ACORE_FUTURE_RESULT)
    return ACORE_EINVALIDSTATE;
  return addr_out((const struct sockaddr *)&((recv_fut *)fut)->from, host,
                  cap, port);
}

int acore_udp_local_address(acore_udp_t *u, char *host, size_t cap,
                            int *port) {
  struct sockaddr_storage ss;
  int len = sizeof(ss), rc = udp_check(u);

  if (rc != ACORE_OK || host == NULL)
    return rc != ACORE_OK ? rc : ACORE_EINVAL;
  if ((rc = uv_udp_getsockname(&u->h, (struct sockaddr *)&ss, &len)) != 0)
    return acore__uv_code(rc);
  return addr_out((const struct sockaddr *)&ss, host, cap, port);
}

int acore_udp_peer_address(acore_udp_t *u, char *host, size_t cap,
                           int *port) {
  struct sockaddr_storage ss;
  int len = sizeof(ss), rc = udp_check(u);

  if (rc != ACORE_OK || host == NULL)
    return rc != ACORE_OK ? rc : ACORE_EINVAL;
  if (!u->connected)
    return ACORE_ENOTCONN;
  if ((rc = uv_udp_getpeername(&u->h, (struct sockaddr *)&ss, &len)) != 0)
    return acore__uv_code(rc);
  return addr_out((const struct sockaddr *)&ss, host, cap, port);
}
