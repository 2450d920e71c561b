// SPDX-License-Identifier: MIT
// GatherVsWait - gather gives one outcome: every result in input order, or
// the very first exception (settle = true keeps each child's outcome).
// wait gives the done and pending sets and never throws nor cancels.
import java.util.List;
import org.acore.*;

public class GatherVsWait {
  static Task<Integer> call(Loop loop, double delay, int value, boolean fail) {
    return loop.spawn(Chain.start().thenAwait(v -> Acore.sleep(delay)).then(v -> {
      if (fail)
        throw new IllegalStateException("call " + value + " failed");
      return value;
    }));
  }

  public static void main(String[] args) {
    try (Loop loop = new Loop()) {
      List<Integer> all = loop.runUntilComplete(loop.spawn(Chain.start().thenAwait(v ->
          Acore.gather(call(loop, 0.02, 1, false), call(loop, 0.01, 2, false)))));
      System.out.println("gather: " + all + " (input order)");

      try {
        loop.runUntilComplete(loop.spawn(Chain.start().thenAwait(v ->
            Acore.gather(call(loop, 0.01, 1, false), call(loop, 0.005, 2, true)))));
      } catch (AcoreException.Host e) {
        System.out.println("gather: the first exception: " + e.getCause().getMessage());
      }

      List<Object> settled = loop.runUntilComplete(loop.spawn(Chain.start().thenAwait(v ->
          Acore.<Object>gather(List.of(call(loop, 0.01, 1, false), call(loop, 0.005, 2, true)), true))));
      System.out.println("gather settle: " + settled);

      Task<Integer> fast = call(loop, 0.005, 1, false), slow = call(loop, 5, 2, false);
      Acore.Waited<Task<Integer>> w = loop.runUntilComplete(loop.spawn(Chain.start().thenAwait(v ->
          Acore.wait(List.of(fast, slow), Acore.When.FIRST_COMPLETED, Acore.NO_TIMEOUT))));
      System.out.println("wait: done " + w.done.size() + " (" + w.done.get(0).result()
          + "), pending " + w.pending.size() + ", slow still running: " + !slow.isDone());
      if (w.done.get(0) != fast || slow.isDone())
        throw new AssertionError("wait");
      slow.cancel();
    }
  }
}
