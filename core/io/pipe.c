/* SPDX-License-Identifier: MIT */
/*
 * pipe.c - Unix-domain stream sockets and pipes: connect to a path,
 * listen on a path, and a stream over a descriptor the caller has.
 * The stream and the server themselves are in stream.c and server.c.
 */
#include "io.h"

#include "uverr.h"

#include <string.h>
#include <sys/un.h>

/* A path that fits a Unix socket address (libuv would cut it short). */
static bool path_ok(const char *path) {
  return path != NULL && path[0] != '\0' &&
         strlen(path) < sizeof(((struct sockaddr_un *)0)->sun_path);
}

static int pipe_start(acore_stream_t *s, void *arg) {
  uv_pipe_connect(&s->creq, &s->uv.pipe, arg, acore__stream_on_connect);
  return 0; /* errors come through the callback */
}

int acore_unix_connect(acore_loop_t *loop, const char *path,
                       acore_future_t **out) {
  int rc;

  if (out == NULL || !path_ok(path))
    return ACORE_EINVAL;
  if ((rc = acore__loop_check_sched(loop)) != ACORE_OK)
    return rc; /* closing: its closers ran already */
  return acore__stream_connect(loop, ACORE__STREAM_PIPE, pipe_start,
                               (void *)(uintptr_t)path, out);
}

int acore_unix_listen(acore_loop_t *loop, const char *path, int backlog,
                      unsigned flags, acore_server_t **out) {
  acore_server_t *srv;
  int rc;

  if (out == NULL || !path_ok(path) || backlog < 0 || flags != 0)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check_sched(loop)) != ACORE_OK)
    return rc; /* closing: its closers ran already */
  if ((rc = acore__server_new(loop, ACORE__STREAM_PIPE, &srv)) != ACORE_OK)
    return rc;
  rc = acore__uv_code(uv_pipe_bind(&srv->uv.pipe, path));
  if (rc == ACORE_OK)
    rc = acore__server_listen(srv, backlog);
  if (rc != ACORE_OK) {
    acore_server_close(srv);
    acore_server_unref(srv);
    return rc;
  }
  *out = srv;
  return ACORE_OK;
}

int acore_pipe_open(acore_loop_t *loop, int fd, acore_stream_t **out) {
  acore_stream_t *s;
  int rc;

  if (out == NULL || fd < 0)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check_sched(loop)) != ACORE_OK)
    return rc; /* closing: its closers ran already */
  if ((rc = acore__stream_new(loop, ACORE__STREAM_PIPE, &s)) != ACORE_OK)
    return rc;
  if ((rc = uv_pipe_open(&s->uv.pipe, fd)) != 0) {
    acore_stream_close(s);
    acore_stream_unref(s);
    return acore__uv_code(rc);
  }
  *out = s;
  return ACORE_OK;
}
