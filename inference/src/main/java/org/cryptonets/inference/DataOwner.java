package org.cryptonets.inference;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.cryptonets.bfv.BatchEncoder;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedCiphertexts;
import org.cryptonets.bfv.CrtComposer;
import org.cryptonets.bfv.Decryptor;
import org.cryptonets.bfv.Encryptor;
import org.cryptonets.bfv.KeyGenerator;
import org.cryptonets.bfv.Plaintext;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.engine.Backend;

/**
 * The data owner's side: holds the secret key, encrypts a batch of quantized images (slot s of the
 * ciphertext for pixel p and plaintext prime t_j holds pixel p of image s mod t_j), and decrypts
 * the returned logits, joining the k residues of each value by CRT.
 *
 * <p>Not thread-safe. Close it to wipe the secret key.
 */
public final class DataOwner implements AutoCloseable {
  private final BfvParameters params;
  private final Backend backend;
  private final KeyGenerator keys;
  private final Encryptor encryptor;
  private final Decryptor decryptor;
  private final List<BatchEncoder> encoders = new ArrayList<>();
  private final CrtComposer crt;

  public DataOwner(BfvParameters params, Backend backend, SecureRandom random) {
    this.params = params;
    this.backend = backend;
    this.keys = new KeyGenerator(params, backend, random);
    this.encryptor = new Encryptor(params, backend, keys.secretKey());
    this.decryptor = new Decryptor(params, backend, keys.secretKey());
    for (int j = 0; j < params.plainModuli().size(); j++) {
      encoders.add(new BatchEncoder(params, j));
    }
    this.crt = new CrtComposer(params);
  }

  /** The evaluation keys the cloud needs. */
  public RelinKeys createRelinKeys() {
    return keys.createRelinKeys();
  }

  /**
   * Encrypts up to n images, each 784 quantized pixels; returns one batch of 784 ciphertexts per
   * plaintext prime.
   *
   * @throws IllegalArgumentException for more than n images or images of the wrong size
   */
  public List<CiphertextBatch> encryptImages(int[][] images) {
    int n = params.n();
    if (images.length == 0 || images.length > n) {
      throw new IllegalArgumentException(images.length + " images; a batch holds 1 to " + n);
    }
    int pixels = images[0].length;
    for (int[] im : images) {
      if (im.length != pixels) {
        throw new IllegalArgumentException("images of " + im.length + " and " + pixels + " pixels in one batch");
      }
    }
    List<CiphertextBatch> out = new ArrayList<>();
    for (int j = 0; j < encoders.size(); j++) {
      out.add(encryptImages(images, j));
    }
    return out;
  }

  /**
   * The ciphertexts of one plaintext prime only (784 of them): lets a sender stream the k parts of
   * a batch instead of holding all of them at once.
   */
  public CiphertextBatch encryptImages(int[][] images, int plainIndex) {
    return encryptImages(images, plainIndex, params.maxLevel());
  }

  /** As above, switched down to {@code level} chunk by chunk (what a sender sends). */
  public CiphertextBatch encryptImages(int[][] images, int plainIndex, int level) {
    int n = params.n();
    if (images.length == 0 || images.length > n) {
      throw new IllegalArgumentException(images.length + " images; a batch holds 1 to " + n);
    }
    int pixels = images[0].length;
    for (int[] im : images) {
      if (im.length != pixels) {
        throw new IllegalArgumentException("images of " + im.length + " and " + pixels + " pixels in one batch");
      }
    }
    {
      BatchEncoder enc = encoders.get(plainIndex);
      Plaintext[] pts = new Plaintext[pixels];
      IntStream.range(0, pixels).parallel().forEach(p -> {
        long[] slots = new long[images.length];
        for (int s = 0; s < images.length; s++) {
          slots[s] = images[s][p];
        }
        pts[p] = enc.encode(slots);
      });
      return encryptor.encrypt(List.of(pts), level);
    }
  }

  /**
   * Decrypts the encrypted logits (one batch per plaintext prime, one ciphertext per class) of
   * {@code images} images: {@code result[image][class]}.
   *
   * @throws ArithmeticException if a joined value does not fit a long
   */
  public long[][] decryptLogits(List<CiphertextBatch> outputs, int images) {
    int k = outputs.size();
    int classes = outputs.get(0).count();
    long[][][] slots = new long[k][][];
    for (int j = 0; j < k; j++) {
      slots[j] = decryptor.decryptSlots(outputs.get(j));
    }
    return joinLogits(slots, classes, images);
  }

  private long[][] joinLogits(long[][][] slots, int classes, int images) {
    int k = slots.length;
    long[][] logits = new long[images][classes];
    long[] residues = new long[k];
    for (int s = 0; s < images; s++) {
      for (int c = 0; c < classes; c++) {
        for (int j = 0; j < k; j++) {
          residues[j] = slots[j][c][s];
        }
        BigInteger v = crt.compose(residues);
        logits[s][c] = v.longValueExact();
      }
    }
    return logits;
  }

  /**
   * Decrypts results that travelled switched to a power-of-two modulus (one per plaintext prime):
   * {@code result[image][class]}.
   */
  public long[][] decryptCompressedLogits(List<CompressedCiphertexts> outputs, int images) {
    long[][][] slots = new long[outputs.size()][][];
    for (int j = 0; j < outputs.size(); j++) {
      slots[j] = decryptor.decryptSlots(outputs.get(j));
    }
    return joinLogits(slots, outputs.get(0).count(), images);
  }

  /** The smallest invariant noise budget (bits) over compressed results. */
  public int minCompressedNoiseBudget(List<CompressedCiphertexts> batches) {
    int min = Integer.MAX_VALUE;
    for (CompressedCiphertexts b : batches) {
      for (int v : decryptor.invariantNoiseBudget(b)) {
        min = Math.min(min, v);
      }
    }
    return min;
  }

  /** The smallest invariant noise budget (bits) over all the given ciphertexts. */
  public int minNoiseBudget(List<CiphertextBatch> batches) {
    int min = Integer.MAX_VALUE;
    for (CiphertextBatch b : batches) {
      for (int v : decryptor.invariantNoiseBudget(b)) {
        min = Math.min(min, v);
      }
    }
    return min;
  }

  public CrtComposer crt() {
    return crt;
  }

  public Backend backend() {
    return backend;
  }

  @Override
  public void close() {
    keys.secretKey().close();
  }
}
