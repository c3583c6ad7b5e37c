package org.cryptonets.examples;

import java.util.List;
import org.cryptonets.bfv.BatchEncoder;
import org.cryptonets.bfv.BfvParameterSpec;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.Decryptor;
import org.cryptonets.bfv.Encryptor;
import org.cryptonets.bfv.Evaluator;
import org.cryptonets.bfv.KeyGenerator;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;

/** The scheme alone: encrypt 1, 2, 3 in three slots, square them encrypted, decrypt 1, 4, 9. */
public final class SchemeBasics {
  public static void main(String[] args) {
    // n = 8192, seven 31-bit ciphertext primes (217 bits: 128-bit secure), two 31-bit plaintext primes
    BfvParameters params = BfvParameters.create(BfvParameterSpec.of(8192, List.of(31, 31, 31, 31, 31, 31, 31), 31, 2));
    try (Backend backend = Backends.open()) { // -Dcryptonets.backend=cpu|opencl
      KeyGenerator keys = new KeyGenerator(params, backend);
      Encryptor encryptor = new Encryptor(params, backend, keys.secretKey()); // seeded symmetric
      BatchEncoder encoder = new BatchEncoder(params, 0); // slots modulo the first plaintext prime
      try (CiphertextBatch c = encryptor.encrypt(List.of(encoder.encode(new long[] {1, 2, 3})));
          Evaluator evaluator = new Evaluator(params, backend);
          RelinKeys relinKeys = keys.createRelinKeys();
          CiphertextBatch squared = evaluator.square(c);
          CiphertextBatch relinearized = evaluator.relinearize(squared, relinKeys)) {
        long[] slots = new Decryptor(params, backend, keys.secretKey()).decryptSlots(relinearized)[0];
        System.out.println(slots[0] + ", " + slots[1] + ", " + slots[2]); // 1, 4, 9
      } finally {
        keys.secretKey().close(); // wipes the key
      }
    }
  }
}
