/* SPDX-License-Identifier: MIT */
/*
 * server.c - acore_server_t: a listening TCP or pipe handle and its accept
 * futures.
 *
 * Design notes
 * - An accept op owns the stream it will hand out, made when it is asked
 *   for (so completing it never fails for memory). acore_server_accept()
 *   first tries uv_accept(): libuv keeps one connection it announced but
 *   nobody took, and stops watching the socket meanwhile, so connections
 *   nobody asks for wait in the kernel's backlog.
 * - Waiting accepts are listed in order; a connection goes to the first.
 *   The handle is referenced only while one waits, so an idle listener
 *   does not keep acore_loop_run() running.
 */
#include "io.h"

#include "comb.h"
#include "future.h"
#include "uverr.h"

#include <assert.h>
#include <stddef.h>

typedef struct accept_op {
  acore__xfuture x;       /* first */
  acore_server_t *srv;    /* while waiting */
  acore__queue node;      /* srv->waiters */
  acore_stream_t *s;      /* the stream it will hand out (a reference) */
} accept_op;

static void server_stop(acore__io *io);
static const acore__io_ops server_io_ops = {server_stop};

static void hold(acore_server_t *srv) {
  bool want = !acore__queue_empty(&srv->waiters);

  if (want == srv->held || srv->io.closing)
    return;
  srv->held = want;
  if (want)
    uv_ref(&srv->uv.h);
  else
    uv_unref(&srv->uv.h);
}

int acore__server_new(acore_loop_t *loop, int kind, acore_server_t **out) {
  void *obj;
  int rc = acore__io_uvstream_new(loop, sizeof(acore_server_t),
                                  offsetof(acore_server_t, uv), kind,
                                  &server_io_ops, &obj);

  if (rc != ACORE_OK)
    return rc;
  *out = obj;
  (*out)->kind = (uint8_t)kind;
  acore__queue_init(&(*out)->waiters);
  return ACORE_OK;
}

/* ---- accept ops --------------------------------------------------------- */

static void accept_detach(accept_op *a) {
  if (a->srv == NULL)
    return;
  acore__queue_remove(&a->node);
  hold(a->srv);
  a->srv = NULL;
}

static void accept_drop_stream(accept_op *a) {
  acore_stream_t *s = a->s;

  a->s = NULL;
  if (s != NULL) {
    acore_stream_close(s);
    acore_stream_unref(s);
  }
}

static int accept_cancel(acore_future_t *f, const char *message) {
  int rc = acore__future_cancel(f, message);

  if (rc == 1) {
    accept_detach((accept_op *)f);
    accept_drop_stream((accept_op *)f);
  }
  return rc;
}

static void accept_destroy(acore_future_t *f) {
  accept_detach((accept_op *)f);
  accept_drop_stream((accept_op *)f);
}

static const acore__future_ops accept_ops = {
    .cancel = accept_cancel,
    .destroy = accept_destroy,
    .name = "stream.accept"};

/* Take a connection libuv holds for `a`: 1 done, 0 none there yet. */
static int accept_take(acore_server_t *srv, accept_op *a) {
  int rc = uv_accept(&srv->uv.s, acore__stream_uv(a->s));
  acore_stream_t *s = a->s;

  if (rc == UV_EAGAIN)
    return 0;
  accept_detach(a);
  if (rc != 0) {
    acore__io_fail(&a->x.fut, rc, "accept");
    accept_drop_stream(a);
    return 1;
  }
  a->s = NULL;
  acore__stream_complete(&a->x.fut, s); /* its reference goes with it */
  return 1;
}

static void on_connection(uv_stream_t *h, int status) {
  acore_server_t *srv = h->data;

  while (!acore__queue_empty(&srv->waiters)) {
    accept_op *a = acore__queue_data(acore__queue_head(&srv->waiters),
                                     accept_op, node);
    if (status < 0) { /* the failed accept goes to the first waiter */
      accept_detach(a);
      acore__io_fail(&a->x.fut, status, "accept");
      accept_drop_stream(a);
      return;
    }
    if (accept_take(srv, a) == 0)
      return;
  }
}

int acore_server_accept(acore_server_t *srv, acore_future_t **out) {
  accept_op *a;
  int rc = out == NULL ? ACORE_EINVAL : acore__io_check(srv ? &srv->io : NULL);

  if (rc != ACORE_OK)
    return rc;
  a = (accept_op *)acore__xfuture_new(srv->io.loop, sizeof(*a), &accept_ops,
                                      ACORE__F_NOSET);
  if (a == NULL)
    return ACORE_ENOMEM;
  acore__queue_init(&a->node);
  if ((rc = acore__stream_new(srv->io.loop, srv->kind, &a->s)) != ACORE_OK) {
    acore_future_unref(&a->x.fut);
    return rc;
  }
  a->srv = srv;
  acore__queue_insert_tail(&srv->waiters, &a->node);
  hold(srv);
  *out = &a->x.fut;
  if (acore__queue_head(&srv->waiters) == &a->node)
    accept_take(srv, a); /* one may be there already */
  return ACORE_OK;
}

int acore__server_listen(acore_server_t *srv, int backlog) {
  int rc = uv_listen(&srv->uv.s, backlog > 0 ? backlog : 128, on_connection);

  return acore__uv_code(rc);
}

/* ---- the rest ----------------------------------------------------------- */

static void server_stop(acore__io *io) {
  acore_server_t *srv = (acore_server_t *)io;

  while (!acore__queue_empty(&srv->waiters)) {
    accept_op *a = acore__queue_data(acore__queue_head(&srv->waiters),
                                     accept_op, node);
    accept_detach(a);
    accept_drop_stream(a);
    acore__comb_set_cancelled(&a->x.fut, "closed");
  }
}

int acore_server_close(acore_server_t *srv) {
  if (srv == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(srv->io.loop))
    return ACORE_EWRONGTHREAD;
  acore__io_close(&srv->io);
  return ACORE_OK;
}

acore_server_t *acore_server_ref(acore_server_t *srv) {
  if (srv != NULL)
    acore__io_ref(&srv->io);
  return srv;
}

void acore_server_unref(acore_server_t *srv) {
  if (srv != NULL)
    acore__io_unref(&srv->io);
}

int acore_server_address(const acore_server_t *srv, char *host, size_t cap,
                         int *port) {
  int rc = host == NULL ? ACORE_EINVAL : acore__io_check(srv ? &srv->io : NULL);

  if (rc != ACORE_OK)
    return rc;
  return acore__io_name((uv_handle_t *)&srv->uv.h, srv->kind, false, host,
                        cap, port);
}
