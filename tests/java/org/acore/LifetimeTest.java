// SPDX-License-Identifier: MIT
package org.acore;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every Java object acore holds is released: at close, through a Cleaner. */
class LifetimeTest {
  static final int CYCLES = Integer.getInteger("acore.cycles", 10_000);

  /** One loop's worth of everything that makes a global reference; the
   *  objects it makes are closed with it (what the loop holds is released
   *  by its close). */
  static void cycle() {
    try (Loop loop = new Loop(); Future<Object> f = loop.newFuture();
         Future<Void> never = loop.newFuture();
         Queue<Object> q = new Queue<>(loop, 0, false);
         Task<Object> pending = loop.spawn(Chain.start().thenAwait(v -> never));
         Task<String> done = loop.spawn(t -> t.done("value"))) {
      loop.setErrorHandler(ctx -> {});
      f.onDone(() -> {});
      f.complete(new Object());
      loop.callSoon(() -> {}).close();
      loop.callLater(10, () -> {}).close(); // never runs: dropped at close
      never.onDone(() -> {}); // never runs either
      q.putNowait(new int[1]);
      loop.runOnce(true);
      loop.runOnce(true);
    }
  }

  @Test void globalReferencesDoNotGrowAcrossLoopCycles() {
    for (int i = 0; i < 100; i++)
      cycle();
    long base = Native.jk_live_refs();
    for (int i = 0; i < CYCLES; i++)
      cycle();
    assertEquals(base, Native.jk_live_refs());
  }

  @Test void closeReleasesWhatTheLoopHolds() {
    long base = Native.jk_live_refs();
    Loop loop = new Loop();
    Future<Object> f = loop.newFuture();
    f.complete("a Java future's value stays in Java");
    assertEquals(base, Native.jk_live_refs());
    Task<String> t = loop.spawn(task -> task.done("held by C"));
    loop.runOnce(true); // the step ran: its value is left
    loop.callLater(10, () -> {});
    assertEquals(base + 2, Native.jk_live_refs());
    t.close();
    loop.close();
    assertEquals(base, Native.jk_live_refs());
  }

  /** Collect and let the Cleaner run until the count stops falling. */
  static long settled(Loop loop) throws InterruptedException {
    long prev = -1, now = Native.jk_live_refs();
    for (int i = 0; i < 100 && now != prev; i++) {
      System.gc();
      Thread.sleep(20);
      if (loop != null)
        loop.runOnce(true); // the unrefs the Cleaner posted run here
      prev = now;
      now = Native.jk_live_refs();
    }
    return now;
  }

  @Test void theCleanerDropsUnreachableHandles() throws Exception {
    try (Loop loop = new Loop()) {
      long base = settled(loop);
      for (int i = 0; i < 1000; i++)
        loop.spawn(t -> t.done(new Object())); // value held by the task only
      loop.runOnce(true); // every task's one step
      assertTrue(Native.jk_live_refs() >= base + 900); // (the GC may have begun)
      assertTrue(settled(loop) <= base);
    }
  }

  /** Objects made on the loop's thread while it runs are the loop's to
   *  release: once unreachable, at the start of a later run. */
  @Test void theLoopDropsWhatItsRunsMade() throws Exception {
    try (Loop loop = new Loop()) {
      loop.callSoon(() -> {}); // the loop's dispatcher: one reference till close
      long base = settled(loop);
      loop.callSoon(() -> {
        for (int i = 0; i < 1000; i++)
          loop.spawn(t -> t.done(new Object())); // value held by the task only
      });
      loop.run();
      assertTrue(Native.jk_live_refs() >= base + 900); // (the GC may have begun)
      assertTrue(settled(loop) <= base);
    }
  }

  /** What a closed loop's runs made and is still alive is released by the
   *  sweeper once unreachable. */
  @Test void aClosedLoopsObjectsAreSweptOnceUnreachable() throws Exception {
    long base = settled(null);
    List<Task<Object>> keep = new ArrayList<>();
    Loop loop = new Loop();
    loop.callSoon(() -> {
      for (int i = 0; i < 1000; i++)
        keep.add(loop.spawn(t -> t.done(new Object())));
    });
    loop.run();
    loop.close();
    assertEquals(base + 1000, Native.jk_live_refs());
    keep.clear();
    for (int i = 0; i < 250 && Native.jk_live_refs() > base; i++) {
      System.gc();
      Thread.sleep(20);
    }
    assertTrue(Native.jk_live_refs() <= base);
  }
}
