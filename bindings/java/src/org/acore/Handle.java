// SPDX-License-Identifier: MIT
package org.acore;

/** A scheduled callback (callSoon, callLater): cancel() it before it runs. */
public final class Handle extends Ref {
  /** Released directly from any thread: a handle does not keep its loop
   *  alive (the loop may be gone when the Cleaner runs). */
  Handle(Loop loop, long ptr) { super(HANDLE, ptr, null); }

  /** False when it already ran or was cancelled. */
  public boolean cancel() { return Native.acore_handle_cancel(p()) == 1; }

  public boolean isCancelled() { return Native.acore_handle_is_cancelled(p()) == 1; }
}
