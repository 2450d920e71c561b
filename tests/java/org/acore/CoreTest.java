// SPDX-License-Identifier: MIT
package org.acore;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Loop, Future, Task (steps and chains), errors, threads, interop. */
class CoreTest {
  @Test void futureCallbacksNeverRunInsideComplete() {
    try (Loop loop = new Loop()) {
      Future<String> f = loop.newFuture();
      List<String> seen = new ArrayList<>();
      f.onDone(x -> seen.add("a:" + x.result()));
      f.onDone(() -> seen.add("b"));
      f.complete("v");
      assertTrue(seen.isEmpty());
      f.onDone(() -> seen.add("c"));
      loop.run();
      assertEquals(List.of("a:v", "b", "c"), seen);
      assertTrue(f.isDone());
      assertNull(f.exception());
    }
  }

  /** A Java future's callbacks: one throwing goes to the error handler and
   *  the next still runs; one added once it is done runs later too. */
  @Test void javaFutureCallbackErrorsAreReported() {
    try (Loop loop = new Loop()) {
      List<Loop.ErrorContext> reports = new ArrayList<>();
      loop.setErrorHandler(reports::add);
      Future<Integer> f = loop.newFuture();
      List<String> seen = new ArrayList<>();
      f.onDone(() -> {
        throw new IllegalStateException("first");
      });
      f.onDone(() -> seen.add("second"));
      f.cancel("stop");
      assertTrue(f.isCancelled());
      loop.run();
      f.onDone(x -> seen.add("late:" + x.isCancelled()));
      assertEquals(List.of("second"), seen);
      loop.run();
      assertEquals(List.of("second", "late:true"), seen);
      assertEquals(1, reports.size());
      assertEquals(Loop.ErrorContext.CALLBACK_ERROR, reports.get(0).kind);
      assertTrue(reports.get(0).error instanceof IllegalStateException);
      assertThrows(AcoreException.class, () -> f.onDone((Runnable) null));
    }
  }

  /** A task awaits Java futures pending and done (C gets them then); their
   *  callbacks registered before run once; cancelling the task cancels
   *  the future it awaits. */
  @Test void tasksAwaitJavaFutures() {
    try (Loop loop = new Loop()) {
      Future<Integer> later = loop.newFuture(), now = loop.newFuture(), never = loop.newFuture();
      int[] calls = {0};
      later.onDone(() -> calls[0]++);
      now.complete(2);
      Task<Integer> t = loop.spawn(Chain.start().thenAwait(v -> later)
          .thenAwait(v -> {
            now.onDone(() -> calls[0]++); // on a done Java future
            return now;
          }).then(v -> v * 10));
      loop.callSoon(() -> later.complete(1));
      assertEquals(20, loop.runUntilComplete(t));
      assertEquals(1, later.result());
      assertEquals(2, calls[0]);
      Task<Object> w = loop.spawn(Chain.start().thenAwait(v -> never));
      loop.runOnce(true);
      w.cancel();
      loop.run();
      assertTrue(w.isCancelled());
      assertTrue(never.isCancelled());
    }
  }

  /** A future a task resumed from leaves C (settle) and stays whole: its
   *  result, its later callbacks, and C gets it again for a combinator
   *  (wait hands back the very object). */
  @Test void aFutureATaskResumedFromStaysWhole() {
    try (Loop loop = new Loop()) {
      Future<String> f = loop.newFuture();
      Task<String> t = loop.spawn(Chain.start().thenAwait(v -> f).then(v -> v + "!"));
      loop.callSoon(() -> f.complete("x"));
      assertEquals("x!", loop.runUntilComplete(t));
      assertEquals("x", f.result());
      List<Object> seen = new ArrayList<>();
      f.onDone(x -> seen.add(x.result()));
      Task<List<String>> g = loop.spawn(Chain.start().thenAwait(v -> Acore.gather(f, f)));
      assertEquals(List.of("x", "x"), loop.runUntilComplete(g));
      Task<Acore.Waited<Future<String>>> w = loop.spawn(Chain.start()
          .thenAwait(v -> Acore.wait(List.of(f), Acore.When.ALL_COMPLETED, Acore.NO_TIMEOUT)));
      Acore.Waited<Future<String>> r = loop.runUntilComplete(w);
      assertSame(f, r.done.get(0));
      assertTrue(r.pending.isEmpty());
      assertEquals(List.of("x"), seen);
      Future<String> c = loop.newFuture();
      Task<Object> waiter = loop.spawn(Chain.start().thenAwait(v -> c));
      loop.runOnce(true);
      c.cancel("gone");
      loop.run();
      assertTrue(waiter.isCancelled());
      assertEquals("gone", assertThrows(CancellationException.class, c::result).getMessage());
    }
  }

  @Test void anyJavaObjectIsAResult() {
    try (Loop loop = new Loop()) {
      Object o = new Object();
      Future<Object> f = loop.newFuture();
      f.complete(o);
      assertSame(o, f.result());
      Future<Integer> n = loop.newFuture();
      n.complete(null);
      assertNull(n.result());
    }
  }

  @Test void completingTwiceIsInvalidState() {
    try (Loop loop = new Loop()) {
      Future<Integer> f = loop.newFuture();
      assertThrows(AcoreException.InvalidState.class, f::result);
      f.complete(1);
      AcoreException e = assertThrows(AcoreException.class, () -> f.complete(2));
      assertEquals("EINVALIDSTATE", e.codeName());
      assertEquals(-3, e.code());
    }
  }

  @Test void failedAndCancelledFutures() {
    try (Loop loop = new Loop()) {
      Future<Integer> f = loop.newFuture();
      IllegalStateException boom = new IllegalStateException("boom");
      f.completeExceptionally(boom);
      AcoreException.Host h = assertThrows(AcoreException.Host.class, f::result);
      assertSame(boom, h.getCause());
      assertSame(boom, f.exception());
      Future<Integer> c = loop.newFuture();
      assertTrue(c.cancel("stop"));
      assertFalse(c.cancel());
      CancellationException ce = assertThrows(CancellationException.class, c::result);
      assertEquals("stop", ce.getMessage());
      Future<Integer> t = loop.newFuture();
      t.completeExceptionally(new AcoreException.Timeout("ETIMEDOUT", "late"));
      assertThrows(AcoreException.Timeout.class, t::result);
    }
  }

  /** A step as a state machine: await, then return. */
  @Test void stepAwaitsThenReturns() {
    try (Loop loop = new Loop()) {
      Future<Integer> in = loop.newFuture();
      int[] steps = {0};
      Task<Integer> t = loop.spawn(new Step<Integer>() {
        int at;

        @Override public Task.Verdict step(Task<Integer> task) {
          steps[0]++;
          if (at++ == 0)
            return task.await(in);
          return task.done(((Integer) task.awaited().result()) * 2);
        }
      });
      assertEquals(0, steps[0]); // never inside spawn
      loop.callLater(0.001, () -> in.complete(21));
      assertEquals(42, loop.runUntilComplete(t));
      assertEquals(2, steps[0]);
    }
  }

  @Test void chainStagesAndErrors() {
    try (Loop loop = new Loop()) {
      Task<Integer> t = loop.spawn(Chain.start()
          .thenAwait(v -> Acore.sleep(0.001))
          .then(v -> 20)
          .thenAwait(n -> {
            Future<Integer> f = loop.newFuture();
            f.complete(n + 1);
            return f;
          })
          .then(n -> n * 2));
      assertEquals(42, loop.runUntilComplete(t));
      Task<Integer> bad = loop.spawn(Chain.start().then(v -> {
        throw new IllegalArgumentException("no");
      }));
      AcoreException.Host e = assertThrows(AcoreException.Host.class, () -> loop.runUntilComplete(bad));
      assertTrue(e.getCause() instanceof IllegalArgumentException);
    }
  }

  @Test void cancelPropagatesUnlessHandled() {
    try (Loop loop = new Loop()) {
      Future<Void> never = loop.newFuture();
      Task<String> t = loop.spawn(Chain.start().thenAwait(v -> never).then(v -> "ran"));
      loop.runOnce(true);
      assertTrue(t.cancel("bye"));
      assertThrows(CancellationException.class, () -> loop.runUntilComplete(t));
      assertTrue(never.isCancelled());
      assertTrue(t.isCancelled());

      Future<Void> never2 = loop.newFuture();
      Task<String> h = loop.spawn(new Step<String>() {
        int at;

        @Override public Task.Verdict step(Task<String> task) {
          if (at++ == 0)
            return task.await(never2);
          if (task.cancelDelivered()) {
            task.handleCancel();
            return task.done("cleaned up");
          }
          return task.done("not cancelled");
        }
      });
      loop.runOnce(true);
      h.cancel();
      assertEquals("cleaned up", loop.runUntilComplete(h));
    }
  }

  @Test void aTaskCancelledBeforeItRunsNeverRuns() {
    try (Loop loop = new Loop()) {
      int[] ran = {0};
      Task<Void> t = loop.spawn(task -> {
        ran[0]++;
        return task.done();
      });
      t.cancel();
      assertThrows(CancellationException.class, () -> loop.runUntilComplete(t));
      assertEquals(0, ran[0]);
    }
  }

  @Test void callbackExceptionGoesToTheErrorHandler() {
    try (Loop loop = new Loop()) {
      List<Loop.ErrorContext> reports = new ArrayList<>();
      loop.setErrorHandler(reports::add);
      loop.callSoon(() -> {
        throw new IllegalStateException("in a callback");
      });
      loop.run();
      assertEquals(1, reports.size());
      assertEquals(Loop.ErrorContext.CALLBACK_ERROR, reports.get(0).kind);
      assertTrue(reports.get(0).error instanceof IllegalStateException);
    }
  }

  @Test void fireAndForgetErrorIsReported() {
    try (Loop loop = new Loop()) {
      List<Loop.ErrorContext> reports = new ArrayList<>();
      loop.setErrorHandler(reports::add);
      loop.spawnDetached(task -> {
        throw new IllegalStateException("nobody looks");
      });
      loop.run();
      assertEquals(1, reports.size());
      assertEquals(Loop.ErrorContext.UNRETRIEVED, reports.get(0).kind);
      assertTrue(reports.get(0).error instanceof IllegalStateException);
    }
  }

  @Test void callSoonHandlesCancelAndKeepOrder() {
    try (Loop loop = new Loop()) {
      List<Integer> seen = new ArrayList<>();
      Future<Integer> f = loop.newFuture();
      loop.callSoon(() -> seen.add(1));
      Handle h = loop.callSoon(() -> seen.add(2));
      f.onDone(() -> seen.add(3));
      f.complete(0); // its callbacks queue behind the calls made before
      loop.callSoon(() -> seen.add(4));
      assertTrue(h.cancel());
      assertFalse(h.cancel());
      assertTrue(h.isCancelled());
      loop.run();
      assertEquals(List.of(1, 3, 4), seen);
      Handle ran = loop.callSoon(() -> {});
      loop.run();
      assertFalse(ran.cancel());
      assertFalse(ran.isCancelled());
      assertThrows(AcoreException.class, () -> loop.callSoon(null));
    }
  }

  @Test void callHandlesCancel() {
    try (Loop loop = new Loop()) {
      int[] n = {0};
      Handle h = loop.callLater(0.001, () -> n[0]++);
      assertTrue(h.cancel());
      loop.callSoon(() -> n[0] += 10);
      loop.run();
      assertEquals(10, n[0]);
    }
  }

  @Test void callSoonThreadsafeFromJavaThreads() throws Exception {
    try (Loop loop = new Loop()) {
      Future<Integer> done = loop.newFuture();
      int[] count = {0};
      loop.hold(); // the other threads' calls are not made yet
      done.onDone(loop::releaseHold);
      Thread[] ts = new Thread[4];
      for (int i = 0; i < ts.length; i++) {
        ts[i] = new Thread(() -> {
          for (int k = 0; k < 250; k++)
            loop.callSoonThreadsafe(() -> {
              if (++count[0] == 1000)
                done.complete(count[0]);
            });
        });
        ts[i].start();
      }
      assertEquals(1000, loop.runUntilComplete(done));
      for (Thread t : ts)
        t.join();
      loop.close();
      assertThrows(AcoreException.Closed.class, () -> loop.callSoonThreadsafe(() -> {}));
    }
  }

  @Test void toCompletableFutureAndWrap() throws Exception {
    try (Loop loop = new Loop()) {
      Future<String> f = loop.newFuture();
      CompletableFuture<String> cf = f.toCompletableFuture();
      loop.callSoon(() -> f.complete("x"));
      loop.run();
      assertEquals("x", cf.get(1, TimeUnit.SECONDS));

      CompletableFuture<Integer> src = new CompletableFuture<>();
      Future<Integer> w = loop.wrap(src);
      Thread[] on = new Thread[1];
      w.onDone(() -> on[0] = Thread.currentThread());
      new Thread(() -> src.complete(7)).start();
      assertEquals(7, loop.runUntilComplete(w));
      loop.run();
      assertSame(Thread.currentThread(), on[0]); // delivered on the loop thread

      CompletableFuture<Integer> failing = new CompletableFuture<>();
      Future<Integer> wf = loop.wrap(failing);
      failing.completeExceptionally(new ArithmeticException("x"));
      assertThrows(AcoreException.Host.class, () -> loop.runUntilComplete(wf));
      assertTrue(wf.exception() instanceof ArithmeticException);
    }
  }

  @Test void runIsAsyncioRun() {
    assertEquals("main", Acore.run(t -> t.done("main")));
    CountDownLatch never = new CountDownLatch(1);
    assertEquals(1L, never.getCount());
  }

  @Test void closedObjectsThrow() {
    Loop loop = new Loop();
    Future<Integer> f = loop.newFuture();
    f.close();
    f.close();
    assertThrows(AcoreException.Closed.class, f::isDone);
    loop.close();
    loop.close();
    assertTrue(loop.isClosed());
    assertThrows(AcoreException.Closed.class, loop::newFuture);
    Loop other = new Loop();
    Future<Integer> g = other.newFuture();
    g.onDone(() -> {});
    other.close();
    assertThrows(AcoreException.Closed.class, () -> g.complete(1));
    assertFalse(g.isDone()); // nothing changed
  }
}
