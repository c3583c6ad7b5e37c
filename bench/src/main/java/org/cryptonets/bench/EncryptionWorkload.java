package org.cryptonets.bench;

import java.security.SecureRandom;
import java.util.List;
import java.util.SplittableRandom;
import org.cryptonets.bfv.BfvParameterSpec;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.inference.DataOwner;

/**
 * {@link AlternatingJars}'s {@code encryption} workload: each {@link #call} encrypts one full
 * batch of 8192 random 784-pixel images (fixed seed) under BGV for both plaintext primes at input
 * level 6, with the committed network's parameters (n = 8192, seven 31-bit primes, two 29-bit
 * plaintext primes), and frees the ciphertexts. Uses only the public API, so that it runs against
 * any build of the project. Not thread-safe.
 */
public final class EncryptionWorkload implements AutoCloseable {
  private final Backend backend;
  private final DataOwner owner;
  private final int[][] images;

  public EncryptionWorkload() {
    BfvParameters params = BfvParameters.create(BfvParameterSpec.of(8192, List.of(31, 31, 31, 31, 31, 31, 31), 29, 2));
    backend = Backends.open();
    owner = new DataOwner(params, Scheme.BGV, backend, new SecureRandom());
    SplittableRandom r = new SplittableRandom(2026);
    images = new int[8192][784];
    for (int[] image : images) {
      for (int p = 0; p < image.length; p++) {
        image[p] = r.nextInt(256);
      }
    }
    backend.warmUp();
  }

  public void call() {
    for (int j = 0; j < 2; j++) {
      owner.encryptImages(images, j, 6).close();
    }
  }

  @Override
  public void close() {
    owner.close();
    backend.close();
  }
}
