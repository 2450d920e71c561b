// SPDX-License-Identifier: MIT
package org.acore;

import java.lang.ref.Cleaner;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;

/** One reference to an acore handle: dropped by close() or, once the object
 *  is unreachable, by one of two means.
 *
 *  - Made on its loop's thread while the loop runs (a future, a task, an
 *    acquire, a primitive made in a task): the loop keeps it (Tracker) and
 *    drops it on its own thread, in batches, when the GC has found the
 *    object unreachable (a PhantomReference on the loop's queue, polled
 *    when the loop thread makes another object and when a run starts): a
 *    direct unref, no other thread, no post. After the loop is closed, a
 *    daemon thread sweeps what is left (Tracker.sweep).
 *  - Anything else (a loop, an executor, a timer's handle, an object made
 *    outside a run): a Cleaner, through the kit's any-thread release.
 *
 *  close() from any thread drops it now (on the loop thread directly, else
 *  through the any-thread release). */
abstract class Ref implements AutoCloseable {
  static final Cleaner CLEANER = Cleaner.create();
  static final int LOOP = 0, FUTURE = 1, TASK = 2, HANDLE = 3, GROUP = 4, SEM = 5,
      LOCK = 6, EVENT = 7, COND = 8, QUEUE = 9, EXECUTOR = 10;

  long ptr; // 0: no C object yet (a Java future, a Java handle)
  boolean closed;
  private Tracked tracked; // kept by its loop's Tracker, or
  private Release release; // kept by the Cleaner
  private Cleaner.Cleanable cleanable;

  Ref(int kind, long ptr, Loop loop) {
    if (ptr != 0)
      bind(kind, ptr, loop);
  }

  /** Hold the C reference `ptr` from now on (once). */
  final void bind(int kind, long ptr, Loop loop) {
    this.ptr = ptr;
    if (loop != null && Loop.CURRENT.get() == loop && loop.tracker.open()) {
      tracked = loop.tracker.track(this, kind, ptr);
    } else {
      release = new Release(kind, ptr, loop == null ? 0 : loop.ptr);
      cleanable = CLEANER.register(this, release);
    }
  }

  /** The handle, checked open. */
  final long p() {
    if (closed)
      throw new AcoreException.Closed("this object was closed");
    return ptr;
  }

  /** Drop this object's reference now (later calls on it throw
   *  AcoreException.Closed). Closing twice is harmless. Any thread. */
  @Override public void close() {
    closed = true;
    dropNow();
  }

  /** Drop the reference now but keep the object usable (a detached task:
   *  the loop holds it while its steps run). Loop thread. */
  final void disown() { dropNow(); }

  /** Drop the reference now and forget it: the object holds no C
   *  reference until bind() again (a settled future). Loop thread. */
  final void unbind() {
    dropNow();
    ptr = 0;
    tracked = null;
    release = null;
    cleanable = null;
  }

  private void dropNow() {
    if (tracked != null) {
      tracked.owner.dropNow(tracked);
    } else if (release != null) {
      Loop cur = Loop.CURRENT.get();
      if (cur != null && cur.ptr == release.loop)
        release.direct = true;
      cleanable.clean();
    }
    Reference.reachabilityFence(this);
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

  /** A reference a loop keeps: in its Tracker's list until released. */
  static final class Tracked extends PhantomReference<Ref> {
    final Tracker owner;
    final int kind;
    final long ptr;
    volatile boolean released;
    Tracked prev, next; // the owner's list (its loop thread; the sweeper once closed)

    Tracked(Ref r, Tracker owner, int kind, long ptr) {
      super(r, owner == null ? null : owner.queue);
      this.owner = owner;
      this.kind = kind;
      this.ptr = ptr;
    }
  }

  /** A loop's references (Loop.tracker): a list that keeps the
   *  PhantomReferences reachable and the queue the GC puts them on. */
  static final class Tracker {
    final ReferenceQueue<Ref> queue = new ReferenceQueue<>();
    private final Loop loop;
    private final Tracked head = new Tracked(null, null, 0, 0);
    private volatile boolean shut; // the loop closed: the sweeper drains

    Tracker(Loop loop) {
      this.loop = loop;
      head.prev = head.next = head;
    }

    boolean open() { return !shut; }

    /** Loop thread, while it runs. */
    Tracked track(Ref r, int kind, long ptr) {
      drain();
      Tracked t = new Tracked(r, this, kind, ptr);
      t.prev = head;
      t.next = head.next;
      head.next.prev = t;
      head.next = t;
      return t;
    }

    private void unlink(Tracked t) {
      if (t.next == null)
        return;
      t.prev.next = t.next;
      t.next.prev = t.prev;
      t.prev = t.next = null;
    }

    /** Release what the GC found unreachable. Loop thread (the sweeper's
     *  once the loop closed). */
    void drain() {
      Reference<? extends Ref> r;
      while ((r = queue.poll()) != null) {
        Tracked t = (Tracked) r;
        unlink(t);
        if (!t.released) {
          t.released = true;
          Native.jk_release_handle(t.kind, t.ptr, 0);
        }
      }
    }

    /** close() or disown(): any thread. */
    void dropNow(Tracked t) {
      if (t.released)
        return;
      t.released = true;
      if (!shut && Loop.CURRENT.get() == loop) {
        unlink(t);
        Native.jk_release_handle(t.kind, t.ptr, 0);
      } else { // left in the list until the GC finds it: drain() skips it
        Native.jk_release_handle(t.kind, t.ptr, loop.ptr);
      }
    }

    /** The loop closes (its thread): what is left is the sweeper's. */
    void close() {
      drain();
      shut = true;
      if (head.next != head)
        Sweeper.add(this);
    }

    boolean empty() { return head.next == head; }
  }

  /** Drains the trackers of closed loops whose objects are still alive,
   *  every 100 ms, until they are empty: one daemon thread, started on the
   *  first need. (The unrefs of a closed loop's objects run at once.) */
  static final class Sweeper {
    private static final java.util.concurrent.ConcurrentLinkedQueue<Tracker> TRACKERS =
        new java.util.concurrent.ConcurrentLinkedQueue<>();
    private static Thread thread;

    static synchronized void add(Tracker t) {
      TRACKERS.add(t);
      if (thread == null) {
        thread = new Thread(Sweeper::sweep, "acore-sweeper");
        thread.setDaemon(true);
        thread.start();
      }
    }

    private static void sweep() {
      while (true) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
        for (Tracker t : TRACKERS) {
          t.drain();
          if (t.empty())
            TRACKERS.remove(t);
        }
      }
    }

    private Sweeper() {}
  }
}
