// SPDX-License-Identifier: MIT
package org.acore;

import org.acore.Future.Signal;

/** acore's lock, held by a task: {@code return t.await(lock.acquire());},
 *  then {@code lock.release()} from the same task. FIFO, cancel-safe. */
public final class Lock extends Ref {
  final Loop loop;

  public Lock(Loop loop) {
    super(LOCK, Native.acore_lock_new(loop.p()), loop);
    this.loop = loop;
  }

  public Lock() { this(Loop.current()); }

  Lock(Loop loop, long ptr) {
    super(LOCK, ptr, loop);
    this.loop = loop;
  }

  public Future<Void> acquire() {
    Future<Void> f = new Signal(loop, Native.acore_lock_acquire(p()));
    f.finish = x -> Native.acore_lock_acquire_finish(ptr, x.fptr);
    return f;
  }

  public boolean tryAcquire() { return Native.acore_lock_try_acquire(p()) == 0; }

  public void release() { Native.acore_lock_release(p()); }

  public boolean isLocked() { return Native.acore_lock_is_locked(p()) == 1; }
}
