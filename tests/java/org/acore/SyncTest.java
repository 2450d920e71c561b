// SPDX-License-Identifier: MIT
package org.acore;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Semaphore, Lock, Event, Condition, Queue. */
class SyncTest {
  @Test void semaphoreBoundsTheTasksInside() {
    try (Loop loop = new Loop()) {
      Semaphore sem = new Semaphore(loop, 2, false);
      int[] inside = {0, 0};
      List<Future<Integer>> tasks = new ArrayList<>();
      for (int i = 0; i < 6; i++)
        tasks.add(loop.spawn(Chain.start().thenAwait(v -> sem.acquire()).then(v -> {
          inside[1] = Math.max(inside[1], ++inside[0]);
          return 0;
        }).thenAwait(v -> Acore.sleep(0.001)).then(v -> {
          inside[0]--;
          sem.release();
          return 1;
        })));
      Task<List<Integer>> all = loop.spawn(Chain.start().thenAwait(v -> Acore.gather(tasks, false)));
      assertEquals(6, loop.runUntilComplete(all).size());
      assertEquals(2, inside[1]);
      assertEquals(2, sem.available());
    }
  }

  @Test void aCancelledWaiterGivesItsPermitBack() {
    try (Loop loop = new Loop()) {
      Semaphore sem = new Semaphore(loop, 1, true);
      assertTrue(sem.tryAcquire());
      assertFalse(sem.tryAcquire());
      Task<Void> waiter = loop.spawn(Chain.start().thenAwait(v -> sem.acquire()).then(v -> null));
      loop.runOnce(true);
      sem.release(); // granted to the waiter...
      waiter.cancel(); // ...which is cancelled before it runs
      assertThrows(java.util.concurrent.CancellationException.class, () -> loop.runUntilComplete(waiter));
      assertEquals(1, sem.available());
      assertThrows(AcoreException.class, sem::release); // bounded: over-release
    }
  }

  @Test void lockIsHeldByOneTask() {
    try (Loop loop = new Loop()) {
      Lock lock = new Lock(loop);
      List<String> log = new ArrayList<>();
      List<Future<Object>> ts = new ArrayList<>();
      for (String n : new String[] {"a", "b"})
        ts.add(loop.spawn(Chain.start().thenAwait(v -> lock.acquire()).then(v -> log.add(n + "+"))
            .thenAwait(v -> Acore.sleep(0.001)).then(v -> {
              log.add(n + "-");
              lock.release();
              return null;
            })));
      loop.runUntilComplete(loop.spawn(Chain.start().thenAwait(v -> Acore.gather(ts, false))));
      assertEquals(List.of("a+", "a-", "b+", "b-"), log);
      assertFalse(lock.isLocked());
    }
  }

  @Test void eventWakesEveryWaiter() {
    try (Loop loop = new Loop()) {
      Event ev = new Event(loop);
      Future<Void> w1 = ev.await(), w2 = ev.await();
      loop.callSoon(ev::set);
      loop.runUntilComplete(w1);
      assertTrue(w2.isDone());
      assertTrue(ev.isSet());
    }
  }

  @Test void conditionAwaitUntilAPredicate() {
    try (Loop loop = new Loop()) {
      Condition cond = new Condition(loop, null);
      int[] n = {0};
      Task<Integer> waiter = loop.spawn(Chain.start().thenAwait(v -> cond.lock().acquire())
          .thenAwait(v -> cond.awaitUntil(() -> n[0] >= 3)).then(v -> {
            cond.lock().release();
            return n[0];
          }));
      Task<Void> bumper = loop.spawn(new Step<Void>() {
        boolean holding;

        @Override public Task.Verdict step(Task<Void> t) {
          if (!holding) {
            holding = true;
            return t.await(cond.lock().acquire());
          }
          holding = false;
          n[0]++;
          cond.signalAll();
          cond.lock().release();
          return n[0] >= 3 ? t.done() : t.yieldNow();
        }
      });
      assertEquals(3, loop.runUntilComplete(waiter));
      loop.runUntilComplete(bumper);
    }
  }

  @Test void queueCarriesAnyObjectInOrder() {
    try (Loop loop = new Loop()) {
      Queue<Object> q = new Queue<>(loop, 2, false);
      Object o = new Object();
      q.putNowait("a");
      q.putNowait(o);
      assertThrows(AcoreException.Full.class, () -> q.putNowait("c"));
      assertEquals("a", q.getNowait());
      assertSame(o, q.getNowait());
      assertThrows(AcoreException.Empty.class, q::getNowait);
      Task<Object> getter = loop.spawn(Chain.start().thenAwait(v -> q.get()));
      Task<Object> putter = loop.spawn(Chain.start().thenAwait(v -> q.put(List.of(1))).then(v -> "put"));
      assertEquals(List.of(1), loop.runUntilComplete(getter));
      assertEquals("put", loop.runUntilComplete(putter));
    }
  }

  @Test void priorityQueueOrdersByTheComparator() {
    try (Loop loop = new Loop()) {
      Queue<String> q = new Queue<>(loop, 0, Comparator.comparing(String::length));
      for (String s : new String[] {"ccc", "a", "bb"})
        q.putNowait(s);
      assertEquals("a", q.getNowait());
      assertEquals("bb", q.getNowait());
      assertEquals("ccc", q.getNowait());
    }
  }
}
