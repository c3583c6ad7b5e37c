package org.cryptonets.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.cryptonets.app.owner.KeygenCommand;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.inference.parties.TwoPartyPlan;
import org.cryptonets.net.QuantizationSpec;
import org.cryptonets.service.JobState;
import org.cryptonets.service.ServiceClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real crash of the service: {@code serve} runs in a JVM of its own (the test class path,
 * {@code org.cryptonets.app.Main serve --port 0 --store DIR --allow-test-parameters}, its port read
 * from its "serving on" line), a job is submitted and, once it is recorded as {@code running} and
 * the server's log shows {@code CloudInference.run} under way (keys loaded, network being
 * evaluated), the JVM is killed with SIGKILL ({@link Process#destroyForcibly()}, exit 137) while a
 * second upload is half received (its body stalls, so a real {@code tmp/upload-*.part} is left).
 * The kill must leave the record saying running (attempt 1) and no result. To that the test adds
 * the one leftover it cannot time a kill for: a results file beside the running record (a kill
 * between the results' move into place and the record's write). A second {@code serve} JVM on the
 * same store must then:
 * <ul>
 *   <li>have removed the cut upload before it listens, and never turn it into a job;</li>
 *   <li>run the interrupted job again to {@code done} (2 attempts), its result decrypting to
 *       exactly the clear integer network's logits for every image ({@code decrypt}'s check);</li>
 *   <li>leave nothing in the store but the documented files (no temporary, hidden or partial file);</li>
 *   <li>never serve a result before the record says done: a poller, across both JVMs, asks for the
 *       status, the result and the status again, and every 200 must be the complete final file with
 *       the record saying done, every refusal a 409 while the record says queued or running
 *       (so the stale results file is never served).</li>
 * </ul>
 * The first server and the owner's side use the CPU backend's scalar kernels (no warm-up; a job
 * long enough to be caught running), the restarted one its vector kernels where available.
 * Keys are INSECURE toy parameters (n = 1024, SecurityLevel.NONE, as TwoPartyServiceTest) on the
 * committed MNIST model; every wait is bounded and the child JVMs are always killed at the end.
 */
class ServiceKillRestartTest {
  static final int IMAGES = 8;
  static final Duration START = Duration.ofSeconds(60);
  static final Duration JOB = Duration.ofSeconds(90);
  static final ObjectMapper JSON = new ObjectMapper();
  static final Pattern SERVING = Pattern.compile("serving on (http://\\S+) ");

  static final String VECTOR = "cryptonets.cpu.vector";

  @TempDir
  Path tmp;

  /** A {@code serve} JVM and everything it printed. */
  static final class Server implements AutoCloseable {
    final Process process;
    final StringBuffer output = new StringBuffer();
    final Thread drain;
    volatile URI uri;

    /** Starts {@code serve} on {@code store}, on the CPU backend's vector kernels or (no warm-up, slower jobs) its scalar ones. */
    Server(Path store, boolean vector) throws IOException {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(org.cryptonets.bfv.io.ForkedJvm.inheritedOptions());
      command.add("-Xmx1g");
      command.add("-D" + VECTOR + "=" + (vector && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()));
      command.addAll(List.of(Main.class.getName(), "serve", "--port", "0", "--store", store.toString(), "--workers", "1", "--allow-test-parameters",
          "--shutdown-grace", "0"));
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      // Through the environment: a class path of many jars can exceed what a command line takes.
      pb.environment().put("CLASSPATH", System.getProperty("java.class.path"));
      process = pb.start();
      drain = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            output.append(line).append('\n');
          }
        } catch (IOException e) {
          // the process died: what was read so far is kept
        }
      }, "drain serve output");
      drain.setDaemon(true);
      drain.start();
    }

    /** Waits until the output holds a line matching {@code p} (or the process ends, or the timeout); returns the match. */
    Matcher await(Pattern p, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        Matcher m = p.matcher(output.toString());
        if (m.find()) {
          return m;
        }
        if (!process.isAlive()) {
          drain.join(2000);
          m = p.matcher(output.toString());
          if (m.find()) {
            return m;
          }
          fail("serve exited with " + process.exitValue() + " before printing /" + p + "/:\n" + output);
        }
        Thread.sleep(10);
      }
      fail("serve printed no /" + p + "/ within " + timeout + ":\n" + output);
      return null;
    }

    URI awaitServing() throws InterruptedException {
      uri = URI.create(await(SERVING, START).group(1));
      return uri;
    }

    @Override
    public void close() throws InterruptedException {
      if (process.isAlive()) {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  static String output(Server s) {
    return s == null ? "" : s.output.toString();
  }

  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  static HttpResponse<byte[]> get(URI base, String path, String token) throws IOException, InterruptedException {
    HttpRequest r = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + token).GET().build();
    return HTTP.send(r, HttpResponse.BodyHandlers.ofByteArray());
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> job(URI base, String token, String job) throws IOException, InterruptedException {
    HttpResponse<byte[]> r = get(base, "/jobs/" + job, token);
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    return JSON.readValue(r.body(), Map.class);
  }

  /**
   * Asks, over and over, for the job's status, its result and its status again, on whichever server
   * is up, and records every answer that breaks "no result before the record says done".
   */
  static final class ResultPoller extends Thread {
    final String token;
    final String job;
    final AtomicReference<URI> server = new AtomicReference<>();
    final List<String> violations = new ArrayList<>();
    final List<byte[]> served = new ArrayList<>();
    final AtomicInteger refusedWhileActive = new AtomicInteger();
    volatile boolean stop;

    ResultPoller(String token, String job) {
      super("result poller");
      setDaemon(true);
      this.token = token;
      this.job = job;
    }

    /** Records a broken rule (the first few: enough to tell what went wrong). */
    private void violation(String what) {
      if (violations.size() < 5) {
        violations.add(what);
      }
    }

    @Override
    public void run() {
      while (!stop) {
        URI base = server.get();
        try {
          String before = (String) job(base, token, job).get("state");
          HttpResponse<byte[]> r = get(base, "/jobs/" + job + "/result", token);
          String after = (String) job(base, token, job).get("state");
          synchronized (this) {
            if (r.statusCode() == 200) {
              served.add(r.body());
              if (!after.equals("done")) {
                violation("a result was served while the record said " + before + " then " + after);
              }
            } else if (r.statusCode() == 409) {
              if (before.equals("done")) {
                violation("409 for a job recorded as done: " + new String(r.body(), StandardCharsets.UTF_8));
              } else if (before.equals("queued") || before.equals("running")) {
                refusedWhileActive.incrementAndGet();
              }
            } else {
              violation("GET result answered " + r.statusCode() + " (" + before + "): " + new String(r.body(), StandardCharsets.UTF_8));
            }
          }
        } catch (IOException | AssertionError e) {
          // the server is down (killed, or not yet restarted): try again
        } catch (InterruptedException e) {
          return;
        }
        try {
          Thread.sleep(25);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /** An input stream that gives {@code head}, then blocks until released (an upload cut by the kill). */
  static InputStream stalled(byte[] head, CountDownLatch release) {
    return new InputStream() {
      int pos;

      @Override
      public int read() throws IOException {
        byte[] b = new byte[1];
        return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (pos < head.length) {
          int n = Math.min(len, head.length - pos);
          System.arraycopy(head, pos, b, off, n);
          pos += n;
          return n;
        }
        try {
          release.await(JOB.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new IOException("upload cut");
      }
    };
  }

  static Set<String> listing(Path store) throws IOException {
    Set<String> files = new TreeSet<>();
    try (Stream<Path> walk = Files.walk(store)) {
      walk.filter(p -> !p.equals(store)).forEach(p -> files.add(store.relativize(p).toString().replace('\\', '/') + (Files.isDirectory(p) ? "/" : "")));
    }
    return files;
  }

  static void restoreProperty(String name, String value) {
    if (value == null) {
      System.clearProperty(name);
    } else {
      System.setProperty(name, value);
    }
  }

  static List<String> find(Set<String> listing, Predicate<String> p) {
    return listing.stream().filter(p).toList();
  }

  @Test
  void aJobRunningWhenTheServingJvmIsKilledRunsToDoneAfterARestartWithRightResultsAndACleanStore() throws Exception {
    long t0 = System.nanoTime();
    String vectorProperty = System.getProperty(VECTOR);
    // the owner: toy keys and encrypted MNIST test images, in process (as TwoPartyServiceTest)
    Path keys = tmp.resolve("keys");
    BfvParameters params = org.cryptonets.app.parties.TwoPartyFlowTest.toyParameters(1024);
    CryptoNetPlan schedule = CryptoNetPlan.of(1024, List.of(31, 31, 31, 31, 31, 31, 31), 29, 2, new int[] {5, 3}, 3);
    Path store = tmp.resolve("store");
    Path images = tmp.resolve("images.bin");
    ByteArrayOutputStream ignored = new ByteArrayOutputStream();
    // the first server needs no speed (its job is killed): scalar kernels, so it starts at once,
    // while the owner's files are made, and its job is long enough to be caught running
    Server first = new Server(store, false);
    Server second = null;
    ResultPoller poller = null;
    CountDownLatch releaseUpload = new CountDownLatch(1);
    try {
      // the owner's side on scalar kernels too: the vector ones' warm-up costs more than they save here
      System.setProperty(VECTOR, "false");
      try (Backend backend = Backends.open("cpu")) {
        KeygenCommand.generate(keys, params, TwoPartyPlan.of(params, schedule, 54, ModelOption.COMMITTED, ModelOption.committed().sha256(),
            QuantizationSpec.DEFAULT), backend, false, new PrintStream(ignored, true, StandardCharsets.UTF_8));
      }
      assertEquals(0, Main.run(List.of("encrypt", "--keys", keys.toString(), "--images", Integer.toString(IMAGES), "--out", images.toString()),
          new PrintStream(ignored, true, StandardCharsets.UTF_8)));
      long owner = System.nanoTime();

      URI url1 = first.awaitServing();
      ServiceClient client = new ServiceClient(url1);
      ServiceClient.Registration reg = client.registerKeys(keys.resolve("evaluation.keys"), null, ServiceClient.Progress.NONE);
      String job = client.submit(reg.token(), reg.keyId(), null, images, ServiceClient.Progress.NONE);
      poller = new ResultPoller(reg.token(), job);
      poller.server.set(url1);
      poller.start();

      // a second upload that stalls half-way: the kill leaves its part file in tmp/
      byte[] all = Files.readAllBytes(images);
      byte[] half = Arrays.copyOf(all, all.length / 2);
      HttpRequest cut = HttpRequest.newBuilder(URI.create(url1 + "/jobs?key=" + reg.keyId())).timeout(JOB).header("Authorization", "Bearer " + reg.token())
          .header("Content-Type", "application/octet-stream")
          .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> stalled(half, releaseUpload)), all.length))
          .build();
      CompletableFuture<HttpResponse<String>> cutAnswer = HTTP.sendAsync(cut, HttpResponse.BodyHandlers.ofString());

      // caught running: the record says so, and the log shows CloudInference.run under way (it warns
      // of the test parameters once the keys are loaded, then evaluates the network for seconds)
      first.await(Pattern.compile("job " + job + ": warning: the owner's parameters are not 128-bit secure"), JOB);
      Thread.sleep(500);
      assertEquals("running", job(url1, reg.token(), job).get("state"), first.output::toString);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (find(listing(store), f -> f.startsWith("tmp/upload-")).isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertFalse(cutAnswer.isDone(), () -> "the stalled upload was answered: " + cutAnswer.join().body());
      Set<String> receiving = listing(store);
      List<String> parts = find(receiving, f -> f.startsWith("tmp/upload-"));
      assertEquals(1, parts.size(), () -> "the stalled upload is not being received: " + receiving);

      first.process.destroyForcibly(); // kill -9
      assertTrue(first.process.waitFor(30, TimeUnit.SECONDS), "the killed JVM did not end");
      assertEquals(137, first.process.exitValue(), "not ended by SIGKILL");
      long killed = System.nanoTime();
      releaseUpload.countDown();

      // what the kill left: the record says running (first attempt), no result, the cut upload
      Path jobDir = store.resolve("jobs").resolve(job);
      Map<?, ?> left = JSON.readValue(jobDir.resolve("job.json").toFile(), Map.class);
      assertEquals("running", left.get("state"), () -> "the job was not running when killed (make it longer): " + left + "\n" + first.output);
      assertEquals(1, ((Number) left.get("attempts")).intValue());
      assertFalse(first.output.toString().contains("job " + job + " done"), first.output::toString);
      assertFalse(Files.exists(jobDir.resolve("results.bin")), "a result before the job finished");
      assertTrue(Files.exists(store.resolve(parts.get(0))), "the cut upload is gone before the restart");
      Set<String> afterKill = listing(store);
      // a kill between the results' move into place and the record's write leaves a results file
      // beside a record saying running: it must never be served (the poller would see its bytes)
      Files.write(jobDir.resolve("results.bin"), Arrays.copyOf(all, 4096));

      second = new Server(store, true);
      Server restarted = second;
      URI url2 = restarted.awaitServing();
      Set<String> atRestart = listing(store);
      assertEquals(List.of(), find(atRestart, f -> f.startsWith("tmp/") && !f.equals("tmp/")), () -> "the restart kept the cut upload: " + atRestart);
      assertFalse(restarted.output.toString().contains("Exception"), restarted.output::toString);
      poller.server.set(url2);
      poller.refusedWhileActive.set(0); // from now on: the restarted server's refusals
      ServiceClient again = new ServiceClient(url2);
      ServiceClient.JobStatus s = again.await(reg.token(), job, JOB);
      assertEquals(JobState.DONE, s.state(), () -> s + "\n" + output(restarted));
      Map<String, Object> record = job(url2, reg.token(), job);
      assertEquals(2, ((Number) record.get("attempts")).intValue(), record::toString);
      assertEquals(IMAGES, ((Number) record.get("images")).intValue());
      long done = System.nanoTime();

      Thread.sleep(200); // a few more polls of the finished job
      poller.stop = true;
      poller.join(15_000);
      assertFalse(poller.isAlive(), "the poller did not stop");

      Path results = tmp.resolve("results.bin");
      assertEquals(((Number) record.get("result_bytes")).longValue(), again.fetch(reg.token(), job, results, ServiceClient.Progress.NONE));
      byte[] expected = Files.readAllBytes(results);
      synchronized (poller) {
        assertEquals(List.of(), poller.violations);
        assertTrue(poller.refusedWhileActive.get() > 0, "the poller never asked the restarted server for the result while the job was active");
        assertFalse(poller.served.isEmpty(), "the poller never got the finished result");
        for (byte[] b : poller.served) {
          assertArrayEquals(expected, b, "a result served differs from the final one");
        }
      }
      ByteArrayOutputStream decrypted = new ByteArrayOutputStream();
      assertEquals(0, Main.run(List.of("decrypt", "--keys", keys.toString(), "--in", results.toString()),
          new PrintStream(decrypted, true, StandardCharsets.UTF_8)));
      String report = decrypted.toString(StandardCharsets.UTF_8);
      assertTrue(report.contains("logits equal to the integer network in the clear: " + IMAGES + " of " + IMAGES), report);
      assertTrue(report.contains("decryption check passed"), report);

      // the store holds only the documented files: one key, one job, nothing temporary
      Set<String> end = listing(store);
      Set<String> expectedFiles = new TreeSet<>(List.of("keys/", "jobs/", "tmp/", "keys/" + reg.keyId() + "/", "keys/" + reg.keyId() + "/evaluation.keys",
          "keys/" + reg.keyId() + "/key.json", "jobs/" + job + "/", "jobs/" + job + "/images.bin", "jobs/" + job + "/job.json",
          "jobs/" + job + "/results.bin"));
      assertEquals(expectedFiles, end, () -> "after the kill: " + afterKill);
      assertArrayEquals(all, Files.readAllBytes(jobDir.resolve("images.bin")));
      System.out.printf(java.util.Locale.ROOT, "owner files %.1f s, killed %.1f s later, done %.1f s after the kill, test %.1f s%n", (owner - t0) / 1e9,
          (killed - owner) / 1e9, (done - killed) / 1e9, (System.nanoTime() - t0) / 1e9);
    } finally {
      restoreProperty(VECTOR, vectorProperty);
      releaseUpload.countDown();
      if (poller != null) {
        poller.stop = true;
        poller.interrupt();
      }
      first.close();
      if (second != null) {
        second.close();
      }
    }
  }
}
