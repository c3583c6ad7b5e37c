package org.cryptonets.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cryptonets.engine.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What survives the service's end: a job running when the process dies (simulated in process: the
 * instance is abandoned where a {@code kill -9} would stop it, its record saying running, and the
 * store is given the leftovers such a kill leaves) runs again after a restart and its results are
 * right; temporary and half-registered files are removed; a job interrupted too often is marked
 * failed with the reason. A graceful stop finishes the running job, answers 503 meanwhile, and
 * keeps the queued one for the next start. Tiny model, INSECURE toy parameters.
 */
class RestartRecoveryTest {
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path tmp;

  ServiceConfig config(Path store, Path models, int workers) {
    return ServiceConfig.defaults(store).withPort(0).withModels(models).withWorkers(workers).withTestParameters(true);
  }

  @Test
  void aJobRunningWhenTheServiceDiesRunsAgainAfterARestartAndLeftoversAreRemoved() throws Exception {
    Backend backend = SharedBackend.get();
    Path store = tmp.resolve("store");
    Path models = Files.createDirectories(tmp.resolve("models"));
    TinyModel tiny = TinyModel.write(models);
    try (TestOwner owner = new TestOwner(tmp.resolve("owner"), backend, 1024, tiny)) {
      int[][] images = tiny.images(7, 16);
      Path upload = owner.encrypt(images, 0, tmp.resolve("images.bin"));
      InferenceServer first = InferenceServer.start(config(store, models, 1), backend);
      ServiceClient client = new ServiceClient(first.baseUri());
      ServiceClient.Registration keys = client.registerKeys(owner.evaluationKeys, null, ServiceClient.Progress.NONE);
      first.service().holdJobs(true);
      String job = client.submit(keys.token(), keys.keyId(), null, upload, ServiceClient.Progress.NONE);
      for (int i = 0; i < 200 && client.status(keys.token(), job).state() != JobState.RUNNING; i++) {
        Thread.sleep(50);
      }
      assertEquals(JobState.RUNNING, client.status(keys.token(), job).state());
      first.abandon(); // the process dies here

      Path jobDir = store.resolve("jobs").resolve(job);
      assertTrue(Files.readString(jobDir.resolve("job.json")).contains("\"running\""), "a crash leaves the record saying running");
      // what else a kill -9 leaves: a half-written result, an upload being received, a submission
      // and a registration cut before their records were written
      Files.writeString(jobDir.resolve(".results.bin-12345.tmp"), "half-written results");
      Files.writeString(store.resolve("tmp").resolve("upload-1.part"), "half an upload");
      Path cutJob = Files.createDirectories(store.resolve("jobs").resolve("j-0123456789abcdef01234567"));
      Files.writeString(cutJob.resolve("images.bin"), "moved in, no record");
      Path cutKeys = Files.createDirectories(store.resolve("keys").resolve("k-0123456789abcdef01234567"));
      Files.writeString(cutKeys.resolve("evaluation.keys"), "moved in, no record");
      // and a job that has already been interrupted as often as the service allows
      JobRecord record = ServiceStore.JSON.readValue(jobDir.resolve("job.json").toFile(), JobRecord.class);
      String doomed = "j-fedcba9876543210fedcba98";
      Path doomedDir = Files.createDirectories(store.resolve("jobs").resolve(doomed));
      Files.copy(jobDir.resolve("images.bin"), doomedDir.resolve("images.bin"));
      JobRecord interrupted = new JobRecord(doomed, record.clientId(), record.keyId(), record.model(), record.modelSha256(), JobState.RUNNING, null,
          record.images(), InferenceService.MAX_ATTEMPTS, record.uploadBytes(), 0, record.submittedAt(), record.startedAt(), 0, 0);
      ServiceStore.JSON.writeValue(doomedDir.resolve("job.json").toFile(), interrupted);

      InferenceServer second = InferenceServer.start(config(store, models, 1), backend);
      try {
        ServiceClient again = new ServiceClient(second.baseUri());
        ServiceClient.JobStatus s = again.await(keys.token(), job, WAIT);
        assertEquals(JobState.DONE, s.state(), String.valueOf(s.reason()));
        Path results = tmp.resolve("results.bin");
        again.fetch(keys.token(), job, results, ServiceClient.Progress.NONE);
        assertEquals(0, owner.mismatches(owner.decrypt(results), images));
        assertEquals(2, ((Number) new Http(second.baseUri()).get("/jobs/" + job, keys.token()).json().get("attempts")).intValue());

        ServiceClient.JobStatus failed = again.status(keys.token(), doomed);
        assertEquals(JobState.FAILED, failed.state());
        assertTrue(failed.reason().contains("stopped during each of 3 runs"), failed.reason());
        assertEquals(409, new Http(second.baseUri()).get("/jobs/" + doomed + "/result", keys.token()).status());

        assertFalse(Files.exists(jobDir.resolve(".results.bin-12345.tmp")), "half-written result removed");
        assertFalse(Files.exists(store.resolve("tmp").resolve("upload-1.part")), "half an upload removed");
        assertFalse(Files.exists(cutJob), "a submission without a record removed");
        assertFalse(Files.exists(cutKeys), "a registration without a record removed");
        assertFalse(Files.exists(doomedDir.resolve("results.bin")));
      } finally {
        second.stop();
      }
    }
  }

  @Test
  void aGracefulStopFinishesTheRunningJobRefusesRequestsAndKeepsTheQueuedOne() throws Exception {
    Backend backend = SharedBackend.get();
    Path store = tmp.resolve("store");
    Path models = Files.createDirectories(tmp.resolve("models"));
    TinyModel tiny = TinyModel.write(models);
    try (TestOwner owner = new TestOwner(tmp.resolve("owner"), backend, 1024, tiny)) {
      int[][] images = tiny.images(8, 5);
      Path upload = owner.encrypt(images, 0, tmp.resolve("images.bin"));
      InferenceServer first = InferenceServer.start(config(store, models, 1), backend);
      ServiceClient client = new ServiceClient(first.baseUri());
      Http http = new Http(first.baseUri());
      ServiceClient.Registration keys = client.registerKeys(owner.evaluationKeys, null, ServiceClient.Progress.NONE);
      first.service().holdJobs(true);
      String running = client.submit(keys.token(), keys.keyId(), null, upload, ServiceClient.Progress.NONE);
      String queued = client.submit(keys.token(), keys.keyId(), null, upload, ServiceClient.Progress.NONE);
      for (int i = 0; i < 200 && client.status(keys.token(), running).state() != JobState.RUNNING; i++) {
        Thread.sleep(50);
      }
      assertTrue(first.service().stop(), "the running job finished within the grace");
      // stopped, not yet closed: every request is refused with 503
      Http.Answer health = http.get("/health", null);
      assertEquals(503, health.status());
      assertEquals("shutting_down", health.json().get("status"));
      Http.Answer refused = http.post("/keys", null, owner.evaluationKeys);
      assertEquals(503, refused.status(), refused.body());
      assertTrue(refused.error().contains("shutting down"), refused.body());
      String client1 = first.service().authenticate(keys.token());
      ServiceException e = assertThrows(ServiceException.class,
          () -> first.service().submit(client1, keys.keyId(), null, new ByteArrayInputStream(new byte[10]), 10));
      assertEquals(503, e.status());
      first.stop();
      assertTrue(Files.readString(store.resolve("jobs").resolve(running).resolve("job.json")).contains("\"done\""));
      assertTrue(Files.readString(store.resolve("jobs").resolve(queued).resolve("job.json")).contains("\"queued\""));

      InferenceServer second = InferenceServer.start(config(store, models, 1), backend);
      try {
        ServiceClient again = new ServiceClient(second.baseUri());
        for (String job : List.of(running, queued)) {
          assertEquals(JobState.DONE, again.await(keys.token(), job, WAIT).state(), job);
          Path results = tmp.resolve(job + ".bin");
          again.fetch(keys.token(), job, results, ServiceClient.Progress.NONE);
          assertEquals(0, owner.mismatches(owner.decrypt(results), images));
        }
      } finally {
        second.stop();
      }
    }
  }
}
