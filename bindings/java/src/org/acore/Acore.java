// SPDX-License-Identifier: MIT
package org.acore;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * asyncio's combinators on the running loop (Loop.current()): sleep,
 * gather, wait, waitFor, asCompleted, shield, map; and run(), asyncio.run.
 * Each returns a Future a task awaits. Loop thread only.
 */
public final class Acore {
  /** No timeout (wait, asCompleted). */
  public static final double NO_TIMEOUT = Double.POSITIVE_INFINITY;

  /** What wait() waits for. */
  public enum When { ALL_COMPLETED, FIRST_COMPLETED, FIRST_ERROR }

  private static final int GATHER_SETTLE_ALL = 1, MAP_SETTLE_ALL = 1;

  private Acore() {}

  /** Run `step` as the main task of a new loop; then cancel the tasks left,
   *  close the loop and return the main task's result (or throw). */
  public static <T> T run(Step<T> step) {
    try (Loop loop = new Loop()) {
      Task<T> main = loop.spawn(step);
      try {
        return loop.runUntilComplete(main);
      } finally {
        cancelAll(loop);
      }
    }
  }

  public static <T> T run(Chain<T> chain) { return run(chain.step()); }

  private static void cancelAll(Loop loop) {
    long[] tasks = Native.jk_futlist_take(Native.acore_kit_loop_tasks(loop.p()));
    if (tasks.length == 0)
      return;
    for (long t : tasks)
      Native.acore_future_cancel(t, null);
    Future<?> g = new Future<>(loop, Native.acore_kit_gather(loop.p(), tasks, GATHER_SETTLE_ALL));
    for (long t : tasks)
      Native.jk_release_handle(Ref.FUTURE, t, 0);
    loop.runUntilComplete(g);
  }

  /** Done after `delay` seconds. */
  public static Future<Void> sleep(double delay) {
    Loop l = Loop.current();
    return new Future.Signal(l, Native.acore_sleep(l.p(), delay));
  }

  private static long[] ptrs(List<? extends Future<?>> fs) {
    long[] a = new long[fs.size()];
    for (int i = 0; i < a.length; i++)
      a[i] = fs.get(i).f();
    return a;
  }

  /** The results of `fs` in order, once all are done; the first exception
   *  fails it (the others keep running). Cancelling it cancels them. */
  @SafeVarargs
  public static <T> Future<List<T>> gather(Future<? extends T>... fs) {
    List<Future<? extends T>> list = new ArrayList<>(fs.length);
    for (Future<? extends T> f : fs)
      list.add(f);
    return gather(list, false);
  }

  /** settle: wait for all; a failed one's place holds its exception (a
   *  Throwable) in place of a result. */
  public static <T> Future<List<T>> gather(List<? extends Future<? extends T>> fs, boolean settle) {
    Loop l = Loop.current();
    List<Future<? extends T>> children = new ArrayList<>(fs);
    long g = Native.acore_kit_gather(l.p(), ptrs(children), settle ? GATHER_SETTLE_ALL : 0);
    return new Future<List<T>>(l, g) {
      @SuppressWarnings("unchecked")
      @Override public List<T> result() {
        super.result(); // throws the gather's error or cancellation
        List<T> out = new ArrayList<>(children.size());
        for (Future<? extends T> c : children) {
          if (!settle) {
            out.add(c.result());
            continue;
          }
          try {
            out.add(c.result());
          } catch (RuntimeException e) {
            out.add((T) (e instanceof AcoreException.Host ? e.getCause() : e));
          }
        }
        return out;
      }
    };
  }

  /** Two lists of the futures given: done and pending. */
  public static final class Waited<F> {
    public final List<F> done, pending;

    Waited(List<F> done, List<F> pending) {
      this.done = Collections.unmodifiableList(done);
      this.pending = Collections.unmodifiableList(pending);
    }
  }

  /** Wait until `when` (or `timeout` seconds); never cancels anything. */
  public static <F extends Future<?>> Future<Waited<F>> wait(List<F> fs, When when, double timeout) {
    Loop l = Loop.current();
    List<F> given = new ArrayList<>(fs);
    long[] ps = ptrs(given);
    Map<Long, F> by = new HashMap<>(); // the C futures given (a settled one's may change)
    for (int i = 0; i < ps.length; i++)
      by.put(ps[i], given.get(i));
    long w = Native.acore_kit_wait(l.p(), ps, when.ordinal(), timeout);
    return new Future<Waited<F>>(l, w) {
      @Override public Waited<F> result() {
        super.result();
        return new Waited<>(pick(by, Native.acore_kit_wait_done_list(fptr)),
            pick(by, Native.acore_kit_wait_pending_list(fptr)));
      }
    };
  }

  private static <F> List<F> pick(Map<Long, F> by, long list) {
    List<F> out = new ArrayList<>();
    for (long p : Native.jk_futlist_take(list)) {
      out.add(by.get(p));
      Native.jk_release_handle(Ref.FUTURE, p, 0);
    }
    return out;
  }

  /** `f`'s result, or AcoreException.Timeout after `timeout` seconds (`f`
   *  is then cancelled and waited for). */
  public static <T> Future<T> waitFor(Future<T> f, double timeout) {
    return new Future<>(f.loop, Native.acore_wait_for(f.f(), timeout));
  }

  /** `f`'s outcome; cancelling the shield leaves `f` running. */
  public static <T> Future<T> shield(Future<T> f) {
    return new Future<>(f.loop, Native.acore_shield(f.f()));
  }

  /** The futures in the order they complete. */
  public static final class AsCompleted<F extends Future<?>> {
    private final Loop loop;
    private final Future<?> ac;
    private final Map<Long, F> by = new HashMap<>();
    private int left;

    AsCompleted(Loop loop, List<F> fs, double timeout) {
      this.loop = loop;
      for (F f : fs)
        by.put(f.f(), f);
      left = fs.size();
      ac = new Future<>(loop, Native.acore_kit_as_completed(loop.p(), ptrs(fs), timeout));
    }

    public boolean hasNext() { return left > 0; }

    /** A future whose result is the next future given to complete (or
     *  AcoreException.Timeout once the timeout passed). */
    public Future<F> next() {
      left--;
      long n = Native.acore_as_completed_next(ac.f());
      return new Future<F>(loop, n) {
        @Override public F result() {
          if (Native.acore_future_state(f()) != RESULT)
            super.result(); // throws
          long p = Native.acore_kit_next_future(fptr);
          Native.jk_release_handle(Ref.FUTURE, p, 0);
          return by.get(p);
        }
      };
    }
  }

  public static <F extends Future<?>> AsCompleted<F> asCompleted(List<F> fs, double timeout) {
    return new AsCompleted<>(Loop.current(), fs, timeout);
  }

  /** job(0) .. job(n - 1), at most `k` in flight; their results in order
   *  (the first exception fails it; settle: kept in place). */
  public static <T> Future<List<T>> map(IntFunction<? extends Future<? extends T>> job, int n, int k,
      boolean settle) {
    Loop l = Loop.current();
    long m = Native.acore_kit_map(l.p(), n, k, new Fn(Fn.FUTURE) {
      @Override long callInt(long i) {
        Future<? extends T> f = job.apply((int) i);
        return Native.jk_future_ref(f.f());
      }
    }, settle ? MAP_SETTLE_ALL : 0);
    return new Future<List<T>>(l, m) {
      @SuppressWarnings("unchecked")
      @Override public List<T> result() {
        super.result();
        List<T> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          try (Future<T> f = new Future<>(loop, Native.acore_kit_map_job(fptr, i))) {
            try {
              out.add(f.result());
            } catch (RuntimeException e) {
              if (!settle)
                throw e;
              out.add((T) (e instanceof AcoreException.Host ? e.getCause() : e));
            }
          }
        }
        return out;
      }
    };
  }
}
