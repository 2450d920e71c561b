// SPDX-License-Identifier: MIT
package org.acore;

/**
 * A task's step: runs until the task must wait, and returns what it wants
 * next - {@code t.await(future)}, {@code t.done(value)}, {@code t.fail(e)},
 * {@code t.yieldNow()} - as a C step returns its verdict. An exception it
 * throws fails the task (a CancellationException ends it cancelled).
 * Keep the state between steps in the lambda's own object (or a field),
 * and read {@code t.cancelDelivered()} / {@code t.awaited()} on resume.
 */
@FunctionalInterface
public interface Step<T> {
  Task.Verdict step(Task<T> t) throws Exception;
}
