// SPDX-License-Identifier: MIT
package org.acore;

import java.util.ArrayList;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * An acore future: pending, then done with a result (any Java object),
 * failed with an exception, or cancelled - exactly once. Done callbacks run
 * on the loop thread on a later iteration, never inside complete() or
 * onDone(). Loop thread only, except close().
 *
 * A future made by Loop.newFuture() or Loop.runInExecutor() lives in Java
 * (its state, value and callbacks are fields, no C object, no global
 * reference, nothing for the GC to release) until C needs it: a task awaits
 * it, a combinator takes it, it fails. Then it gets its C future, which
 * holds the state from there on. Every other future (a task, an acquire, a
 * combinator's) is a C future from the start. Either way the Java done
 * callbacks are kept in a Java list: one C call runs them all.
 */
public class Future<T> extends Ref {
  static final int PENDING = 0, RESULT = 1, ERROR = 2, CANCELLED = 3;

  final Loop loop;
  long fptr; // the C future (a task's is borrowed from its task); 0: none yet
  /** The *_finish call a task makes in the step this future resumes
   *  (a permit, a lock, a queue item given back on cancel). */
  Finisher finish;

  // A Java future (fptr == 0): its state; a RESULT's value, a CANCELLED's
  // message. (ERROR never: failing makes the C future.)
  private int state;
  private Object outcome;
  /** A job's C future while the job's done callback has not run (borrowed
   *  from that callback, which holds it): Loop.submit. */
  long src;
  /** The callbacks not yet handed over: null, one (Runnable or Consumer)
   *  or a Cbs list. */
  private Object cbs;
  /** A C future: the C done callback that runs `cbs`, and whether it is
   *  registered and has not run yet. */
  private Fn doneFn;
  private boolean cPending;

  interface Finisher {
    void finish(Future<?> f);
  }

  private static final class Cbs extends ArrayList<Object> {
    private static final long serialVersionUID = 1L;
  }

  /** A Java future (no C object until C needs it). */
  Future(Loop loop) {
    super(FUTURE, 0, loop);
    this.loop = loop;
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
      if (fptr == 0 || closed || Native.acore_future_state(fptr) != RESULT)
        super.result(); // throws
      return null;
    }
  }

  /** The C future, checked open; made now for a Java future. */
  final long f() {
    if (closed)
      throw new AcoreException.Closed("this future was closed");
    if (fptr == 0)
      materialize();
    return fptr;
  }

  private void open() {
    if (closed)
      throw new AcoreException.Closed("this future was closed");
  }

  /** A Java future gets its C future, with its state: C holds it from now
   *  on (a task, a combinator or C code may complete or cancel it). */
  private void materialize() {
    long p = Native.acore_future_new(loop.p());
    bind(FUTURE, p, loop);
    fptr = p;
    if (state == RESULT)
      Native.acore_kit_future_set_value(p, outcome);
    else if (state == CANCELLED)
      Native.acore_future_cancel(p, (String) outcome);
    else if (src != 0)
      Native.acore_kit_add_done_callback(p, new Fn(Fn.NONE) { // cancel the job with it
        @Override long call0() {
          if (src != 0 && Native.acore_future_is_cancelled(fptr) == 1)
            Native.acore_future_cancel(src, Native.acore_future_cancel_message(fptr));
          return 0;
        }
      });
    outcome = null;
    if (cbs != null)
      registerC();
  }

  public final Loop loop() { return loop; }

  public final boolean isDone() {
    open();
    return fptr == 0 ? state != PENDING : Native.acore_future_is_done(fptr) == 1;
  }

  public final boolean isCancelled() {
    open();
    return fptr == 0 ? state == CANCELLED : Native.acore_future_is_cancelled(fptr) == 1;
  }

  private static AcoreException.InvalidState notDone() {
    return new AcoreException.InvalidState("EINVALIDSTATE", "the future is not done");
  }

  /** The result; throws the future's exception (see AcoreException.Host),
   *  CancellationException, or AcoreException.InvalidState when pending. */
  @SuppressWarnings("unchecked")
  public T result() {
    open();
    if (fptr == 0) {
      if (state == RESULT)
        return (T) outcome;
      if (state == CANCELLED)
        throw new CancellationException((String) outcome);
      throw notDone();
    }
    long p = fptr;
    switch ((int) Native.acore_future_state(p)) {
      case RESULT: return (T) Native.jk_value(p);
      case ERROR: throw Errors.fromError(Native.jk_future_error(p));
      case CANCELLED: throw new CancellationException(Native.acore_future_cancel_message(p));
      default: throw notDone();
    }
  }

  /** The exception a failed future holds, null for a result; throws
   *  CancellationException when cancelled, InvalidState when pending. */
  public final Throwable exception() {
    open();
    if (fptr == 0) {
      if (state == RESULT)
        return null;
      if (state == CANCELLED)
        throw new CancellationException((String) outcome);
      throw notDone();
    }
    long p = fptr;
    switch ((int) Native.acore_future_state(p)) {
      case RESULT: return null;
      case ERROR: {
        RuntimeException e = Errors.fromError(Native.jk_future_error(p));
        return e instanceof AcoreException.Host ? e.getCause() : e;
      }
      case CANCELLED: throw new CancellationException(Native.acore_future_cancel_message(p));
      default: throw notDone();
    }
  }

  private static AcoreException.InvalidState alreadyDone() {
    return new AcoreException.InvalidState("EINVALIDSTATE", "the future is already done");
  }

  /** Complete with `value` (any object, null too). */
  public final void complete(T value) {
    open();
    if (fptr != 0) {
      Native.acore_kit_future_set_value(fptr, value);
      return;
    }
    if (state != PENDING)
      throw alreadyDone();
    if (src == 0)
      schedule(); // first: a closed loop throws with nothing changed
    state = RESULT;
    outcome = value;
  }

  /** Fail with `error`: result() throws it (wrapped in AcoreException.Host
   *  unless it is an AcoreException or a CancellationException). */
  public final void completeExceptionally(Throwable error) {
    open();
    if (fptr == 0 && state != PENDING)
      throw alreadyDone();
    // a failure lives in C: its report when nobody reads it is C's
    Native.jk_future_set_exception(f(), error);
  }

  /** Cancel; false when already done. */
  public boolean cancel() { return cancel(null); }

  public boolean cancel(String message) {
    open();
    if (fptr != 0)
      return Native.acore_future_cancel(fptr, message) == 1;
    if (state != PENDING || (src != 0 && Native.acore_future_cancel(src, message) != 1))
      return false;
    if (src == 0)
      schedule(); // else the job's done callback runs them
    state = CANCELLED;
    outcome = message;
    return true;
  }

  /** cb(this) on the loop thread once done (a later iteration, always). An
   *  exception cb throws goes to the loop's error handler. */
  public final void onDone(Consumer<? super Future<T>> cb) { addCallback(cb); }

  /** cb() on the loop thread once done (no argument: the cheapest). */
  public final void onDone(Runnable cb) { addCallback(cb); }

  private void addCallback(Object cb) {
    open();
    if (cb == null)
      throw AcoreException.of(-1, "EINVAL", "no callback", null);
    if (cbs == null) {
      cbs = cb;
    } else {
      Cbs l;
      if (cbs instanceof Cbs) {
        l = (Cbs) cbs;
      } else {
        l = new Cbs();
        l.add(cbs);
        cbs = l;
      }
      l.add(cb);
    }
    if (fptr != 0) {
      if (!cPending)
        registerC();
    } else if (state != PENDING && src == 0) {
      schedule();
    }
  }

  /** A C future: one C done callback runs the Java callbacks. */
  private void registerC() {
    if (doneFn == null)
      doneFn = new Fn(Fn.NONE) {
        @Override long call0() {
          cPending = false;
          Object c = cbs;
          cbs = null;
          runCallbacks(c);
          return 0;
        }
      };
    Native.acore_kit_add_done_callback(fptr, doneFn);
    cPending = true;
  }

  /** A plain future a task has just resumed from (Task.StepFn): when C
   *  holds a result or a cancellation, take it into Java and drop the C
   *  reference now, so its C memory goes at once and not after a GC (C
   *  gets a new C future if it needs one again). Failures stay in C (their
   *  report when unread is C's); tasks and combinators' futures (their
   *  result() reads C) are left alone. Loop thread. */
  final void settle() {
    if (fptr == 0 || closed || src != 0 || ptr != fptr
        || (getClass() != Future.class && getClass() != Signal.class))
      return;
    int st = (int) Native.acore_future_state(fptr);
    if (st == RESULT)
      outcome = getClass() == Signal.class ? null : Native.jk_value(fptr);
    else if (st == CANCELLED)
      outcome = Native.acore_future_cancel_message(fptr);
    else
      return;
    state = st;
    unbind();
    fptr = 0;
  }

  /** A done Java future: its callbacks to the loop (a later iteration). */
  private void schedule() {
    if (cbs == null)
      return;
    loop.dispatchSoon(this, cbs);
    cbs = null;
  }

  /** Run callbacks (one or a Cbs list); an exception goes to the loop's
   *  error handler and the next one still runs. Loop thread. */
  @SuppressWarnings("unchecked")
  final void runCallbacks(Object c) {
    if (c instanceof Cbs) {
      for (Object cb : (Cbs) c)
        runOne(cb);
    } else if (c != null) {
      runOne(c);
    }
  }

  @SuppressWarnings("unchecked")
  private void runOne(Object cb) {
    try {
      if (cb instanceof Runnable)
        ((Runnable) cb).run();
      else
        ((Consumer<Object>) cb).accept(this);
    } catch (Throwable e) {
      Native.jk_report_error(loop.ptr, e);
    }
  }

  /** The job's done callback (Loop.submit), loop thread: `st` is the C
   *  future's state (-1: the loop closed first), `value` the job's result.
   *  The job's C future `src` is valid during this call only. */
  final void jobDone(int st, Object value) {
    long s = src;
    src = 0;
    if (closed && fptr != 0) // its C future may be gone: nobody to tell
      return;
    if (fptr != 0) { // C holds the state: complete it, its callback runs ours
      if (st < 0 || Native.acore_future_is_done(fptr) == 1)
        return;
      if (st == RESULT)
        Native.acore_kit_future_set_value(fptr, value);
      else if (st == ERROR)
        Native.jk_future_copy_error(fptr, s);
      else
        Native.acore_future_cancel(fptr, Native.acore_future_cancel_message(s));
      return;
    }
    if (st < 0) { // the loop closed: nothing runs any more
      if (state == PENDING) {
        state = CANCELLED;
        outcome = "the loop closed";
      }
      cbs = null;
      return;
    }
    if (state == PENDING) {
      if (st == ERROR) { // the job's own C future holds the error
        long p = Native.jk_future_ref(s);
        bind(FUTURE, p, loop);
        fptr = p;
      } else {
        state = st == RESULT ? RESULT : CANCELLED;
        outcome = st == RESULT ? value : Native.acore_future_cancel_message(s);
      }
    }
    Object c = cbs;
    cbs = null;
    runCallbacks(c);
  }

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
