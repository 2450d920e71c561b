// SPDX-License-Identifier: MIT
package org.acore;

import org.acore.Future.Signal;
import java.util.Comparator;

/**
 * acore's queue of any Java objects: FIFO (or LIFO, or by a Comparator),
 * bounded or not. put() and get() give futures a task awaits; a getter
 * cancelled after it was served gives its item back.
 */
public final class Queue<T> extends Ref {
  final Loop loop;

  /** maxsize 0: unbounded; lifo: last in, first out. */
  public Queue(Loop loop, long maxsize, boolean lifo) {
    super(QUEUE, Native.acore_queue_new(loop.p(), maxsize, lifo ? 1 : 0), loop);
    this.loop = loop;
  }

  /** A priority queue: the smallest by `order` first (equal ones in put order). */
  public Queue(Loop loop, long maxsize, Comparator<? super T> order) {
    super(QUEUE, Native.acore_kit_queue_new_priority(loop.p(), maxsize, new Fn(Fn.INT) {
      @SuppressWarnings("unchecked")
      @Override long callValues(Object a, Object b) { return order.compare((T) a, (T) b); }
    }), loop);
    this.loop = loop;
  }

  public Queue() { this(Loop.current(), 0, false); }

  public Future<Void> put(T item) {
    Future<Void> f = new Signal(loop, Native.acore_kit_queue_put(p(), item));
    f.finish = x -> Native.acore_queue_put_finish(ptr, x.fptr);
    return f;
  }

  /** A future whose result is the item. */
  public Future<T> get() {
    Future<T> f = new Future<>(loop, Native.acore_queue_get(p()));
    f.finish = x -> Native.acore_queue_get_finish(ptr, x.fptr);
    return f;
  }

  /** Put now; AcoreException.Full when full. */
  public void putNowait(T item) { Native.acore_kit_queue_put_nowait(p(), item); }

  /** Take now; AcoreException.Empty when empty. */
  @SuppressWarnings("unchecked")
  public T getNowait() { return (T) Native.jk_queue_get_nowait(p()); }

  public long size() { return Native.acore_queue_item_count(p()); }

  public void taskDone() { Native.acore_queue_task_done(p()); }

  public Future<Void> join() { return new Signal(loop, Native.acore_queue_join(p())); }

  public void shutdown(boolean immediate) { Native.acore_queue_shutdown(p(), immediate ? 1 : 0); }
}
