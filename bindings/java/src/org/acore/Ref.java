// SPDX-License-Identifier: MIT
package org.acore;

import java.lang.ref.Cleaner;

/** One reference to an acore handle: dropped by close() or, once the object
 *  is unreachable, by a Cleaner through the kit's any-thread release (on
 *  the loop thread the unref is direct). */
abstract class Ref implements AutoCloseable {
  static final Cleaner CLEANER = Cleaner.create();
  static final int LOOP = 0, FUTURE = 1, TASK = 2, HANDLE = 3, GROUP = 4, SEM = 5,
      LOCK = 6, EVENT = 7, COND = 8, QUEUE = 9, EXECUTOR = 10;

  long ptr; // 0: no C object yet (a Java future, Future.java)
  boolean closed;
  private Release release;
  private Cleaner.Cleanable cleanable;

  Ref(int kind, long ptr, Loop loop) {
    if (ptr != 0)
      bind(kind, ptr, loop);
  }

  /** Hold the C reference `ptr` from now on (once). */
  final void bind(int kind, long ptr, Loop loop) {
    this.ptr = ptr;
    this.release = new Release(kind, ptr, loop == null ? 0 : loop.ptr);
    this.cleanable = CLEANER.register(this, release);
  }

  /** The handle, checked open. */
  final long p() {
    if (closed)
      throw new AcoreException.Closed("this object was closed");
    return ptr;
  }

  /** Drop this object's reference now (later calls on it throw
   *  AcoreException.Closed). Closing twice is harmless. */
  @Override public void close() {
    closed = true;
    if (release == null)
      return;
    Loop cur = Loop.CURRENT.get();
    if (cur != null && cur.ptr == release.loop)
      release.direct = true;
    cleanable.clean();
  }

  /** Drop the reference now but keep the object usable (a detached task:
   *  the loop holds it while its steps run). Loop thread. */
  final void disown() {
    if (release == null)
      return;
    release.direct = true;
    cleanable.clean();
  }

  private static final class Release implements Runnable {
    final int kind;
    final long ptr, loop;
    volatile boolean direct;

    Release(int kind, long ptr, long loop) {
      this.kind = kind;
      this.ptr = ptr;
      this.loop = loop;
    }

    @Override public void run() { Native.jk_release_handle(kind, ptr, direct ? 0 : loop); }
  }
}
