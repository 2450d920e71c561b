// SPDX-License-Identifier: MIT
package org.acore;

import org.acore.Future.Signal;

/**
 * acore's semaphore: FIFO-fair, cancel-safe. In a step:
 * {@code return t.await(sem.acquire());} - when the step resumes the
 * permit is held (or, cancelled, given back); {@code sem.release()} later.
 */
public final class Semaphore extends Ref {
  final Loop loop;
  private final Future.Finisher finisher = x -> Native.acore_sem_acquire_finish(ptr, x.fptr);

  public Semaphore(Loop loop, long permits, boolean bounded) {
    super(SEM, Native.acore_sem_new(loop.p(), permits, bounded ? 1 : 0), loop);
    this.loop = loop;
  }

  public Semaphore(long permits) { this(Loop.current(), permits, false); }

  /** A future done once the permit is granted (await it in a task). */
  public Future<Void> acquire() {
    Future<Void> f = new Signal(loop, Native.acore_sem_acquire(p(), 1));
    f.finish = finisher;
    return f;
  }

  /** Take a permit now if one is free and nobody waits. */
  public boolean tryAcquire() { return Native.acore_sem_try_acquire(p(), 1) == 0; }

  public void release() { Native.acore_sem_release(p(), 1); }

  public long available() { return Native.acore_sem_available_count(p()); }

  /** Fail every waiter with AcoreException.Closed. */
  public void shut() { Native.acore_sem_close(p()); }
}
