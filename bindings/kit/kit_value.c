/* SPDX-License-Identifier: MIT */
/*
 * kit_value.c - host values as results, queue items and error payloads,
 * tagged with acore_kit_value_free so only this module reads them back;
 * and the new-reference versions of acore's borrowed accessors.
 *
 * Every call that takes a value owns it, also when it fails (acore's
 * setters leave it to the caller on failure: the kit frees it then), so a
 * typemap hands the value over once and never looks back.
 */
#include "kit.h"

#include "acore/combinators.h"
#include "acore/sync.h"

#include <string.h>

static int drop_on_error(int rc, acore_kit_obj *value) {
  if (rc < 0)
    acore_kit_value_free(value);
  return rc;
}

int acore_kit_future_set_value(acore_future_t *fut, acore_kit_obj *value) {
  if (value == NULL)
    return acore_future_set_result(fut, NULL, NULL);
  return drop_on_error(
      acore_future_set_result(fut, value, acore_kit_value_free), value);
}

int acore_kit_task_return_value(acore_task_t *task, acore_kit_obj *value) {
  int rc;

  if (value == NULL)
    return acore_task_return(task, NULL, NULL);
  rc = acore_task_return(task, value, acore_kit_value_free);
  if (rc != ACORE_TASK_DONE)
    acore_kit_value_free(value);
  return rc;
}

int acore_kit_queue_put(acore_queue_t *q, acore_kit_obj *value,
                        acore_future_t **out) {
  return drop_on_error(
      acore_queue_put(q, value, acore_kit_value_free, out), value);
}

int acore_kit_queue_put_nowait(acore_queue_t *q, acore_kit_obj *value) {
  return drop_on_error(
      acore_queue_put_nowait(q, value, acore_kit_value_free), value);
}

int acore_kit_future_value(acore_future_t *fut, acore_kit_obj **value) {
  void *p = NULL;
  int rc;

  if (value == NULL)
    return ACORE_EINVAL;
  *value = NULL;
  rc = acore_future_result_tagged(fut, acore_kit_value_free, &p);
  if (rc == ACORE_OK)
    *value = p;
  return rc;
}

int acore_kit_queue_get_nowait(acore_queue_t *q, acore_kit_obj **taken) {
  acore_free_fn item_free = NULL;
  void *item = NULL;
  int rc;

  if (taken == NULL)
    return ACORE_EINVAL;
  *taken = NULL;
  rc = acore_queue_get_nowait(q, &item, &item_free);
  if (rc != ACORE_OK)
    return rc;
  if (item_free != acore_kit_value_free) { /* not ours: drop it */
    if (item_free != NULL)
      item_free(item);
    return ACORE_ETYPE;
  }
  *taken = item;
  return ACORE_OK;
}

int acore_kit_error_new_value(int code, const char *message,
                              acore_kit_obj *value, acore_error_t **out) {
  if (value == NULL)
    return acore_error_new(code, message, out);
  return acore_error_new_payload(code, message, value, acore_kit_value_free,
                                 out);
}

static const char loop_key; /* this module's host data key */

int acore_kit_loop_set_value(acore_loop_t *loop, acore_kit_obj *value) {
  return acore_loop_set_host_data(loop, &loop_key, value,
                                  acore_kit_value_free);
}

int acore_kit_loop_value(acore_loop_t *loop, acore_kit_obj **value) {
  if (loop == NULL || value == NULL)
    return ACORE_EINVAL;
  *value = acore_loop_host_data(loop, &loop_key);
  return *value != NULL ? ACORE_OK : ACORE_EEMPTY;
}

int acore_kit_error_value(acore_error_t *err, acore_kit_obj **value) {
  if (err == NULL || value == NULL)
    return ACORE_EINVAL;
  *value = acore_error_payload(err, acore_kit_value_free);
  return *value != NULL ? ACORE_OK : ACORE_EEMPTY;
}

/* ---- typed values ---- */

int acore_kit_future_get(acore_future_t *fut, acore_kit_arg *got) {
  acore_error_t *err;
  int rc = ACORE_OK, st = fut != NULL ? acore_future_state(fut) : 0;

  if (fut == NULL || got == NULL)
    return ACORE_EINVAL;
  got->kind = ACORE_KIT_NONE;
  if (st != ACORE_FUTURE_RESULT) {
    err = acore_future_error(fut);
    if (st == ACORE_FUTURE_CANCELLED)
      return ACORE_ECANCELLED;
    return err != NULL ? acore_error_code(err) : ACORE_EINVALIDSTATE;
  }
  switch (acore_future_result_kind(fut)) {
  case ACORE_VALUE_INT:
    got->kind = ACORE_KIT_INT;
    return acore_future_result_int(fut, &got->u.i);
  case ACORE_VALUE_DOUBLE:
    got->kind = ACORE_KIT_DOUBLE;
    return acore_future_result_double(fut, &got->u.d);
  case ACORE_VALUE_BYTES:
    got->kind = ACORE_KIT_BYTES;
    return acore_future_result_bytes(fut, &got->u.b.data, &got->u.b.len);
  case ACORE_VALUE_PTR:
    rc = acore_kit_future_value(fut, &got->u.obj);
    got->kind = rc == ACORE_OK ? ACORE_KIT_VALUE : ACORE_KIT_NONE;
  }
  return rc;
}

int acore_kit_future_set(acore_future_t *fut, const acore_kit_arg *v) {
  if (v == NULL)
    return ACORE_EINVAL;
  switch (v->kind) {
  case ACORE_KIT_INT:
  case ACORE_KIT_BOOL: return acore_future_set_int(fut, v->u.i);
  case ACORE_KIT_DOUBLE: return acore_future_set_double(fut, v->u.d);
  case ACORE_KIT_BYTES:
    return acore_future_set_bytes(fut, v->u.b.data, v->u.b.len);
  case ACORE_KIT_STRING:
    return acore_future_set_bytes(fut, v->u.s, strlen(v->u.s));
  case ACORE_KIT_VALUE: return acore_kit_future_set_value(fut, v->u.obj);
  case ACORE_KIT_NONE: return acore_future_set_result(fut, NULL, NULL);
  }
  return ACORE_EINVAL;
}

int acore_kit_task_return(acore_task_t *task, const acore_kit_arg *v) {
  if (v == NULL)
    return ACORE_EINVAL;
  switch (v->kind) {
  case ACORE_KIT_INT:
  case ACORE_KIT_BOOL: return acore_task_return_int(task, v->u.i);
  case ACORE_KIT_DOUBLE: return acore_task_return_double(task, v->u.d);
  case ACORE_KIT_BYTES:
    return acore_task_return_bytes(task, v->u.b.data, v->u.b.len);
  case ACORE_KIT_STRING:
    return acore_task_return_bytes(task, v->u.s, strlen(v->u.s));
  case ACORE_KIT_VALUE: return acore_kit_task_return_value(task, v->u.obj);
  case ACORE_KIT_NONE: return acore_task_return(task, NULL, NULL);
  }
  return ACORE_EINVAL;
}

/* ---- new references ---- */

acore_future_t *acore_kit_task_future(acore_task_t *task) {
  return acore_future_ref(acore_task_future(task));
}

acore_task_t *acore_kit_task_from_future(acore_future_t *fut) {
  return acore_task_ref(acore_task_from_future(fut));
}

acore_loop_t *acore_kit_task_loop(acore_task_t *task) {
  return task != NULL ? acore_loop_ref(acore_task_loop(task)) : NULL;
}

acore_loop_t *acore_kit_future_loop(acore_future_t *fut) {
  return fut != NULL ? acore_loop_ref(acore_future_loop(fut)) : NULL;
}

acore_future_t *acore_kit_task_awaited(acore_task_t *task) {
  return task != NULL ? acore_future_ref(acore_task_awaited(task)) : NULL;
}

acore_task_t *acore_kit_current_task(acore_loop_t *loop) {
  return loop != NULL ? acore_task_ref(acore_loop_current_task(loop)) : NULL;
}

acore_error_t *acore_kit_future_error(acore_future_t *fut) {
  return acore_error_ref(acore_future_error(fut));
}

acore_error_t *acore_kit_error_child(acore_error_t *err, size_t i) {
  return acore_error_ref(acore_error_child(err, i));
}

acore_future_t *acore_kit_gather_child(acore_future_t *gather, size_t i) {
  return acore_future_ref(acore_gather_child(gather, i));
}

acore_future_t *acore_kit_group_future(acore_group_t *group) {
  return acore_future_ref(acore_group_future(group));
}

acore_group_t *acore_kit_group_from_future(acore_future_t *fut) {
  return acore_group_ref(acore_group_from_future(fut));
}

acore_lock_t *acore_kit_cond_lock(acore_cond_t *cond) {
  return acore_lock_ref(acore_cond_lock(cond));
}

acore_task_t *acore_kit_lock_owner(acore_lock_t *lock) {
  return acore_task_ref(acore_lock_owner(lock));
}

acore_future_t *acore_kit_map_job(acore_future_t *map, size_t i) {
  return acore_future_ref(acore_map_job(map, i));
}

acore_future_t *acore_kit_next_future(acore_future_t *next) {
  void *p = NULL;

  if (acore_future_result(next, &p) != ACORE_OK)
    return NULL;
  return acore_future_ref(p);
}

uint64_t acore_kit_future_key(acore_future_t *fut) {
  return (uint64_t)(uintptr_t)fut;
}

int acore_kit_task_await(acore_task_t *task, acore_future_t *fut) {
  return acore_task_await_take(task, acore_future_ref(fut));
}

int acore_kit_task_fail(acore_task_t *task, acore_error_t *err) {
  return acore_task_fail_take(task, acore_error_ref(err));
}
