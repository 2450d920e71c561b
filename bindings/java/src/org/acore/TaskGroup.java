// SPDX-License-Identifier: MIT
package org.acore;

import org.acore.Future.Signal;

/**
 * Structured concurrency: tasks spawned into the group; the first error
 * cancels the others; the group's future (seal()) completes once all are
 * done, failing with an AcoreException.Group of their errors.
 */
public final class TaskGroup extends Ref {
  final Loop loop;

  public TaskGroup(Loop loop) {
    super(GROUP, Native.acore_group_new(loop.p()), loop);
    this.loop = loop;
  }

  public TaskGroup() { this(Loop.current()); }

  public <T> Task<T> spawn(Step<T> step) { return Task.spawnIn(this, step); }

  public <T> Task<T> spawn(Chain<T> chain) { return Task.spawnIn(this, chain.step()); }

  /** No more tasks: the future completes once they are done. */
  public Future<Void> seal() {
    Native.acore_group_seal(p());
    return future();
  }

  /** The group's future (cancel it to cancel every task). */
  public Future<Void> future() { return new Signal(loop, Native.acore_kit_group_future(p())); }

  public int taskCount() { return (int) Native.acore_group_task_count(p()); }
}
