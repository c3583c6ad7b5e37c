package org.cryptonets.app.parties;

import org.cryptonets.inference.parties.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.cryptonets.app.UsageError;
import org.cryptonets.app.cloud.InferCommand;
import org.cryptonets.app.owner.DecryptCommand;
import org.cryptonets.app.owner.EncryptCommand;
import org.cryptonets.app.owner.KeygenCommand;
import org.cryptonets.app.owner.OwnerKeys;
import org.cryptonets.bfv.BfvParameterSpec;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.bfv.io.SerializationException;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.net.IntegerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The two roles with real files in between: keygen, encrypt, infer (evaluation keys only), decrypt,
 * on real MNIST test images; the decrypted logits must equal the integer network's in the clear.
 * Then hostile files at each step. Speed needs insecure toy parameters: n = 1024 with the real
 * seven 31-bit primes and two 29-bit plaintext primes, SecurityLevel.NONE; the 128-bit run is
 * {@code TwoPartyFullBatchTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public class TwoPartyFlowTest {
  static final int IMAGES = 40;

  @TempDir
  static Path tmp;

  Backend backend;
  BfvParameters params;
  TwoPartyPlan plan;
  IntegerNetwork network;
  LabeledImages test;
  int[][] quantized;
  Path owner;
  Path intruder;
  Path upload;
  Path results;
  org.cryptonets.inference.parties.CloudInference.Result inference;

  /** INSECURE toy parameters (SecurityLevel.NONE): seven 31-bit primes, two 29-bit plaintext primes; shared with the service tests. */
  public static BfvParameters toyParameters(int n) {
    BfvParameterSpec s = BfvParameterSpec.of(n, List.of(31, 31, 31, 31, 31, 31, 31), 29, 2);
    s.security = SecurityLevel.NONE;
    return BfvParameters.create(s);
  }

  @BeforeAll
  void runTheFlowOnce() {
    backend = Backends.open("cpu");
    params = toyParameters(1024);
    network = IntegerNetwork.loadDefault();
    CryptoNetPlan single = CryptoNetPlan.of(params.n(), List.of(31, 31, 31, 31, 31, 31, 31), 29, 2, new int[] {5, 3}, 3);
    plan = TwoPartyPlan.of(params, single, 54, org.cryptonets.app.ModelOption.COMMITTED, org.cryptonets.app.ModelOption.committed().sha256(),
        org.cryptonets.net.QuantizationSpec.DEFAULT);
    test = ImageDataset.obtain(null).test();
    quantized = new int[IMAGES][];
    for (int s = 0; s < IMAGES; s++) {
      quantized[s] = network.quantizeInput(test.image(s));
    }
    owner = tmp.resolve("owner");
    intruder = tmp.resolve("intruder");
    KeygenCommand.generate(owner, params, plan, backend, false, quiet());
    KeygenCommand.generate(intruder, params, plan, backend, false, quiet());
    upload = tmp.resolve("images.bin");
    results = tmp.resolve("results.bin");
    try (OwnerKeys keys = OwnerKeys.load(owner, backend, quiet())) {
      EncryptCommand.encrypt(keys, backend, quantized, upload, quiet());
    }
    inference = InferCommand.infer(owner.resolve(PartyFiles.EVALUATION_KEYS_FILE), upload, results, network, backend, quiet());
  }

  @AfterAll
  void tearDown() {
    backend.close();
  }

  static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }

  @Test
  void decryptedLogitsEqualTheClearIntegerNetwork() {
    assertEquals(6, plan.inputLevel(), "the owner sends one prime below the top");
    assertEquals(3, plan.outputLevel());
    assertEquals(40, plan.resultBits());
    try (OwnerKeys keys = OwnerKeys.load(owner, backend, quiet())) {
      DecryptCommand.Decryption d = DecryptCommand.decrypt(keys, backend, results);
      assertTrue(d.trustworthy(), "noise budget " + d.minNoiseBudget + ", implausible " + d.implausible);
      assertTrue(d.minNoiseBudget >= 4, "noise budget " + d.minNoiseBudget + " bits after compression to 2^40");
      for (int s = 0; s < IMAGES; s++) {
        assertArrayEquals(network.logits(quantized[s]), d.logits[s], "image " + s);
      }
    }
  }

  @Test
  void filesHaveTheExpectedSizesAndPermissions() throws Exception {
    int n = params.n();
    // Upload: per prime, 784 c0 halves at level 6 (6 x 31 bits per coefficient) and a seed.
    long c0 = (784L * n * 6 * 31 + 7) / 8;
    assertEquals(2 * (52 + 8 + 32 + c0 + 4), Files.size(upload) - attributesRecord(upload));
    assertEquals(Files.size(upload), inference.uploadBytes());
    // Download: per prime, 10 ciphertexts of 2 polynomials at 40 bits per coefficient.
    long values = (10L * 2 * n * 40 + 7) / 8;
    assertEquals(2 * (52 + 8 + values + 4), Files.size(results) - attributesRecord(results));
    assertTrue(inference.downloadBytes() * 1.0 / n <= 250, "download per image " + inference.downloadBytes() * 1.0 / n);
    if (Files.getFileStore(owner).supportsFileAttributeView("posix")) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(owner.resolve(PartyFiles.SECRET_KEY_FILE))));
      assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(owner.resolve(PartyFiles.EVALUATION_KEYS_FILE))));
    }
  }

  /** Size of the leading attributes record of a party file. */
  static long attributesRecord(Path file) throws Exception {
    byte[] head = Arrays.copyOf(Files.readAllBytes(file), 52);
    long payload = java.nio.ByteBuffer.wrap(head).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(44);
    return 52 + payload + 4;
  }

  @Test
  void resultsUnderAnotherKeyAreReportedAsUntrustworthy() {
    // Same parameters, another secret key: every file check passes, decryption yields noise.
    try (OwnerKeys keys = OwnerKeys.load(intruder, backend, quiet())) {
      DecryptCommand.Decryption d = DecryptCommand.decrypt(keys, backend, results);
      assertFalse(d.trustworthy());
      assertEquals(0, d.minNoiseBudget);
      assertEquals(IMAGES, d.implausible, "a uniform 58-bit value falls inside +-2^54 with probability 1/8 per logit, so all ten almost never do");
    }
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    ByteArrayOutputStream errors = new ByteArrayOutputStream();
    Path csv = tmp.resolve("intruder-predictions.csv");
    PrintStream standardError = System.err;
    int code;
    System.setErr(new PrintStream(errors, true, StandardCharsets.UTF_8));
    try {
      code = DecryptCommand.run(List.of("--keys", intruder.toString(), "--in", results.toString(), "--out", csv.toString()),
          new PrintStream(text, true, StandardCharsets.UTF_8));
    } finally {
      System.setErr(standardError);
    }
    String report = text.toString(StandardCharsets.UTF_8);
    String failure = errors.toString(StandardCharsets.UTF_8);
    assertEquals(1, code, report);
    // the failure goes to standard error, and a failed command leaves no output
    assertTrue(failure.contains("decryption check FAILED") && failure.contains("not computed on ciphertexts under this secret key"), failure);
    assertFalse(report.contains("FAILED"), report);
    assertFalse(Files.exists(csv), "no predictions file after a failed check");
    assertTrue(report.matches("(?s).*accuracy: [0-9.]+% \\(\\d+ of 40 .*logits equal to the integer network in the clear: 0 of 40.*"), report);
  }

  @Test
  void decryptRefusesAFirstImageOtherThanTheRecordedOne() {
    UsageError e = assertThrows(UsageError.class, () -> DecryptCommand.run(List.of("--keys", owner.toString(), "--in", results.toString(), "--first", "5"),
        quiet()));
    assertTrue(e.getMessage().contains("--first 5, but") && e.getMessage().contains("holds the results of images 0 to " + (IMAGES - 1)), e.getMessage());
    assertEquals(0, EncryptedResultsFile.read(results, params).first());
  }

  @Test
  void theRightKeyPassesTheCommandLineCheck() {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    Path csv = tmp.resolve("predictions.csv");
    int code = DecryptCommand.run(List.of("--keys", owner.toString(), "--in", results.toString(), "--out", csv.toString()),
        new PrintStream(text, true, StandardCharsets.UTF_8));
    String report = text.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, report);
    assertTrue(report.contains("logits equal to the integer network in the clear: 40 of 40"), report);
    assertTrue(report.contains("decryption check passed"), report);
    assertTrue(Files.exists(csv));
  }

  @Test
  void keygenNeverOverwritesASecretKeyUnasked() throws Exception {
    byte[] before = Files.readAllBytes(owner.resolve(PartyFiles.SECRET_KEY_FILE));
    UsageError e = assertThrows(UsageError.class, () -> KeygenCommand.generate(owner, params, plan, backend, false, quiet()));
    assertTrue(e.getMessage().contains("--force"), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(owner.resolve(PartyFiles.SECRET_KEY_FILE)));
  }

  // ---- hostile input to the cloud: a clear error and no output file ----

  Path copy(Path file, String name, Consumer<byte[]> change, int newLength) throws Exception {
    byte[] b = Files.readAllBytes(file);
    change.accept(b);
    Path out = tmp.resolve(name);
    Files.write(out, newLength < 0 ? b : Arrays.copyOf(b, newLength));
    return out;
  }

  Stream<Arguments> hostileCloudInputs() throws Exception {
    Path otherKeys = tmp.resolve("other");
    KeygenCommand.generate(otherKeys, toyParameters(2048), TwoPartyPlan.of(toyParameters(2048),
        CryptoNetPlan.of(2048, List.of(31, 31, 31, 31, 31, 31, 31), 29, 2, new int[] {5, 3}, 3), 54, org.cryptonets.app.ModelOption.COMMITTED,
        org.cryptonets.app.ModelOption.committed().sha256(), org.cryptonets.net.QuantizationSpec.DEFAULT), backend, false, quiet());
    Path evaluation = owner.resolve(PartyFiles.EVALUATION_KEYS_FILE);
    long firstBatch = attributesRecord(upload) + 100_000;
    return Stream.of(
        Arguments.of("ciphertexts under other parameters", otherKeys.resolve(PartyFiles.EVALUATION_KEYS_FILE), upload, SerializationException.Code.PARAMETER_MISMATCH,
            "expected"),
        Arguments.of("upload cut inside the first batch", evaluation, copy(upload, "cut.bin", b -> { }, (int) firstBatch), SerializationException.Code.TRUNCATED,
            "truncated"),
        Arguments.of("a flipped bit in the upload", evaluation, copy(upload, "flip.bin", b -> b[(int) firstBatch] ^= 4, -1),
            SerializationException.Code.CHECKSUM_MISMATCH, "damaged"),
        Arguments.of("the results file given as the upload", evaluation, results, SerializationException.Code.WRONG_TYPE,
            "expected encrypted-images, found encrypted-results"),
        Arguments.of("the secret key given as evaluation keys", owner.resolve(PartyFiles.SECRET_KEY_FILE), upload, SerializationException.Code.WRONG_TYPE,
            "expected an attributes record, found a secret key record"),
        Arguments.of("damaged evaluation keys", copy(evaluation, "eval.bin", b -> b[b.length / 2] ^= 1, -1), upload,
            SerializationException.Code.CHECKSUM_MISMATCH, "damaged"),
        Arguments.of("an MNIST label file as the upload", evaluation, idxLabels(), SerializationException.Code.BAD_MAGIC, "this is an MNIST IDX file"));
  }

  /** An IDX label file as MNIST ships it: magic 0x00000801, a count, one byte per label. */
  static Path idxLabels() throws Exception {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + 100);
    b.putInt(0x00000801).putInt(100);
    Path p = tmp.resolve("t10k-labels-idx1-ubyte");
    Files.write(p, b.array());
    return p;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileCloudInputs")
  void cloudRefusesHostileFilesAndWritesNothing(String name, Path keys, Path images, SerializationException.Code code, String fragment) throws Exception {
    Path out = tmp.resolve("hostile-results.bin");
    Files.deleteIfExists(out);
    SerializationException e = assertThrows(SerializationException.class, () -> InferCommand.infer(keys, images, out, network, backend, quiet()));
    assertEquals(code, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
    assertFalse(Files.exists(out), "no partial output");
    try (Stream<Path> files = Files.list(tmp)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left behind");
    }
  }

  @Test
  void ownerRefusesADamagedSecretKey() throws Exception {
    Path damaged = tmp.resolve("damaged");
    Files.createDirectories(damaged);
    Files.copy(owner.resolve(PartyFiles.EVALUATION_KEYS_FILE), damaged.resolve(PartyFiles.EVALUATION_KEYS_FILE));
    byte[] sk = Files.readAllBytes(owner.resolve(PartyFiles.SECRET_KEY_FILE));
    sk[sk.length - 10] ^= 0x40;
    Files.write(damaged.resolve(PartyFiles.SECRET_KEY_FILE), sk);
    SerializationException e = assertThrows(SerializationException.class, () -> OwnerKeys.load(damaged, backend, quiet()));
    assertEquals(SerializationException.Code.CHECKSUM_MISMATCH, e.code(), e.getMessage());
  }

  @Test
  void anImageFolderWithoutMnistIsRefusedBeforeAnythingIsWritten() throws Exception {
    Path data = tmp.resolve("not-mnist");
    Files.createDirectories(data);
    for (String f : List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")) {
      Files.writeString(data.resolve(f), "<html>404 not found</html>");
    }
    Path out = tmp.resolve("never.bin");
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> EncryptCommand.run(List.of("--keys", owner.toString(), "--data", data.toString(), "--images", "3", "--out", out.toString()), quiet()));
    assertEquals("DatasetFormatException", e.getClass().getSimpleName());
    assertTrue(e.getMessage().contains("expected magic 0x00000803"), e.getMessage());
    assertFalse(Files.exists(out));
  }
}
