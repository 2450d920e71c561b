/* SPDX-License-Identifier: MIT */
/*
 * error.c - error codes, their names, and error objects.
 *
 * Design notes
 * - An error object is immutable once made; only its reference count
 *   changes (atomically), so errors may be shared between threads.
 * - acore__enomem_error is a static error handed out when making an error
 *   fails for lack of memory; its reference count is never consulted.
 */
#include "alloc.h"
#include "value.h"

#include <string.h>

struct code_info {
  int code;
  const char *name;
  const char *text;
};

static const struct code_info codes[] = {
  {ACORE_OK, "OK", "success"},
  {ACORE_EINVAL, "EINVAL", "invalid argument"},
  {ACORE_ENOMEM, "ENOMEM", "out of memory"},
  {ACORE_EINVALIDSTATE, "EINVALIDSTATE", "invalid state"},
  {ACORE_ECANCELLED, "ECANCELLED", "operation cancelled"},
  {ACORE_ETIMEDOUT, "ETIMEDOUT", "timed out"},
  {ACORE_ECLOSED, "ECLOSED", "closed"},
  {ACORE_EBUSY, "EBUSY", "resource busy"},
  {ACORE_EWRONGTHREAD, "EWRONGTHREAD", "called from the wrong thread"},
  {ACORE_EAGAIN, "EAGAIN", "try again"},
  {ACORE_EFULL, "EFULL", "full"},
  {ACORE_EEMPTY, "EEMPTY", "empty"},
  {ACORE_ENOTOWNER, "ENOTOWNER", "not the owner"},
  {ACORE_EOVERFLOW, "EOVERFLOW", "value would overflow its bound"},
  {ACORE_EGROUP, "EGROUP", "several errors"},
  {ACORE_EIO, "EIO", "input/output error"},
  {ACORE_ETYPE, "ETYPE", "value of another type"},
  {ACORE_EHOST, "EHOST", "error raised by host code"},
  {ACORE_EOF, "EOF", "end of file"},
  {ACORE_ECONNREFUSED, "ECONNREFUSED", "connection refused"},
  {ACORE_ECONNRESET, "ECONNRESET", "connection reset by peer"},
  {ACORE_ECONNABORTED, "ECONNABORTED", "connection aborted"},
  {ACORE_EPIPE, "EPIPE", "broken pipe"},
  {ACORE_ENOTCONN, "ENOTCONN", "socket is not connected"},
  {ACORE_EADDRINUSE, "EADDRINUSE", "address already in use"},
  {ACORE_EADDRNOTAVAIL, "EADDRNOTAVAIL", "address not available"},
  {ACORE_ENETUNREACH, "ENETUNREACH", "network is unreachable"},
  {ACORE_EHOSTUNREACH, "EHOSTUNREACH", "host is unreachable"},
  {ACORE_ENETDOWN, "ENETDOWN", "network is down"},
  {ACORE_ENOENT, "ENOENT", "no such file or directory"},
  {ACORE_EACCES, "EACCES", "permission denied"},
  {ACORE_EPERM, "EPERM", "operation not permitted"},
  {ACORE_EEXIST, "EEXIST", "file already exists"},
  {ACORE_EMFILE, "EMFILE", "too many open files"},
  {ACORE_ENOSPC, "ENOSPC", "no space left on device"},
  {ACORE_EMSGSIZE, "EMSGSIZE", "message too long"},
  {ACORE_ENOTSUP, "ENOTSUP", "operation not supported"},
  {ACORE_EAFNOSUPPORT, "EAFNOSUPPORT", "address family not supported"},
  {ACORE_ENONAME, "ENONAME", "name does not resolve"},
  {ACORE_ENAMEAGAIN, "ENAMEAGAIN", "temporary failure in name resolution"},
  {ACORE_ENAMEFAIL, "ENAMEFAIL", "name resolution failed"},
  {ACORE_EBADF, "EBADF", "bad file descriptor"},
  {ACORE_ENOTDIR, "ENOTDIR", "not a directory"},
  {ACORE_EISDIR, "EISDIR", "is a directory"},
  {ACORE_ENOBUFS, "ENOBUFS", "no buffer space available"},
  {ACORE_ESRCH, "ESRCH", "no such process"},
  {ACORE_ECHILD, "ECHILD", "no child process"},
};

static const struct code_info *code_find(int code) {
  size_t i;

  for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
    if (codes[i].code == code)
      return &codes[i];
  return NULL;
}

const char *acore_strerror(int code) {
  const struct code_info *ci = code_find(code);
  return ci ? ci->text : "unknown error";
}

const char *acore_err_name(int code) {
  const struct code_info *ci = code_find(code);
  return ci ? ci->name : "UNKNOWN";
}

/* ---- error objects --------------------------------------------------------- */

acore_error_t acore__enomem_error = {
  .refs = 1, .code = ACORE_ENOMEM, .is_static = 1,
};

static int error_alloc(int code, const char *message, size_t nchildren,
                       acore_error_t **out) {
  const char *msg = message ? message : acore_strerror(code);
  size_t len = strlen(msg);
  acore_error_t *e = acore__malloc(sizeof(*e) + len + 1);

  if (e == NULL)
    return ACORE_ENOMEM;
  memset(e, 0, sizeof(*e));
  atomic_init(&e->refs, 1);
  e->code = code;
  memcpy(e->message, msg, len + 1);
  if (nchildren > 0) {
    e->children = acore__calloc(nchildren, sizeof(*e->children));
    if (e->children == NULL) {
      acore__free(e);
      return ACORE_ENOMEM;
    }
  }
  *out = e;
  return ACORE_OK;
}

int acore_error_new(int code, const char *message, acore_error_t **out) {
  if (out == NULL || code >= 0)
    return ACORE_EINVAL;
  return error_alloc(code, message, 0, out);
}

int acore_error_new_payload(int code, const char *message, void *payload,
                            acore_free_fn payload_free, acore_error_t **out) {
  int rc;

  if (out == NULL || code >= 0) {
    rc = ACORE_EINVAL;
    goto fail;
  }
  rc = error_alloc(code, message, 0, out);
  if (rc != ACORE_OK)
    goto fail;
  (*out)->payload = payload;
  (*out)->payload_free = payload_free;
  return ACORE_OK;

fail:
  if (payload_free != NULL)
    payload_free(payload);
  return rc;
}

int acore_error_new_group(int code, const char *message,
                          acore_error_t *const *children, size_t n,
                          acore_error_t **out) {
  size_t i;
  int rc;

  if (out == NULL || code >= 0 || (children == NULL && n > 0))
    return ACORE_EINVAL;
  for (i = 0; i < n; i++)
    if (children[i] == NULL)
      return ACORE_EINVAL;
  rc = error_alloc(code, message, n, out);
  if (rc != ACORE_OK)
    return rc;
  for (i = 0; i < n; i++)
    (*out)->children[i] = acore_error_ref(children[i]);
  (*out)->nchildren = n;
  return ACORE_OK;
}

acore_error_t *acore__error_make(int code, const char *message) {
  acore_error_t *e;

  if (error_alloc(code, message, 0, &e) != ACORE_OK)
    return &acore__enomem_error;
  return e;
}

acore_error_t *acore_error_ref(acore_error_t *err) {
  if (err != NULL && !err->is_static)
    atomic_fetch_add_explicit(&err->refs, 1, memory_order_relaxed);
  return err;
}

void acore_error_unref(acore_error_t *err) {
  size_t i;

  if (err == NULL || err->is_static)
    return;
  if (atomic_fetch_sub_explicit(&err->refs, 1, memory_order_acq_rel) != 1)
    return;
  for (i = 0; i < err->nchildren; i++)
    acore_error_unref(err->children[i]);
  acore__free(err->children);
  if (err->payload_free != NULL)
    err->payload_free(err->payload);
  acore__free(err);
}

int acore_error_code(const acore_error_t *err) {
  return err ? err->code : ACORE_EINVAL;
}

const char *acore_error_message(const acore_error_t *err) {
  if (err == NULL)
    return "";
  return err->is_static ? acore_strerror(err->code) : err->message;
}

void *acore_error_payload(const acore_error_t *err, acore_free_fn tag) {
  if (err == NULL || err->payload_free != tag)
    return NULL;
  return err->payload;
}

size_t acore_error_child_count(const acore_error_t *err) {
  return err ? err->nchildren : 0;
}

acore_error_t *acore_error_child(const acore_error_t *err, size_t i) {
  if (err == NULL || i >= err->nchildren)
    return NULL;
  return err->children[i];
}
