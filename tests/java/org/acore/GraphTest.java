// SPDX-License-Identifier: MIT
package org.acore;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Loop.dump(): the await graph of a known deadlock, as a tree and JSON;
 *  a debug loop's tasks with their creation sites. */
class GraphTest {
  /** Take `first`, yield, take `second` (never released: the test hangs). */
  static Task<Object> taker(Loop loop, String name, Lock first, Lock second) {
    Task<Object> t = loop.spawn(Chain.start().thenAwait(v -> first.acquire())
        .thenAwait(v -> Acore.sleep(0)).thenAwait(v -> second.acquire()).then(v -> null));
    t.setName(name);
    return t;
  }

  static String normalise(String s) {
    return s.replaceAll("0x[0-9a-f]+", "0x?").replaceAll("loop time [0-9.]+ s", "loop time ?");
  }

  @Test void dumpShowsTwoTasksDeadlockedOverTwoLocks() {
    try (Loop loop = new Loop()) {
      loop.setErrorHandler(ctx -> { }); // the tasks still pending at close
      Lock a = new Lock(loop), b = new Lock(loop);
      Task<Object> left = taker(loop, "left", a, b), right = taker(loop, "right", b, a);
      Task<?> main = loop.spawn(Chain.start().thenAwait(v -> Acore.gather(left, right)));
      main.setName("main");
      loop.run(); // returns: nothing left to run, three tasks wait
      assertEquals(String.join("\n",
          "acore loop: 3 tasks, loop time ?",
          "main (#3) waiting",
          "  awaits gather: 0 of 2 done",
          "    left (#1) waiting",
          "      awaits waiter: lock 0x?, 1 of 1 waiting; held by right (#2)",
          "    right (#2) waiting",
          "      awaits waiter: lock 0x?, 1 of 1 waiting; held by left (#1)",
          ""), normalise(loop.dump(false)));
      String json = loop.dump(true);
      assertTrue(json.startsWith("{\"time\": "), json);
      assertTrue(json.contains("{\"id\": 3, \"name\": \"main\", \"state\": \"waiting\", "
          + "\"where\": null, \"created\": null, \"since\": null, \"awaits\": {\"kind\": "
          + "\"gather\", \"detail\": \"0 of 2 done\", \"children\": [{\"task\": 1}, "
          + "{\"task\": 2}]}, \"awaited_by\": []}"), json);
      assertTrue(json.matches("(?s).*\"id\": 1, \"name\": \"left\".*held by right \\(#2\\).*"
          + "\"awaited_by\": \\[3\\].*"), json);
    }
  }

  @Test void debugLoopTasksCarryTheirCreationSite() {
    try (Loop loop = new Loop(true)) {
      assertTrue(loop.isDebug());
      loop.setErrorHandler(ctx -> { }); // the tasks still pending at close
      Lock a = new Lock(loop), b = new Lock(loop);
      Task<Object> left = taker(loop, "left", a, b), right = taker(loop, "right", b, a);
      Task<?> main = loop.spawn(Chain.start().thenAwait(v -> Acore.gather(left, right)));
      main.setName("main");
      loop.run();
      assertEquals(String.join("\n",
          "acore loop: 3 tasks, loop time ?",
          "main (#3) waiting at GraphTest.java:? in GraphTest.debugLoopTasksCarryTheirCreationSite()",
          "  awaits gather: 0 of 2 done",
          "    left (#1) waiting at GraphTest.java:? in GraphTest.taker()",
          "      awaits waiter: lock 0x?, 1 of 1 waiting; held by right (#2)",
          "    right (#2) waiting at GraphTest.java:? in GraphTest.taker()",
          "      awaits waiter: lock 0x?, 1 of 1 waiting; held by left (#1)",
          ""), normalise(loop.dump(false)).replaceAll("GraphTest.java:[0-9]+", "GraphTest.java:?"));
      assertTrue(loop.dump(true).matches(
          "(?s).*\"name\": \"left\", \"state\": \"waiting\", \"where\": "
          + "\"GraphTest.java:[0-9]+ in GraphTest.taker\\(\\)\".*"));
    }
    try (Loop loop = new Loop()) { // not in debug mode: no site, no stack walk
      assertFalse(loop.isDebug());
      loop.spawn(Chain.start().then(v -> null));
      assertTrue(loop.dump(true).contains("\"where\": null"));
      loop.run();
    }
  }

  @Test void dumpOfAnIdleLoopAndAClosedOne() {
    Loop loop = new Loop();
    assertEquals("acore loop: 0 tasks, loop time ?\n", normalise(loop.dump(false)));
    assertTrue(loop.dump(true).matches("(?s)\\{\"time\": [0-9.]+, \"tasks\": \\[\\s*\\]\\}\\s*"));
    loop.close();
    assertThrows(AcoreException.Closed.class, () -> loop.dump(false));
  }
}
