package org.cryptonets.bfv.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.Decryptor;
import org.cryptonets.bfv.Encryptor;
import org.cryptonets.bfv.Evaluator;
import org.cryptonets.bfv.KeyGenerator;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.bfv.SecretKey;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.BackendProvider;
import org.cryptonets.engine.Backends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Files written from the CPU backend load onto the OpenCL backend (device buffers, strided uploads,
 * the seed's c1 switched down on the device) to exactly the same residues, and keys read there
 * decrypt the same. Skipped where OpenCL cannot run, except under CI (CI=true), which installs it.
 * Insecure toy parameters (SecurityLevel.NONE).
 */
class CrossBackendFileTest {
  static Backend cpu;
  static Backend device;
  static BfvParameters params;

  @BeforeAll
  static void setUp() {
    String why = "no 'opencl' backend provider on the class path";
    for (BackendProvider p : Backends.providers()) {
      if (p.name().equals("opencl")) {
        why = p.unavailableReason();
      }
    }
    if (why != null) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("OpenCL is required under CI but unavailable: " + why);
      }
      Assumptions.abort("OpenCL unavailable: " + why);
    }
    cpu = Backends.open("cpu");
    device = Backends.open("opencl");
    params = IoFixtures.toy();
  }

  @AfterAll
  static void tearDown() {
    if (device != null) {
      device.close();
      cpu.close();
    }
  }

  static long[] download(CiphertextBatch c) {
    long[] h = new long[(int) c.buffer().all().hostLength()];
    c.buffer().backend().download(c.buffer().all(), h);
    return h;
  }

  @Test
  void cpuFilesLoadOnOpenClBitForBit() {
    KeyGenerator kg = new KeyGenerator(params, cpu, IoFixtures.deterministicRandom(21));
    try (Evaluator ev = new Evaluator(params, cpu);
        RelinKeys rk = kg.createRelinKeys();
        PublicKey pk = kg.createPublicKey();
        CiphertextBatch fresh = new Encryptor(params, cpu, kg.secretKey()).encrypt(RoundTripTest.plaintexts(params, 0, 9, 22));
        CiphertextBatch switched = ev.modSwitchTo(fresh, 2)) {
      BfvFileWriter w = BfvFileWriter.inMemory();
      w.writeParameters(params).writeSecretKey(kg.secretKey()).writeRelinKeys(rk).writePublicKey(pk);
      w.writeSeededCiphertexts(fresh).writeSeededCiphertexts(switched, fresh.seed()).writeCiphertexts(switched);
      try (BfvFileReader r = BfvFileReader.of(w.toByteArray(), "cpu-written");
          SecretKey sk = r.readSecretKey(r.readParameters(params), device);
          RelinKeys rk2 = r.readRelinKeys(params, device);
          PublicKey pk2 = r.readPublicKey(params, device);
          CiphertextBatch top = r.readCiphertexts(params, device);
          CiphertextBatch low = r.readCiphertexts(params, device);
          CiphertextBatch full = r.readCiphertexts(params, device)) {
        r.finish();
        assertArrayEquals(rk.residues(), rk2.residues());
        assertArrayEquals(pk.residues(), pk2.residues());
        assertArrayEquals(download(fresh), download(top), "seeded batch at the top level");
        assertArrayEquals(download(switched), download(low), "seeded batch switched to level 2 on the device");
        assertArrayEquals(download(switched), download(full));
        assertArrayEquals(new Decryptor(params, cpu, kg.secretKey()).decryptSlots(switched), new Decryptor(params, device, sk).decryptSlots(low));
      }
    } finally {
      kg.secretKey().close();
    }
  }
}
