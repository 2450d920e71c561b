// SPDX-License-Identifier: MIT
package org.acore;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Java jobs on acore's workers, attached and detached by the hooks. */
class ExecutorTest {
  static long attachedWorkers() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("acore-worker")).count();
  }

  @Test void jobsRunOnWorkersAndTheirResultsComeBack() {
    try (Loop loop = new Loop(); Executor ex = new Executor(4)) {
      List<Future<String>> fs = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        int k = i;
        fs.add(loop.runInExecutor(ex, () -> {
          Thread.sleep(1);
          return Thread.currentThread().getName() + ":" + k;
        }));
      }
      Task<List<String>> all = loop.spawn(Chain.start().thenAwait(v -> Acore.gather(fs, false)));
      List<String> r = loop.runUntilComplete(all);
      assertEquals("acore-worker:19", r.get(19));
      assertTrue(ex.stat(Executor.WORKERS) <= 4);
    }
  }

  @Test void aJobsExceptionIsTheCause() {
    try (Loop loop = new Loop()) {
      Future<Integer> f = loop.runInExecutor(null, () -> {
        throw new java.io.IOException("disk");
      });
      AcoreException.Host e = assertThrows(AcoreException.Host.class, () -> loop.runUntilComplete(f));
      assertTrue(e.getCause() instanceof java.io.IOException);
    }
  }

  /** Job futures nothing in C awaits: values and exceptions through
   *  done callbacks, with loop.run() alone. */
  @Test void jobFuturesWithCallbacksOnly() {
    try (Loop loop = new Loop(); Executor ex = new Executor(2)) {
      List<Object> seen = new ArrayList<>();
      Future<Integer> ok = loop.runInExecutor(ex, () -> 7);
      Future<Integer> bad = loop.runInExecutor(ex, () -> {
        throw new java.io.IOException("disk");
      });
      ok.onDone(f -> seen.add(f.result()));
      bad.onDone(f -> seen.add(f.exception()));
      loop.run();
      assertEquals(2, seen.size());
      assertTrue(seen.contains(7));
      assertTrue(ok.isDone() && bad.isDone() && !bad.isCancelled());
      assertTrue(bad.exception() instanceof java.io.IOException);
      AcoreException.Host e = assertThrows(AcoreException.Host.class, bad::result);
      assertTrue(e.getCause() instanceof java.io.IOException);
    }
  }

  /** waitFor's timeout cancels the job's future it was given, and so the
   *  running job's token. */
  @Test void aTimeoutCancelsTheJob() throws Exception {
    try (Loop loop = new Loop(); Executor ex = new Executor(1)) {
      AtomicBoolean sawCancel = new AtomicBoolean();
      CountDownLatch started = new CountDownLatch(1);
      Future<Integer> job = loop.runInExecutor(ex, token -> {
        started.countDown();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!token.isCancelled() && System.nanoTime() < end)
          Thread.sleep(1);
        sawCancel.set(token.isCancelled());
        return 1;
      });
      assertTrue(started.await(30, TimeUnit.SECONDS));
      Task<Integer> t = loop.spawn(Chain.start().thenAwait(v -> Acore.waitFor(job, 0.01)));
      assertThrows(AcoreException.Timeout.class, () -> loop.runUntilComplete(t));
      ex.shutdown(true, false);
      assertTrue(sawCancel.get());
      assertTrue(job.isCancelled());
      loop.run();
    }
  }

  @Test void noAttachedThreadIsLeftAfterShutdown() {
    long before = attachedWorkers();
    for (int round = 0; round < 3; round++) {
      try (Loop loop = new Loop()) {
        Executor ex = new Executor(4);
        List<Future<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 16; i++)
          fs.add(loop.runInExecutor(ex, () -> 1));
        fs.add(loop.runInExecutor(null, () -> 2)); // the loop's own executor
        loop.runUntilComplete(loop.spawn(Chain.start().thenAwait(v -> Acore.gather(fs, false))));
        assertTrue(attachedWorkers() > before);
        ex.close(); // shutdown(wait): every worker left and detached
      } // the loop's own executor too
    }
    assertEquals(before, attachedWorkers());
  }

  @Test void aRunningJobSeesItsFutureCancelled() throws Exception {
    try (Loop loop = new Loop(); Executor ex = new Executor(1)) {
      CountDownLatch started = new CountDownLatch(1);
      AtomicBoolean before = new AtomicBoolean(true), after = new AtomicBoolean();
      AtomicReference<CancelToken> kept = new AtomicReference<>();
      Future<Integer> f = loop.runInExecutor(ex, token -> {
        kept.set(token);
        before.set(token.isCancelled());
        started.countDown();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!token.isCancelled() && System.nanoTime() < end)
          Thread.sleep(1);
        after.set(token.isCancelled());
        return 1;
      });
      assertTrue(started.await(30, TimeUnit.SECONDS));
      assertTrue(f.cancel("enough"));
      ex.shutdown(true, false); // waits for the job to see it and return
      assertFalse(before.get());
      assertTrue(after.get());
      assertThrows(CancellationException.class, f::result);
      // the token outlived its job: no longer valid
      assertThrows(AcoreException.InvalidState.class, () -> kept.get().isCancelled());
      loop.run();
    }
  }

  @Test void aJobThatThrowsOnCancelEndsCancelled() throws Exception {
    try (Loop loop = new Loop(); Executor ex = new Executor(1)) {
      CountDownLatch started = new CountDownLatch(1);
      AtomicBoolean threw = new AtomicBoolean();
      Future<Integer> f = loop.runInExecutor(ex, token -> {
        started.countDown();
        try {
          while (true) {
            token.throwIfCancelled();
            Thread.sleep(1);
          }
        } catch (CancellationException e) {
          threw.set(true);
          throw e;
        }
      });
      assertTrue(started.await(30, TimeUnit.SECONDS));
      f.cancel();
      ex.shutdown(true, false);
      assertTrue(threw.get());
      assertTrue(f.isCancelled());
      loop.run();
    }
  }

  @Test void aJobCancelledBeforeItStartsNeverRuns() throws Exception {
    long refs = Native.jk_live_refs();
    try (Loop loop = new Loop(); Executor ex = new Executor(1)) {
      CountDownLatch release = new CountDownLatch(1);
      AtomicBoolean ran = new AtomicBoolean(), ranToo = new AtomicBoolean();
      Future<Integer> blocker = loop.runInExecutor(ex, () -> {
        release.await();
        return 1;
      });
      Future<Integer> f = loop.runInExecutor(ex, token -> {
        ran.set(true);
        return 2;
      });
      Future<Integer> g = loop.runInExecutor(ex, () -> {
        ranToo.set(true);
        return 3;
      });
      assertTrue(f.cancel());
      assertTrue(g.cancel());
      release.countDown();
      assertEquals(1, loop.runUntilComplete(blocker));
      ex.shutdown(true, false);
      loop.run();
      assertFalse(ran.get());
      assertFalse(ranToo.get());
      assertTrue(f.isCancelled() && g.isCancelled());
      assertEquals(2, ex.stat(Executor.CANCELLED));
      f.close();
      g.close();
      blocker.close();
    }
    // the jobs' callables were released (a Cleaner may release more)
    assertTrue(Native.jk_live_refs() <= refs);
  }
}
