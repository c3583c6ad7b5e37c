package org.cryptonets.bfv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.util.Random;
import java.util.Set;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.PrimeGenerator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The encryptor's reduction of m + t e to residues against BigInteger, at the edges of its range. */
class BgvEncryptorResiduesTest {
  @ParameterizedTest(name = "{0}-bit prime")
  @ValueSource(ints = {17, 19, 20, 21, 25, 29, 30, 31})
  void residuesOfSmallValuesEqualBigIntegerMod(int bits) {
    long q = PrimeGenerator.nttPrimes(bits, 16, 1, Set.of()).get(0);
    Modulus qm = Modulus.of(q);
    long lift = ((1L << 38) / q + 1) * q;
    Random rnd = new Random(bits);
    long edge = (1L << 37) - 1;
    long[] v = new long[64];
    long[] fixed = {-edge, -edge + 1, -q, -q + 1, -1, 0, 1, q - 1, q, q + 1, edge - 1, edge};
    System.arraycopy(fixed, 0, v, 0, fixed.length);
    for (int j = fixed.length; j < v.length; j++) {
      v[j] = rnd.nextLong() % (edge + 1);
    }
    long[] out = new long[v.length + 3];
    out[0] = -5;
    out[out.length - 1] = -5;
    BgvEncryptor.residuesOfSmall(v, qm, lift, out, 1);
    for (int j = 0; j < v.length; j++) {
      assertEquals(BigInteger.valueOf(v[j]).mod(BigInteger.valueOf(q)).longValueExact(), out[1 + j], bits + "-bit q, v = " + v[j]);
    }
    assertEquals(-5, out[0]);
    assertEquals(-5, out[out.length - 1]);
  }
}
