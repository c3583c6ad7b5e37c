package org.cryptonets.inference.parties;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CompressedCiphertexts;
import org.cryptonets.bfv.CompressedResults;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.bfv.io.BfvFileFormat;
import org.cryptonets.bfv.io.BfvFileReader;
import org.cryptonets.bfv.io.BfvFileWriter;
import org.cryptonets.bfv.io.SerializationException;

/**
 * The download: attributes (kind {@value #KIND}, images, classes), then per plaintext prime, in
 * order, the encrypted logits as compressed ciphertexts (one per class, switched to 2^b); BGV
 * results in the factored record that carries the factor the owner multiplies the slots by.
 *
 * <p>Stateless; thread-safe. Reading throws {@link SerializationException} for malformed, damaged,
 * foreign or inconsistent files, for paths that are not regular files and for results beyond the
 * reader's memory budget; writing throws it with IO_ERROR.
 */
public final class EncryptedResultsFile {
  static final String KIND = "encrypted-results";

  /** What was read. Immutable; thread-safe; throws nothing. */
  public static final class Contents {
    private final int images;
    private final int first;
    private final List<CompressedResults> results;

    Contents(int images, int first, List<CompressedResults> results) {
      this.images = images;
      this.first = first;
      this.results = Collections.unmodifiableList(results);
    }

    public int images() {
      return images;
    }

    /** Index, in the owner's data set, of the image whose results are in slot 0. */
    public int first() {
      return first;
    }

    /** One entry per plaintext prime, in prime order. */
    public List<CompressedResults> results() {
      return results;
    }

    /** The scheme that computed the results. */
    public Scheme scheme() {
      return results.get(0).scheme();
    }
  }

  private EncryptedResultsFile() {}

  /** As below for images numbered from 0. */
  public static long write(Path file, BfvParameters params, int images, List<CompressedCiphertexts> results) {
    return write(file, params, images, 0, results);
  }

  /**
   * Writes the file atomically; returns its size in bytes.
   *
   * @param first the images file's index of the image in slot 0, passed on to the owner
   */
  public static long write(Path file, BfvParameters params, int images, int first, List<CompressedCiphertexts> results) {
    List<CompressedResults> wrapped = new ArrayList<>();
    for (CompressedCiphertexts c : results) {
      wrapped.add(CompressedResults.of(Scheme.BFV, c, 1));
    }
    return writeResults(file, params, images, first, wrapped);
  }

  /**
   * Writes results of either scheme atomically (BFV's as before, BGV's with their factor); returns
   * the file's size in bytes.
   *
   * @param first the images file's index of the image in slot 0, passed on to the owner
   */
  public static long writeResults(Path file, BfvParameters params, int images, int first, List<CompressedResults> results) {
    int classes = results.get(0).count();
    try (BfvFileWriter w = BfvFileWriter.create(file, BfvFileWriter.Access.PUBLIC)) {
      w.writeAttributes(params, Map.of(PartyFiles.KIND, KIND, PartyFiles.IMAGES, Integer.toString(images), PartyFiles.CLASSES, Integer.toString(classes),
          PartyFiles.FIRST, Integer.toString(first)));
      for (CompressedResults c : results) {
        w.writeCompressedResults(c);
      }
      w.commit();
      return w.bytesWritten();
    }
  }

  /**
   * Reads and validates the whole file. The class count of the attributes is checked against the
   * file's size and the reader's memory budget (for the results of every prime together) before
   * any result is read, and each record's count against it before the record is checksummed or
   * allocated, so no header can make the reader allocate more than the file can hold.
   *
   * @throws SerializationException NOT_A_REGULAR_FILE for a FIFO, device or folder; INVALID_FIELD
   *     if a prime's results are missing, out of order or of another class count; TRUNCATED if the
   *     file is too short for the announced classes; OVER_BUDGET if they cannot fit in memory
   */
  public static Contents read(Path file, BfvParameters params) {
    String name = file.toString();
    try (BfvFileReader r = BfvFileReader.open(file)) {
      Map<String, String> a = r.readAttributes(params);
      PartyFiles.expectKind(a, KIND, name);
      int images = PartyFiles.count(a, PartyFiles.IMAGES, 1, params.n(), name);
      int classes = PartyFiles.count(a, PartyFiles.CLASSES, 1, 1 << 16, name);
      int first = PartyFiles.count(a, PartyFiles.FIRST, 0, Integer.MAX_VALUE - params.n(), name);
      int primes = params.plainModuli().size();
      long least = 0;
      for (int j = 0; j < primes; j++) {
        least += BfvFileFormat.compressedRecordBytes(params, CompressedCiphertexts.minBits(params, j), classes);
      }
      if (least > r.remaining()) {
        throw new SerializationException(SerializationException.Code.TRUNCATED, name + ": attribute classes = " + classes + ": expected at least " + least
            + " bytes of results for " + primes + " plaintext primes, found " + r.remaining() + " after the attributes: the file is truncated or the attribute is wrong");
      }
      // the reader holds each record's values twice while it builds the results (see BfvFileReader)
      long memory = (long) primes * 2 * classes * params.n() * Long.BYTES * 2;
      if (memory > r.memoryBudget()) {
        throw new SerializationException(SerializationException.Code.OVER_BUDGET, name + ": attribute classes = " + classes
            + ": expected results that load within the memory budget of " + r.memoryBudget() + " bytes, found " + classes + " classes for " + primes
            + " plaintext primes that take " + memory + " bytes; give the JVM more memory (-Xmx) or set -D" + BfvFileReader.BUDGET_PROPERTY + "=BYTES");
      }
      List<CompressedResults> out = new ArrayList<>();
      for (int j = 0; j < primes; j++) {
        CompressedResults c = r.readCompressedResults(params, classes);
        if (c.plainIndex() != j || c.count() != classes) {
          throw new SerializationException(SerializationException.Code.INVALID_FIELD, name + ": expected the results of plaintext prime " + j + " for " + classes
              + " classes, found prime " + c.plainIndex() + " with " + c.count());
        }
        if (j > 0 && c.scheme() != out.get(0).scheme()) {
          throw new SerializationException(SerializationException.Code.INVALID_FIELD, name + ": results of plaintext prime " + j + " are " + c.scheme()
              + ", those of prime 0 " + out.get(0).scheme() + ": expected one scheme");
        }
        out.add(c);
      }
      r.finish();
      return new Contents(images, first, out);
    }
  }
}
