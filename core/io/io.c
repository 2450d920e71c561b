/* SPDX-License-Identifier: MIT */
/*
 * io.c - the life cycle every I/O object shares (io.h): references,
 * close through the loop, address text, SIGPIPE.
 *
 * Design notes
 * - See io.h for the two counts. The users' memory count is dropped on
 *   the loop thread while the loop is open (a last unref elsewhere is
 *   posted there), or anywhere once it is closed; the handle's in its
 *   close callback. acore__obj_free() takes the loop's mutex once the
 *   loop is closed, so the two may race only on the atomic count.
 */
#include "io.h"

#include "alloc.h"
#include "future.h"
#include "uverr.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

void *acore__io_alloc(acore_loop_t *loop, size_t size) {
  void *p = acore__calloc(1, size);

  if (p != NULL)
    acore__core(loop)->nlive++;
  return p;
}

void acore__io_free_raw(acore_loop_t *loop, void *obj) {
  acore__obj_free(loop, -1, obj);
}

int acore__io_uvstream_new(acore_loop_t *loop, size_t size, size_t uv_off,
                           int kind, const acore__io_ops *ops, void **out) {
  char *obj = acore__io_alloc(loop, size);
  uv_loop_t *uv = acore__core(loop)->uv;
  acore__uvstream *h;
  int rc;

  if (obj == NULL)
    return ACORE_ENOMEM;
  h = (acore__uvstream *)(obj + uv_off);
  rc = kind == ACORE__STREAM_TCP ? uv_tcp_init(uv, &h->tcp)
                                 : uv_pipe_init(uv, &h->pipe, 0);
  if (rc != 0) {
    acore__io_free_raw(loop, obj);
    return acore__uv_code(rc);
  }
  acore__io_init((acore__io *)obj, loop, &h->h, ops);
  uv_unref(&h->h);
  *out = obj;
  return ACORE_OK;
}

static void closer_fn(acore__closer *c, acore_loop_t *loop) {
  (void)loop;
  acore__io_close(acore__queue_data(c, acore__io, closer));
}

void acore__io_init(acore__io *io, acore_loop_t *loop, uv_handle_t *handle,
                    const acore__io_ops *ops) {
  io->loop = loop;
  io->ops = ops;
  io->handle = handle;
  handle->data = io;
  atomic_init(&io->urefs, 1);
  atomic_init(&io->mrefs, 2);
  io->closer.fn = closer_fn;
  acore__loop_add_closer(loop, &io->closer);
  acore__io_sigpipe();
}

static void mdrop(acore__io *io) {
  if (atomic_fetch_sub_explicit(&io->mrefs, 1, memory_order_acq_rel) == 1)
    acore__obj_free(io->loop, -1, io);
}

static void on_closed(uv_handle_t *h) {
  acore__io *io = h->data;
  acore_loop_t *loop = io->loop;

  mdrop(io); /* the loop's memory outlives it: io counts in nlive */
  acore__loop_uv_closed(loop);
}

void acore__io_close(acore__io *io) {
  if (io->closing)
    return;
  io->closing = true;
  acore__loop_remove_closer(&io->closer); /* no-op when loop close took it */
  io->ops->stop(io);
  acore__loop_uv_close(io->loop, io->handle, on_closed);
}

void *acore__ioreg_get(acore_loop_t *loop,
                       void (*close)(acore__closer *c, acore_loop_t *loop),
                       size_t size) {
  acore__ioreg *r = (acore__ioreg *)acore__loop_find_closer(loop, close);

  if (r != NULL)
    return r;
  if ((r = acore__calloc(1, size)) == NULL)
    return NULL;
  r->closer.fn = close;
  acore__queue_init(&r->live);
  acore__loop_add_closer(loop, &r->closer);
  return r;
}

static void uvblock_closed(uv_handle_t *h) {
  acore__uvblock *b = h->data;
  acore_loop_t *loop = b->loop;

  acore__free(b);
  acore__loop_uv_closed(loop); /* last: the loop may go now */
}

void acore__uvblock_close(uv_handle_t *h) {
  acore__uvblock *b = h->data;

  acore__loop_uv_close(b->loop, h, uvblock_closed);
}

void acore__io_ref(acore__io *io) {
  atomic_fetch_add_explicit(&io->urefs, 1, memory_order_relaxed);
}

static void noop(void *ud) { (void)ud; }

/* On the loop thread (a posted call's ud_free: it runs once, also when
 * loop close drops the call): the users are gone. */
static void users_gone(void *ud) {
  acore__io *io = ud;

  if (!acore__on_loop_thread(io->loop) && !acore__loop_closed(io->loop))
    return; /* the post failed for memory on another thread: loop close
               will close the handle; the object's memory is lost */

  acore__io_close(io);
  mdrop(io);
}

void acore__io_unref(acore__io *io) {
  if (atomic_fetch_sub_explicit(&io->urefs, 1, memory_order_acq_rel) != 1)
    return;
  if (acore__on_loop_thread(io->loop) && !acore__loop_closed(io->loop)) {
    users_gone(io);
    return;
  }
  /* users_gone runs on the loop thread, or here at once when the post
   * fails (the loop is closed: so is the handle, or it is closing) */
  acore__loop_post(io->loop, noop, io, users_gone);
}

int acore__io_check(const acore__io *io) {
  int rc;

  if (io == NULL)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(io->loop)) != ACORE_OK)
    return rc;
  return io->closing ? ACORE_ECLOSED : ACORE_OK;
}

static void sigpipe_once(void) {
  struct sigaction sa;

  if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL &&
      !(sa.sa_flags & SA_SIGINFO))
    signal(SIGPIPE, SIG_IGN);
}

void acore__io_sigpipe(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;

  pthread_once(&once, sigpipe_once);
}

int acore__io_parse_addr(const char *host, int port,
                         struct sockaddr_storage *sa) {
  memset(sa, 0, sizeof(*sa));
  if (host == NULL || port < 0 || port > 65535)
    return ACORE_EINVAL;
  if (uv_ip4_addr(host, port, (struct sockaddr_in *)sa) == 0)
    return ACORE_OK;
  if (uv_ip6_addr(host, port, (struct sockaddr_in6 *)sa) == 0)
    return ACORE_OK;
  memset(sa, 0, sizeof(*sa)); /* libuv set a family: not an address */
  return ACORE_EINVAL;
}

int acore__io_format_addr(const struct sockaddr *sa, char *host, size_t cap,
                          int *port) {
  char text[INET6_ADDRSTRLEN];
  int p, rc;

  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    rc = uv_ip4_name(in, text, sizeof(text));
    p = ntohs(in->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    rc = uv_ip6_name(in6, text, sizeof(text));
    p = ntohs(in6->sin6_port);
  } else {
    return ACORE_EINVAL;
  }
  if (rc != 0 || strlen(text) >= cap)
    return ACORE_EINVAL;
  memcpy(host, text, strlen(text) + 1);
  if (port != NULL)
    *port = p;
  return ACORE_OK;
}

void acore__io_fail(acore_future_t *f, int uverr, const char *op) {
  acore_error_t *err;

  acore__uv_error_new(uverr, op, &err); /* the static ENOMEM on failure */
  acore__future_complete(f, ACORE_FUTURE_ERROR, ACORE_VALUE_NONE,
                         acore__value_err(err));
}

static int pipe_name(uv_handle_t *h, bool peer, char *host, size_t cap,
                     int *port) {
  char path[ACORE_ADDRESS_MAX + 1];
  size_t n = sizeof(path);
  int rc = peer ? uv_pipe_getpeername((uv_pipe_t *)h, path, &n)
                : uv_pipe_getsockname((uv_pipe_t *)h, path, &n);

  if (rc == UV_ENOBUFS || (rc == 0 && n >= cap))
    return ACORE_EINVAL;
  if (rc != 0)
    return acore__uv_code(rc);
  memcpy(host, path, n);
  host[n] = '\0';
  if (port != NULL)
    *port = -1;
  return ACORE_OK;
}

int acore__io_name(uv_handle_t *h, int kind, bool peer, char *host,
                   size_t cap, int *port) {
  struct sockaddr_storage sa;
  int len = (int)sizeof(sa);
  int rc;

  if (kind == ACORE__STREAM_PIPE)
    return pipe_name(h, peer, host, cap, port);
  rc = peer ? uv_tcp_getpeername((uv_tcp_t *)h, (struct sockaddr *)&sa, &len)
            : uv_tcp_getsockname((uv_tcp_t *)h, (struct sockaddr *)&sa, &len);
  if (rc != 0)
    return acore__uv_code(rc);
  return acore__io_format_addr((struct sockaddr *)&sa, host, cap, port);
}
