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
 * - An address list is one allocation: its entries, then the canonical
 *   name's text. acore_getaddrinfo() keeps the stream entries only (its
 *   hints ask for them); acore_getaddrinfo_hints() every INET/INET6 entry.
 * - The hints forms fail with an error whose payload is the resolver's
 *   reason (ACORE_EAI_*), tagged by dns_reason_tag, so that a binding can
 *   give the exact EAI_* code (Python's socket.gaierror) where the error
 *   code itself is coarse.
 */
#include "acore/dns.h"
#include "io.h"

#include "alloc.h"
#include "comb.h"
#include "future.h"
#include "uverr.h"

#include <netdb.h>
#include <stdint.h>
#include <string.h>

typedef struct ai_entry {
  struct sockaddr_storage sa;
  int socktype;  /* ACORE_SOCK_* */
  int protocol;
  bool canon;    /* the list's canonical name goes with this entry */
} ai_entry;

struct acore_addrinfo {
  size_t n;
  const char *canon;      /* into the allocation, or NULL */
  ai_entry a[];
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
  bool hints;             /* a hints form: failures carry the reason */
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

static int socktype_of(int sys) {
  switch (sys) {
  case SOCK_STREAM: return ACORE_SOCK_STREAM;
  case SOCK_DGRAM: return ACORE_SOCK_DGRAM;
  case SOCK_RAW: return ACORE_SOCK_RAW;
  default: return ACORE_SOCK_ANY;
  }
}

static bool ai_inet(const struct addrinfo *r) {
  return r->ai_family == AF_INET || r->ai_family == AF_INET6;
}

/* The canonical name's length (with its NUL) if any entry has one. */
static size_t canon_size(const struct addrinfo *res) {
  for (; res != NULL; res = res->ai_next)
    if (ai_inet(res) && res->ai_canonname != NULL)
      return strlen(res->ai_canonname) + 1;
  return 0;
}

static void entry_fill(acore_addrinfo_t *ai, const struct addrinfo *r,
                       char *names) {
  ai_entry *e = &ai->a[ai->n++];

  memset(e, 0, sizeof(*e));
  memcpy(&e->sa, r->ai_addr, r->ai_addrlen);
  e->socktype = socktype_of(r->ai_socktype);
  e->protocol = r->ai_protocol;
  if (r->ai_canonname != NULL && ai->canon == NULL) {
    strcpy(names, r->ai_canonname);
    ai->canon = names;
    e->canon = true;
  }
}

static acore_addrinfo_t *addrinfo_make(const struct addrinfo *res) {
  const struct addrinfo *r;
  acore_addrinfo_t *ai;
  size_t n = 0, names = canon_size(res);

  for (r = res; r != NULL; r = r->ai_next)
    n += ai_inet(r);
  ai = acore__malloc(sizeof(*ai) + n * sizeof(ai->a[0]) + names);
  if (ai == NULL)
    return NULL;
  ai->n = 0;
  ai->canon = NULL;
  for (r = res; r != NULL; r = r->ai_next)
    if (ai_inet(r))
      entry_fill(ai, r, (char *)&ai->a[n]);
  return ai;
}

/* ---- the resolver's reason ---------------------------------------------- */

static void dns_reason_tag(void *p) { (void)p; }

static int reason_of(int uverr) {
  static const int map[][2] = {
      {UV_EAI_NONAME, ACORE_EAI_NONAME},
      {UV_EAI_NODATA, ACORE_EAI_NODATA},
      {UV_EAI_ADDRFAMILY, ACORE_EAI_ADDRFAMILY},
      {UV_EAI_SERVICE, ACORE_EAI_SERVICE},
      {UV_EAI_SOCKTYPE, ACORE_EAI_SOCKTYPE},
      {UV_EAI_FAMILY, ACORE_EAI_FAMILY},
      {UV_EAI_BADFLAGS, ACORE_EAI_BADFLAGS},
      {UV_EAI_AGAIN, ACORE_EAI_AGAIN},
      {UV_EAI_FAIL, ACORE_EAI_FAIL},
      {UV_EAI_MEMORY, ACORE_EAI_MEMORY},
      {UV_EAI_OVERFLOW, ACORE_EAI_OVERFLOW},
      {UV_EAI_PROTOCOL, ACORE_EAI_PROTOCOL}};
  size_t i;

  for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
    if (map[i][0] == uverr)
      return map[i][1];
  return ACORE_EAI_NONE;
}

/* Fail `f` with libuv's error, its payload the resolver's reason. */
static void dns_fail(acore_future_t *f, int uverr, const char *op) {
  int reason = reason_of(uverr);
  acore_error_t *plain, *err;

  if (reason == ACORE_EAI_NONE) {
    acore__io_fail(f, uverr, op);
    return;
  }
  if (acore__uv_error_new(uverr, op, &plain) != ACORE_OK) {
    err = plain; /* the static out-of-memory error */
  } else if (acore_error_new_payload(acore_error_code(plain),
                                     acore_error_message(plain),
                                     (void *)(intptr_t)reason,
                                     dns_reason_tag, &err) != ACORE_OK) {
    acore_error_unref(plain);
    err = acore_error_ref(&acore__enomem_error);
  } else {
    acore_error_unref(plain);
  }
  acore__future_complete(f, ACORE_FUTURE_ERROR, ACORE_VALUE_NONE,
                         acore__value_err(err));
}

int acore_dns_error_reason(const acore_error_t *err) {
  return (int)(intptr_t)acore_error_payload(err, dns_reason_tag);
}

/* ---- getaddrinfo -------------------------------------------------------- */

static void gai_complete(dns_op *op, int status, const struct addrinfo *res) {
  acore_addrinfo_t *ai;
  bool hints = op->hints;

  if (status != 0) {
    if (hints)
      dns_fail(&op->x.fut, status, "getaddrinfo");
    else
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

/* Start a lookup with `hints` (validated by the caller). */
static int gai_start(acore_loop_t *loop, const char *host, const char *service,
                     const struct addrinfo *hints, bool with_reason,
                     acore_future_t **out) {
  dns_op *op;
  int rc;

  if ((rc = acore__loop_check_sched(loop)) != ACORE_OK)
    return rc; /* closing: its closers ran, none would see this request */
  if ((op = op_new(loop)) == NULL)
    return ACORE_ENOMEM;
  op->hints = with_reason;
  rc = uv_getaddrinfo(acore__core(loop)->uv, &op->req->u.gai, on_gai, host,
                      service, hints);
  if (rc != 0)
    op_failed(op, rc, "getaddrinfo");
  else
    op_started(op);
  *out = &op->x.fut;
  return ACORE_OK;
}

int acore_getaddrinfo(acore_loop_t *loop, const char *host,
                      const char *service, int family, acore_future_t **out) {
  struct addrinfo hints;

  if (out == NULL || host == NULL || host[0] == '\0' ||
      family_of(family) < 0)
    return ACORE_EINVAL;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = family_of(family);
  hints.ai_socktype = SOCK_STREAM;
  return gai_start(loop, host, service, &hints, false, out);
}

static int sys_socktype(int socktype) {
  switch (socktype) {
  case ACORE_SOCK_ANY: return 0;
  case ACORE_SOCK_STREAM: return SOCK_STREAM;
  case ACORE_SOCK_DGRAM: return SOCK_DGRAM;
  case ACORE_SOCK_RAW: return SOCK_RAW;
  default: return -1;
  }
}

/* `flags` translated by `map` (pairs of acore's flag, the system's), or
 * -1 if one is not in it. */
static int map_flags(const int (*map)[2], size_t n, int flags) {
  int sys = 0;
  size_t i;

  for (i = 0; i < n; i++)
    if (flags & map[i][0]) {
      sys |= map[i][1];
      flags &= ~map[i][0];
    }
  return flags == 0 ? sys : -1;
}

/* The AI_* flags for ACORE_AI_* `flags`, or -1 for an unknown one. */
static int sys_ai_flags(int flags) {
  static const int map[][2] = {
      {ACORE_AI_PASSIVE, AI_PASSIVE},
      {ACORE_AI_CANONNAME, AI_CANONNAME},
      {ACORE_AI_NUMERICHOST, AI_NUMERICHOST},
      {ACORE_AI_NUMERICSERV, AI_NUMERICSERV},
      {ACORE_AI_V4MAPPED, AI_V4MAPPED},
      {ACORE_AI_ALL, AI_ALL},
      {ACORE_AI_ADDRCONFIG, AI_ADDRCONFIG}};

  return map_flags(map, sizeof(map) / sizeof(map[0]), flags);
}

int acore_getaddrinfo_hints(acore_loop_t *loop, const char *host,
                            const char *service, int family, int socktype,
                            int protocol, int flags, acore_future_t **out) {
  struct addrinfo hints;

  if (out == NULL || (host == NULL && service == NULL) ||
      (host != NULL && host[0] == '\0') || family_of(family) < 0 ||
      sys_socktype(socktype) < 0 || protocol < 0 ||
      protocol > 255 || sys_ai_flags(flags) < 0)
    return ACORE_EINVAL;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = family_of(family);
  hints.ai_socktype = sys_socktype(socktype);
  hints.ai_protocol = protocol;
  hints.ai_flags = sys_ai_flags(flags);
  return gai_start(loop, host, service, &hints, true, out);
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
  rc = acore__io_format_addr((const struct sockaddr *)&ai->a[i].sa, host,
                             cap, port);
  if (rc == ACORE_OK && family != NULL)
    *family =
        ai->a[i].sa.ss_family == AF_INET ? ACORE_AF_INET : ACORE_AF_INET6;
  return rc;
}

int acore_addrinfo_entry(const acore_addrinfo_t *ai, size_t i, int *socktype,
                         int *protocol, unsigned *flowinfo,
                         unsigned *scope_id) {
  const ai_entry *e;
  const struct sockaddr_in6 *s6;

  if (ai == NULL || i >= ai->n)
    return ACORE_EINVAL;
  e = &ai->a[i];
  s6 = (const struct sockaddr_in6 *)&e->sa;
  if (socktype != NULL)
    *socktype = e->socktype;
  if (protocol != NULL)
    *protocol = e->protocol;
  if (flowinfo != NULL)
    *flowinfo = e->sa.ss_family == AF_INET6 ? ntohl(s6->sin6_flowinfo) : 0;
  if (scope_id != NULL)
    *scope_id = e->sa.ss_family == AF_INET6 ? s6->sin6_scope_id : 0;
  return ACORE_OK;
}

const char *acore_addrinfo_canonname(const acore_addrinfo_t *ai, size_t i) {
  if (ai == NULL || i >= ai->n || !ai->a[i].canon)
    return NULL;
  return ai->canon;
}

/* ---- getnameinfo -------------------------------------------------------- */

/* A getnameinfo_flags result: the two names in one allocation. */
typedef struct nameinfo {
  const char *service; /* into text */
  char text[];         /* host NUL service NUL */
} nameinfo;

static void nameinfo_free(void *p) { acore__free(p); }

static nameinfo *nameinfo_make(const char *host, const char *service) {
  size_t h = strlen(host) + 1, sv = strlen(service) + 1;
  nameinfo *ni = acore__malloc(sizeof(*ni) + h + sv);

  if (ni == NULL)
    return NULL;
  memcpy(ni->text, host, h);
  memcpy(ni->text + h, service, sv);
  ni->service = ni->text + h;
  return ni;
}

static void gni_complete_flags(dns_op *op, const char *hostname,
                               const char *service) {
  nameinfo *ni = nameinfo_make(hostname, service);

  if (ni == NULL) {
    acore__io_fail(&op->x.fut, UV_ENOMEM, "getnameinfo");
    return;
  }
  acore__future_complete(&op->x.fut, ACORE_FUTURE_RESULT, ACORE_VALUE_PTR,
                         acore__value_ptr(ni, nameinfo_free));
}

static void gni_complete(dns_op *op, int status, const char *hostname,
                         const char *service) {
  acore__value v;

  if (status != 0) {
    if (op->hints)
      dns_fail(&op->x.fut, status, "getnameinfo");
    else
      acore__io_fail(&op->x.fut, status, "getnameinfo");
    return;
  }
  if (op->hints) {
    gni_complete_flags(op, hostname, service);
    return;
  }
  if (acore__value_bytes(hostname, strlen(hostname), &v) != ACORE_OK) {
    acore__io_fail(&op->x.fut, UV_ENOMEM, "getnameinfo");
    return;
  }
  acore__future_complete(&op->x.fut, ACORE_FUTURE_RESULT, ACORE_VALUE_BYTES,
                         v);
}

/* The names live in the request: read them before the request goes. */
static void on_gni(uv_getnameinfo_t *req, int status, const char *hostname,
                   const char *service) {
  dns_op *op = req_end((dns_req *)req);

  if (op != NULL)
    gni_complete(op, status, hostname, service);
  req_free((dns_req *)req);
}

static int gni_start(acore_loop_t *loop, const struct sockaddr_storage *sa,
                     int sys_flags, bool with_reason, acore_future_t **out) {
  dns_op *op;
  int rc;

  if ((rc = acore__loop_check_sched(loop)) != ACORE_OK)
    return rc; /* as gai_start */
  if ((op = op_new(loop)) == NULL)
    return ACORE_ENOMEM;
  op->hints = with_reason;
  rc = uv_getnameinfo(acore__core(loop)->uv, &op->req->u.gni, on_gni,
                      (const struct sockaddr *)sa, sys_flags);
  if (rc != 0)
    op_failed(op, rc, "getnameinfo");
  else
    op_started(op);
  *out = &op->x.fut;
  return ACORE_OK;
}

int acore_getnameinfo(acore_loop_t *loop, const char *host, int port,
                      acore_future_t **out) {
  struct sockaddr_storage sa;

  if (out == NULL || acore__io_parse_addr(host, port, &sa) != ACORE_OK)
    return ACORE_EINVAL;
  return gni_start(loop, &sa, 0, false, out);
}

/* The NI_* flags for ACORE_NI_* `flags`, or -1 for an unknown one. */
static int sys_ni_flags(int flags) {
  static const int map[][2] = {
      {ACORE_NI_NUMERICHOST, NI_NUMERICHOST},
      {ACORE_NI_NUMERICSERV, NI_NUMERICSERV},
      {ACORE_NI_NOFQDN, NI_NOFQDN},
      {ACORE_NI_NAMEREQD, NI_NAMEREQD},
      {ACORE_NI_DGRAM, NI_DGRAM}};

  return map_flags(map, sizeof(map) / sizeof(map[0]), flags);
}

int acore_getnameinfo_flags(acore_loop_t *loop, const char *host, int port,
                            int flags, acore_future_t **out) {
  struct sockaddr_storage sa;

  if (out == NULL || acore__io_parse_addr(host, port, &sa) != ACORE_OK ||
      sys_ni_flags(flags) < 0)
    return ACORE_EINVAL;
  return gni_start(loop, &sa, sys_ni_flags(flags), true, out);
}

int acore_nameinfo_from_future(acore_future_t *fut, const char **host,
                               const char **service) {
  void *p = NULL;
  int rc;

  if (fut == NULL)
    return ACORE_EINVAL;
  if ((rc = acore_future_result_tagged(fut, nameinfo_free, &p)) != ACORE_OK)
    return rc;
  if (p == NULL)
    return ACORE_ETYPE;
  if (host != NULL)
    *host = ((nameinfo *)p)->text;
  if (service != NULL)
    *service = ((nameinfo *)p)->service;
  return ACORE_OK;
}
