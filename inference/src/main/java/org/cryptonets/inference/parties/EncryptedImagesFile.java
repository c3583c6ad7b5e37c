package org.cryptonets.inference.parties;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.bfv.io.BfvFileReader;
import org.cryptonets.bfv.io.BfvFileWriter;
import org.cryptonets.bfv.io.ObjectType;
import org.cryptonets.bfv.io.SerializationException;
import org.cryptonets.engine.Backend;

/**
 * The upload: attributes (kind {@value #KIND}, the number of images in the batch's slots, the
 * pixels per image), then one seeded ciphertext batch per plaintext prime, in prime order, each
 * with one ciphertext per pixel (slot s of ciphertext p holds pixel p of image s).
 *
 * <p>Writing goes a batch at a time through {@link Writer}, so only one batch is in memory; reading
 * likewise hands out one batch at a time through {@link Reader}, each bounded by the pixels per
 * image and the parameters before it is read. Not thread-safe; both throw {@link
 * SerializationException} for malformed, damaged, foreign or inconsistent files, and reading for
 * paths that are not regular files (FIFO, device, folder) and batches beyond the memory budget.
 */
public final class EncryptedImagesFile {
  static final String KIND = "encrypted-images";

  private EncryptedImagesFile() {}

  /**
   * Writes the file batch by batch; nothing appears at the target until {@link #commit()}. Not
   * thread-safe; throws {@link SerializationException} (IO_ERROR) and IllegalArgumentException.
   */
  public static final class Writer implements AutoCloseable {
    private final BfvFileWriter out;
    private final BfvParameters params;
    private final int pixels;
    private int next;

    /** As below for images numbered from 0. */
    public Writer(Path file, BfvParameters params, int images, int pixels) {
      this(file, params, images, pixels, 0);
    }

    /**
     * @param first index, in the owner's data set, of the image in slot 0 (recorded so results can
     *     be matched to labels)
     */
    public Writer(Path file, BfvParameters params, int images, int pixels, int first) {
      this.params = params;
      this.pixels = pixels;
      if (first < 0) {
        throw new IllegalArgumentException("first image index " + first + " is negative");
      }
      this.out = BfvFileWriter.create(file, BfvFileWriter.Access.PUBLIC);
      try {
        out.writeAttributes(params, Map.of(PartyFiles.KIND, KIND, PartyFiles.IMAGES, Integer.toString(images), PartyFiles.PIXELS, Integer.toString(pixels),
            PartyFiles.FIRST, Integer.toString(first)));
      } catch (RuntimeException e) {
        out.close();
        throw e;
      }
    }

    /**
     * Appends the batch of the next plaintext prime, a fresh symmetric encryption, as its c0 halves
     * and its encryption seed (the record says whether the seed expands at the top level or, for a
     * batch encrypted directly at its level, over that level's primes).
     *
     * @throws IllegalArgumentException if it is not the next prime's batch of {@code pixels}
     *     ciphertexts, or has no seed
     */
    public void write(CiphertextBatch batch) {
      if (batch.plainIndex() != next || batch.count() != pixels || batch.seed() == null) {
        throw new IllegalArgumentException("expected the seeded batch of plaintext prime " + next + " with " + pixels + " ciphertexts, got " + batch);
      }
      out.writeSeededCiphertexts(batch);
      next++;
    }

    /**
     * Appends the batch of the next plaintext prime as its c0 halves and {@code seed}, recorded as
     * a batch encrypted directly at its level (c1 is the seed's expansion over the level's primes);
     * for batches whose c1 the caller made from the seed that way.
     *
     * @throws IllegalArgumentException if it is not the next prime's batch of {@code pixels} ciphertexts
     */
    public void write(CiphertextBatch batch, byte[] seed) {
      if (batch.plainIndex() != next || batch.count() != pixels) {
        throw new IllegalArgumentException("expected the batch of plaintext prime " + next + " with " + pixels + " ciphertexts, got " + batch);
      }
      out.writeSeededAtLevelCiphertexts(batch, seed);
      next++;
    }

    /** Moves the finished file into place; returns its size. */
    public long commit() {
      if (next != params.plainModuli().size()) {
        throw new IllegalStateException(next + " of " + params.plainModuli().size() + " batches written");
      }
      out.commit();
      return out.bytesWritten();
    }

    @Override
    public void close() {
      out.close();
    }
  }

  /**
   * Reads the file batch by batch, checking each against the parameters and the header. Not
   * thread-safe; throws {@link SerializationException}.
   */
  public static final class Reader implements AutoCloseable {
    private final BfvFileReader in;
    private final BfvParameters params;
    private final Scheme scheme;
    private final String name;
    private final int images;
    private final int pixels;
    private final int first;
    private int next;

    /**
     * Opens the file and reads its attributes.
     *
     * @param expectedPixels inputs of the network that will evaluate the images
     */
    public Reader(Path file, BfvParameters params, int expectedPixels) {
      this(file, params, expectedPixels, Scheme.BFV);
    }

    /**
     * Opens the file of ciphertexts under {@code scheme} and reads its attributes; batches of the
     * other scheme are refused when read.
     *
     * @param expectedPixels inputs of the network that will evaluate the images
     */
    public Reader(Path file, BfvParameters params, int expectedPixels, Scheme scheme) {
      this.in = BfvFileReader.open(file);
      this.params = params;
      this.scheme = scheme;
      this.name = file.toString();
      try {
        Map<String, String> a = in.readAttributes(params);
        PartyFiles.expectKind(a, KIND, name);
        this.images = PartyFiles.count(a, PartyFiles.IMAGES, 1, params.n(), name);
        this.pixels = PartyFiles.count(a, PartyFiles.PIXELS, expectedPixels, expectedPixels, name);
        this.first = PartyFiles.count(a, PartyFiles.FIRST, 0, Integer.MAX_VALUE - params.n(), name);
      } catch (RuntimeException e) {
        in.close();
        throw e;
      }
    }

    /** Images in the slots of each batch. */
    public int images() {
      return images;
    }

    /** Index, in the owner's data set, of the image in slot 0. */
    public int first() {
      return first;
    }

    /** The file's size in bytes. */
    public long size() {
      return in.size();
    }

    /**
     * The next plaintext prime's batch, on {@code backend}; the caller closes it. A record announcing
     * another count than one ciphertext per pixel is refused before it is checksummed or allocated.
     *
     * @throws SerializationException INVALID_FIELD if it is not that prime's batch of one ciphertext
     *     per pixel, LENGTH_OUT_OF_RANGE if its header announces more than such a batch takes,
     *     OVER_BUDGET beyond the reader's memory budget
     */
    public CiphertextBatch next(Backend backend) {
      CiphertextBatch b = in.readCiphertexts(params, backend, scheme, pixels);
      if (b.plainIndex() != next || b.count() != pixels || b.size() != 2) {
        String found = b.toString();
        b.close();
        throw new SerializationException(SerializationException.Code.INVALID_FIELD, name + ": expected the batch of plaintext prime " + next + " with " + pixels
            + " size-2 ciphertexts, found " + found);
      }
      next++;
      return b;
    }

    /**
     * Checks the next plaintext prime's record without loading its ciphertexts: the header, the type
     * (a seeded batch of either kind the writer makes), the parameter fingerprint, the length bounds and the CRC-32C, streamed from
     * the file in chunks. For a service that validates an upload before it queues the job; the
     * count, level and prime inside the record are checked when the job reads it with {@link #next}.
     *
     * @throws SerializationException as the record fails a check (TRUNCATED, CHECKSUM_MISMATCH,
     *     WRONG_TYPE, PARAMETER_MISMATCH, LENGTH_OUT_OF_RANGE)
     */
    public void skipNext() {
      SerializationException wrongType = null;
      // the kinds of record the writer makes (a position is only advanced past a record that passed)
      List<ObjectType> kinds = scheme == Scheme.BGV ? List.of(ObjectType.BGV_CIPHERTEXTS_SEEDED)
          : List.of(ObjectType.CIPHERTEXTS_SEEDED_AT_LEVEL, ObjectType.CIPHERTEXTS_SEEDED);
      for (ObjectType type : kinds) {
        try {
          in.skip(type, params);
          next++;
          return;
        } catch (SerializationException e) {
          if (e.code() != SerializationException.Code.WRONG_TYPE) {
            throw e;
          }
          wrongType = e;
        }
      }
      throw wrongType;
    }

    /**
     * Checks that every prime's batch was read and nothing follows.
     *
     * @throws SerializationException TRAILING_DATA or INVALID_FIELD otherwise
     */
    public void finish() {
      if (next != params.plainModuli().size()) {
        throw new SerializationException(SerializationException.Code.INVALID_FIELD, name + ": " + next + " of " + params.plainModuli().size() + " batches read");
      }
      in.finish();
    }

    @Override
    public void close() {
      in.close();
    }
  }

  /** Every batch of a file at once (small parameter sets, tests); the caller closes them. */
  public static List<CiphertextBatch> readAll(Path file, BfvParameters params, int pixels, Backend backend) {
    List<CiphertextBatch> out = new ArrayList<>();
    try (Reader r = new Reader(file, params, pixels)) {
      for (int j = 0; j < params.plainModuli().size(); j++) {
        out.add(r.next(backend));
      }
      r.finish();
      return out;
    } catch (RuntimeException e) {
      for (CiphertextBatch b : out) {
        b.close();
      }
      throw e;
    }
  }
}
