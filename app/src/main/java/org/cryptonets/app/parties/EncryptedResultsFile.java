package org.cryptonets.app.parties;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CompressedCiphertexts;
import org.cryptonets.bfv.io.BfvFileReader;
import org.cryptonets.bfv.io.BfvFileWriter;
import org.cryptonets.bfv.io.SerializationException;

/**
 * The download: attributes (kind {@value #KIND}, images, classes), then per plaintext prime, in
 * order, the encrypted logits as compressed ciphertexts (one per class, switched to 2^b).
 *
 * <p>Stateless; thread-safe. Reading throws {@link SerializationException} for malformed, damaged,
 * foreign or inconsistent files; writing throws it with IO_ERROR.
 */
public final class EncryptedResultsFile {
  static final String KIND = "encrypted-results";

  /** What was read. Immutable; thread-safe; throws nothing. */
  public static final class Contents {
    private final int images;
    private final List<CompressedCiphertexts> results;

    Contents(int images, List<CompressedCiphertexts> results) {
      this.images = images;
      this.results = Collections.unmodifiableList(results);
    }

    public int images() {
      return images;
    }

    /** One entry per plaintext prime, in prime order. */
    public List<CompressedCiphertexts> results() {
      return results;
    }
  }

  private EncryptedResultsFile() {}

  /** Writes the file atomically; returns its size in bytes. */
  public static long write(Path file, BfvParameters params, int images, List<CompressedCiphertexts> results) {
    int classes = results.get(0).count();
    try (BfvFileWriter w = BfvFileWriter.create(file, BfvFileWriter.Access.PUBLIC)) {
      w.writeAttributes(params, Map.of(PartyFiles.KIND, KIND, PartyFiles.IMAGES, Integer.toString(images), PartyFiles.CLASSES, Integer.toString(classes)));
      for (CompressedCiphertexts c : results) {
        w.writeCompressed(c);
      }
      w.commit();
      return w.bytesWritten();
    }
  }

  /**
   * Reads and validates the whole file.
   *
   * @throws SerializationException INVALID_FIELD if a prime's results are missing, out of order or
   *     of another class count
   */
  public static Contents read(Path file, BfvParameters params) {
    String name = file.toString();
    try (BfvFileReader r = BfvFileReader.open(file)) {
      Map<String, String> a = r.readAttributes(params);
      PartyFiles.expectKind(a, KIND, name);
      int images = PartyFiles.count(a, PartyFiles.IMAGES, 1, params.n(), name);
      int classes = PartyFiles.count(a, PartyFiles.CLASSES, 1, 1 << 16, name);
      List<CompressedCiphertexts> out = new ArrayList<>();
      for (int j = 0; j < params.plainModuli().size(); j++) {
        CompressedCiphertexts c = r.readCompressed(params);
        if (c.plainIndex() != j || c.count() != classes) {
          throw new SerializationException(SerializationException.Code.INVALID_FIELD, name + ": expected the results of plaintext prime " + j + " for " + classes
              + " classes, found prime " + c.plainIndex() + " with " + c.count());
        }
        out.add(c);
      }
      r.finish();
      return new Contents(images, out);
    }
  }
}
