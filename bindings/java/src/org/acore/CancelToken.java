// SPDX-License-Identifier: MIT
package org.acore;

import java.util.concurrent.CancellationException;

/**
 * An executor job's cancellation token (acore_work_is_cancelled): a
 * {@link Job} gets one and polls it. It is raised once the job's future is
 * cancelled (also by the close of its loop); the future is then already
 * done, and what the job still returns is dropped. Valid only on the
 * worker running the job, while it runs: used elsewhere or later, it
 * throws AcoreException.InvalidState.
 */
public final class CancelToken {
  private final Thread worker = Thread.currentThread();
  private long job; // the acore_work_t, 0 once the job returned

  CancelToken(long job) { this.job = job; }

  /** True once the job's future was cancelled (one relaxed atomic load
   *  in C: poll it in loops). */
  public boolean isCancelled() {
    if (job == 0 || Thread.currentThread() != worker)
      throw new AcoreException.InvalidState("EINVALIDSTATE",
          "a CancelToken is valid only on its job's worker, while the job runs");
    return Native.jk_work_is_cancelled(job) == 1;
  }

  /** Throw a CancellationException once cancelled (the job ends there). */
  public void throwIfCancelled() {
    if (isCancelled())
      throw new CancellationException("the job was cancelled");
  }

  void end() { job = 0; }
}
