// SPDX-License-Identifier: MIT
package org.acore;

/** An executor job that sees its cancellation: {@code run(token)} runs on
 *  a worker (Loop.runInExecutor) and may poll {@code token.isCancelled()}. */
@FunctionalInterface
public interface Job<T> {
  T run(CancelToken token) throws Exception;
}
