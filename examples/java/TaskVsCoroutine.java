// SPDX-License-Identifier: MIT
// TaskVsCoroutine - a Step (or a Chain) is asyncio's coroutine object: it
// does nothing until the loop runs it as a task. spawn() schedules it for
// a later iteration (asyncio's create_task / ensure_future); the loop keeps
// it running even when nobody holds it.
import java.util.ArrayList;
import java.util.List;
import org.acore.*;

public class TaskVsCoroutine {
  public static void main(String[] args) {
    List<String> log = new ArrayList<>();
    Chain<String> coroutine = Chain.start().then(v -> {
      log.add("step runs");
      return "result";
    });
    log.add("made the chain: nothing ran");
    try (Loop loop = new Loop()) {
      Task<String> task = loop.spawn(coroutine);
      log.add("spawned: still nothing ran (first step on a later iteration)");
      loop.runOnce(true);
      log.add("after one iteration: done=" + task.isDone() + ", result=" + task.result());
      // Awaiting from another task: the task waits, the loop runs others.
      Task<String> outer = loop.spawn(Chain.start()
          .thenAwait(v -> loop.spawn(coroutine))
          .then(r -> "outer got " + r));
      log.add(loop.runUntilComplete(outer));
    }
    log.forEach(System.out::println);
    if (!log.get(2).equals("step runs"))
      throw new AssertionError("the step ran too early: " + log);
  }
}
