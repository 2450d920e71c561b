// SPDX-License-Identifier: MIT
package org.acore;

import java.util.ArrayList;
import java.util.List;
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
  private final List<Object> stages; // Function: await stage or map stage
  private final List<Boolean> awaits;

  private Chain(List<Object> stages, List<Boolean> awaits) {
    this.stages = stages;
    this.awaits = awaits;
  }

  /** A chain whose first value is null. */
  public static Chain<Void> start() { return new Chain<>(new ArrayList<>(), new ArrayList<>()); }

  /** Await the future `stage` makes of the current value; its result is
   *  the next value. */
  public <R> Chain<R> thenAwait(Function<? super V, ? extends Future<? extends R>> stage) {
    return add(stage, true);
  }

  /** Map the current value (no waiting). */
  public <R> Chain<R> then(Function<? super V, ? extends R> fn) { return add(fn, false); }

  private <R> Chain<R> add(Object stage, boolean await) {
    List<Object> s = new ArrayList<>(stages);
    List<Boolean> a = new ArrayList<>(awaits);
    s.add(stage);
    a.add(await);
    return new Chain<>(s, a);
  }

  /** The step running this chain (a new one per task). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  Step<V> step() {
    Object[] s = stages.toArray();
    boolean[] a = new boolean[s.length];
    for (int i = 0; i < s.length; i++)
      a[i] = awaits.get(i);
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
