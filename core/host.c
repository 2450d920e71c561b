/* SPDX-License-Identifier: MIT */
/*
 * host.c - per-loop host data: a binding's interpreter state kept on the
 * loop under a key the binding owns, found again without a global.
 *
 * Design notes
 * - A short singly linked list of slots, one per key (a process rarely has
 *   more than one or two bindings on a loop): lookups walk it.
 * - A slot's `data_free` runs outside the list update, so it may look at
 *   the other slots; a replaced slot is updated in place (no allocation).
 * - The slots are emptied last in acore_loop_close(), after every other
 *   `ud_free` of the close, so those may still read them. From the moment
 *   close starts nothing can be set (acore__loop_check_sched).
 */
#include "alloc.h"
#include "loop_impl.h"

typedef struct acore__hostslot {
  struct acore__hostslot *next;
  const void *key;
  void *data;
  acore_free_fn data_free;
} acore__hostslot;

static acore__hostslot **find(acore_loop_t *loop, const void *key) {
  acore__hostslot **p = &loop->host;

  while (*p != NULL && (*p)->key != key)
    p = &(*p)->next;
  return p;
}

static int add_slot(acore_loop_t *loop, const void *key, void *data,
                    acore_free_fn data_free) {
  acore__hostslot *s = acore__malloc(sizeof(*s));

  if (s == NULL)
    return ACORE_ENOMEM;
  s->key = key;
  s->data = data;
  s->data_free = data_free;
  s->next = loop->host;
  loop->host = s;
  return ACORE_OK;
}

/* Empty the slot at *p (unlink and free it) or give it new data; the old
 * data's destructor runs last. */
static void update_slot(acore__hostslot **p, void *data,
                        acore_free_fn data_free) {
  acore__hostslot *s = *p;
  acore_free_fn old_free = s->data_free;
  void *old = s->data;

  if (data == NULL) {
    *p = s->next;
    acore__free(s);
  } else {
    s->data = data;
    s->data_free = data_free;
  }
  if (old_free != NULL)
    old_free(old);
}

int acore_loop_set_host_data(acore_loop_t *loop, const void *key, void *data,
                             acore_free_fn data_free) {
  int rc = key == NULL ? ACORE_EINVAL : acore__loop_check_sched(loop);
  acore__hostslot **p;

  if (rc != ACORE_OK)
    goto fail;
  p = find(loop, key);
  if (*p != NULL) {
    update_slot(p, data, data_free);
    return ACORE_OK;
  }
  if (data == NULL)
    return ACORE_OK;
  rc = add_slot(loop, key, data, data_free);
  if (rc == ACORE_OK)
    return ACORE_OK;

fail:
  if (data != NULL && data_free != NULL)
    data_free(data);
  return rc;
}

void *acore_loop_host_data(const acore_loop_t *loop, const void *key) {
  acore__hostslot *s;

  if (loop == NULL || key == NULL)
    return NULL;
  for (s = loop->host; s != NULL; s = s->next)
    if (s->key == key)
      return s->data;
  return NULL;
}

void acore__loop_host_drop(acore_loop_t *loop) {
  while (loop->host != NULL) {
    acore__hostslot *s = loop->host;

    loop->host = s->next;
    if (s->data_free != NULL)
      s->data_free(s->data);
    acore__free(s);
  }
}
