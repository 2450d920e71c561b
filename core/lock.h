/* SPDX-License-Identifier: MIT */
/*
 * lock.h - the lock's waiters and what the lock shares with the condition
 * (lock.c, cond.c). Internal.
 *
 * Design notes
 * - A lock waiter is a wait-queue waiter (waitq.h) that also names the
 *   task that will own the lock and holds a watch on that task's future.
 *   The lock supplies their kind (acore__lwaiter_kind): the wait queue
 *   itself knows nothing of owners or watches.
 * - Every waiter in a lock's queue is an acore__lwaiter: the lock's
 *   acquires, and the condition's waiters re-acquiring (whose own ops also
 *   drop the watch).
 */
#ifndef ACORE_LOCK_H
#define ACORE_LOCK_H

#include "waitq.h"

typedef struct acore__lwaiter acore__lwaiter;

struct acore__lwaiter {
  acore__waiter w;      /* first */
  acore_task_t *owner;  /* the task that will own the lock (borrowed) */
  acore__cbrec *watch;  /* a watch on the owner's future, or NULL */
  /* Called instead of completing with 1 when the lock is granted (the
   * condition's re-acquire), or NULL. */
  void (*on_grant)(acore__lwaiter *lw);
};

/* The lock's waiters: plain waiters that drop their watch when destroyed. */
extern const acore__waiter_kind acore__lwaiter_kind;

/* ACORE_OK when the current task (or none) holds the lock, else
 * ACORE_ENOTOWNER (also when it is unlocked). */
int acore__lock_check_owner(const acore_lock_t *lock);
/* Release the held lock, moving its owner watch into *watch_slot (NULL:
 * drop the watch); the first waiter gets the lock. */
void acore__lock_release_to(acore_lock_t *lock, acore__cbrec **watch_slot);
/* Queue `lw` for the lock on behalf of lw->owner (granted at once when it
 * is free and nobody waits). */
void acore__lock_enqueue(acore_lock_t *lock, acore__lwaiter *lw);
/* Drop a watch record kept in *slot, if any. */
void acore__watch_drop(acore_loop_t *loop, acore__cbrec **slot);
acore_loop_t *acore__lock_loop(const acore_lock_t *lock);

#endif /* ACORE_LOCK_H */
