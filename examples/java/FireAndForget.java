// SPDX-License-Identifier: MIT
// FireAndForget - background work nobody holds: the loop keeps the task to
// its end, and an exception nobody retrieved still reaches the loop's error
// handler (acore's default handler prints it to stderr).
import java.util.ArrayList;
import java.util.List;
import org.acore.*;

public class FireAndForget {
  public static void main(String[] args) {
    List<Loop.ErrorContext> reports = new ArrayList<>();
    try (Loop loop = new Loop()) {
      loop.setErrorHandler(ctx -> {
        System.out.println("reported: " + ctx);
        reports.add(ctx);
      });
      for (int i = 0; i < 3; i++) {
        int k = i;
        loop.spawnDetached(Chain.start().thenAwait(v -> Acore.sleep(0.001 * k)).then(v -> {
          if (k == 1)
            throw new IllegalStateException("background job " + k + " failed");
          System.out.println("background job " + k + " done");
          return null;
        }));
      }
      loop.run();
    }
    if (reports.size() != 1 || !(reports.get(0).error instanceof IllegalStateException))
      throw new AssertionError("expected one report: " + reports);
  }
}
