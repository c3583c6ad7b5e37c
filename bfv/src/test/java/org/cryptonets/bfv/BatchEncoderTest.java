package org.cryptonets.bfv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Encoding many plaintexts in one backend call gives exactly the coefficients of the host encoder,
 * one plaintext at a time, for signed slot values, and decodes back to the slots mod t. INSECURE toy
 * parameters (SecurityLevel.NONE) of several ring degrees and plaintext sizes.
 */
class BatchEncoderTest {
  @ParameterizedTest(name = "n = {0}, t of {1} bits, {2} plaintexts")
  @CsvSource({"1024, 20, 1", "2048, 29, 7", "8192, 30, 3"})
  void batchedEncodingEqualsTheHostEncoder(int n, int plainBits, int count) {
    BfvParameters params = BfvParameters.create(BfvTestSupport.spec(n, BfvTestSupport.bits(3, 31), plainBits, 2, SecurityLevel.NONE));
    SplittableRandom r = new SplittableRandom(n + plainBits);
    BatchEncoder enc = new BatchEncoder(params, 1);
    long t = enc.plainModulus().value();
    long[] slots = new long[count * n];
    for (int j = 0; j < slots.length; j++) {
      slots[j] = r.nextLong(-t, 2 * t); // negative and above t: reduced mod t like encode does
    }
    try (Backend backend = Backends.open("cpu")) {
      Plaintext[] batched = enc.encodeAll(backend, slots, count);
      for (int k = 0; k < count; k++) {
        long[] one = java.util.Arrays.copyOfRange(slots, k * n, (k + 1) * n);
        assertArrayEquals(enc.encode(one).coefficients(), batched[k].coefficients(), "plaintext " + k);
        long[] expected = new long[n];
        for (int i = 0; i < n; i++) {
          expected[i] = Math.floorMod(one[i], t);
        }
        assertArrayEquals(expected, enc.decode(batched[k]), "slots of plaintext " + k);
      }
      BfvTestSupport.assertCode(BfvException.ErrorCode.INVALID_ARGUMENT, () -> enc.encodeAll(backend, new long[n + 1], 1));
    }
  }
}
