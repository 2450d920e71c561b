// SPDX-License-Identifier: MIT
package org.acore;

import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * An acore event loop. It belongs to the thread that runs it: every method
 * is for that thread, except callSoonThreadsafe() (any thread) and close()
 * of the objects. close() cancels what is pending and releases every Java
 * object the loop holds (callbacks, steps, values); use try-with-resources.
 */
public final class Loop extends Ref {
  static final ThreadLocal<Loop> CURRENT = new ThreadLocal<>();
  static final int EAGAIN = -9;

  private Executor executor; // the default one, made on first use
  private boolean shut; // close() ran
  /** The references of objects made on this loop's thread while it runs
   *  (Ref): released on this thread once unreachable. */
  final Ref.Tracker tracker = new Ref.Tracker(this);
  private Consumer<ErrorContext> errorHandler;

  final boolean debug; // tasks get their creation site (Task.noteSite)

  public Loop() { this(false); }

  /** A loop in debug mode when {@code debug} (acore's ACORE_LOOP_DEBUG:
   *  calls from another thread are refused, slow steps reported) whose
   *  tasks also record where they were spawned ("GraphTest.java:42 in
   *  GraphTest.taker()"), shown by dump(). Recording costs a stack walk
   *  per spawn: debug loops only. */
  public Loop(boolean debug) {
    super(LOOP, debug ? Native.jk_loop_new(1) : Native.acore_loop_new(0), null);
    this.debug = debug;
  }

  /** True for a loop made in debug mode. */
  public boolean isDebug() { return debug; }

  /** The loop running on this thread (inside run*), else an
   *  AcoreException.InvalidState. */
  public static Loop current() {
    Loop l = CURRENT.get();
    if (l == null)
      throw new AcoreException.InvalidState("EINVALIDSTATE", "no loop runs on this thread");
    return l;
  }

  private interface Body {
    long run();
  }

  private long running(Body b) {
    Loop outer = CURRENT.get();
    CURRENT.set(this);
    if (tracker.open())
      tracker.drain();
    try {
      return b.run();
    } finally {
      CURRENT.set(outer);
    }
  }

  /** Run until there is no more work (or stop()). */
  public void run() { running(() -> Native.acore_loop_run(p())); }

  /** One iteration; `nowait`: do not wait for events. */
  public void runOnce(boolean nowait) { running(() -> Native.acore_loop_run_once(p(), nowait ? 1 : 0)); }

  /** Run until `f` is done, then its result (or its exception). */
  public <T> T runUntilComplete(Future<T> f) {
    running(() -> Native.acore_loop_run_until_complete(p(), f.f()));
    return f.result();
  }

  /** Spawn `step` as a task and run until it is done: its result. */
  public <T> T runUntilComplete(Step<T> step) { return runUntilComplete(spawn(step)); }

  /** Keep run() running while nothing is scheduled (another thread will
   *  call callSoonThreadsafe); each hold() needs one releaseHold(). */
  public void hold() { Native.acore_loop_hold(p()); }

  public void releaseHold() { Native.acore_loop_release(p()); }

  public void stop() { Native.acore_loop_stop(p()); }

  /** The loop's clock, in seconds. */
  public double time() { return Native.acore_loop_time(p()); }

  /** The loop's live await graph (docs/debugging.md): every unfinished
   *  task - Java's, C's, any binding's - with what it awaits and which
   *  tasks await it; JSON when {@code json}, else an indented tree. On the
   *  loop's thread; AcoreException.Closed once the loop is closed. */
  public String dump(boolean json) { return Native.jk_loop_dump(p(), json ? 1 : 0); }

  public boolean isClosed() { return closed || Native.acore_loop_is_closed(ptr) == 1; }

  /** Close the loop (pending tasks are reported and cancelled, every Java
   *  object it holds released) and shut its default executor down,
   *  waiting for its workers. Closing twice is harmless. The loop's memory
   *  goes when this object is collected (other threads may still hold it:
   *  their callSoonThreadsafe then throws AcoreException.Closed). */
  @Override public void close() {
    if (Native.acore_loop_is_closed(ptr) == 1)
      return;
    Native.acore_loop_close(ptr);
    shut = true;
    tracker.close();
    ready.clear(); // their C calls are dropped
    if (executor != null) {
      executor.close();
      executor = null;
    }
  }

  // ---- futures and tasks ----------------------------------------------------

  /** A new pending future of this loop (a Java future: C gets it when a
   *  task awaits it or a combinator takes it). */
  public <T> Future<T> newFuture() {
    if (shut || closed)
      throw new AcoreException.Closed("the loop is closed");
    return new Future<>(this);
  }

  // ---- the done callbacks of Java futures -----------------------------------

  /** What the loop's dispatcher runs, one entry per C call queued
   *  (jk_dispatch_soon), in that order: a Handle (callSoon), or a Java
   *  future done and the callbacks it had then. */
  private final ArrayDeque<Object> ready = new ArrayDeque<>();
  private Fn dispatcher; // the loop's kit value: C calls it (jk_dispatch_cb)

  /** Run the handle `a` (b: null), or the callbacks `b` of the done
   *  future `a`, on a later iteration. */
  void dispatchSoon(Object a, Object b) {
    if (dispatcher == null) {
      Fn d = new Fn(Fn.NONE) {
        @Override long call0() {
          Object x = ready.poll();
          if (x instanceof Handle)
            ((Handle) x).run(Loop.this);
          else if (x != null)
            ((Future<?>) x).runCallbacks(ready.poll());
          return 0;
        }
      };
      Native.jk_loop_set_dispatcher(p(), d);
      dispatcher = d;
    }
    Native.jk_dispatch_soon(p());
    ready.add(a);
    if (b != null)
      ready.add(b);
  }

  /** Start `step` as a task (its first step runs on a later iteration). */
  public <T> Task<T> spawn(Step<T> step) { return Task.spawn(this, step); }

  /** Start the chain as a task. */
  public <T> Task<T> spawn(Chain<T> chain) { return Task.spawn(this, chain.step()); }

  /** Start `step` as a task nobody holds (fire and forget): the loop keeps
   *  it to its end, and an exception it ends with is reported to the error
   *  handler ("never retrieved") as soon as it is done. */
  public void spawnDetached(Step<?> step) { Task.spawn(this, step).disown(); }

  public void spawnDetached(Chain<?> chain) { spawnDetached(chain.step()); }

  // ---- callbacks ------------------------------------------------------------

  /** fn() on a later iteration. */
  public Handle callSoon(Runnable fn) {
    if (fn == null)
      throw AcoreException.of(-1, "EINVAL", "no callback", null);
    Handle h = new Handle(fn);
    dispatchSoon(h, null);
    return h;
  }

  /** fn() after `delay` seconds. */
  public Handle callLater(double delay, Runnable fn) {
    return new Handle(this, Native.acore_kit_call_later(p(), delay, Fn.of(fn)));
  }

  /** fn() on the loop thread, from any thread; calls from one thread keep
   *  their order. Throws AcoreException.Closed once the loop is closed. */
  public void callSoonThreadsafe(Runnable fn) {
    Native.acore_kit_call_soon_threadsafe(ptr, Fn.of(fn));
  }

  /** What the loop reports: an exception a callback threw, a task error
   *  nobody retrieved, a task still pending at close. null: acore's
   *  default handler (one line to stderr). */
  public void setErrorHandler(Consumer<ErrorContext> handler) {
    errorHandler = handler;
    Native.acore_kit_set_error_handler(p(), handler == null ? null : new Fn(Fn.NONE) {
      @Override void report(int kind, String message, String name, long err) {
        handler.accept(new ErrorContext(kind, message, name, err == 0 ? null : Errors.fromError(err)));
      }
    });
  }

  Consumer<ErrorContext> errorHandler() { return errorHandler; }

  // ---- the Java world ---------------------------------------------------------

  /** A future of this loop completed, on the loop thread, as `cf` is. The
   *  loop keeps running until then. */
  public <T> Future<T> wrap(CompletableFuture<T> cf) {
    Future<T> f = newFuture();
    Native.acore_loop_hold(p());
    cf.whenComplete((v, ex) -> {
      try {
        callSoonThreadsafe(() -> {
          Native.acore_loop_release(ptr);
          if (f.isDone())
            return;
          if (ex == null)
            f.complete(v);
          else if (ex instanceof CancellationException)
            f.cancel();
          else
            f.completeExceptionally(ex instanceof CompletionException && ex.getCause() != null ? ex.getCause() : ex);
        });
      } catch (AcoreException.Closed e) {
        // the loop closed first: nobody waits any more
      }
    });
    return f;
  }

  /** job.call() on a worker of `ex` (null: this loop's own executor, made
   *  on first use); the future completes on the loop thread with its value
   *  or fails with its exception (the cause of an AcoreException.Host).
   *  Cancelling the future before the job starts means it never runs. */
  public <T> Future<T> runInExecutor(Executor ex, Callable<T> job) {
    Future<T> f = new Future<>(this);
    return submit(ex, f, new ExecJob(f) {
      @Override Object work(long w) throws Exception {
        value = job.call();
        return null;
      }
    });
  }

  /** job.run(token) on a worker of `ex`, as above; the token says whether
   *  the future was cancelled while the job runs (CancelToken). */
  public <T> Future<T> runInExecutor(Executor ex, Job<T> job) {
    Future<T> f = new Future<>(this);
    return submit(ex, f, new ExecJob(f) {
      @Override Object work(long w) throws Exception {
        CancelToken token = new CancelToken(w);
        try {
          value = job.run(token);
        } finally {
          token.end();
        }
        return null;
      }
    });
  }

  /** A job: work() on a worker stores its value here (an exception fails
   *  the job's C future); callInt(state) on the loop thread completes the
   *  Java future (jk_submit). */
  private abstract static class ExecJob extends Fn {
    final Future<?> future;
    volatile Object value; // written by the worker before C completes the job

    ExecJob(Future<?> future) {
      super(Fn.NONE);
      this.future = future;
    }

    @Override long callInt(long state) {
      future.jobDone((int) state, value);
      return 0;
    }
  }

  private <T> Future<T> submit(Executor ex, Future<T> f, ExecJob job) {
    if (ex == null) {
      if (executor == null)
        executor = new Executor(0);
      ex = executor;
    }
    f.src = Native.jk_submit(p(), ex.p(), job);
    return f;
  }

  /** A report to the error handler. */
  public static final class ErrorContext {
    public static final int UNRETRIEVED = 1, TASK_PENDING = 2, SLOW_CALLBACK = 3,
        CALLBACK_ERROR = 4;
    public final int kind;
    public final String message;
    /** The task's name, or null. */
    public final String taskName;
    /** The exception, or null. */
    public final Throwable error;

    ErrorContext(int kind, String message, String taskName, Throwable error) {
      this.kind = kind;
      this.message = message;
      this.taskName = taskName;
      this.error = error instanceof AcoreException.Host ? error.getCause() : error;
    }

    @Override public String toString() {
      return message + (taskName != null ? " (" + taskName + ")" : "")
          + (error != null ? ": " + error : "");
    }
  }
}
