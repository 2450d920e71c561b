// SPDX-License-Identifier: MIT
package org.acore;

import java.util.function.Function;

/**
 * Straight-line task code without writing a Step: stages that each await a
 * future made from the previous value, then map the last one.
 *
 * <pre>
 *   Task&lt;Integer&gt; t = loop.spawn(Chain.start()
 *       .thenAwait(v -&gt; Acore.sleep(0.01))
 *       .thenAwait(v -&gt; fetch(7))          // a Future&lt;Integer&gt;
 *       .then(n -&gt; n * 2));
 * </pre>
 *
 * An exception a stage throws, or that an awaited future holds, fails the
 * task; a cancellation ends it cancelled (it propagates: no stage runs
 * after it).
 */
public final class Chain<V> {
  // A chain is immutable: each stage is a node pointing at the chain it
  // extends (adding is O(1)); the stages as arrays are made once, by the
  // first step() of this very chain.
  private final Chain<?> prev;
  private final Object stage; // a Function: await stage or map stage
  private final boolean await;
  private final int length;
  private Plan plan; // safely published by its final fields

  private static final class Plan {
    final Object[] stages;
    final boolean[] awaits;

    Plan(Object[] stages, boolean[] awaits) {
      this.stages = stages;
      this.awaits = awaits;
    }
  }

  private Chain(Chain<?> prev, Object stage, boolean await) {
    this.prev = prev;
    this.stage = stage;
    this.await = await;
    this.length = prev == null ? 0 : prev.length + 1;
  }

  /** A chain whose first value is null. */
  public static Chain<Void> start() { return new Chain<>(null, null, false); }

  /** Await the future `stage` makes of the current value; its result is
   *  the next value. */
  public <R> Chain<R> thenAwait(Function<? super V, ? extends Future<? extends R>> stage) {
    return new Chain<>(this, stage, true);
  }

  /** Map the current value (no waiting). */
  public <R> Chain<R> then(Function<? super V, ? extends R> fn) { return new Chain<>(this, fn, false); }

  /** The step running this chain (a new one per task). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  Step<V> step() {
    Plan p = plan;
    if (p == null) {
      Object[] st = new Object[length];
      boolean[] aw = new boolean[length];
      for (Chain<?> c = this; c.prev != null; c = c.prev) {
        st[c.length - 1] = c.stage;
        aw[c.length - 1] = c.await;
      }
      plan = p = new Plan(st, aw);
    }
    Object[] s = p.stages;
    boolean[] a = p.awaits;
    return new Step<V>() {
      int next;
      Object value;

      @Override public Task.Verdict step(Task<V> t) {
        if (t.cancelDelivered())
          return t.cancelled();
        if (next > 0 && a[next - 1])
          value = t.awaited().result();
        while (next < s.length) {
          Function f = (Function) s[next];
          if (a[next++])
            return t.await((Future<?>) f.apply(value));
          value = f.apply(value);
        }
        return t.done((V) value);
      }
    };
  }
}
