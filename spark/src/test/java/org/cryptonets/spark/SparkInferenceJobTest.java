package org.cryptonets.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.KeyGenerator;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.bfv.io.SerializationException;
import org.cryptonets.data.TensorShape;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.inference.DataOwner;
import org.cryptonets.inference.LoadedModel;
import org.cryptonets.inference.ParameterPlanner;
import org.cryptonets.inference.parties.CloudInference;
import org.cryptonets.inference.parties.EncryptedImagesFile;
import org.cryptonets.inference.parties.EncryptedResultsFile;
import org.cryptonets.inference.parties.EvaluationKeysFile;
import org.cryptonets.inference.parties.PartyFiles;
import org.cryptonets.inference.parties.TwoPartyPlan;
import org.cryptonets.net.FloatNetwork;
import org.cryptonets.net.IntegerNetwork;
import org.cryptonets.net.NetworkFile;
import org.cryptonets.net.QuantizationSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job in {@code local[2]} (two task slots, two attempts per task) on real 8192-slot
 * batches at 128-bit parameters: three batch files encrypted as the owner's {@code encrypt} does
 * (DataOwner, EncryptedImagesFile) and a damaged copy of one. Every result must equal, byte for
 * byte, what {@link CloudInference#run} (the {@code infer} command's job) writes for the same file,
 * and decrypt to the clear integer network's logits for all 8192 images; the damaged batch fails
 * alone with the loader's message; a rerun leaves identical results in place and refuses to
 * replace another; a task that crashes between writing and committing is retried and leaves a
 * correct result and no temporary file.
 *
 * <p>Speed: the committed MNIST model takes about 20 s per batch on two cores, so the model here is
 * a tiny one made in the test (16 inputs, dense 6, square, dense 3) under the planner's real
 * parameters (n = 8192); the job's work per batch is the same code path.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SparkInferenceJobTest {
  static final int BATCHES = 3;
  static final String MODEL_NAME = "tiny.cnet";
  static final QuantizationSpec WIDTHS = QuantizationSpec.of(4, 6, 6);

  @TempDir
  static Path tmp;

  JavaSparkContext sc;
  Backend backend;
  KeyGenerator ownerKeys;
  BfvParameters params;
  TwoPartyPlan plan;
  IntegerNetwork network;
  Path model;
  Path keys;
  Path inputs;
  int[][][] images = new int[BATCHES][][];
  List<byte[]> expected = new ArrayList<>();
  String damagedMessage;
  JobSummary firstRun;
  Path firstOutput;

  @BeforeAll
  void makeBatchesAndRunTheJobOnce() throws IOException {
    backend = Backends.open("cpu");
    model = tmp.resolve(MODEL_NAME);
    Files.write(model, NetworkFile.toBytes(tinyNetwork(), Map.of()));
    LoadedModel loaded = LoadedModel.load(model);
    network = loaded.quantize(WIDTHS);
    Random random = new Random(12);
    int logitBits = 0;
    for (int b = 0; b < BATCHES; b++) {
      images[b] = new int[8192][];
      for (int s = 0; s < images[b].length; s++) {
        byte[] pixels = new byte[16];
        random.nextBytes(pixels);
        images[b][s] = network.quantizeInput(pixels);
        logitBits = Math.max(logitBits, IntegerNetwork.bits(network.logits(images[b][s])));
      }
    }
    CryptoNetPlan schedule = ParameterPlanner.choose(network, logitBits, ParameterPlanner.plainBitsFor(logitBits)).plan();
    params = schedule.parameters();
    assertEquals(8192, params.n(), "the planner's smallest ring at 128-bit security");
    assertTrue(params.security().bits() >= 128, params.security().toString());
    plan = TwoPartyPlan.of(params, schedule, logitBits, MODEL_NAME, loaded.sha256(), WIDTHS);
    keys = tmp.resolve(PartyFiles.EVALUATION_KEYS_FILE);
    ownerKeys = new KeyGenerator(params, backend);
    try (RelinKeys rk = ownerKeys.createRelinKeys(); PublicKey pk = ownerKeys.createPublicKey()) {
      EvaluationKeysFile.write(keys, params, plan, rk, pk);
    }
    inputs = Files.createDirectories(tmp.resolve("in"));
    try (DataOwner owner = new DataOwner(params, backend, ownerKeys.secretKey())) {
      for (int b = 0; b < BATCHES; b++) {
        try (EncryptedImagesFile.Writer writer = new EncryptedImagesFile.Writer(inputs.resolve("batch-" + b + ".bin"), params, 8192, 16, b * 8192)) {
          for (int j = 0; j < params.plainModuli().size(); j++) {
            try (CiphertextBatch batch = owner.encryptImages(images[b], j, plan.inputLevel())) {
              writer.write(batch, batch.seed());
            }
          }
          writer.commit();
        }
      }
    }
    // infer's job on each file: the reference the Spark results must equal byte for byte
    IntegerNetwork forKeys = LoadedModel.forPlan(model, plan, keys.toString());
    for (int b = 0; b < BATCHES; b++) {
      Path reference = tmp.resolve("reference-" + b + ".results");
      CloudInference.run(keys, inputs.resolve("batch-" + b + ".bin"), reference, forKeys, backend, line -> { });
      expected.add(Files.readAllBytes(reference));
    }
    byte[] damaged = Files.readAllBytes(inputs.resolve("batch-1.bin"));
    damaged[damaged.length / 2] ^= 0x5A;
    Path damagedFile = inputs.resolve("damaged.bin");
    Files.write(damagedFile, damaged);
    damagedMessage = assertThrows(SerializationException.class,
        () -> CloudInference.run(keys, damagedFile, tmp.resolve("damaged.results"), forKeys, backend, line -> { })).getMessage();

    sc = new JavaSparkContext(new SparkConf().setMaster("local[2,2]").setAppName(getClass().getSimpleName()).set("spark.ui.enabled", "false")
        .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1"));
    firstOutput = tmp.resolve("out");
    firstRun = SparkInferenceJob.run(sc, spec(inputs, firstOutput, "*"), line -> { });
  }

  @AfterAll
  void tearDown() {
    if (sc != null) {
      sc.stop();
    }
    if (ownerKeys != null) {
      ownerKeys.secretKey().close();
    }
    backend.close();
  }

  /** 1 x 4 x 4 inputs, dense 16 -> 6, square, dense 6 -> 3; fixed weights. */
  static FloatNetwork tinyNetwork() {
    Random random = new Random(7);
    TensorShape input = new TensorShape(1, 4, 4);
    double[] w1 = random.doubles(6 * 16, -1, 1).toArray();
    double[] b1 = random.doubles(6, -0.5, 0.5).toArray();
    double[] w2 = random.doubles(3 * 6, -1, 1).toArray();
    double[] b2 = random.doubles(3, -0.5, 0.5).toArray();
    return new FloatNetwork(input, List.of(FloatNetwork.Affine.dense("fc1", input, 6, w1, b1), new FloatNetwork.Square("square", TensorShape.flat(6)),
        FloatNetwork.Affine.dense("fc2", TensorShape.flat(6), 3, w2, b2)));
  }

  SparkInferenceJob.Spec spec(Path in, Path out, String glob) {
    return new SparkInferenceJob.Spec(keys.toString(), in.toString(), out.toString(), model.toString(), glob);
  }

  @Test
  void everyGoodBatchEqualsInferByteForByteAndDecryptsToTheClearNetwork() throws IOException {
    try (DataOwner owner = new DataOwner(params, backend, ownerKeys.secretKey())) {
      for (int b = 0; b < BATCHES; b++) {
        BatchOutcome outcome = outcome(firstRun, "batch-" + b + ".bin");
        assertEquals(BatchOutcome.Status.DONE, outcome.status(), outcome.toString());
        assertEquals(8192, outcome.images());
        Path result = firstOutput.resolve("batch-" + b + ".bin.results");
        assertArrayEquals(expected.get(b), Files.readAllBytes(result), "batch " + b + ": the Spark result differs from infer's");
        EncryptedResultsFile.Contents contents = EncryptedResultsFile.read(result, params);
        assertEquals(b * 8192, contents.first());
        DataOwner.Decryption d = owner.decryptResults(contents.results(), contents.images(), plan.valueBits());
        assertTrue(d.trustworthy(), "noise budget " + d.minNoiseBudget() + ", out of range " + d.outOfRange().size());
        int mismatches = 0;
        for (int s = 0; s < 8192; s++) {
          BigInteger[] clear = network.logits(images[b][s]);
          if (!java.util.Arrays.equals(clear, d.logits()[s])) {
            mismatches++;
          }
        }
        assertEquals(0, mismatches, "batch " + b + ": images whose decrypted logits differ from the clear integer network");
      }
    }
    assertTrue(firstRun.backend().startsWith("cpu"), firstRun.backend());
  }

  @Test
  void aDamagedBatchFailsAloneWithTheLoadersMessage() throws IOException {
    assertEquals(BATCHES, firstRun.batchesDone());
    assertEquals(1, firstRun.batchesFailed());
    assertEquals(BATCHES * 8192L, firstRun.images());
    BatchOutcome failed = firstRun.failures().get(0);
    assertTrue(failed.input().endsWith("/damaged.bin"), failed.input());
    assertEquals(damagedMessage, failed.message());
    assertTrue(damagedMessage.startsWith("CHECKSUM") || damagedMessage.contains("damaged.bin"), damagedMessage);
    assertFalse(Files.exists(firstOutput.resolve("damaged.bin.results")));
    assertEquals(List.of("batch-0.bin.results", "batch-1.bin.results", "batch-2.bin.results"), names(firstOutput), "no temporary or partial file");
    assertTrue(String.join("\n", firstRun.describe()).contains("damaged.bin: " + damagedMessage), String.join("\n", firstRun.describe()));
  }

  @Test
  void aRerunLeavesIdenticalResultsAsTheyAreAndRefusesToReplaceOthers() throws IOException {
    Path out = tmp.resolve("rerun");
    Files.createDirectories(out);
    Files.write(out.resolve("batch-0.bin.results"), expected.get(0));
    Files.write(out.resolve("batch-1.bin.results"), expected.get(0)); // another batch's result
    FileTime before = Files.getLastModifiedTime(out.resolve("batch-0.bin.results"));
    JobSummary rerun = SparkInferenceJob.run(sc, spec(inputs, out, "batch-[01].bin"), line -> { });
    assertEquals(BatchOutcome.Status.ALREADY_PRESENT, outcome(rerun, "batch-0.bin").status());
    assertEquals(before, Files.getLastModifiedTime(out.resolve("batch-0.bin.results")), "an identical result is left as it is");
    BatchOutcome conflict = outcome(rerun, "batch-1.bin");
    assertEquals(BatchOutcome.Status.FAILED, conflict.status());
    assertTrue(conflict.message().contains("exists with other contents"), conflict.message());
    assertArrayEquals(expected.get(0), Files.readAllBytes(out.resolve("batch-1.bin.results")), "a result the job did not make is never replaced");
    assertEquals(List.of("batch-0.bin.results", "batch-1.bin.results"), names(out));
  }

  @Test
  void aTaskThatCrashesBeforeItsCommitIsRetriedAndLeavesACorrectResult() throws IOException {
    Path out = tmp.resolve("crash");
    sc.setLocalProperty(BatchInferenceTask.CRASH_FIRST_ATTEMPT_PROPERTY, "batch-2.bin");
    JobSummary crashed;
    try {
      crashed = SparkInferenceJob.run(sc, spec(inputs, out, "batch-[02].bin"), line -> { });
    } finally {
      sc.setLocalProperty(BatchInferenceTask.CRASH_FIRST_ATTEMPT_PROPERTY, null);
    }
    BatchOutcome retried = outcome(crashed, "batch-2.bin");
    assertEquals(BatchOutcome.Status.DONE, retried.status(), retried.toString());
    assertEquals(1, retried.attempt(), "committed by the second attempt");
    assertEquals(0, outcome(crashed, "batch-0.bin").attempt());
    assertEquals(1, crashed.staleTemporaryFiles(), "the crashed attempt's temporary file, removed by the driver");
    assertArrayEquals(expected.get(2), Files.readAllBytes(out.resolve("batch-2.bin.results")));
    assertArrayEquals(expected.get(0), Files.readAllBytes(out.resolve("batch-0.bin.results")));
    assertEquals(List.of("batch-0.bin.results", "batch-2.bin.results"), names(out), "no temporary file remains");
  }

  @Test
  void theCommandLinePrintsTheSummaryWritesItAsJsonAndRefusesBadInput() throws IOException {
    Path out = tmp.resolve("cli");
    Path json = tmp.resolve("summary.json");
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    ByteArrayOutputStream errors = new ByteArrayOutputStream();
    int code = SparkInferenceCommand.run(List.of("--keys", keys.toString(), "--in", inputs.toString(), "--out", out.toString(), "--model", model.toString(),
        "--glob", "*-1.bin", "--summary", json.toString()), print(text), print(errors), sc);
    String printed = text.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, printed + errors.toString(StandardCharsets.UTF_8));
    assertTrue(printed.contains("batches: 1 done, 0 failed, of 1; images: 8,192"), printed);
    assertTrue(printed.matches("(?s).*time: [0-9.]+ s in all, [0-9.]+ s per batch \\(mean task time\\); throughput [0-9.]+ images/s.*"), printed);
    JsonNode summary = new ObjectMapper().readTree(json.toFile());
    assertEquals(1, summary.get("batchesDone").asInt());
    assertEquals(0, summary.get("batchesFailed").asInt());
    assertEquals(8192, summary.get("images").asLong());
    assertTrue(summary.get("imagesPerSecond").asDouble() > 0);
    assertEquals("DONE", summary.get("batches").get(0).get("status").asText());
    assertArrayEquals(expected.get(1), Files.readAllBytes(out.resolve("batch-1.bin.results")));

    // nothing matches: bad input, exit 2, before any task
    errors.reset();
    assertEquals(2, SparkInferenceCommand.run(List.of("--keys", keys.toString(), "--in", inputs.toString(), "--out", out.toString(), "--model",
        model.toString(), "--glob", "nothing*"), print(new ByteArrayOutputStream()), print(errors), sc));
    assertTrue(errors.toString(StandardCharsets.UTF_8).contains("no batch file matches --glob nothing*"), errors.toString(StandardCharsets.UTF_8));
    // the committed model (no --model) is not the one the keys were made for: refused by name
    errors.reset();
    assertEquals(2, SparkInferenceCommand.run(List.of("--keys", keys.toString(), "--in", inputs.toString(), "--out", tmp.resolve("never").toString()),
        print(new ByteArrayOutputStream()), print(errors), sc));
    String refusal = errors.toString(StandardCharsets.UTF_8);
    assertTrue(refusal.contains(MODEL_NAME) && refusal.contains(LoadedModel.COMMITTED), refusal);
    assertFalse(Files.exists(tmp.resolve("never")), "nothing written");
    // a missing option
    errors.reset();
    assertEquals(2, SparkInferenceCommand.run(List.of("--keys", keys.toString()), print(new ByteArrayOutputStream()), print(errors), sc));
    assertTrue(errors.toString(StandardCharsets.UTF_8).contains("--in"), errors.toString(StandardCharsets.UTF_8));
  }

  @Test
  void batchesOnAnotherFileSystemAreCopiedInAndTheirFailuresNameTheInput() throws IOException {
    sc.hadoopConfiguration().set("fs.other.impl", OtherSchemeFileSystem.class.getName());
    sc.hadoopConfiguration().setBoolean("fs.other.impl.disable.cache", true);
    Path out = tmp.resolve("other-out");
    JobSummary summary = SparkInferenceJob.run(sc, new SparkInferenceJob.Spec(keys.toString(), "other://" + inputs.toAbsolutePath(),
        "other://" + out.toAbsolutePath(), model.toString(), "{batch-0,damaged}.bin"), line -> { });
    BatchOutcome done = outcome(summary, "batch-0.bin");
    assertEquals(BatchOutcome.Status.DONE, done.status(), done.toString());
    assertTrue(done.input().startsWith("other:/") && done.output().startsWith("other:/"), done.toString());
    assertArrayEquals(expected.get(0), Files.readAllBytes(out.resolve("batch-0.bin.results")));
    BatchOutcome failed = outcome(summary, "damaged.bin");
    assertEquals(BatchOutcome.Status.FAILED, failed.status());
    // the loader read the task's local copy; the message names the input instead
    assertEquals(damagedMessage.replace(inputs.resolve("damaged.bin").toAbsolutePath().toString(), failed.input()), failed.message());
    assertEquals(List.of("batch-0.bin.results"), names(out));
  }

  /**
   * This machine's files under the scheme {@code other:}, standing in for a remote file system
   * (HDFS, S3): the job copies its batches to the task's local folder before reading them.
   */
  public static final class OtherSchemeFileSystem extends org.apache.hadoop.fs.RawLocalFileSystem {
    @Override
    public java.net.URI getUri() {
      return java.net.URI.create("other:///");
    }

  }

  @Test
  void executorThreadsComeFromTheExecutorCoresOrTheLocalMaster() {
    assertEquals(3, SparkInferenceJob.executorThreads(new SparkConf(false).setMaster("yarn").set("spark.executor.cores", "3")));
    assertEquals(2, SparkInferenceJob.executorThreads(new SparkConf(false).setMaster("local[2,2]")));
    assertEquals(4, SparkInferenceJob.executorThreads(new SparkConf(false).setMaster("local[4]")));
    assertEquals(null, SparkInferenceJob.executorThreads(new SparkConf(false).setMaster("local[*]")));
  }

  static BatchOutcome outcome(JobSummary summary, String name) {
    for (BatchOutcome o : summary.batches()) {
      if (o.input().endsWith("/" + name)) {
        return o;
      }
    }
    throw new AssertionError(name + " not in " + summary.batches());
  }

  /** Every name in a folder, hidden ones included, sorted. */
  static List<String> names(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  static PrintStream print(ByteArrayOutputStream bytes) {
    return new PrintStream(bytes, true, StandardCharsets.UTF_8);
  }
}
