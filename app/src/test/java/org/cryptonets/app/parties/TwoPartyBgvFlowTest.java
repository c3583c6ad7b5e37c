package org.cryptonets.app.parties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.cryptonets.app.cloud.InferCommand;
import org.cryptonets.app.owner.DecryptCommand;
import org.cryptonets.app.owner.EncryptCommand;
import org.cryptonets.app.owner.KeygenCommand;
import org.cryptonets.app.owner.OwnerKeys;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.bfv.io.ObjectType;
import org.cryptonets.bfv.io.SerializationException;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.inference.parties.EncryptedResultsFile;
import org.cryptonets.inference.parties.PartyFiles;
import org.cryptonets.inference.parties.TwoPartyPlan;
import org.cryptonets.net.IntegerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two-party flow under BGV: keygen writes BGV keys and a plan that says so, encrypt sends
 * seeded BGV batches in NTT form, infer runs the network with the BGV evaluator and returns factored
 * results, decrypt recovers exactly the clear integer network's logits. Files of one scheme are
 * refused by the other's commands. INSECURE toy parameters (n = 1024, SecurityLevel.NONE) with the
 * BGV schedule of the real plan (input level 6, levels 4 and 2, results at level 2).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwoPartyBgvFlowTest {
  static final int IMAGES = 30;

  @TempDir
  static Path tmp;

  Backend backend;
  IntegerNetwork network;
  int[][] quantized;
  Path owner;
  Path bfvOwner;
  Path upload;
  Path results;

  @BeforeAll
  void runTheFlowOnce() {
    backend = Backends.open("cpu");
    BfvParameters params = TwoPartyFlowTest.toyParameters(1024);
    network = IntegerNetwork.loadDefault();
    CryptoNetPlan bgv = CryptoNetPlan.of(params.n(), List.of(31, 31, 31, 31, 31, 31, 31), 29, 2, new int[] {4, 2}, 2, 6).withScheme(Scheme.BGV);
    String sha = org.cryptonets.app.ModelOption.committed().sha256();
    TwoPartyPlan plan = TwoPartyPlan.of(params, bgv, 54, org.cryptonets.app.ModelOption.COMMITTED, sha, org.cryptonets.net.QuantizationSpec.DEFAULT);
    TwoPartyPlan bfvPlan = TwoPartyPlan.of(params, bgv.withScheme(Scheme.BFV), 54, org.cryptonets.app.ModelOption.COMMITTED, sha,
        org.cryptonets.net.QuantizationSpec.DEFAULT);
    LabeledImages test = ImageDataset.obtain(null).test();
    quantized = new int[IMAGES][];
    for (int s = 0; s < IMAGES; s++) {
      quantized[s] = network.quantizeInput(test.image(s));
    }
    owner = tmp.resolve("owner");
    bfvOwner = tmp.resolve("bfv-owner");
    KeygenCommand.generate(owner, params, plan, backend, false, TwoPartyFlowTest.quiet());
    KeygenCommand.generate(bfvOwner, params, bfvPlan, backend, false, TwoPartyFlowTest.quiet());
    upload = tmp.resolve("images.bin");
    results = tmp.resolve("results.bin");
    try (OwnerKeys keys = OwnerKeys.load(owner, backend, TwoPartyFlowTest.quiet())) {
      assertEquals(Scheme.BGV, keys.plan().scheme());
      EncryptCommand.encrypt(keys, backend, quantized, upload, TwoPartyFlowTest.quiet());
    }
    InferCommand.infer(owner.resolve(PartyFiles.EVALUATION_KEYS_FILE), upload, results, network, backend, TwoPartyFlowTest.quiet());
  }

  @AfterAll
  void tearDown() {
    backend.close();
  }

  @Test
  void decryptedLogitsEqualTheClearIntegerNetwork() {
    try (OwnerKeys keys = OwnerKeys.load(owner, backend, TwoPartyFlowTest.quiet())) {
      assertEquals(Scheme.BGV, EncryptedResultsFile.read(results, keys.parameters()).scheme());
      DecryptCommand.Decryption d = DecryptCommand.decrypt(keys, backend, results);
      assertTrue(d.trustworthy(), "noise budget " + d.minNoiseBudget + ", implausible " + d.implausible);
      for (int s = 0; s < IMAGES; s++) {
        assertArrayEquals(network.logits(quantized[s]), d.logits[s], "image " + s);
      }
    }
  }

  @Test
  void filesOfOneSchemeAreRefusedByTheOther() {
    // BGV images under BFV evaluation keys: the reader expects BFV batches
    Path out = tmp.resolve("mixed.bin");
    SerializationException e = assertThrows(SerializationException.class,
        () -> InferCommand.infer(bfvOwner.resolve(PartyFiles.EVALUATION_KEYS_FILE), upload, out, network, backend, TwoPartyFlowTest.quiet()));
    assertEquals(SerializationException.Code.WRONG_TYPE, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("BGV"), e.getMessage());
    // BGV results decrypted with BFV keys: refused by scheme, before any decryption
    try (OwnerKeys keys = OwnerKeys.load(bfvOwner, backend, TwoPartyFlowTest.quiet())) {
      SerializationException d = assertThrows(SerializationException.class, () -> DecryptCommand.decrypt(keys, backend, results));
      assertTrue(d.getMessage().contains("BGV results") && d.getMessage().contains("BFV keys"), d.getMessage());
    }
    assertEquals(14, ObjectType.COMPRESSED_RESULTS_FACTORED.code(), "BGV results travel in their own record");
  }
}
