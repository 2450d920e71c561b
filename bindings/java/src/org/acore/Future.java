// SPDX-License-Identifier: MIT
package org.acore;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * An acore future: pending, then done with a result (any Java object),
 * failed with an exception, or cancelled - exactly once. Done callbacks run
 * on the loop thread on a later iteration, never inside complete() or
 * onDone(). Loop thread only, except close().
 */
public class Future<T> extends Ref {
  static final int PENDING = 0, RESULT = 1, ERROR = 2, CANCELLED = 3;

  final Loop loop;
  final long fptr; // the C future (a task's is borrowed from its task)
  /** The *_finish call a task makes in the step this future resumes
   *  (a permit, a lock, a queue item given back on cancel). */
  Finisher finish;

  interface Finisher {
    void finish(Future<?> f);
  }

  Future(Loop loop, long ptr) {
    super(FUTURE, ptr, loop);
    this.loop = loop;
    this.fptr = ptr;
  }

  Future(Loop loop, int kind, long ptr, long fptr) {
    super(kind, ptr, loop);
    this.loop = loop;
    this.fptr = fptr;
  }

  /** A future whose result is nothing (null): an acquire, a put, a sleep,
   *  whatever C completes it with. */
  static final class Signal extends Future<Void> {
    Signal(Loop loop, long ptr) { super(loop, ptr); }

    @Override public Void result() {
      super.result();
      return null;
    }
  }

  /** The C future, checked open. */
  final long f() {
    if (closed)
      throw new AcoreException.Closed("this future was closed");
    return fptr;
  }

  public final Loop loop() { return loop; }

  public final boolean isDone() { return Native.acore_future_is_done(f()) == 1; }

  public final boolean isCancelled() { return Native.acore_future_is_cancelled(f()) == 1; }

  /** The result; throws the future's exception (see AcoreException.Host),
   *  CancellationException, or AcoreException.InvalidState when pending. */
  @SuppressWarnings("unchecked")
  public T result() {
    long p = f();
    switch ((int) Native.acore_future_state(p)) {
      case RESULT: return (T) Native.jk_value(p);
      case ERROR: throw Errors.fromError(Native.jk_future_error(p));
      case CANCELLED: throw new CancellationException(Native.acore_future_cancel_message(p));
      default: throw new AcoreException.InvalidState("EINVALIDSTATE", "the future is not done");
    }
  }

  /** The exception a failed future holds, null for a result; throws
   *  CancellationException when cancelled, InvalidState when pending. */
  public final Throwable exception() {
    long p = f();
    switch ((int) Native.acore_future_state(p)) {
      case RESULT: return null;
      case ERROR: {
        RuntimeException e = Errors.fromError(Native.jk_future_error(p));
        return e instanceof AcoreException.Host ? e.getCause() : e;
      }
      case CANCELLED: throw new CancellationException(Native.acore_future_cancel_message(p));
      default: throw new AcoreException.InvalidState("EINVALIDSTATE", "the future is not done");
    }
  }

  /** Complete with `value` (any object, null too). */
  public final void complete(T value) { Native.acore_kit_future_set_value(f(), value); }

  /** Fail with `error`: result() throws it (wrapped in AcoreException.Host
   *  unless it is an AcoreException or a CancellationException). */
  public final void completeExceptionally(Throwable error) { Native.jk_future_set_exception(f(), error); }

  /** Cancel; false when already done. */
  public boolean cancel() { return cancel(null); }

  public boolean cancel(String message) { return Native.acore_future_cancel(f(), message) == 1; }

  /** cb(this) on the loop thread once done (a later iteration, always). An
   *  exception cb throws goes to the loop's error handler. */
  public final void onDone(Consumer<? super Future<T>> cb) {
    Native.acore_kit_add_done_callback(f(), new Fn(Fn.NONE) {
      @Override long call0() {
        cb.accept(Future.this);
        return 0;
      }
    });
  }

  /** cb() on the loop thread once done (no argument: the cheapest). */
  public final void onDone(Runnable cb) { Native.acore_kit_add_done_callback(f(), Fn.of(cb)); }

  /** A CompletableFuture completed (on the loop thread) as this one is. */
  public final CompletableFuture<T> toCompletableFuture() {
    CompletableFuture<T> cf = new CompletableFuture<>();
    onDone(() -> {
      try {
        cf.complete(result());
      } catch (CancellationException e) {
        cf.cancel(false);
      } catch (AcoreException.Host e) {
        cf.completeExceptionally(e.getCause());
      } catch (Throwable e) {
        cf.completeExceptionally(e);
      }
    });
    return cf;
  }
}
