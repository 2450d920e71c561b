/* SPDX-License-Identifier: MIT */
/*
 * tcp.c - TCP: connect (to an address, or to a host name through
 * getaddrinfo), listen, and the options of a TCP stream.
 * The stream and the server themselves are in stream.c and server.c.
 */
#include "acore/dns.h"
#include "io.h"

#include "alloc.h"
#include "comb.h"
#include "future.h"
#include "uverr.h"

#include <string.h>

/* ---- connect by host name ----------------------------------------------- */

/* A connect to a host name: a getaddrinfo, then a connect to each address
 * in turn until one succeeds (the last error otherwise). Each step is a
 * future of its own; the op hears of it through a done callback whose
 * `link` the op clears when it goes first. */
typedef struct name_conn name_conn;

typedef struct step_link {
  name_conn *op; /* NULL once the op went */
} step_link;

struct name_conn {
  acore__xfuture x;       /* first */
  acore_future_t *step;   /* the pending getaddrinfo or connect */
  step_link *link;        /* of the step's done callback */
  acore_future_t *gai;    /* the done getaddrinfo: holds the addresses */
  size_t next;            /* the next address to try */
  int port;
};

static void name_cut(name_conn *op) {
  if (op->link != NULL)
    op->link->op = NULL;
  op->link = NULL;
}

static int name_cancel(acore_future_t *f, const char *message) {
  name_conn *op = (name_conn *)f;
  int rc = acore__future_cancel(f, message);

  if (rc == 1 && op->step != NULL) {
    name_cut(op);
    acore__cancel(op->step, message); /* stops the lookup or the connect */
  }
  return rc;
}

static void name_destroy(acore_future_t *f) {
  name_conn *op = (name_conn *)f;

  name_cut(op);
  if (op->step != NULL && !acore_future_is_done(op->step))
    acore__cancel(op->step, NULL);
  acore_future_unref(op->step);
  acore_future_unref(op->gai);
}

static const acore__future_ops name_ops = {
    .cancel = name_cancel,
    .destroy = name_destroy,
    .name = "tcp.resolve"};

static void link_free(void *p) {
  step_link *l = p;

  if (l->op != NULL)
    l->op->link = NULL;
  acore__free(l);
}

static void on_step(acore_future_t *f, void *ud);

/* Wait for `step` (taken); ACORE_ENOMEM leaves it to the caller. */
static int name_wait(name_conn *op, acore_future_t *step) {
  step_link *l = acore__malloc(sizeof(*l));

  if (l == NULL)
    return ACORE_ENOMEM;
  l->op = op;
  if (acore_future_add_done_callback(step, on_step, l, link_free) != ACORE_OK)
    return ACORE_ENOMEM; /* link_free(l) ran */
  op->link = l;
  op->step = step;
  return ACORE_OK;
}

static void name_fail(name_conn *op, int code) {
  acore__comb_set_code(&op->x.fut, code, "connect: out of memory");
}

/* Connect to the next address; the last step's outcome when none is
 * left. */
static void name_next(name_conn *op, acore_future_t *last) {
  const acore_addrinfo_t *ai = NULL;
  char host[ACORE_ADDRESS_MAX];
  acore_future_t *c;

  acore_addrinfo_from_future(op->gai, &ai);
  while (op->next < acore_addrinfo_count(ai)) {
    if (acore_addrinfo_get(ai, op->next++, host, sizeof(host), NULL, NULL) !=
        ACORE_OK)
      continue;
    if (acore_tcp_connect(op->x.fut.loop, host, op->port, &c) != ACORE_OK) {
      name_fail(op, ACORE_ENOMEM);
      return;
    }
    if (name_wait(op, c) != ACORE_OK) {
      acore_future_unref(c); /* cancels it */
      name_fail(op, ACORE_ENOMEM);
    }
    return;
  }
  acore__comb_handover(&op->x.fut, last);
}

static void on_step(acore_future_t *f, void *ud) {
  step_link *l = ud;
  name_conn *op = l->op;

  if (op == NULL || op->x.fut.state != ACORE_FUTURE_PENDING)
    return;
  l->op = NULL; /* link_free, after this call, must not touch op->link */
  op->link = NULL;
  op->step = NULL;
  if (op->gai == NULL) { /* the lookup */
    if (acore_future_state(f) != ACORE_FUTURE_RESULT) {
      acore__comb_handover(&op->x.fut, f);
      acore_future_unref(f);
      return;
    }
    op->gai = f;
    name_next(op, f);
    return;
  }
  if (acore_future_state(f) == ACORE_FUTURE_RESULT)
    acore__comb_handover(&op->x.fut, f); /* the stream moves */
  else
    name_next(op, f);
  acore_future_unref(f);
}

static int connect_name(acore_loop_t *loop, const char *host, int port,
                        acore_future_t **out) {
  name_conn *op;
  acore_future_t *g;
  int rc;

  op = (name_conn *)acore__xfuture_new(loop, sizeof(*op), &name_ops,
                                       ACORE__F_NOSET);
  if (op == NULL)
    return ACORE_ENOMEM;
  op->port = port;
  if ((rc = acore_getaddrinfo(loop, host, NULL, ACORE_AF_UNSPEC, &g)) !=
      ACORE_OK) {
    acore_future_unref(&op->x.fut);
    return rc;
  }
  if (name_wait(op, g) != ACORE_OK) {
    acore_future_unref(g);
    acore_future_unref(&op->x.fut);
    return ACORE_ENOMEM;
  }
  *out = &op->x.fut;
  return ACORE_OK;
}

/* A host name: letters, digits, '-', '_' and '.', at most 253 of them. */
static bool name_ok(const char *host) {
  size_t n = strlen(host);

  return n > 0 && n <= 253 &&
         strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789-_.") == n;
}

/* ---- connect and listen ------------------------------------------------- */

static int tcp_start(acore_stream_t *s, void *arg) {
  return uv_tcp_connect(&s->creq, &s->uv.tcp, arg, acore__stream_on_connect);
}

int acore_tcp_connect(acore_loop_t *loop, const char *host, int port,
                      acore_future_t **out) {
  struct sockaddr_storage sa;
  int rc;

  if (out == NULL || host == NULL || port <= 0 || port > 65535)
    return ACORE_EINVAL;
  if (acore__io_parse_addr(host, port, &sa) != ACORE_OK && !name_ok(host))
    return ACORE_EINVAL;
  if ((rc = acore__loop_check_sched(loop)) != ACORE_OK)
    return rc; /* closing: its closers ran already */
  if (sa.ss_family == AF_UNSPEC) /* not an address: a name */
    return connect_name(loop, host, port, out);
  return acore__stream_connect(loop, ACORE__STREAM_TCP, tcp_start, &sa, out);
}

int acore_tcp_listen(acore_loop_t *loop, const char *host, int port,
                     int backlog, unsigned flags, acore_server_t **out) {
  struct sockaddr_storage sa;
  acore_server_t *srv;
  int rc;

  if (out == NULL || backlog < 0 || (flags & ~(unsigned)ACORE_LISTEN_IPV6ONLY) ||
      acore__io_parse_addr(host, port, &sa) != 0)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check_sched(loop)) != ACORE_OK)
    return rc; /* closing: its closers ran already */
  if ((rc = acore__server_new(loop, ACORE__STREAM_TCP, &srv)) != ACORE_OK)
    return rc;
  rc = uv_tcp_bind(&srv->uv.tcp, (struct sockaddr *)&sa,
                   (flags & ACORE_LISTEN_IPV6ONLY) ? UV_TCP_IPV6ONLY : 0);
  rc = rc != 0 ? acore__uv_code(rc) : acore__server_listen(srv, backlog);
  if (rc != ACORE_OK) {
    acore_server_close(srv);
    acore_server_unref(srv);
    return rc;
  }
  *out = srv;
  return ACORE_OK;
}

static int tcp_check(acore_stream_t *s) {
  int rc = acore__io_check(s != NULL ? &s->io : NULL);

  if (rc != ACORE_OK)
    return rc;
  return s->kind == ACORE__STREAM_TCP ? ACORE_OK : ACORE_ENOTSUP;
}

int acore_stream_set_nodelay(acore_stream_t *s, int on) {
  int rc = on != 0 && on != 1 ? ACORE_EINVAL : tcp_check(s);

  return rc != ACORE_OK ? rc : acore__uv_code(uv_tcp_nodelay(&s->uv.tcp, on));
}

int acore_stream_set_keepalive(acore_stream_t *s, int on, unsigned delay) {
  int rc = (on != 0 && on != 1) || (on && delay == 0) ? ACORE_EINVAL
                                                      : tcp_check(s);

  if (rc != ACORE_OK)
    return rc;
  return acore__uv_code(uv_tcp_keepalive(&s->uv.tcp, on, delay));
}
