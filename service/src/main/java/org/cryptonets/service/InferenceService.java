package org.cryptonets.service;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.io.SerializationException;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.inference.parties.CloudInference;
import org.cryptonets.inference.parties.EncryptedImagesFile;
import org.cryptonets.inference.parties.EvaluationKeysFile;
import org.cryptonets.inference.parties.TwoPartyPlan;
import org.cryptonets.net.IntegerNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud as a service, without HTTP: registers evaluation keys, accepts encrypted batches as
 * jobs, runs them from a queue on one backend through {@link CloudInference#run} (the same path as
 * the {@code infer} command), and hands out the results, each only to the client that registered
 * the keys. {@link InferenceServer} puts it on HTTP.
 *
 * <p>Clients: registering keys without a token makes a new client and returns its token; with a
 * token, the keys join that client's. Only the SHA-256 of a token is kept.
 *
 * <p>Uploads are streamed to a file in the store's {@code tmp/}, validated there with the
 * project's loaders ({@link EvaluationKeysFile#read}; {@link EncryptedImagesFile.Reader} with the
 * keys' parameters and the model's input size: attributes, then every batch's header, parameter
 * fingerprint and checksum, streamed without loading a ciphertext), and moved into place only when
 * valid. A job's record is written atomically at every change of state.
 *
 * <p>Restart: at start, leftovers of a killed run are deleted ({@link ServiceStore#removeLeftovers});
 * every job recorded as queued runs; every job recorded as running runs again (any results file is
 * deleted first), unless it has already been started {@value #MAX_ATTEMPTS} times, when it is marked
 * failed with that reason. Stopping gracefully lets running jobs finish within the configured grace;
 * queued jobs stay queued in the store for the next start, and a running job that does not finish
 * in time stays recorded as running, so it runs again.
 *
 * <p>Thread-safe. Methods throw {@link ServiceException} with the HTTP status of the refusal.
 */
public final class InferenceService implements AutoCloseable {
  /** Starts of one job after which a restart marks it failed instead of running it again. */
  public static final int MAX_ATTEMPTS = 3;
  private static final Logger LOG = LoggerFactory.getLogger(InferenceService.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A registered key: its record, and the parameters and plan read from its file. */
  record KeyEntry(KeyRecord record, BfvParameters parameters, TwoPartyPlan plan) {
  }

  /** Keys and token of a registration. */
  public record Registration(String keyId, String token, KeyRecord record) {
  }

  /** Thrown inside an abandoned job's run to stop it where a crash would. */
  private static final class Abandoned extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Abandoned() {
      super("abandoned", null, false, false);
    }
  }

  private final ServiceConfig config;
  private final ServiceStore store;
  private final ModelCatalog catalog;
  private final Backend backend;
  private final ServiceMetrics metrics = new ServiceMetrics();
  private final Map<String, KeyEntry> keys = new ConcurrentHashMap<>();
  private final Set<String> clients = ConcurrentHashMap.newKeySet();
  private final Map<String, JobRecord> jobs = new ConcurrentHashMap<>();
  private final Map<String, Long> enqueuedAt = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> uploading = new ConcurrentHashMap<>();
  private final ExecutorService workers;
  private volatile boolean stopping;
  private volatile boolean abandoned;
  private boolean backendClosed;
  private final Object stopLock = new Object();
  /** While true, workers hold a job once it is recorded as running (see {@link #holdJobs}). */
  private boolean held;

  private final boolean ownsBackend;

  private InferenceService(ServiceConfig config, ServiceStore store, ModelCatalog catalog, Backend backend, boolean ownsBackend) {
    this.ownsBackend = ownsBackend;
    this.config = config;
    this.store = store;
    this.catalog = catalog;
    this.backend = backend;
    AtomicInteger threads = new AtomicInteger();
    this.workers = Executors.newFixedThreadPool(config.workers(), r -> {
      Thread t = new Thread(r, "cryptonets-job-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Opens the store, loads the models and the backend, recovers the store's keys and jobs, and
   * starts the workers.
   *
   * @throws IllegalArgumentException for a bad models folder or an unknown backend
   */
  public static InferenceService start(ServiceConfig config) {
    return start(config, null);
  }

  /**
   * As {@link #start(ServiceConfig)}, on {@code backend}, which the caller keeps and closes (null:
   * a backend of its own, as configured, closed at stop).
   */
  public static InferenceService start(ServiceConfig config, Backend backend) {
    ServiceStore store = ServiceStore.open(config.store());
    for (Path p : store.removeLeftovers()) {
      LOG.warn("removed {} (left by a run that stopped before finishing it)", p);
    }
    ModelCatalog catalog = new ModelCatalog(config.models());
    boolean own = backend == null;
    Backend b = own ? Backends.open(config.backend() != null ? config.backend() : System.getProperty(Backends.PROPERTY, Backends.DEFAULT)) : backend;
    InferenceService s = new InferenceService(config, store, catalog, b, own);
    try {
      // The service evaluates networks for as long as it runs: compile the backend's code before
      // the first batch (once per JVM; see Backend.warmUp).
      b.warmUp();
      s.recover();
    } catch (RuntimeException e) {
      s.workers.shutdownNow();
      if (own) {
        b.close();
      }
      throw e;
    }
    return s;
  }

  private void recover() {
    for (KeyRecord k : store.keyRecords()) {
      try (EvaluationKeysFile.Contents c = EvaluationKeysFile.read(store.keysFile(k.keyId()), backend, false)) {
        keys.put(k.keyId(), new KeyEntry(k, c.parameters(), c.plan()));
        clients.add(k.clientId());
      } catch (RuntimeException e) {
        LOG.error("ignoring keys {}: {}", k.keyId(), e.getMessage());
      }
    }
    for (JobRecord j : store.jobRecords()) {
      JobRecord r = j;
      if (r.state().active()) {
        if (r.state() == JobState.RUNNING && r.attempts() >= MAX_ATTEMPTS) {
          r = r.failed("the service stopped during each of " + r.attempts() + " runs of this job; it is not run again");
        } else if (!keys.containsKey(r.keyId()) || !Files.isRegularFile(store.imagesFile(r.jobId()))) {
          r = r.failed("the job's evaluation keys or images are missing from the store");
        } else {
          store.deleteResults(r.jobId());
          r = r.requeued();
        }
        store.saveJob(r);
        LOG.info("job {} recovered as {} (was {})", r.jobId(), r.state().label(), j.state().label());
      }
      jobs.put(r.jobId(), r);
      if (r.state() == JobState.QUEUED) {
        enqueue(r.jobId());
      }
    }
  }

  public ServiceConfig config() {
    return config;
  }

  public ModelCatalog catalog() {
    return catalog;
  }

  public Backend backend() {
    return backend;
  }

  public ServiceMetrics metrics() {
    return metrics;
  }

  /** Whether a stop has begun (requests are then refused with 503). */
  public boolean stopping() {
    return stopping;
  }

  // ---- clients ----

  /** SHA-256 of a token, in hexadecimal: the client's identity in the store. */
  static String clientId(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  /**
   * The client holding {@code token}.
   *
   * @throws ServiceException 401 for a missing token or one this service did not issue
   */
  public String authenticate(String token) {
    if (token == null || token.isEmpty()) {
      throw new ServiceException(401, "missing_token", "a token is required: send the one POST /keys returned as 'Authorization: Bearer TOKEN'");
    }
    String id = clientId(token);
    if (!clients.contains(id)) {
      throw new ServiceException(401, "wrong_token", "the token is not one this service issued (register keys with POST /keys to get one)");
    }
    return id;
  }

  // ---- keys ----

  /**
   * Registers an evaluation-keys file read from {@code body}: for a new client when {@code token}
   * is null, otherwise for the token's client.
   *
   * @param declaredLength the body's announced length, or -1
   * @throws ServiceException 401 (wrong token), 429 (keys limit), 413 (body too large), 400 (not a
   *     valid evaluation-keys file; test parameters not allowed), 409 (keys for a model not offered)
   */
  public Registration registerKeys(String token, InputStream body, long declaredLength) {
    String clientId;
    if (token == null) {
      byte[] random = new byte[32];
      RANDOM.nextBytes(random);
      token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
      clientId = clientId(token);
    } else {
      clientId = authenticate(token);
    }
    checkKeyQuota(clientId);
    Path upload = receive(body, declaredLength);
    try {
      BfvParameters params;
      TwoPartyPlan plan;
      try (EvaluationKeysFile.Contents c = EvaluationKeysFile.read(upload, backend, false)) {
        params = c.parameters();
        plan = c.plan();
      } catch (SerializationException e) {
        throw new ServiceException(400, "invalid_keys", "not valid evaluation keys: " + describe(e, upload, "the upload"), e);
      }
      if (params.security().bits() < 128 && !config.allowTestParameters()) {
        throw new ServiceException(400, "insecure_parameters", "the keys' parameters are not 128-bit secure (" + params.security()
            + "); this service accepts only secure parameters");
      }
      ModelCatalog.Offered model = catalog.bySha256(plan.modelSha256());
      if (model == null) {
        throw new ServiceException(409, "model_not_offered", "the keys were made for the model " + plan.modelName() + " (SHA-256 " + plan.modelSha256()
            + "), which this service does not offer; offered: " + catalog.names());
      }
      synchronized (this) {
        checkOpen();
        checkKeyQuota(clientId);
        String keyId = ServiceStore.newId("k-");
        KeyRecord record = new KeyRecord(keyId, clientId, plan.modelName(), plan.modelSha256(), params.n(), params.security().bits(), Files.size(upload),
            System.currentTimeMillis());
        store.addKeys(record, upload);
        keys.put(keyId, new KeyEntry(record, params, plan));
        clients.add(clientId);
        LOG.info("keys {} registered for model {} (n = {}, {}-bit security)", keyId, model.name(), params.n(), params.security().bits());
        return new Registration(keyId, token, record);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      deleteQuietly(upload);
    }
  }

  private void checkKeyQuota(String clientId) {
    long count = keys.values().stream().filter(k -> k.record().clientId().equals(clientId)).count();
    if (count >= config.maxKeysPerClient()) {
      throw new ServiceException(429, "too_many_keys", "this client has registered " + count + " evaluation keys, the most this service allows");
    }
  }

  // ---- jobs ----

  /**
   * Accepts an encrypted-images file read from {@code body} as a job for the client's keys
   * {@code keyId} and the model {@code modelName} (null: the model the keys were made for).
   *
   * @throws ServiceException 400 (no key id; not a valid images file for these keys and model),
   *     404 (unknown or another client's key; unknown model), 409 (the model is not the keys'),
   *     413 (body too large), 429 (too many active jobs), 503 (stopping)
   */
  public JobRecord submit(String clientId, String keyId, String modelName, InputStream body, long declaredLength) {
    checkOpen();
    if (keyId == null || keyId.isEmpty()) {
      throw new ServiceException(400, "missing_key", "the query parameter key=KEY_ID (from POST /keys) is required");
    }
    KeyEntry key = keys.get(keyId);
    if (key == null || !key.record().clientId().equals(clientId)) {
      throw new ServiceException(404, "unknown_key", "no evaluation keys " + keyId + " registered by this client");
    }
    ModelCatalog.Offered model;
    if (modelName == null || modelName.isEmpty()) {
      model = catalog.bySha256(key.plan().modelSha256());
      if (model == null) {
        throw new ServiceException(409, "model_not_offered", "the keys were made for the model " + key.plan().modelName() + ", which this service no longer offers");
      }
    } else {
      model = catalog.byName(modelName);
      if (model == null) {
        throw new ServiceException(404, "unknown_model", "no model " + modelName + "; offered: " + catalog.names());
      }
      try {
        key.plan().checkModel(model.model().name(), model.model().sha256(), "keys " + keyId);
      } catch (IllegalArgumentException e) {
        throw new ServiceException(409, "model_mismatch", "keys " + keyId + " were made for the model " + key.plan().modelName() + " (SHA-256 "
            + key.plan().modelSha256() + "), not for " + model.name() + " (SHA-256 " + model.model().sha256() + ")");
      }
    }
    AtomicInteger inFlight = uploading.computeIfAbsent(clientId, c -> new AtomicInteger());
    inFlight.incrementAndGet();
    try {
      checkJobQuota(clientId, inFlight.get() - 1);
      Path upload = receive(body, declaredLength);
      try {
        int images;
        try (EncryptedImagesFile.Reader reader = new EncryptedImagesFile.Reader(upload, key.parameters(), model.pixels())) {
          images = reader.images();
          for (int j = 0; j < key.parameters().plainModuli().size(); j++) {
            reader.skipNext();
          }
          reader.finish();
        } catch (SerializationException e) {
          throw new ServiceException(400, "invalid_images", "not a valid encrypted-images file for keys " + keyId + " and model " + model.name() + ": "
              + describe(e, upload, "the upload"), e);
        }
        synchronized (this) {
          checkOpen();
          JobRecord record = JobRecord.queued(ServiceStore.newId("j-"), clientId, keyId, model.name(), model.model().sha256(), images, Files.size(upload));
          store.addJob(record, upload);
          jobs.put(record.jobId(), record);
          LOG.info("job {} queued: {} images for keys {} and model {}", record.jobId(), images, keyId, model.name());
          enqueue(record.jobId());
          return record;
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      } finally {
        deleteQuietly(upload);
      }
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private void checkJobQuota(String clientId, int otherUploads) {
    long active = jobs.values().stream().filter(j -> j.clientId().equals(clientId) && j.state().active()).count() + otherUploads;
    if (active >= config.maxActiveJobsPerClient()) {
      throw new ServiceException(429, "too_many_jobs", "this client has " + active + " jobs queued, running or uploading, the most this service allows;"
          + " fetch results and submit again later");
    }
  }

  /**
   * The client's job {@code jobId}.
   *
   * @throws ServiceException 404 for an unknown job or another client's
   */
  public JobRecord job(String clientId, String jobId) {
    JobRecord r = ServiceStore.wellFormedId(jobId) ? jobs.get(jobId) : null;
    if (r == null || !r.clientId().equals(clientId)) {
      throw new ServiceException(404, "unknown_job", "no job " + jobId + " for this client");
    }
    return r;
  }

  /**
   * The results file of the client's finished job.
   *
   * @throws ServiceException 404 (unknown or another client's job), 409 (not done: queued, running
   *     or failed, with the reason)
   */
  public Path result(String clientId, String jobId) {
    JobRecord r = job(clientId, jobId);
    if (r.state() != JobState.DONE) {
      throw new ServiceException(409, "not_done", "job " + jobId + " is " + r.state().label()
          + (r.state() == JobState.FAILED ? ": " + r.reason() : "; poll GET /jobs/" + jobId + " until it is done"));
    }
    return store.resultsFile(jobId);
  }

  /** Jobs by state, for metrics and health. */
  public Map<String, Long> jobCounts() {
    Map<String, Long> m = new LinkedHashMap<>();
    for (JobState s : JobState.values()) {
      m.put(s.label(), jobs.values().stream().filter(j -> j.state() == s).count());
    }
    return m;
  }

  private void enqueue(String jobId) {
    enqueuedAt.put(jobId, System.nanoTime());
    workers.execute(() -> run(jobId));
  }

  /** One job on a worker: CloudInference.run on the stored files, the record updated before and after. */
  private void run(String jobId) {
    if (stopping) {
      return; // stays queued in the store, for the next start
    }
    JobRecord queued = jobs.get(jobId);
    if (queued == null || queued.state() != JobState.QUEUED) {
      return;
    }
    Long since = enqueuedAt.remove(jobId);
    double waited = since == null ? 0 : (System.nanoTime() - since) / 1e9;
    JobRecord running = queued.running();
    persist(running);
    synchronized (workers) {
      while (held && !stopping) {
        try {
          workers.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    if (abandoned) {
      return;
    }
    try {
      KeyEntry key = keys.get(running.keyId());
      ModelCatalog.Offered model = catalog.byName(running.model());
      if (key == null || model == null) {
        persist(running.failed("the job's " + (key == null ? "evaluation keys are" : "model " + running.model() + " is") + " no longer available"));
        return;
      }
      IntegerNetwork network = model.forPlan(key.plan(), "keys " + running.keyId());
      store.deleteResults(jobId);
      CloudInference.Result r = CloudInference.run(store.keysFile(running.keyId()), store.imagesFile(jobId), store.resultsFile(jobId), network, backend,
          line -> {
            if (abandoned) {
              throw new Abandoned();
            }
            LOG.info("job {}: {}", jobId, line);
          });
      persist(running.done(r.downloadBytes(), r.seconds()));
      metrics.batch(r.seconds(), waited);
      LOG.info("job {} done in {} s", jobId, String.format(java.util.Locale.ROOT, "%.1f", r.seconds()));
    } catch (Abandoned e) {
      // left as a crash leaves it: recorded as running
    } catch (RuntimeException | OutOfMemoryError e) {
      if (abandoned) {
        return;
      }
      if (stopping) {
        // stopped under the job (its temporary file removed by a shutdown hook, say): run it again next start
        persist(running.requeued());
        return;
      }
      String why = describe(e, null, null);
      LOG.error("job {} failed: {}", jobId, why);
      persist(running.failed(why));
    }
  }

  private void persist(JobRecord r) {
    if (abandoned) {
      return;
    }
    store.saveJob(r);
    jobs.put(r.jobId(), r);
  }

  // ---- bodies ----

  /**
   * Streams a request body into a new file in the store's {@code tmp/}, counting it against the
   * size limit; the caller deletes the file.
   */
  private Path receive(InputStream body, long declaredLength) {
    long max = config.maxBodyBytes();
    if (declaredLength > max) {
      throw new ServiceException(413, "body_too_large", "the body of " + declaredLength + " bytes is larger than this service's limit of " + max + " bytes");
    }
    Path upload = store.newUpload();
    long total = 0;
    try {
      try (OutputStream out = Files.newOutputStream(upload)) {
        byte[] buffer = new byte[1 << 20];
        int n;
        while ((n = body.read(buffer)) >= 0) {
          total += n;
          metrics.received(n);
          if (total > max) {
            throw new ServiceException(413, "body_too_large", "the body is larger than this service's limit of " + max + " bytes");
          }
          out.write(buffer, 0, n);
        }
      }
      if (declaredLength >= 0 && total != declaredLength) {
        throw new ServiceException(400, "incomplete_body", "the body ended after " + total + " of the " + declaredLength + " bytes announced");
      }
      if (total == 0) {
        throw new ServiceException(400, "empty_body", "the request has no body; send the file as the body");
      }
      return upload;
    } catch (IOException e) {
      deleteQuietly(upload);
      throw new ServiceException(400, "incomplete_body", "the body could not be read after " + total + " bytes: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      deleteQuietly(upload);
      throw e;
    }
  }

  /** A failure's message without the store's paths: the client's own names for its files instead. */
  private String describe(Throwable e, Path upload, String uploadName) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (upload != null) {
      m = m.replace(upload.toString(), uploadName);
    }
    return m.replace(store.root().toString() + java.io.File.separator, "");
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.warn("cannot delete {}: {}", p, e.getMessage());
    }
  }

  private void checkOpen() {
    if (stopping) {
      throw new ServiceException(503, "shutting_down", "the service is shutting down; try again after it restarts");
    }
  }

  /**
   * Stops gracefully: refuses new work, lets running jobs finish within the configured grace
   * (queued jobs stay queued in the store), then releases the backend. Returns true if no job was
   * still running. Idempotent.
   */
  public boolean stop() {
    synchronized (stopLock) {
      return stopOnce();
    }
  }

  private boolean stopOnce() {
    stopping = true;
    holdJobs(false);
    workers.shutdown();
    boolean finished;
    try {
      finished = workers.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      finished = false;
    }
    if (finished) {
      if (ownsBackend && !backendClosed) {
        backendClosed = true;
        backend.close();
      }
    } else {
      LOG.warn("jobs still running after {}: they stay recorded as running and run again at the next start", config.shutdownGrace());
    }
    return finished;
  }

  /**
   * Makes workers hold each job they take, once it is recorded as running and before its
   * inference starts (true), or lets them go on (false); for tests that need jobs to stay active
   * (quotas) or to be caught running (recovery). A stop lets held jobs go on.
   */
  void holdJobs(boolean hold) {
    synchronized (workers) {
      held = hold;
      workers.notifyAll();
    }
  }

  /**
   * Stops the way a crash would, for tests of recovery: no record is written from now on, running
   * jobs stop at their next progress report without writing results, and nothing is waited for.
   */
  void abandon() {
    abandoned = true;
    stopping = true;
    holdJobs(false);
    workers.shutdownNow();
  }

  @Override
  public void close() {
    stop();
  }

  /** Jobs of the store, for tests. */
  List<JobRecord> jobRecords() {
    return List.copyOf(jobs.values());
  }
}
