/* SPDX-License-Identifier: MIT */
/*
 * tsfuture.c - completing a future from any thread: the request (a state
 * and a value) travels to the loop thread through
 * acore_loop_call_soon_threadsafe() and is applied there.
 *
 * Design notes
 * - A request holds a reference to its future until it is applied or
 *   dropped, so the future outlives it.
 * - The value's owner: the request, once queued; the caller, when queueing
 *   fails (a pointer result); copies acore made (bytes, error references,
 *   messages) are freed by acore in every case. call_soon_threadsafe runs
 *   the request's free function on the calling thread when it fails; a
 *   thread-local marker tells that case from a drop at close.
 * - The request is applied only to a pending future that public setters
 *   accept; anything else frees the value (a cancel goes through
 *   acore_future_cancel(), so tasks and composite futures get theirs).
 */
#include "alloc.h"
#include "future.h"
#include "value.h"
#include "acore/executor.h"

#include <string.h>

typedef struct tsreq {
  acore_future_t *fut;
  uint8_t state;       /* ACORE_FUTURE_RESULT / ERROR / CANCELLED */
  uint8_t kind;
  bool caller_owned;   /* a pointer result the caller keeps on failure */
  acore__value v;
} tsreq;

/* The request being queued by this thread right now. */
static _Thread_local tsreq *queueing;

static void req_apply(void *ud) {
  tsreq *r = ud;
  acore_future_t *f = r->fut;

  if (f->state != ACORE_FUTURE_PENDING)
    return; /* freed with the request */
  if (r->state == ACORE_FUTURE_CANCELLED) {
    if (acore_future_cancel(f, r->v.msg) == ACORE_ENOMEM)
      acore_future_cancel(f, NULL); /* the message could not be copied */
    return;
  }
  if (f->flags & (ACORE__F_TASK | ACORE__F_NOSET))
    return;
  acore__future_complete(f, r->state, r->kind, r->v);
  r->state = 0; /* the future owns the value */
}

static void req_free(void *ud) {
  tsreq *r = ud;

  if (!(queueing == r && r->caller_owned))
    acore__value_free(r->state, r->kind, &r->v);
  acore_future_unref(r->fut);
  acore__free(r);
}

/* Queue request `r` (made by the caller) for its future's loop. */
static int req_send(tsreq *r) {
  int rc;

  queueing = r;
  rc = acore_loop_call_soon_threadsafe(r->fut->loop, req_apply, r, req_free);
  queueing = NULL;
  return rc;
}

static tsreq *req_new(acore_future_t *fut, uint8_t state, uint8_t kind) {
  tsreq *r = acore__malloc(sizeof(*r));

  if (r == NULL)
    return NULL;
  r->fut = acore_future_ref(fut);
  r->state = state;
  r->kind = kind;
  r->caller_owned = false;
  memset(&r->v, 0, sizeof(r->v));
  return r;
}

/* A request carrying `v` (acore's own copy unless caller_owned). */
static int send_value(acore_future_t *fut, uint8_t state, uint8_t kind,
                      acore__value v, bool caller_owned) {
  tsreq *r = req_new(fut, state, kind);

  if (r == NULL) {
    if (!caller_owned)
      acore__value_free(state, kind, &v);
    return ACORE_ENOMEM;
  }
  r->v = v;
  r->caller_owned = caller_owned;
  return req_send(r);
}

int acore_future_set_result_threadsafe(acore_future_t *fut, void *value,
                                       acore_free_fn value_free) {
  acore__value v;

  if (fut == NULL)
    return ACORE_EINVAL;
  v = acore__value_ptr(value, value_free);
  return send_value(fut, ACORE_FUTURE_RESULT,
                    acore__ptr_kind(value, value_free),
                    v, true);
}

int acore_future_set_int_threadsafe(acore_future_t *fut, int64_t value) {
  acore__value v;

  if (fut == NULL)
    return ACORE_EINVAL;
  v = acore__value_int(value);
  return send_value(fut, ACORE_FUTURE_RESULT, ACORE_VALUE_INT, v, false);
}

int acore_future_set_double_threadsafe(acore_future_t *fut, double value) {
  acore__value v;

  if (fut == NULL)
    return ACORE_EINVAL;
  v = acore__value_double(value);
  return send_value(fut, ACORE_FUTURE_RESULT, ACORE_VALUE_DOUBLE, v, false);
}

int acore_future_set_bytes_threadsafe(acore_future_t *fut, const void *data,
                                      size_t len) {
  acore__value v;
  int rc;

  if (fut == NULL || (data == NULL && len > 0))
    return ACORE_EINVAL;
  if ((rc = acore__value_bytes(data, len, &v)) != ACORE_OK)
    return rc;
  return send_value(fut, ACORE_FUTURE_RESULT, ACORE_VALUE_BYTES, v, false);
}

int acore_future_set_error_threadsafe(acore_future_t *fut,
                                      acore_error_t *err) {
  acore__value v;

  if (fut == NULL || err == NULL)
    return ACORE_EINVAL;
  v = acore__value_err(acore_error_ref(err));
  return send_value(fut, ACORE_FUTURE_ERROR, ACORE_VALUE_NONE, v, false);
}

int acore_future_set_error_code_threadsafe(acore_future_t *fut, int code,
                                           const char *message) {
  acore_error_t *err;
  int rc;

  if (fut == NULL || code >= 0)
    return ACORE_EINVAL;
  if ((rc = acore_error_new(code, message, &err)) != ACORE_OK)
    return rc;
  rc = acore_future_set_error_threadsafe(fut, err);
  acore_error_unref(err);
  return rc;
}

int acore_future_cancel_threadsafe(acore_future_t *fut, const char *message) {
  acore__value v;

  if (fut == NULL)
    return ACORE_EINVAL;
  memset(&v, 0, sizeof(v));
  if (message != NULL && (v.msg = acore__strdup(message)) == NULL)
    return ACORE_ENOMEM;
  return send_value(fut, ACORE_FUTURE_CANCELLED, ACORE_VALUE_NONE, v, false);
}
