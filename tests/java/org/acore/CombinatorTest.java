// SPDX-License-Identifier: MIT
package org.acore;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/** gather, wait, waitFor, asCompleted, shield, sleep, map, TaskGroup. */
class CombinatorTest {
  static Task<Integer> after(Loop loop, double delay, int value) {
    return loop.spawn(Chain.start().thenAwait(v -> Acore.sleep(delay)).then(v -> value));
  }

  static Task<Integer> failing(Loop loop, double delay) {
    return loop.spawn(Chain.start().thenAwait(v -> Acore.sleep(delay)).then(v -> {
      throw new IllegalStateException("failed");
    }));
  }

  /** Run body() as a task of a new loop: its result. */
  static <T> T inTask(java.util.function.Function<Loop, Future<T>> body) {
    try (Loop loop = new Loop()) {
      Task<T> t = loop.spawn(Chain.start().thenAwait(v -> body.apply(loop)));
      return loop.runUntilComplete(t);
    }
  }

  @Test void gatherKeepsInputOrder() {
    List<Integer> r = inTask(loop -> Acore.gather(after(loop, 0.003, 1), after(loop, 0.001, 2),
        after(loop, 0.002, 3)));
    assertEquals(List.of(1, 2, 3), r);
  }

  @Test void gatherFailsWithTheFirstErrorOrSettles() {
    assertThrows(AcoreException.Host.class,
        () -> inTask(loop -> Acore.gather(after(loop, 0.001, 1), failing(loop, 0.001))));
    List<Object> r = inTask(loop -> Acore.<Object>gather(
        List.of(after(loop, 0.001, 1), failing(loop, 0.001)), true));
    assertEquals(1, r.get(0));
    assertTrue(r.get(1) instanceof IllegalStateException);
  }

  @Test void waitFirstCompletedGivesTheFuturesGiven() {
    try (Loop loop = new Loop()) {
      Task<Integer> fast = after(loop, 0.001, 1), slow = after(loop, 5, 2);
      Task<Acore.Waited<Task<Integer>>> t = loop.spawn(Chain.start()
          .thenAwait(v -> Acore.wait(List.of(slow, fast), Acore.When.FIRST_COMPLETED, Acore.NO_TIMEOUT)));
      Acore.Waited<Task<Integer>> w = loop.runUntilComplete(t);
      assertEquals(List.of(fast), w.done);
      assertEquals(List.of(slow), w.pending);
      assertFalse(slow.isDone()); // wait never cancels
      slow.cancel();
    }
  }

  @Test void waitForTimesOutAndCancelsTheInner() {
    try (Loop loop = new Loop()) {
      Task<Integer> slow = after(loop, 5, 1);
      Task<Integer> t = loop.spawn(Chain.start().thenAwait(v -> Acore.waitFor(slow, 0.01)));
      assertThrows(AcoreException.Timeout.class, () -> loop.runUntilComplete(t));
      assertTrue(slow.isCancelled());
      Task<Integer> ok = loop.spawn(Chain.start().thenAwait(v -> Acore.waitFor(after(loop, 0.001, 5), 5)));
      assertEquals(5, loop.runUntilComplete(ok));
    }
  }

  @Test void asCompletedInCompletionOrder() {
    try (Loop loop = new Loop()) {
      List<Future<Integer>> fs = new ArrayList<>();
      for (int i = 0; i < 3; i++)
        fs.add(loop.newFuture());
      List<Integer> order = new ArrayList<>();
      Task<List<Integer>> t = loop.spawn(new Step<List<Integer>>() {
        Acore.AsCompleted<Future<Integer>> ac;

        @Override public Task.Verdict step(Task<List<Integer>> task) {
          if (ac == null)
            ac = Acore.asCompleted(fs, Acore.NO_TIMEOUT);
          else
            order.add(((Future<?>) task.awaited().result()) == fs.get(2) ? 2
                : ((Future<?>) task.awaited().result()) == fs.get(0) ? 0 : 1);
          if (!ac.hasNext())
            return task.done(order);
          return task.await(ac.next());
        }
      });
      loop.runOnce(true);
      fs.get(2).complete(1);
      fs.get(0).complete(2);
      fs.get(1).complete(3);
      assertEquals(List.of(2, 0, 1), loop.runUntilComplete(t));
    }
  }

  @Test void shieldLeavesTheInnerRunning() {
    try (Loop loop = new Loop()) {
      Task<Integer> inner = after(loop, 0.005, 9);
      Future<Integer> s = Acore.shield(inner);
      s.cancel();
      assertThrows(CancellationException.class, () -> loop.runUntilComplete(s));
      assertEquals(9, loop.runUntilComplete(inner));
    }
  }

  @Test void mapAtMostKInFlight() {
    try (Loop loop = new Loop()) {
      int[] inFlight = {0, 0};
      Task<List<Integer>> t = loop.spawn(Chain.start().thenAwait(v -> Acore.map(i -> {
        inFlight[0]++;
        inFlight[1] = Math.max(inFlight[1], inFlight[0]);
        return loop.spawn(Chain.start().thenAwait(x -> Acore.sleep(0.0005)).then(x -> {
          inFlight[0]--;
          return i * i;
        }));
      }, 20, 3, false)));
      List<Integer> r = loop.runUntilComplete(t);
      assertEquals(20, r.size());
      assertEquals(361, r.get(19));
      assertEquals(3, inFlight[1]);
    }
  }

  @Test void taskGroupFirstErrorCancelsTheRest() {
    try (Loop loop = new Loop()) {
      TaskGroup g = new TaskGroup(loop);
      Task<Integer> slow = g.spawn(Chain.start().thenAwait(v -> Acore.sleep(5)).then(v -> 1));
      g.spawn(Chain.start().thenAwait(v -> Acore.sleep(0.001)).then(v -> {
        throw new IllegalStateException("first");
      }));
      Future<Void> done = g.seal();
      AcoreException.Group e = assertThrows(AcoreException.Group.class, () -> loop.runUntilComplete(done));
      assertTrue(slow.isCancelled());
      assertEquals(1, e.errors().size());
      assertTrue(e.errors().get(0).getCause() instanceof IllegalStateException);
    }
  }
}
