// SPDX-License-Identifier: MIT
package org.acore;

import org.acore.Future.Signal;
import java.util.function.BooleanSupplier;

/** acore's condition over a Lock held by a task: wait() releases the lock,
 *  and its future completes once notified and the lock is held again. */
public final class Condition extends Ref {
  final Loop loop;
  private final Lock lock;

  public Condition(Loop loop, Lock lock) {
    super(COND, Native.acore_cond_new(loop.p(), lock == null ? 0 : lock.p()), loop);
    this.loop = loop;
    this.lock = lock != null ? lock : new Lock(loop, Native.acore_kit_cond_lock(ptr));
  }

  public Condition() { this(Loop.current(), null); }

  public Lock lock() { return lock; }

  public Future<Void> await() { return new Signal(loop, Native.acore_cond_wait(p())); }

  /** Wait until `pred` (called with the lock held) is true. */
  public Future<Void> awaitUntil(BooleanSupplier pred) {
    return new Signal(loop, Native.acore_kit_cond_wait_for(p(), new Fn(Fn.BOOL) {
      @Override long call0() { return pred.getAsBoolean() ? 1 : 0; }
    }));
  }

  public void signal(int n) { Native.acore_cond_notify(p(), n); }

  public void signalAll() { Native.acore_cond_notify_all(p()); }
}
