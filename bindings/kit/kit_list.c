/* SPDX-License-Identifier: MIT */
/*
 * kit_list.c - a list of futures (each held by a reference), and the
 * combinators that take arrays of futures taking such a list instead, so a
 * language passes its own list type through one typemap.
 */
#include "kit.h"

#include "acore/combinators.h"

#include "kit_alloc.h"

struct acore_futlist {
  acore_future_t **items;
  size_t n, cap;
};

int acore_futlist_new(acore_futlist_t **out) {
  acore_futlist_t *l;

  if (out == NULL)
    return ACORE_EINVAL;
  if ((l = kit_calloc(1, sizeof(*l))) == NULL)
    return ACORE_ENOMEM;
  *out = l;
  return ACORE_OK;
}

void acore_futlist_free(acore_futlist_t *list) {
  size_t i;

  if (list == NULL)
    return;
  for (i = 0; i < list->n; i++)
    acore_future_unref(list->items[i]);
  kit_free(list->items);
  kit_free(list);
}

int acore_futlist_append(acore_futlist_t *list, acore_future_t *fut) {
  if (list == NULL || fut == NULL)
    return ACORE_EINVAL;
  if (list->n == list->cap) {
    size_t cap = list->cap ? list->cap * 2 : 8;
    acore_future_t **items = kit_realloc(list->items, cap * sizeof(*items));

    if (items == NULL)
      return ACORE_ENOMEM;
    list->items = items;
    list->cap = cap;
  }
  list->items[list->n++] = acore_future_ref(fut);
  return ACORE_OK;
}

size_t acore_futlist_count(const acore_futlist_t *list) {
  return list != NULL ? list->n : 0;
}

acore_future_t *acore_futlist_get(const acore_futlist_t *list, size_t i) {
  if (list == NULL || i >= list->n)
    return NULL;
  return acore_future_ref(list->items[i]);
}

int acore_kit_gather(acore_loop_t *loop, const acore_futlist_t *list,
                     unsigned flags, acore_future_t **out) {
  if (list == NULL)
    return ACORE_EINVAL;
  return acore_gather(loop, list->items, list->n, flags, out);
}

int acore_kit_wait(acore_loop_t *loop, const acore_futlist_t *list,
                   int return_when, double timeout, acore_future_t **out) {
  if (list == NULL)
    return ACORE_EINVAL;
  return acore_wait(loop, list->items, list->n, return_when, timeout, out);
}

int acore_kit_wait_at_least(acore_loop_t *loop, const acore_futlist_t *list,
                            size_t count, double timeout,
                            acore_future_t **out) {
  if (list == NULL)
    return ACORE_EINVAL;
  return acore_wait_at_least(loop, list->items, list->n, count, timeout, out);
}

int acore_kit_as_completed(acore_loop_t *loop, const acore_futlist_t *list,
                           double timeout, acore_future_t **out) {
  if (list == NULL)
    return ACORE_EINVAL;
  return acore_as_completed(loop, list->items, list->n, timeout, NULL, NULL,
                            NULL, out);
}

/* A list of what `get(wait, i)` gives for i < count. */
static int wait_list(acore_future_t *wait, size_t count,
                     acore_future_t *(*get)(const acore_future_t *, size_t),
                     acore_futlist_t **out) {
  acore_futlist_t *l;
  size_t i;
  int rc;

  if (wait == NULL || out == NULL)
    return ACORE_EINVAL;
  if ((rc = acore_futlist_new(&l)) != ACORE_OK)
    return rc;
  for (i = 0; i < count && rc == ACORE_OK; i++)
    rc = acore_futlist_append(l, get(wait, i));
  if (rc != ACORE_OK) {
    acore_futlist_free(l);
    return rc;
  }
  *out = l;
  return ACORE_OK;
}

int acore_kit_wait_done_list(acore_future_t *wait, acore_futlist_t **out) {
  return wait_list(wait, acore_wait_done_count(wait), acore_wait_done, out);
}

int acore_kit_wait_pending_list(acore_future_t *wait, acore_futlist_t **out) {
  return wait_list(wait, acore_wait_pending_count(wait), acore_wait_pending,
                   out);
}

int acore_kit_loop_tasks(acore_loop_t *loop, acore_futlist_t **out) {
  acore_futlist_t *l = NULL;
  acore_task_t **tasks;
  size_t i, n = 0;
  int rc;

  if (out == NULL || (rc = acore_loop_all_tasks(loop, NULL, 0, &n)) < 0)
    return out == NULL ? ACORE_EINVAL : rc;
  if ((tasks = kit_calloc(n + 1, sizeof(*tasks))) == NULL)
    return ACORE_ENOMEM;
  rc = acore_loop_all_tasks(loop, tasks, n, &n);
  if (rc == ACORE_OK)
    rc = acore_futlist_new(&l);
  for (i = 0; i < n; i++) {
    if (rc == ACORE_OK)
      rc = acore_futlist_append(l, acore_task_future(tasks[i]));
    acore_task_unref(tasks[i]);
  }
  kit_free(tasks);
  if (rc != ACORE_OK) {
    acore_futlist_free(l);
    return rc;
  }
  *out = l;
  return ACORE_OK;
}
