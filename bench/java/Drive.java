// SPDX-License-Identifier: MIT
// Drive - one of Bench's workloads alone in this JVM, for comparing two
// builds run by run (alternate the two class paths) or for a profiler:
// runs it `runs` times and prints the process's CPU time (every thread)
// and the wall time per operation, averaged over the last half of the runs
// (the first half warms the JIT up).
//
//   java -cp acore.jar:acore_java_bench.jar Drive w1|w1j|w3|w3j|w4|w4j [runs]
//
// w1, w3, w4: acore's side; w1j, w3j, w4j: java.util.concurrent's
// (w1j: thenRunAsync on a single-thread executor).
public class Drive {
  public static void main(String[] args) throws Exception {
    String w = args[0];
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 12, kept = runs / 2, n = 0;
    long cpu = 0, wall = 0;
    for (int r = 0; r < runs; r++) {
      long c0 = Bench.OS.getProcessCpuTime(), t0 = System.nanoTime();
      switch (w) {
        case "w1": Bench.w1Acore(n = 1_000_000); break;
        case "w1j": Bench.w1Juc(n = 1_000_000, true); break;
        case "w3": Bench.w3Acore(n = 10_000); break;
        case "w3j": Bench.w3Juc(n = 10_000); break;
        case "w4": Bench.w4Acore(n = 100_000); break;
        case "w4j": Bench.w4Juc(n = 100_000); break;
        default: throw new IllegalArgumentException("workload: w1 w1j w3 w3j w4 w4j");
      }
      if (r >= runs - kept) {
        wall += System.nanoTime() - t0;
        cpu += Bench.OS.getProcessCpuTime() - c0;
      }
    }
    System.out.printf("%s cpu %d ns/op wall %d ns/op (last %d runs of %d)%n", w,
        cpu / kept / n, wall / kept / n, kept, n);
    System.exit(0);
  }
}
