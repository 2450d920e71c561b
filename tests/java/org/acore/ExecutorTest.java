// SPDX-License-Identifier: MIT
package org.acore;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
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
}
