// SPDX-License-Identifier: MIT
package org.acore;

/**
 * acore's own pool of worker threads for blocking Java work
 * (Loop.runInExecutor). Its threads are attached to the JVM when they start
 * and detached when they leave; close() shuts it down and waits for them.
 * Any thread.
 */
public final class Executor extends Ref {
  public static final int QUEUED = 1, RUNNING = 2, IDLE = 3, WORKERS = 4, COMPLETED = 5,
      CANCELLED = 6, MAX_WORKERS = 7;
  private static final int WAIT = 1, CANCEL_PENDING = 2;

  /** At most `workers` threads (0: acore's default, min(32, CPUs + 4)). */
  public Executor(int workers) { super(EXECUTOR, Native.jk_executor_new(workers), null); }

  /** Stop taking work; `wait`: return once every job finished and every
   *  worker left; `cancelPending`: jobs not started never run. */
  public void shutdown(boolean wait, boolean cancelPending) {
    Native.acore_executor_shutdown(p(), (wait ? WAIT : 0) | (cancelPending ? CANCEL_PENDING : 0));
  }

  public void setMaxWorkers(int n) { Native.acore_executor_set_max_workers(p(), n); }

  /** One statistic (QUEUED, RUNNING, IDLE, WORKERS, ...). */
  public long stat(int which) { return Native.acore_executor_stat(p(), which); }

  /** shutdown(wait) then drop the reference. */
  @Override public void close() {
    if (closed)
      return;
    shutdown(true, false);
    super.close();
  }
}
