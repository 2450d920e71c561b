/* SPDX-License-Identifier: MIT */
/*
 * dns.c - getaddrinfo and getnameinfo futures on libuv's thread pool.
 *
 * Design notes
 * - A lookup is a libuv request that must outlive its future (libuv calls
 *   back once, also after uv_cancel), so the request is its own
 *   allocation; the op (the future) and the request point at each other
 *   until either goes.
 * - Each request in flight has a closer record: at loop close it cancels
 *   the op and uv_cancel()s the request, and makes the close wait for the
 *   request's callback (acore__loop_close_wait), since libuv cannot close
 *   a loop with a request in flight. A lookup already running on a pool
 *   thread cannot be stopped: the close then waits for it.
 */
#include "acore/dns.h"
#include "io.h"

#include "alloc.h"
#include "comb.h"
#include "future.h"
#include "uverr.h"

#include <netdb.h>
#include <string.h>

struct acore_addrinfo {
  size_t n;
  struct sockaddr_storage a[];
};

typedef struct dns_op dns_op;

typedef struct dns_req {
  union {
    uv_req_t req;
    uv_getaddrinfo_t gai;
    uv_getnameinfo_t gni;
  } u;
  acore__closer closer;   /* on the loop's closers while in flight */
  acore_loop_t *loop;
  dns_op *op;             /* NULL once the op went */
  bool close_wait;        /* loop close waits for the callback */
} dns_req;

struct dns_op {
  acore__xfuture x;       /* first */
  dns_req *req;           /* while in flight */
};

/* ---- the op and its request --------------------------------------------- */

static void op_detach(dns_op *op) {
  dns_req *q = op->req;

  if (q == NULL)
    return;
  q->op = NULL;
  op->req = NULL;
  uv_cancel(&q->u.req); /* UV_EBUSY when running: its answer is freed */
}

static int op_cancel(acore_future_t *f, const char *message) {
  int rc = acore__future_cancel(f, message);

  if (rc == 1)
    op_detach((dns_op *)f);
  return rc;
}

static void op_destroy(acore_future_t *f) { op_detach((dns_op *)f); }

static const acore__future_ops dns_ops = {
    .cancel = op_cancel,
    .destroy = op_destroy,
    .name = "dns"};

static void req_close(acore__closer *c, acore_loop_t *loop) {
  dns_req *q = acore__queue_data(c, dns_req, closer);

  if (q->op != NULL) {
    dns_op *op = q->op;
    op_detach(op);
    acore__comb_set_cancelled(&op->x.fut, "closed");
  }
  q->close_wait = true;
  acore__loop_close_wait(loop);
}

/* The callback came: detach the op (returned, or NULL). */
static dns_op *req_end(dns_req *q) {
  dns_op *op = q->op;

  if (op != NULL) {
    op->req = NULL;
    q->op = NULL;
    acore__loop_kick(q->loop);
  }
  return op;
}

/* Free `q` once its answer was read. */
static void req_free(dns_req *q) {
  acore_loop_t *loop = q->loop;
  bool close_wait = q->close_wait;

  if (!close_wait)
    acore__loop_remove_closer(&q->closer);
  acore__free(q);
  if (close_wait)
    acore__loop_uv_closed(loop); /* last: the loop may go now */
}

/* A new op with its request, registered for loop close. */
static dns_op *op_new(acore_loop_t *loop) {
  dns_op *op = (dns_op *)acore__xfuture_new(loop, sizeof(*op), &dns_ops,
                                           ACORE__F_NOSET);
  dns_req *q;

  if (op == NULL)
    return NULL;
  if ((q = acore__calloc(1, sizeof(*q))) == NULL) {
    acore_future_unref(&op->x.fut);
    return NULL;
  }
  q->loop = loop;
  q->op = op;
  op->req = q;
  return op;
}

/* The request started: libuv will call back. */
static void op_started(dns_op *op) {
  op->req->closer.fn = req_close;
  acore__loop_add_closer(op->x.fut.loop, &op->req->closer);
}

/* The request did not start: fail the op with libuv's error. */
static void op_failed(dns_op *op, int uverr, const char *what) {
  dns_req *q = op->req;

  q->op = NULL;
  op->req = NULL;
  acore__free(q);
  acore__io_fail(&op->x.fut, uverr, what);
}

/* ---- getaddrinfo -------------------------------------------------------- */

static void addrinfo_free(void *p) { acore__free(p); }

static acore_addrinfo_t *addrinfo_make(const struct addrinfo *res) {
  const struct addrinfo *r;
  acore_addrinfo_t *ai;
  size_t n = 0;

  for (r = res; r != NULL; r = r->ai_next)
    if (r->ai_family == AF_INET || r->ai_family == AF_INET6)
      n++;
  ai = acore__malloc(sizeof(*ai) + n * sizeof(ai->a[0]));
  if (ai == NULL)
    return NULL;
  ai->n = 0;
  for (r = res; r != NULL; r = r->ai_next)
    if (r->ai_family == AF_INET || r->ai_family == AF_INET6) {
      memset(&ai->a[ai->n], 0, sizeof(ai->a[0]));
      memcpy(&ai->a[ai->n++], r->ai_addr, r->ai_addrlen);
    }
  return ai;
}

static void gai_complete(dns_op *op, int status, const struct addrinfo *res) {
  acore_addrinfo_t *ai;

  if (status != 0) {
    acore__io_fail(&op->x.fut, status, "getaddrinfo");
    return;
  }
  if ((ai = addrinfo_make(res)) == NULL) {
    acore__io_fail(&op->x.fut, UV_ENOMEM, "getaddrinfo");
    return;
  }
  if (ai->n == 0) { /* no IPv4 or IPv6 address */
    acore__free(ai);
    acore__io_fail(&op->x.fut, UV_EAI_NODATA, "getaddrinfo");
    return;
  }
  acore__future_complete(&op->x.fut, ACORE_FUTURE_RESULT, ACORE_VALUE_PTR,
                         acore__value_ptr(ai, addrinfo_free));
}

static void on_gai(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  dns_op *op = req_end((dns_req *)req);

  if (op != NULL)
    gai_complete(op, status, res);
  uv_freeaddrinfo(res);
  req_free((dns_req *)req);
}

static int family_of(int family) {
  switch (family) {
  case ACORE_AF_UNSPEC: return AF_UNSPEC;
  case ACORE_AF_INET: return AF_INET;
  case ACORE_AF_INET6: return AF_INET6;
  default: return -1;
  }
}

int acore_getaddrinfo(acore_loop_t *loop, const char *host,
                      const char *service, int family, acore_future_t **out) {
  struct addrinfo hints;
  dns_op *op;
  int rc;

  if (out == NULL || host == NULL || host[0] == '\0' ||
      family_of(family) < 0)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(loop)) != ACORE_OK)
    return rc;
  if ((op = op_new(loop)) == NULL)
    return ACORE_ENOMEM;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = family_of(family);
  hints.ai_socktype = SOCK_STREAM;
  rc = uv_getaddrinfo(acore__core(loop)->uv, &op->req->u.gai, on_gai, host,
                      service, &hints);
  if (rc != 0)
    op_failed(op, rc, "getaddrinfo");
  else
    op_started(op);
  *out = &op->x.fut;
  return ACORE_OK;
}

int acore_addrinfo_from_future(acore_future_t *fut,
                               const acore_addrinfo_t **out) {
  void *p = NULL;
  int rc;

  if (fut == NULL || out == NULL)
    return ACORE_EINVAL;
  if ((rc = acore_future_result_tagged(fut, addrinfo_free, &p)) != ACORE_OK)
    return rc;
  if (p == NULL)
    return ACORE_ETYPE;
  *out = p;
  return ACORE_OK;
}

size_t acore_addrinfo_count(const acore_addrinfo_t *ai) {
  return ai != NULL ? ai->n : 0;
}

int acore_addrinfo_get(const acore_addrinfo_t *ai, size_t i, char *host,
                       size_t cap, int *port, int *family) {
  int rc;

  if (ai == NULL || host == NULL || i >= ai->n)
    return ACORE_EINVAL;
  rc = acore__io_format_addr((const struct sockaddr *)&ai->a[i], host, cap,
                             port);
  if (rc == ACORE_OK && family != NULL)
    *family = ai->a[i].ss_family == AF_INET ? ACORE_AF_INET : ACORE_AF_INET6;
  return rc;
}

/* ---- getnameinfo -------------------------------------------------------- */

static void gni_complete(dns_op *op, int status, const char *hostname) {
  acore__value v;

  if (status != 0) {
    acore__io_fail(&op->x.fut, status, "getnameinfo");
    return;
  }
  if (acore__value_bytes(hostname, strlen(hostname), &v) != ACORE_OK) {
    acore__io_fail(&op->x.fut, UV_ENOMEM, "getnameinfo");
    return;
  }
  acore__future_complete(&op->x.fut, ACORE_FUTURE_RESULT, ACORE_VALUE_BYTES,
                         v);
}

/* `hostname` lives in the request: read it before the request goes. */
static void on_gni(uv_getnameinfo_t *req, int status, const char *hostname,
                   const char *service) {
  dns_op *op = req_end((dns_req *)req);

  (void)service;
  if (op != NULL)
    gni_complete(op, status, hostname);
  req_free((dns_req *)req);
}

int acore_getnameinfo(acore_loop_t *loop, const char *host, int port,
                      acore_future_t **out) {
  struct sockaddr_storage sa;
  dns_op *op;
  int rc;

  if (out == NULL || acore__io_parse_addr(host, port, &sa) != ACORE_OK)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(loop)) != ACORE_OK)
    return rc;
  if ((op = op_new(loop)) == NULL)
    return ACORE_ENOMEM;
  rc = uv_getnameinfo(acore__core(loop)->uv, &op->req->u.gni, on_gni,
                      (struct sockaddr *)&sa, 0);
  if (rc != 0)
    op_failed(op, rc, "getnameinfo");
  else
    op_started(op);
  *out = &op->x.fut;
  return ACORE_OK;
}
