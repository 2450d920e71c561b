// SPDX-License-Identifier: MIT
// BoundedCalls - 1,000 calls to a real HTTP server on 127.0.0.1 (started
// here) with at most 50 in flight: java.net.http's async client gives
// CompletableFutures, Loop.wrap() makes them acore futures; first a
// Semaphore around each call, then Acore.map.
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.acore.*;

public class BoundedCalls {
  static final AtomicInteger inFlight = new AtomicInteger(), peak = new AtomicInteger();

  public static void main(String[] args) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
    server.createContext("/", ex -> {
      peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      try {
        Thread.sleep(1); // the service's work
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      String q = ex.getRequestURI().getQuery();
      byte[] body = String.valueOf(2 * Integer.parseInt(q)).getBytes();
      inFlight.decrementAndGet();
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    server.setExecutor(Executors.newFixedThreadPool(64));
    server.start();
    HttpClient client = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/?";
    try (Loop loop = new Loop()) {
      // a call: the client's CompletableFuture as an acore future
      java.util.function.IntFunction<Future<Integer>> call = i -> loop.wrap(
          client.sendAsync(HttpRequest.newBuilder(URI.create(base + i)).build(),
                  HttpResponse.BodyHandlers.ofString())
              .thenApply(r -> Integer.parseInt(r.body())));

      Task<List<Integer>> withSem = loop.spawn(Chain.start().thenAwait(v -> {
        Semaphore sem = new Semaphore(50);
        List<Task<Integer>> tasks = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
          int k = i;
          tasks.add(loop.spawn(Chain.start().thenAwait(x -> sem.acquire())
              .thenAwait(x -> call.apply(k))
              .then(r -> {
                sem.release();
                return r;
              })));
        }
        return Acore.gather(tasks, false);
      }));
      List<Integer> r = loop.runUntilComplete(withSem);
      System.out.printf("semaphore: %d calls, peak %d in flight, last %d%n", r.size(), peak.get(),
          r.get(999));
      check(r);

      peak.set(0);
      r = loop.runUntilComplete(loop.spawn(Chain.start().thenAwait(v -> Acore.map(call, 1000, 50, false))));
      System.out.printf("map:       %d calls, peak %d in flight, last %d%n", r.size(), peak.get(),
          r.get(999));
      check(r);
    } finally {
      server.stop(0);
      ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
  }

  static void check(List<Integer> r) {
    if (r.size() != 1000 || r.get(999) != 1998 || peak.get() > 50)
      throw new AssertionError("bounded calls: peak " + peak.get());
  }
}
