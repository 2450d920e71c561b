// SPDX-License-Identifier: MIT
package org.acore;

/**
 * A task: a Step run by the loop until it returns a result, fails or ends
 * cancelled; also a Future of that result. It never runs inside spawn()
 * (its first step runs on a later iteration) and the loop holds it until
 * it finishes, so fire and forget is safe.
 *
 * Cancellation (cancel()) is a request delivered into the next step:
 * {@code t.cancelDelivered()} is true there. A step that does not handle
 * it (handleCancel(), uncancel()) ends the task cancelled, whatever it
 * returns - the C core's rule, asyncio's CancelledError.
 */
public final class Task<T> extends Future<T> {
  /** What a step returns: a C verdict. */
  public static final class Verdict {
    final long code;

    Verdict(long code) { this.code = code; }
  }

  static final Verdict DONE = new Verdict(0), AWAIT = new Verdict(1), YIELD = new Verdict(2),
      CANCELLED_V = new Verdict(3);
  static final int OK = 0, ECANCELLED = -4;

  private Future<?> awaited;
  private int status;

  private Task(Loop loop, long task) {
    super(loop, TASK, task, Native.jk_task_future(task));
  }

  static <T> Task<T> spawn(Loop loop, Step<T> step) {
    StepFn<T> fn = new StepFn<>(step);
    Task<T> t = new Task<>(loop, Native.acore_kit_spawn(loop.p(), fn));
    fn.task = t;
    if (loop.debug)
      t.noteSite();
    return t;
  }

  static <T> Task<T> spawnIn(TaskGroup g, Step<T> step) {
    StepFn<T> fn = new StepFn<>(step);
    Task<T> t = new Task<>(g.loop, Native.acore_kit_group_spawn(g.p(), fn));
    fn.task = t;
    if (g.loop.debug)
      t.noteSite();
    return t;
  }

  // ---- creation site (debug mode) -------------------------------------------

  private static final StackWalker WALKER = StackWalker.getInstance();

  /** The classes whose frames a spawn goes through: not the creation site. */
  private static boolean inside(String cls) {
    return cls.equals("org.acore.Task") || cls.equals("org.acore.Loop")
        || cls.equals("org.acore.TaskGroup") || cls.equals("org.acore.Acore");
  }

  /** "File.java:42 in Class.method()" of the first frame outside the
   *  spawn, or null. */
  static String callerSite() {
    return WALKER.walk(s -> s.filter(f -> !inside(f.getClassName())).findFirst()
        .map(f -> {
          String cls = f.getClassName();
          return f.getFileName() + ":" + f.getLineNumber() + " in "
              + cls.substring(cls.lastIndexOf('.') + 1) + "." + f.getMethodName() + "()";
        }).orElse(null));
  }

  /** Give C the creation site (the dumps show it). A stack walk costs
   *  microseconds per spawn: only a debug loop pays it (docs/java.md). */
  private void noteSite() {
    String site = callerSite();
    if (site != null)
      Native.acore_task_set_where(p(), site);
  }

  // ---- verdicts -----------------------------------------------------------

  /** Wait for `f`; the next step runs once it is done (at once if it is). */
  public Verdict await(Future<?> f) {
    awaited = f;
    Native.acore_kit_task_await(p(), f.f());
    return AWAIT;
  }

  /** Finish with `value`. */
  public Verdict done(T value) {
    Native.acore_kit_task_return_value(p(), value);
    return DONE;
  }

  /** Finish with no result (null). */
  public Verdict done() { return DONE; }

  /** Finish failed with `error`. */
  public Verdict fail(Throwable error) { return new Verdict(Native.jk_task_fail(p(), error)); }

  /** Run the next step on a later iteration (asyncio's sleep(0)). */
  public Verdict yieldNow() { return new Verdict(Native.acore_task_yield(p())); }

  /** Finish cancelled (answers a delivered cancel). */
  public Verdict cancelled() { return new Verdict(Native.acore_task_finish_cancelled(p())); }

  // ---- inside a step ------------------------------------------------------

  /** The future the last await() waited for (done when a step resumes). */
  public Future<?> awaited() { return awaited; }

  /** True in a step a cancellation is delivered to. */
  public boolean cancelDelivered() { return status == ECANCELLED; }

  /** "I handle this cancel, keep going": the step's verdict stands. */
  public void handleCancel() { Native.acore_task_cancel_handled(p()); }

  /** Absorb one cancel request (asyncio's uncancel()); the count left. */
  public int uncancel() { return (int) Native.acore_task_uncancel(p()); }

  // ---- from outside -------------------------------------------------------

  /** Request cancellation; false when the task is done. */
  @Override public boolean cancel(String message) {
    return Native.acore_task_cancel(p(), message) == 1;
  }

  public String name() { return Native.jk_task_name(p()); }

  public void setName(String name) { Native.acore_task_set_name(p(), name); }

  /** The C step: the kit calls it with the status alone (lean steps). */
  private static final class StepFn<T> extends Fn {
    final Step<T> step;
    Task<T> task;
    boolean started;

    StepFn(Step<T> step) {
      super(INT);
      this.step = step;
    }

    @Override long callInt(long status) {
      Task<T> t = task;
      t.status = (int) status;
      if (!started) {
        started = true;
        if (status == ECANCELLED) // cancelled before it ran: it never runs
          return Native.acore_task_finish_cancelled(t.ptr);
      }
      Future<?> a = t.awaited;
      if (a != null) {
        if (a.finish != null) {
          Future.Finisher fin = a.finish;
          a.finish = null;
          fin.finish(a);
        }
        a.settle();
      }
      try {
        Verdict v = step.step(t);
        return v == null ? 0 : v.code;
      } catch (java.util.concurrent.CancellationException e) {
        return Native.acore_task_finish_cancelled(t.ptr);
      } catch (Throwable e) {
        return Native.jk_task_fail(t.ptr, e);
      }
    }
  }
}
