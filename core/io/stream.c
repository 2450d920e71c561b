/* SPDX-License-Identifier: MIT */
/*
 * stream.c - acore_stream_t: a connected byte stream over a libuv stream
 * (TCP or pipe), its connect, read, write and shutdown futures.
 *
 * Design notes
 * - Reading: a pending read gives libuv its caller's buffer (no copy).
 *   Once it completes, reading stays armed (no system call to re-arm it
 *   for the next read, the common request/response case) but the handle
 *   is unreferenced, so an idle stream does not keep acore_loop_run()
 *   running. libuv goes on reading in the same burst once a read
 *   completed: the stream then declines (an empty buffer, UV_ENOBUFS)
 *   and the bytes stay in the kernel, so a next read asked for by the
 *   completed one's continuation (this iteration) gets them straight
 *   into its own buffer at the next poll: a streaming reader copies
 *   nothing twice. Bytes that arrive while no read waits (at a later
 *   poll) go to the stream's `keep` buffer (at most KEEP_CHUNK; reading
 *   stops when it is full) and the next read takes them first. A read_exactly cancelled with part of
 *   its bytes in hand puts them back there: no byte is lost or doubled.
 * - Writing: a write tries uv_try_write() when nothing is queued; what the
 *   kernel did not take is copied into a request for uv_write(). The
 *   request outlives its future if need be (libuv calls back once for
 *   each); the op and the request point at each other until either goes.
 *   Waiting write ops are listed in `wwait` in order; the high-water mark
 *   releases them all when the queue falls to it.
 * - Connect and shutdown requests are embedded in the stream (one each).
 *   libuv calls every request back (ECANCELED at close) before the close
 *   callback, so the stream's memory is there for them.
 */
#include "io.h"

#include "alloc.h"
#include "comb.h"
#include "future.h"
#include "uverr.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LEN_MAX ((size_t)INT32_MAX)
#define KEEP_CHUNK ((size_t)65536)

typedef struct acore__read_op {
  acore__xfuture x;   /* first */
  acore_stream_t *s;  /* while attached (s->rd) */
  char *buf;
  size_t len, got, min;
  bool owned;         /* buf is acore's: the result becomes bytes */
} read_op;

typedef struct write_req write_req;

typedef struct write_op {
  acore__xfuture x;   /* first */
  write_req *req;     /* while its bytes wait in libuv */
  acore__queue node;  /* s->wwait while waiting */
  size_t len;
} write_op;

struct write_req {
  uv_write_t req;
  write_op *op;       /* NULL once the op went */
  bool owned;         /* the caller's buffer (write_owned), not a copy */
  acore_free_fn own_free; /* its release, or NULL */
  void *own_ud;
  char data[];        /* the copy (acore_stream_write), else empty */
};

typedef struct acore__shut_op {
  acore__xfuture x;
  acore_stream_t *s;  /* while pending */
} shut_op;

typedef struct acore__conn_op {
  acore__xfuture x;
  acore_stream_t *s;  /* while pending: the connect holds its reference */
} conn_op;

static void stream_stop(acore__io *io);
static const acore__io_ops stream_io_ops = {stream_stop};

/* ---- life --------------------------------------------------------------- */

int acore__stream_new(acore_loop_t *loop, int kind, acore_stream_t **out) {
  void *obj;
  int rc = acore__io_uvstream_new(loop, sizeof(acore_stream_t),
                                  offsetof(acore_stream_t, uv), kind,
                                  &stream_io_ops, &obj);

  if (rc != ACORE_OK)
    return rc;
  *out = obj;
  (*out)->kind = (uint8_t)kind;
  acore__queue_init(&(*out)->wwait);
  return ACORE_OK;
}

uv_stream_t *acore__stream_uv(acore_stream_t *s) { return &s->uv.s; }

acore_stream_t *acore_stream_ref(acore_stream_t *s) {
  if (s != NULL)
    acore__io_ref(&s->io);
  return s;
}

void acore_stream_unref(acore_stream_t *s) {
  if (s != NULL)
    acore__io_unref(&s->io);
}

acore_loop_t *acore_stream_loop(const acore_stream_t *s) {
  return s != NULL ? s->io.loop : NULL;
}

int acore_stream_close(acore_stream_t *s) {
  if (s == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(s->io.loop))
    return ACORE_EWRONGTHREAD;
  acore__io_close(&s->io);
  return ACORE_OK;
}

/* ---- the stream value of connect and accept futures ------------------- */

static void stream_value_free(void *p) { acore_stream_unref(p); }

void acore__stream_complete(acore_future_t *f, acore_stream_t *s) {
  acore__future_complete(f, ACORE_FUTURE_RESULT, ACORE_VALUE_PTR,
                         acore__value_ptr(s, stream_value_free));
}

int acore_stream_from_future(acore_future_t *fut, acore_stream_t **out) {
  void *p = NULL;
  int rc;

  if (fut == NULL || out == NULL)
    return ACORE_EINVAL;
  rc = acore_future_result_tagged(fut, stream_value_free, &p);
  if (rc != ACORE_OK)
    return rc;
  if (p == NULL)
    return ACORE_ETYPE;
  *out = acore_stream_ref(p);
  return ACORE_OK;
}

/* ---- read --------------------------------------------------------------- */

static void read_disarm(acore_stream_t *s) {
  if (s->reading)
    uv_read_stop(&s->uv.s);
  s->reading = false;
}

static void read_detach(read_op *r) {
  acore_stream_t *s = r->s;

  if (s == NULL)
    return;
  s->rd = NULL;
  r->s = NULL;
  uv_unref(&s->uv.h); /* reading may stay armed: see the notes */
}

static void read_succeed(read_op *r) {
  acore_future_t *f = &r->x.fut;
  acore__value v;

  read_detach(r);
  if (!r->owned) {
    acore__future_complete(f, ACORE_FUTURE_RESULT, ACORE_VALUE_INT,
                           acore__value_int((int64_t)r->got));
    return;
  }
  memset(&v, 0, sizeof(v));
  v.b.data = r->buf;
  v.b.len = r->got;
  r->buf[r->got] = '\0';
  r->buf = NULL;
  acore__future_complete(f, ACORE_FUTURE_RESULT, ACORE_VALUE_BYTES, v);
}

/* The read side ended (UV_EOF) or failed: finish `r` as it must. */
static void read_end(read_op *r, int uverr) {
  if (uverr == UV_EOF && r->got == 0 && r->min == 1) {
    read_succeed(r); /* 0, or empty bytes: the end of the stream */
    return;
  }
  read_detach(r);
  acore__io_fail(&r->x.fut, uverr, "read");
}

/* Bytes a stopped read had in hand go back in front of the next read's
 * (the keep buffer is empty then: an attached read took all of it). */
static void read_keep(acore_stream_t *s, read_op *r) {
  if (r->got == 0)
    return;
  assert(s->keep_off == s->keep_len);
  if (s->keep_cap < r->got) {
    char *k = acore__realloc(s->keep, r->got);
    if (k == NULL) {
      s->rerr = UV_ENOMEM; /* lost: the read side fails from now on */
      return;
    }
    s->keep = k;
    s->keep_cap = r->got;
  }
  memcpy(s->keep, r->buf, r->got);
  s->keep_off = 0;
  s->keep_len = r->got;
}

static void read_abandon(read_op *r) {
  acore_stream_t *s = r->s;

  if (s == NULL)
    return;
  read_keep(s, r);
  read_detach(r);
}

static int read_cancel(acore_future_t *f, const char *message) {
  int rc = acore__future_cancel(f, message);

  if (rc == 1)
    read_abandon((read_op *)f);
  return rc;
}

static void read_destroy(acore_future_t *f) {
  read_op *r = (read_op *)f;

  read_abandon(r);
  if (r->owned)
    acore__free(r->buf);
}

static const acore__future_ops read_ops = {
    .cancel = read_cancel,
    .destroy = read_destroy,
    .name = "stream.read"};

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  acore_stream_t *s = h->data;
  read_op *r = s->rd;

  (void)hint;
  if (r != NULL) {
    *buf = uv_buf_init(r->buf + r->got, (unsigned)(r->len - r->got));
    return;
  }
  if (s->read_done) { /* leave the rest in the kernel: see the notes */
    *buf = uv_buf_init(NULL, 0);
    return;
  }
  if (s->keep_off == s->keep_len)
    s->keep_off = s->keep_len = 0;
  if (s->keep == NULL && (s->keep = acore__malloc(KEEP_CHUNK)) != NULL)
    s->keep_cap = KEEP_CHUNK;
  if (s->keep == NULL || s->keep_len == s->keep_cap)
    *buf = uv_buf_init(NULL, 0); /* read_cb gets UV_ENOBUFS */
  else
    *buf = uv_buf_init(s->keep + s->keep_len,
                       (unsigned)(s->keep_cap - s->keep_len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  acore_stream_t *s = st->data;
  read_op *r = s->rd;

  (void)buf;
  if (n == 0)
    return;
  if (n > 0 && r != NULL) {
    r->got += (size_t)n;
    if (r->got >= r->min) {
      s->read_done = true;
      read_succeed(r);
    }
    return;
  }
  if (n == UV_ENOBUFS && r == NULL && s->read_done) {
    s->read_done = false; /* armed still: the next poll reads again */
    return;
  }
  if (n > 0) { /* nobody waits: keep it, stop when the buffer is full */
    s->keep_len += (size_t)n;
    if (s->keep_len == s->keep_cap)
      read_disarm(s);
    return;
  }
  read_disarm(s);
  if (r == NULL && n == UV_ENOBUFS)
    return; /* no room: the kernel keeps it until the next read */
  if (n == UV_EOF)
    s->eof = true;
  else
    s->rerr = (int)n;
  if (r != NULL)
    read_end(r, (int)n);
}

/* Take what the keep buffer holds into `r`. */
static void read_take_kept(acore_stream_t *s, read_op *r) {
  size_t n = s->keep_len - s->keep_off;

  if (n > r->len - r->got)
    n = r->len - r->got;
  if (n == 0)
    return;
  memcpy(r->buf + r->got, s->keep + s->keep_off, n);
  r->got += n;
  s->keep_off += n;
  if (s->keep_off == s->keep_len)
    s->keep_off = s->keep_len = 0;
}

/* Wait for bytes: attach `r` and make sure reading is armed. */
static void read_attach(acore_stream_t *s, read_op *r) {
  int rc = 0;

  if (!s->reading)
    rc = uv_read_start(&s->uv.s, on_alloc, on_read);
  if (rc != 0) {
    acore__io_fail(&r->x.fut, rc, "read");
    return;
  }
  s->reading = true;
  s->rd = r;
  r->s = s;
  uv_ref(&s->uv.h);
}

static int read_op_new(acore_stream_t *s, char *buf, size_t len, size_t min,
                       bool owned, acore_future_t **out) {
  read_op *r;

  r = (read_op *)acore__xfuture_new(s->io.loop, sizeof(*r), &read_ops,
                                    ACORE__F_NOSET);
  if (r == NULL)
    return ACORE_ENOMEM;
  r->buf = buf;
  r->len = len;
  r->min = min;
  r->owned = owned;
  read_take_kept(s, r);
  if (r->got >= r->min)
    read_succeed(r);
  else if (s->rerr != 0)
    read_end(r, s->rerr);
  else if (s->eof)
    read_end(r, UV_EOF);
  else
    read_attach(s, r);
  *out = &r->x.fut;
  return ACORE_OK;
}

static int read_check(acore_stream_t *s, size_t len, acore_future_t **out) {
  int rc;

  if (s == NULL || out == NULL || len == 0 || len > LEN_MAX)
    return ACORE_EINVAL;
  if ((rc = acore__io_check(&s->io)) != ACORE_OK)
    return rc;
  return s->rd != NULL ? ACORE_EBUSY : ACORE_OK;
}

int acore_stream_read(acore_stream_t *s, void *buf, size_t len,
                      acore_future_t **out) {
  int rc = buf == NULL ? ACORE_EINVAL : read_check(s, len, out);

  return rc != ACORE_OK ? rc : read_op_new(s, buf, len, 1, false, out);
}

int acore_stream_read_exactly(acore_stream_t *s, void *buf, size_t len,
                              acore_future_t **out) {
  int rc = buf == NULL ? ACORE_EINVAL : read_check(s, len, out);

  return rc != ACORE_OK ? rc : read_op_new(s, buf, len, len, false, out);
}

int acore_stream_read_bytes(acore_stream_t *s, size_t max,
                            acore_future_t **out) {
  int rc = read_check(s, max, out);
  char *buf;

  if (rc != ACORE_OK)
    return rc;
  if ((buf = acore__malloc(max + 1)) == NULL)
    return ACORE_ENOMEM;
  rc = read_op_new(s, buf, max, 1, true, out);
  if (rc != ACORE_OK)
    acore__free(buf);
  return rc;
}

/* ---- write -------------------------------------------------------------- */

static void write_detach(write_op *w) {
  if (w->req == NULL)
    return;
  w->req->op = NULL;
  w->req = NULL;
  acore__queue_remove(&w->node);
}

static void write_succeed(write_op *w) {
  write_detach(w);
  acore__future_complete(&w->x.fut, ACORE_FUTURE_RESULT, ACORE_VALUE_INT,
                         acore__value_int((int64_t)w->len));
}

static int write_cancel(acore_future_t *f, const char *message) {
  int rc = acore__future_cancel(f, message);

  if (rc == 1)
    write_detach((write_op *)f); /* the bytes still go out */
  return rc;
}

static void write_destroy(acore_future_t *f) { write_detach((write_op *)f); }

static const acore__future_ops write_ops = {
    .cancel = write_cancel,
    .destroy = write_destroy,
    .name = "stream.write"};

/* The high-water mark: release every waiting write once the queue is at
 * or below it. */
static void write_release(acore_stream_t *s) {
  if (s->high_water == 0 ||
      uv_stream_get_write_queue_size(&s->uv.s) > s->high_water ||
      acore__queue_empty(&s->wwait))
    return;
  acore__loop_kick(s->io.loop);
  while (!acore__queue_empty(&s->wwait))
    write_succeed(acore__queue_data(acore__queue_head(&s->wwait), write_op,
                                    node));
}

static void on_write(uv_write_t *req, int status) {
  write_req *q = (write_req *)req;
  acore_stream_t *s = req->handle->data;
  write_op *w = q->op;

  if (q->own_free != NULL)
    q->own_free(q->own_ud);
  acore__free(q);
  if (w != NULL) { /* attached: the stream is open */
    acore__loop_kick(s->io.loop); /* libuv's pending phase: see loop.h */
    w->req = NULL;
    acore__queue_remove(&w->node);
    if (status == 0)
      write_succeed(w);
    else
      acore__io_fail(&w->x.fut, status, "write");
  } else if (status < 0 && status != UV_ECANCELED && s->werr == 0) {
    s->werr = status; /* the next write reports it */
  }
  if (!s->io.closing)
    write_release(s);
}

/* Queue bytes[off, len) in libuv for `w` (a request `q` made by
 * write_req_new); fails `w` when that fails. */
static void write_queue(acore_stream_t *s, write_op *w, write_req *q,
                        const char *data, size_t off) {
  char *from = q->owned ? (char *)(uintptr_t)data + off
                       : memcpy(q->data, data + off, w->len - off);
  uv_buf_t b = uv_buf_init(from, (unsigned)(w->len - off));
  int rc = uv_write(&q->req, &s->uv.s, &b, 1, on_write);

  if (rc != 0) {
    if (q->own_free != NULL)
      q->own_free(q->own_ud);
    acore__free(q);
    acore__io_fail(&w->x.fut, rc, "write");
    return;
  }
  q->op = w;
  w->req = q;
  acore__queue_insert_tail(&s->wwait, &w->node);
  write_release(s);
}

/* What the kernel takes at once (nothing queued before): bytes written,
 * or a libuv error other than EAGAIN. */
static ssize_t write_try(acore_stream_t *s, const void *data, size_t len) {
  uv_buf_t b = uv_buf_init((char *)(uintptr_t)data, (unsigned)len);
  int n;

  if (s->conn != NULL || uv_stream_get_write_queue_size(&s->uv.s) > 0)
    return 0;
  n = uv_try_write(&s->uv.s, &b, 1);
  return n == UV_EAGAIN ? 0 : n;
}

/* A write: `own` says the caller hands the buffer over (free_fn(ud) runs
 * once libuv is done with it) rather than having it copied. A call that
 * returns an error takes nothing. */
static int write_start(acore_stream_t *s, const void *data, size_t len,
                       bool own, acore_free_fn free_fn, void *ud,
                       acore_future_t **out) {
  write_op *w;
  write_req *q;
  ssize_t n = 0;
  int rc;

  if (s == NULL || out == NULL || (data == NULL && len > 0) || len > LEN_MAX)
    return ACORE_EINVAL;
  if ((rc = acore__io_check(&s->io)) != ACORE_OK)
    return rc;
  w = (write_op *)acore__xfuture_new(s->io.loop, sizeof(*w), &write_ops,
                                     ACORE__F_NOSET);
  if (w == NULL)
    return ACORE_ENOMEM;
  acore__queue_init(&w->node);
  w->len = len;
  if (s->werr != 0) {
    acore__io_fail(&w->x.fut, s->werr, "write");
    s->werr = s->werr == UV_ENOMEM ? UV_ENOMEM : 0;
  } else if (len > 0 && (n = write_try(s, data, len)) < 0) {
    acore__io_fail(&w->x.fut, (int)n, "write");
  } else if ((size_t)n == len) {
    write_succeed(w);
  } else if ((q = acore__malloc(sizeof(*q) +
                                (own ? 0 : len - (size_t)n))) != NULL) {
    q->owned = own;
    q->own_free = own ? free_fn : NULL;
    q->own_ud = ud;
    *out = &w->x.fut;
    write_queue(s, w, q, data, (size_t)n); /* the release is q's now */
    return ACORE_OK;
  } else if (n == 0) {
    acore_future_unref(&w->x.fut); /* nothing happened: take nothing */
    return ACORE_ENOMEM;
  } else {
    s->werr = UV_ENOMEM; /* part went out: the stream is broken */
    acore__io_fail(&w->x.fut, UV_ENOMEM, "write");
  }
  *out = &w->x.fut;
  if (own && free_fn != NULL)
    free_fn(ud); /* written at once, or failed: libuv never had it */
  return ACORE_OK;
}

int acore_stream_write(acore_stream_t *s, const void *data, size_t len,
                       acore_future_t **out) {
  return write_start(s, data, len, false, NULL, NULL, out);
}

int acore_stream_write_owned(acore_stream_t *s, const void *data, size_t len,
                             acore_free_fn free_fn, void *ud,
                             acore_future_t **out) {
  return write_start(s, data, len, true, free_fn, ud, out);
}

size_t acore_stream_write_queue_size(const acore_stream_t *s) {
  if (s == NULL || s->io.closing)
    return 0;
  return uv_stream_get_write_queue_size(&s->uv.s);
}

int acore_stream_set_write_high_water(acore_stream_t *s, size_t bytes) {
  int rc = acore__io_check(s != NULL ? &s->io : NULL);

  if (rc != ACORE_OK)
    return rc;
  s->high_water = bytes;
  write_release(s);
  return ACORE_OK;
}

/* ---- shutdown ----------------------------------------------------------- */

static void shut_detach(shut_op *o) {
  if (o->s != NULL)
    o->s->sd = NULL;
  o->s = NULL;
}

static int shut_cancel(acore_future_t *f, const char *message) {
  int rc = acore__future_cancel(f, message);

  if (rc == 1)
    shut_detach((shut_op *)f);
  return rc;
}

static void shut_destroy(acore_future_t *f) { shut_detach((shut_op *)f); }

static const acore__future_ops shut_ops = {
    .cancel = shut_cancel,
    .destroy = shut_destroy,
    .name = "stream.shutdown"};

static void on_shutdown(uv_shutdown_t *req, int status) {
  acore_stream_t *s = req->handle->data;
  shut_op *o = s->sd;

  if (o == NULL)
    return;
  acore__loop_kick(s->io.loop);
  shut_detach(o);
  if (status == 0)
    acore__comb_set_none(&o->x.fut);
  else
    acore__io_fail(&o->x.fut, status, "shutdown");
}

int acore_stream_shutdown(acore_stream_t *s, acore_future_t **out) {
  shut_op *o;
  int rc = out == NULL ? ACORE_EINVAL : acore__io_check(s ? &s->io : NULL);

  if (rc != ACORE_OK)
    return rc;
  if (s->shut)
    return ACORE_EINVALIDSTATE;
  o = (shut_op *)acore__xfuture_new(s->io.loop, sizeof(*o), &shut_ops,
                                    ACORE__F_NOSET);
  if (o == NULL)
    return ACORE_ENOMEM;
  s->shut = true;
  *out = &o->x.fut;
  if ((rc = uv_shutdown(&s->sreq, &s->uv.s, on_shutdown)) != 0) {
    acore__io_fail(&o->x.fut, rc, "shutdown");
    return ACORE_OK;
  }
  s->sd = o;
  o->s = s;
  return ACORE_OK;
}

/* ---- connect ------------------------------------------------------------ */

/* The connect is over without a stream for its future: close it. */
static void conn_drop(conn_op *c) {
  acore_stream_t *s = c->s;

  if (s == NULL)
    return;
  s->conn = NULL;
  c->s = NULL;
  acore__io_close(&s->io);
  acore_stream_unref(s);
}

static int conn_cancel(acore_future_t *f, const char *message) {
  int rc = acore__future_cancel(f, message);

  if (rc == 1)
    conn_drop((conn_op *)f);
  return rc;
}

static void conn_destroy(acore_future_t *f) { conn_drop((conn_op *)f); }

static const acore__future_ops conn_ops = {
    .cancel = conn_cancel,
    .destroy = conn_destroy,
    .name = "stream.connect"};

void acore__stream_on_connect(uv_connect_t *req, int status) {
  acore_stream_t *s = acore__queue_data(req, acore_stream_t, creq);
  conn_op *c = s->conn;

  if (c == NULL)
    return; /* cancelled or closed: the stream is closing */
  acore__loop_kick(s->io.loop);
  if (status != 0) {
    acore__io_fail(&c->x.fut, status, "connect");
    conn_drop(c);
    return;
  }
  s->conn = NULL;
  c->s = NULL;
  acore__stream_complete(&c->x.fut, s); /* the connect's reference */
}

int acore__stream_connect(acore_loop_t *loop, int kind,
                          int (*start)(acore_stream_t *s, void *arg),
                          void *arg, acore_future_t **out) {
  acore_stream_t *s;
  conn_op *c;
  int rc;

  c = (conn_op *)acore__xfuture_new(loop, sizeof(*c), &conn_ops,
                                    ACORE__F_NOSET);
  if (c == NULL)
    return ACORE_ENOMEM;
  if ((rc = acore__stream_new(loop, kind, &s)) != ACORE_OK) {
    acore_future_unref(&c->x.fut);
    return rc;
  }
  s->conn = c;
  c->s = s;
  *out = &c->x.fut;
  if ((rc = start(s, arg)) != 0) {
    acore__io_fail(&c->x.fut, rc, "connect");
    conn_drop(c);
  }
  return ACORE_OK;
}

/* ---- close -------------------------------------------------------------- */

static void stream_stop(acore__io *io) {
  acore_stream_t *s = (acore_stream_t *)io;

  if (s->rd != NULL) {
    read_op *r = s->rd;
    read_detach(r);
    acore__comb_set_cancelled(&r->x.fut, "closed");
  }
  while (!acore__queue_empty(&s->wwait)) {
    write_op *w =
        acore__queue_data(acore__queue_head(&s->wwait), write_op, node);
    write_detach(w);
    acore__comb_set_cancelled(&w->x.fut, "closed");
  }
  if (s->sd != NULL) {
    shut_op *o = s->sd;
    shut_detach(o);
    acore__comb_set_cancelled(&o->x.fut, "closed");
  }
  if (s->conn != NULL) {
    conn_op *c = s->conn;
    s->conn = NULL;
    c->s = NULL;
    acore__comb_set_cancelled(&c->x.fut, "closed");
    acore_stream_unref(s); /* the connect's reference; memory stays: the
                              handle is not closed yet */
  }
  acore__free(s->keep);
  s->keep = NULL;
  s->keep_cap = s->keep_off = s->keep_len = 0;
}

/* ---- addresses ---------------------------------------------------------- */

int acore_stream_peer_address(const acore_stream_t *s, char *host, size_t cap,
                              int *port) {
  int rc = host == NULL ? ACORE_EINVAL : acore__io_check(s ? &s->io : NULL);

  if (rc != ACORE_OK)
    return rc;
  return acore__io_name((uv_handle_t *)&s->uv.h, s->kind, true, host, cap,
                        port);
}

int acore_stream_local_address(const acore_stream_t *s, char *host,
                               size_t cap, int *port) {
  int rc = host == NULL ? ACORE_EINVAL : acore__io_check(s ? &s->io : NULL);

  if (rc != ACORE_OK)
    return rc;
  return acore__io_name((uv_handle_t *)&s->uv.h, s->kind, false, host, cap,
                        port);
}
