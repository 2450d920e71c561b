// SPDX-License-Identifier: MIT
// Bench - the Java binding beside java.util.concurrent, in one JVM, the two
// systems alternated rep by rep (the order swapped every rep), the ratio
// (acore / j.u.c. time) taken within each rep; prints the median and the
// spread (min..max) of the ratios, ns per operation (wall), the median
// ratio of the process's CPU time (every thread: GC, Cleaner, workers), and
// the load average before and after.
//
//   java -cp acore.jar:bench.jar Bench [--reps 7] [--scale 1.0] [--warmup 2]
//
// W1  future + done callback + complete (batches of 1,000, the callbacks
//     run by the loop) vs CompletableFuture + thenRunAsync on a
//     single-thread executor (the callbacks run by that thread), and vs
//     thenRun (run inline by complete(), which acore never does).
// W3  10,000 jobs with at most 100 in flight: acore tasks under a
//     Semaphore(100), each awaiting a future a callback completes, vs a
//     java.util.concurrent.Semaphore(100) and a ThreadPoolExecutor of 4
//     threads running each job (supplyAsync + thenRun to release).
// W4  100,000 tiny jobs on 4 workers: Loop.runInExecutor on an acore
//     Executor(4) vs CompletableFuture.supplyAsync on a ThreadPoolExecutor
//     of 4 threads; both wait for all.
// Each side keeps its loop, executors and pools for the whole run.
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.acore.*;

public class Bench {
  interface Work {
    void run(int n) throws Exception;
  }

  // ---- W1 ------------------------------------------------------------------

  // One loop, one acore Executor(4) and the j.u.c. executors for the whole
  // run, as a program keeps them (steady state: caches and threads warm).
  static final Loop LOOP = new Loop();
  static final Executor EX4 = new Executor(4);
  static final ExecutorService SINGLE = Executors.newSingleThreadExecutor();
  static final ThreadPoolExecutor POOL4 =
      new ThreadPoolExecutor(4, 4, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>());

  static void w1Acore(int n) {
    Loop loop = LOOP;
    {
      int[] done = {0};
      Runnable cb = () -> done[0]++;
      for (int left = n; left > 0; left -= 1000) {
        int k = Math.min(1000, left);
        for (int i = 0; i < k; i++) {
          Future<Integer> f = loop.newFuture();
          f.onDone(cb);
          f.complete(i);
        }
        loop.run();
      }
      if (done[0] != n)
        throw new AssertionError("w1");
    }
  }

  static void w1Juc(int n, boolean async) throws Exception {
    ExecutorService ex = SINGLE;
    CountDownLatch all = new CountDownLatch(1);
    int[] done = {0};
    Runnable cb = () -> {
      if (++done[0] == n)
        all.countDown();
    };
    for (int left = n; left > 0; left -= 1000) {
      int k = Math.min(1000, left);
      ex.execute(() -> {
        for (int i = 0; i < k; i++) {
          CompletableFuture<Integer> f = new CompletableFuture<>();
          if (async)
            f.thenRunAsync(cb, ex);
          else
            f.thenRun(cb);
          f.complete(i);
        }
      });
    }
    all.await();
  }

  // ---- W3 ------------------------------------------------------------------

  static void w3Acore(int n) {
    Loop loop = LOOP;
    {
      Task<List<Object>> main = loop.spawn(Chain.start().thenAwait(v -> {
        Semaphore sem = new Semaphore(100);
        List<Task<Object>> jobs = new ArrayList<>(n);
        for (int i = 0; i < n; i++)
          jobs.add(loop.spawn(Chain.start().thenAwait(x -> sem.acquire()).thenAwait(x -> {
            Future<Object> call = loop.newFuture(); // the simulated remote call
            loop.callSoon(() -> call.complete(1));
            return call;
          }).then(x -> {
            sem.release();
            return x;
          })));
        return Acore.gather(jobs, false);
      }));
      if (loop.runUntilComplete(main).size() != n)
        throw new AssertionError("w3");
    }
  }

  static void w3Juc(int n) throws Exception {
    ThreadPoolExecutor pool = POOL4;
    java.util.concurrent.Semaphore sem = new java.util.concurrent.Semaphore(100);
    CountDownLatch all = new CountDownLatch(n);
    for (int i = 0; i < n; i++) {
      sem.acquire();
      CompletableFuture.supplyAsync(() -> 1, pool).thenRun(() -> {
        sem.release();
        all.countDown();
      });
    }
    all.await();
  }

  // ---- W4 ------------------------------------------------------------------

  static void w4Acore(int n) {
    Loop loop = LOOP;
    Executor ex = EX4;
    {
      int[] done = {0};
      for (int i = 0; i < n; i++) {
        int k = i;
        loop.runInExecutor(ex, () -> k).onDone(() -> done[0]++);
      }
      loop.run();
      if (done[0] != n)
        throw new AssertionError("w4");
    }
  }

  static void w4Juc(int n) {
    ThreadPoolExecutor pool = POOL4;
    CompletableFuture<?>[] fs = new CompletableFuture<?>[n];
    for (int i = 0; i < n; i++) {
      int k = i;
      fs[i] = CompletableFuture.supplyAsync(() -> k, pool);
    }
    CompletableFuture.allOf(fs).join();
  }

  // ---- the runner ------------------------------------------------------------

  static String load() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0];
    } catch (Exception e) {
      return "?";
    }
  }

  static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
          .getOperatingSystemMXBean();

  /** Wall and CPU (the process's, every thread) nanoseconds of one run. */
  static long[] time(Work w, int n) throws Exception {
    long c0 = OS.getProcessCpuTime(), t0 = System.nanoTime();
    w.run(n);
    return new long[] {System.nanoTime() - t0, OS.getProcessCpuTime() - c0};
  }

  static double median(double[] a) {
    double[] s = a.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  static void row(String name, String peer, int n, Work acore, Work juc, int reps, int warmup)
      throws Exception {
    for (int i = 0; i < warmup; i++) { // JIT warm-up, not counted
      acore.run(n);
      juc.run(n);
    }
    double[] ratio = new double[reps], a = new double[reps], j = new double[reps];
    double[] cpu = new double[reps];
    for (int r = 0; r < reps; r++) {
      long[] ta, tj;
      if (r % 2 == 0) {
        ta = time(acore, n);
        tj = time(juc, n);
      } else {
        tj = time(juc, n);
        ta = time(acore, n);
      }
      a[r] = (double) ta[0] / n;
      j[r] = (double) tj[0] / n;
      ratio[r] = (double) ta[0] / tj[0];
      cpu[r] = (double) ta[1] / Math.max(1, tj[1]);
    }
    double lo = Arrays.stream(ratio).min().getAsDouble(), hi = Arrays.stream(ratio).max().getAsDouble();
    System.out.printf("| %s | %s | %d | %.0f | %.0f | %.2f | %.2f..%.2f | %.2f |%n", name, peer, n,
        median(a), median(j), median(ratio), lo, hi, median(cpu));
  }

  public static void main(String[] args) throws Exception {
    int reps = 7, warmup = 2;
    double scale = 1.0;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--reps"))
        reps = Integer.parseInt(args[++i]);
      else if (args[i].equals("--scale"))
        scale = Double.parseDouble(args[++i]);
      else if (args[i].equals("--warmup"))
        warmup = Integer.parseInt(args[++i]);
    }
    int n1 = (int) Math.max(1000, 1_000_000 * scale), n3 = (int) Math.max(100, 10_000 * scale),
        n4 = (int) Math.max(100, 100_000 * scale);
    String before = load();
    System.out.printf("reps %d (alternated, order swapped each rep), warm-up %d, %d CPUs, %s%n", reps,
        warmup, Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
    System.out.println("| workload | j.u.c. peer | n | acore ns/op | j.u.c. ns/op | ratio (median) |"
        + " ratio spread | CPU ratio (median) |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    row("W1", "CompletableFuture.thenRunAsync, single-thread executor", n1, Bench::w1Acore,
        n -> w1Juc(n, true), reps, warmup);
    row("W1", "CompletableFuture.thenRun (inline)", n1, Bench::w1Acore, n -> w1Juc(n, false), reps,
        warmup);
    row("W3", "j.u.c. Semaphore(100) + ThreadPoolExecutor(4)", n3, Bench::w3Acore, Bench::w3Juc, reps,
        warmup);
    row("W4", "supplyAsync on ThreadPoolExecutor(4)", n4, Bench::w4Acore, Bench::w4Juc, reps, warmup);
    System.out.printf("load average (1 min): %s before, %s after%n", before, load());
    EX4.close();
    LOOP.close();
    SINGLE.shutdown();
    POOL4.shutdown();
  }
}
