// SPDX-License-Identifier: MIT
package org.acore;

/** A scheduled callback (callSoon, callLater): cancel() it before it runs. */
public final class Handle extends Ref {
  // A callSoon's handle is Java's own (no C handle: the loop's dispatcher
  // runs it, Loop.dispatchSoon): the call, null once it ran or was
  // cancelled.
  private Runnable fn;
  private boolean cancelled;

  /** Released directly from any thread: a handle does not keep its loop
   *  alive (the loop may be gone when the Cleaner runs). */
  Handle(Loop loop, long ptr) { super(HANDLE, ptr, null); }

  /** A Java handle of `fn` (callSoon). */
  Handle(Runnable fn) {
    super(HANDLE, 0, null);
    this.fn = fn;
  }

  /** False when it already ran or was cancelled. */
  public boolean cancel() {
    long h = p();
    if (h != 0)
      return Native.acore_handle_cancel(h) == 1;
    if (fn == null)
      return false;
    fn = null; // dropped now, as C drops a cancelled call's
    cancelled = true;
    return true;
  }

  public boolean isCancelled() {
    long h = p();
    return h != 0 ? Native.acore_handle_is_cancelled(h) == 1 : cancelled;
  }

  /** A Java handle's call, from the loop's dispatcher; an exception goes
   *  to the loop's error handler. */
  void run(Loop loop) {
    Runnable f = fn;
    if (f == null)
      return;
    fn = null;
    try {
      f.run();
    } catch (Throwable e) {
      Native.jk_report_error(loop.ptr, e);
    }
  }
}
