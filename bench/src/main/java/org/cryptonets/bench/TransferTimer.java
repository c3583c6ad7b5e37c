package org.cryptonets.bench;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.RnsBasis;

/**
 * Times the host-device transfers an encrypted batch would cost on a device backend, measured
 * separately from the network: {@code EncryptedInference} encrypts on the backend itself, so its
 * inputs are born on the device and its results are read by the decryptor, and the network time it
 * reports holds no transfer. Here one buffer of the input shape (the ciphertexts of one plaintext
 * prime: inputs x 2 polynomials over the top-level basis) is uploaded with {@link Backend#upload}
 * and one of the output shape is downloaded with {@link Backend#download}, after one untimed
 * warm-up (first use pays allocation, page pinning, lazy device setup), then {@code repetitions}
 * times; the median is kept and multiplied by the number of parts (plaintext primes x batches)
 * the run sent.
 *
 * <p>Stateless; thread-safe as far as the backend is. Throws the backend's {@code EngineException}
 * for device failures and {@link IllegalArgumentException} for a shape that does not fit a Java
 * array.
 */
final class TransferTimer {
  /** What was measured; times in seconds for all parts of the run. */
  static final class Transfers {
    final int repetitions;
    final int parts;
    final int uploadPolys;
    final int uploadLimbs;
    final int downloadPolys;
    final int downloadLimbs;
    final long uploadWordsPerPart;
    final long downloadWordsPerPart;
    final double uploadSecondsPerPart;
    final double downloadSecondsPerPart;

    Transfers(int repetitions, int parts, int uploadPolys, int uploadLimbs, int downloadPolys, int downloadLimbs, long uploadWords, long downloadWords,
        double uploadSeconds, double downloadSeconds) {
      this.repetitions = repetitions;
      this.parts = parts;
      this.uploadPolys = uploadPolys;
      this.uploadLimbs = uploadLimbs;
      this.downloadPolys = downloadPolys;
      this.downloadLimbs = downloadLimbs;
      this.uploadWordsPerPart = uploadWords;
      this.downloadWordsPerPart = downloadWords;
      this.uploadSecondsPerPart = uploadSeconds;
      this.downloadSecondsPerPart = downloadSeconds;
    }

    double uploadSeconds() {
      return uploadSecondsPerPart * parts;
    }

    double downloadSeconds() {
      return downloadSecondsPerPart * parts;
    }

    double totalSeconds() {
      return uploadSeconds() + downloadSeconds();
    }

    /** Bytes moved host to device, as 8-byte words (the layout {@link Backend#upload} takes). */
    long uploadBytes() {
      return uploadWordsPerPart * 8 * parts;
    }

    long downloadBytes() {
      return downloadWordsPerPart * 8 * parts;
    }
  }

  private TransferTimer() {}

  /**
   * @param inputBasis basis of the uploaded ciphertexts (the top level)
   * @param inputPolys polynomials of one part of the upload (ciphertexts x 2)
   * @param outputBasis basis of the results (the output level)
   * @param outputPolys polynomials of one part of the results
   * @param parts how many such parts the run moved each way
   */
  static Transfers measure(Backend backend, RnsBasis inputBasis, int inputPolys, RnsBasis outputBasis, int outputPolys, int parts, int repetitions) {
    long[] up = residues(inputBasis, inputPolys);
    long[] down = new long[length(outputBasis, outputPolys)];
    double[] upTimes = new double[repetitions];
    double[] downTimes = new double[repetitions];
    try (PolyBuffer in = backend.allocate(inputBasis, inputPolys);
        PolyBuffer out = backend.allocate(outputBasis, outputPolys)) {
      // Gives the download something valid to read; its content does not change the time.
      backend.upload(residues(outputBasis, outputPolys), out.all());
      backend.synchronize();
      for (int rep = -1; rep < repetitions; rep++) {
        long t0 = System.nanoTime();
        backend.upload(up, in.all());
        // upload may only enqueue the copy; what counts is when the device holds the data.
        backend.synchronize();
        long t1 = System.nanoTime();
        backend.download(out.all(), down);
        long t2 = System.nanoTime();
        if (rep >= 0) {
          upTimes[rep] = (t1 - t0) / 1e9;
          downTimes[rep] = (t2 - t1) / 1e9;
        }
      }
    }
    return new Transfers(repetitions, parts, inputPolys, inputBasis.size(), outputPolys, outputBasis.size(), up.length, down.length, median(upTimes),
        median(downTimes));
  }

  private static int length(RnsBasis basis, int polys) {
    long words = (long) polys * basis.size() * basis.n();
    if (words > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(polys + " polynomials of " + basis.size() + " x " + basis.n() + " words do not fit one Java array");
    }
    return (int) words;
  }

  /** Canonical residues (upload rejects values outside [0, q_i)), after checking the size. */
  private static long[] residues(RnsBasis basis, int polys) {
    length(basis, polys);
    return BenchData.uniform(basis, polys, new SplittableRandom(polys));
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int m = v.length / 2;
    return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
  }
}
