// SPDX-License-Identifier: MIT
// BlockingWork - blocking Java code (Thread.sleep, hashing) on an acore
// Executor of 2 workers while a heartbeat timer keeps the loop ticking;
// the workers are JVM threads only while they live.
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.acore.*;

public class BlockingWork {
  public static void main(String[] args) throws Exception {
    int[] beats = {0};
    try (Loop loop = new Loop(); Executor ex = new Executor(2)) {
      List<Future<String>> jobs = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        int k = i;
        jobs.add(loop.runInExecutor(ex, () -> {
          Thread.sleep(50); // blocking: fine on a worker
          byte[] h = MessageDigest.getInstance("SHA-256").digest(("job " + k).getBytes());
          return String.format("job %d on %s: %02x%02x...", k, Thread.currentThread().getName(),
              h[0], h[1]);
        }));
      }
      Runnable[] beat = new Runnable[1];
      beat[0] = () -> {
        beats[0]++;
        loop.callLater(0.01, beat[0]);
      };
      loop.callSoon(beat[0]);
      List<String> r = loop.runUntilComplete(loop.spawn(Chain.start().thenAwait(v ->
          Acore.gather(jobs, false))));
      r.forEach(System.out::println);
      System.out.println("heartbeats while the jobs ran: " + beats[0]);
    }
    if (beats[0] < 5)
      throw new AssertionError("the loop stalled");
  }
}
