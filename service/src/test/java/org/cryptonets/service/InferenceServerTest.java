package org.cryptonets.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cryptonets.engine.Backend;
import org.cryptonets.inference.parties.CloudInference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service over HTTP on the loopback address, started on a free port with a models folder
 * holding the {@link TinyModel}: the two-party flow (keys, encrypted images, submit, poll, fetch,
 * decrypt) byte for byte against the file-based flow, ten concurrent clients, quotas, and every
 * refusal the contract documents, each with its status and message and no file left in the store.
 * INSECURE toy parameters (n = 1024, SecurityLevel.NONE), allowed by the server's test-parameters
 * switch, and the tiny model keep it fast; the MNIST flow through the commands is the app's
 * TwoPartyServiceTest.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InferenceServerTest {
  static final long MAX_BODY = 48L << 20;
  static final Duration WAIT = Duration.ofSeconds(120);

  @TempDir
  static Path tmp;
  Path store;
  Backend backend;
  InferenceServer server;
  ServiceClient client;
  Http http;
  TinyModel tiny;
  TestOwner alice;
  int[][] aliceImages;
  Path aliceUpload;
  ServiceClient.Registration aliceKeys;

  @BeforeAll
  void start() throws Exception {
    backend = SharedBackend.get();
    store = tmp.resolve("store");
    Path models = Files.createDirectories(tmp.resolve("models"));
    tiny = TinyModel.write(models);
    server = InferenceServer.start(ServiceConfig.defaults(store).withPort(0).withModels(models).withWorkers(2).withLimits(MAX_BODY, 2, 2)
        .withTestParameters(true), backend);
    client = new ServiceClient(server.baseUri());
    http = new Http(server.baseUri());
    alice = new TestOwner(tmp.resolve("alice"), backend, 1024, tiny);
    aliceImages = tiny.images(1, 40);
    aliceUpload = alice.encrypt(aliceImages, 0, tmp.resolve("alice-images.bin"));
    aliceKeys = client.registerKeys(alice.evaluationKeys, null, ServiceClient.Progress.NONE);
  }

  @AfterAll
  void stop() {
    server.stop();
    alice.close();
  }

  @Test
  void theWholeFlowThroughHttpGivesTheFileBasedFlowsResults() throws Exception {
    List<long[]> progress = new ArrayList<>();
    String job = client.submit(aliceKeys.token(), aliceKeys.keyId(), TinyModel.FILE_NAME, aliceUpload, (done, total) -> progress.add(new long[] {done, total}));
    assertFalse(progress.isEmpty());
    assertEquals(Files.size(aliceUpload), progress.get(progress.size() - 1)[0], "upload progress reaches the file's size");
    ServiceClient.JobStatus s = client.await(aliceKeys.token(), job, WAIT);
    assertEquals(JobState.DONE, s.state(), String.valueOf(s.reason()));
    assertEquals(40, s.images());
    Path fetched = tmp.resolve("fetched.bin");
    long bytes = client.fetch(aliceKeys.token(), job, fetched, ServiceClient.Progress.NONE);
    assertEquals(Files.size(fetched), bytes);
    BigInteger[][] logits = alice.decrypt(fetched);
    assertEquals(0, alice.mismatches(logits, aliceImages), "images whose decrypted logits differ from the clear network");

    // the file-based flow (what infer runs) on the same files gives the same results, byte for byte
    Path local = tmp.resolve("local-results.bin");
    CloudInference.run(alice.evaluationKeys, aliceUpload, local, tiny.network, backend, line -> { });
    assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(fetched));

    Map<String, Object> metrics = http.get("/metrics", null).json();
    assertTrue(((Number) metrics.get("bytes_in")).longValue() >= Files.size(aliceUpload), metrics.toString());
    assertTrue(((Number) metrics.get("bytes_out")).longValue() >= bytes, metrics.toString());
    assertTrue(((Number) ((Map<?, ?>) metrics.get("batch_seconds")).get("count")).intValue() >= 1, metrics.toString());
    assertTrue(((Number) ((Map<?, ?>) metrics.get("jobs")).get("done")).intValue() >= 1, metrics.toString());
    assertNoLeftovers();
  }

  @Test
  void tenConcurrentClientsEachGetOnlyTheirOwnCorrectResults() throws Exception {
    int clients = 10;
    int images = 4;
    List<TestOwner> owners = new ArrayList<>();
    List<Path> uploads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      TestOwner o = new TestOwner(tmp.resolve("owner" + c), backend, 1024, tiny);
      owners.add(o);
      uploads.add(o.encrypt(tiny.images(100 + c, images), 0, tmp.resolve("upload" + c + ".bin")));
    }
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<String[]>> done = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        int me = c;
        done.add(pool.submit(() -> {
          ServiceClient.Registration r = client.registerKeys(owners.get(me).evaluationKeys, null, ServiceClient.Progress.NONE);
          String job = client.submit(r.token(), r.keyId(), null, uploads.get(me), ServiceClient.Progress.NONE);
          ServiceClient.JobStatus s = client.await(r.token(), job, WAIT);
          assertEquals(JobState.DONE, s.state(), String.valueOf(s.reason()));
          client.fetch(r.token(), job, tmp.resolve("results" + me + ".bin"), ServiceClient.Progress.NONE);
          return new String[] {r.token(), job};
        }));
      }
      List<String[]> got = new ArrayList<>();
      for (Future<String[]> f : done) {
        got.add(f.get(180, TimeUnit.SECONDS));
      }
      for (int c = 0; c < clients; c++) {
        BigInteger[][] logits = owners.get(c).decrypt(tmp.resolve("results" + c + ".bin"));
        assertEquals(0, owners.get(c).mismatches(logits, tiny.images(100 + c, images)), "client " + c);
        // and nobody else sees the job
        String otherToken = got.get((c + 1) % clients)[0];
        String job = got.get(c)[1];
        assertEquals(404, http.get("/jobs/" + job, otherToken).status());
        assertEquals(404, http.get("/jobs/" + job + "/result", otherToken).status());
      }
    } finally {
      pool.shutdownNow();
      owners.forEach(TestOwner::close);
    }
    assertNoLeftovers();
  }

  @Test
  void tokensAreRequiredAndAnotherClientsJobOrKeyIsNotFound() throws Exception {
    String job = client.submit(aliceKeys.token(), aliceKeys.keyId(), null, aliceUpload, ServiceClient.Progress.NONE);
    // another client, with keys of its own
    try (TestOwner bob = new TestOwner(tmp.resolve("bob"), backend, 1024, tiny)) {
      ServiceClient.Registration bobKeys = client.registerKeys(bob.evaluationKeys, null, ServiceClient.Progress.NONE);
      assertNotEquals(aliceKeys.token(), bobKeys.token());
      for (String path : List.of("/jobs/" + job, "/jobs/" + job + "/result")) {
        Http.Answer missing = http.get(path, null);
        assertEquals(401, missing.status(), missing.body());
        assertTrue(missing.error().contains("Authorization: Bearer"), missing.body());
        assertEquals(401, http.get(path, "not-a-token-we-issued").status());
        Http.Answer other = http.get(path, bobKeys.token());
        assertEquals(404, other.status(), other.body());
        assertEquals("unknown_job", other.json().get("code"));
      }
      assertEquals(401, http.post("/jobs?key=" + aliceKeys.keyId(), null, aliceUpload).status());
      assertEquals(401, http.post("/jobs?key=" + aliceKeys.keyId(), "wrong", aliceUpload).status());
      Http.Answer foreignKey = http.post("/jobs?key=" + aliceKeys.keyId(), bobKeys.token(), aliceUpload);
      assertEquals(404, foreignKey.status(), foreignKey.body());
      assertEquals("unknown_key", foreignKey.json().get("code"));
      assertEquals(401, http.post("/keys", "wrong-token", bob.evaluationKeys).status(), "keys cannot join a client whose token is wrong");
    }
    assertEquals(404, http.get("/jobs/j-000000000000000000000000", aliceKeys.token()).status());
    int traversal = http.get("/jobs/..%2F..%2Fetc", aliceKeys.token()).status();
    assertTrue(traversal == 400 || traversal == 404, "a path out of the store is refused: " + traversal);
    assertEquals(JobState.DONE, client.await(aliceKeys.token(), job, WAIT).state());
    assertEquals(200, http.get("/jobs/" + job, aliceKeys.token()).status());
  }

  @Test
  void badUploadsGetTheLoadersMessageAndLeaveNoFileInTheStore() throws Exception {
    String token = aliceKeys.token();
    String jobs = "/jobs?key=" + aliceKeys.keyId();
    long size = Files.size(aliceUpload);
    Path truncated = tmp.resolve("truncated.bin");
    Files.write(truncated, Arrays.copyOf(Files.readAllBytes(aliceUpload), (int) (size / 2)));
    Http.Answer a = http.post(jobs, token, truncated);
    assertEquals(400, a.status(), a.body());
    assertTrue(a.error().contains("truncated") && a.error().contains("the upload"), a.body());
    assertFalse(a.error().contains(store.toString()), "no server path in messages: " + a.body());

    Http.Answer json = http.post(jobs, token, "{\"images\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,".getBytes(StandardCharsets.UTF_8), "application/json");
    assertEquals(400, json.status(), json.body());
    assertTrue(json.error().contains("magic number"), json.body());
    Http.Answer jsonKeys = http.post("/keys", null, "{\"keys\": \"this is JSON, not an evaluation-keys file, and it is long enough\" ".getBytes(StandardCharsets.UTF_8), "application/json");
    assertEquals(400, jsonKeys.status(), jsonKeys.body());
    assertEquals("invalid_keys", jsonKeys.json().get("code"));
    Http.Answer empty = http.post(jobs, token, new byte[0], "application/octet-stream");
    assertEquals(400, empty.status(), empty.body());
    Http.Answer keysAsImages = http.post(jobs, token, alice.evaluationKeys);
    assertEquals(400, keysAsImages.status(), keysAsImages.body());

    // a body over the limit: refused on its announced length, before it is sent (Expect: 100-continue)
    assertEquals(413, http.announce(jobs, token, MAX_BODY + 1));
    assertEquals(413, http.announce("/keys", null, MAX_BODY + 1));
    assertEquals(401, http.announce(jobs, "wrong", 1000), "the token is checked before the body is read");
    // and a body of no announced length, counted as it is stored
    String alice = server.service().authenticate(token);
    ServiceException counted = assertThrows(ServiceException.class,
        () -> server.service().submit(alice, aliceKeys.keyId(), null, new ZeroStream(MAX_BODY + 1), -1));
    assertEquals(413, counted.status());

    // images under other parameters (keys for n = 2048)
    try (TestOwner carol = new TestOwner(tmp.resolve("carol"), backend, 2048, tiny)) {
      ServiceClient.Registration carolKeys = client.registerKeys(carol.evaluationKeys, token, ServiceClient.Progress.NONE);
      Http.Answer other = http.post("/jobs?key=" + carolKeys.keyId(), token, aliceUpload);
      assertEquals(400, other.status(), other.body());
      assertTrue(other.error().contains("parameters"), other.body());
      // and the client's quota of keys (2) is now used up
      Http.Answer third = http.post("/keys", token, carol.evaluationKeys);
      assertEquals(429, third.status(), third.body());
      // keys made for a model this server does not offer
      Path foreignModel = tmp.resolve("foreign-model.keys");
      carol.writeKeys(foreignModel, TestOwner.plan(carol.params, "0".repeat(64)));
      Http.Answer notOffered = http.post("/keys", null, foreignModel);
      assertEquals(409, notOffered.status(), notOffered.body());
      assertTrue(notOffered.error().contains("does not offer"), notOffered.body());
    }
    Http.Answer unknownModel = http.post(jobs + "&model=nope", token, aliceUpload);
    assertEquals(404, unknownModel.status(), unknownModel.body());
    assertTrue(unknownModel.error().contains("offered: " + TinyModel.FILE_NAME), unknownModel.body());
    Http.Answer noKey = http.post("/jobs", token, aliceUpload);
    assertEquals(400, noKey.status(), noKey.body());
    for (Http.Answer x : List.of(a, json, jsonKeys, empty, keysAsImages, unknownModel, noKey)) {
      assertFalse(x.body().contains("\tat ") || x.body().contains("Exception"), "no stack trace: " + x.body());
    }
    assertNoLeftovers();
  }

  @Test
  void activeJobsAreLimitedPerClient() throws Exception {
    try (TestOwner dave = new TestOwner(tmp.resolve("dave"), backend, 1024, tiny)) {
      Path upload = dave.encrypt(tiny.images(200, 2), 0, tmp.resolve("dave.bin"));
      ServiceClient.Registration keys = client.registerKeys(dave.evaluationKeys, null, ServiceClient.Progress.NONE);
      server.service().holdJobs(true);
      List<String> jobs = new ArrayList<>();
      try {
        jobs.add(client.submit(keys.token(), keys.keyId(), null, upload, ServiceClient.Progress.NONE));
        jobs.add(client.submit(keys.token(), keys.keyId(), null, upload, ServiceClient.Progress.NONE));
        Http.Answer third = http.post("/jobs?key=" + keys.keyId(), keys.token(), upload);
        assertEquals(429, third.status(), third.body());
        assertTrue(third.error().contains("2 jobs queued, running or uploading"), third.body());
        Http.Answer result = http.get("/jobs/" + jobs.get(0) + "/result", keys.token());
        assertEquals(409, result.status(), result.body());
        assertTrue(result.error().contains("is running"), result.body());
      } finally {
        server.service().holdJobs(false);
      }
      for (String job : jobs) {
        assertEquals(JobState.DONE, client.await(keys.token(), job, WAIT).state());
      }
    }
  }

  @Test
  void everyRegisteredRouteIsDescribedAndUnknownRoutesAreJson() throws Exception {
    JsonNode doc = ServiceStore.JSON.readTree(http.get("/openapi.json", null).body());
    TreeSet<String> described = new TreeSet<>();
    for (Iterator<Map.Entry<String, JsonNode>> paths = doc.get("paths").fields(); paths.hasNext(); ) {
      Map.Entry<String, JsonNode> p = paths.next();
      for (Iterator<String> methods = p.getValue().fieldNames(); methods.hasNext(); ) {
        described.add(methods.next().toUpperCase(java.util.Locale.ROOT) + " " + p.getKey());
      }
    }
    assertEquals(described, new TreeSet<>(server.routes()));
    assertEquals(8, described.size(), described.toString());

    Http.Answer unknown = http.get("/nope", null);
    assertEquals(404, unknown.status());
    assertTrue(unknown.error().contains("no route GET /nope"), unknown.body());
    Http.Answer wrongMethod = http.send("DELETE", "/models", null);
    assertTrue(wrongMethod.status() == 404 || wrongMethod.status() == 405, wrongMethod.body());
    assertNotNull(wrongMethod.error());

    List<?> models = (List<?>) http.get("/models", null).json().get("models");
    Map<?, ?> committed = (Map<?, ?>) models.get(0);
    assertEquals(1, models.size());
    assertEquals(TinyModel.FILE_NAME, committed.get("name"));
    assertEquals(tiny.sha256, committed.get("sha256"));
    assertEquals(TinyModel.INPUT.toString(), committed.get("input_shape"));
    assertEquals(6 * 36 + 6 + 3 * 6 + 3, ((Number) committed.get("parameters")).intValue(), committed.toString());
    Map<String, Object> health = http.get("/health", null).json();
    assertEquals("ok", health.get("status"));
  }

  /** No upload in tmp/, and every job folder holds only the store's own files. */
  void assertNoLeftovers() throws Exception {
    try (Stream<Path> files = Files.list(store.resolve("tmp"))) {
      assertEquals(List.of(), files.toList(), "uploads left in tmp/");
    }
    try (Stream<Path> files = Files.walk(store.resolve("jobs"))) {
      List<Path> stray = files.filter(Files::isRegularFile)
          .filter(p -> !List.of("job.json", "images.bin", "results.bin").contains(p.getFileName().toString())).toList();
      assertEquals(List.of(), stray);
    }
  }

  /** {@code length} zero bytes. */
  static final class ZeroStream extends InputStream {
    private long left;

    ZeroStream(long length) {
      this.left = length;
    }

    @Override
    public int read() {
      return left-- > 0 ? 0 : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left <= 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      Arrays.fill(b, off, off + n, (byte) 0);
      left -= n;
      return n;
    }
  }
}
