package org.cryptonets.inference.parties;

import java.util.Map;
import org.cryptonets.bfv.io.SerializationException;

/**
 * Names and shared conventions of the files that pass between the data owner and the cloud. Every
 * file starts with an attributes record whose {@value #KIND} attribute says what the file is, so
 * passing one file where another belongs fails with a message that names both.
 *
 * <p>Constants and stateless functions; thread-safe. The checks throw
 * {@link SerializationException} (WRONG_TYPE, INVALID_FIELD) naming the file.
 */
public final class PartyFiles {
  /** The owner's secret key: parameters and the key, permissions 0600. Never leaves the owner. */
  public static final String SECRET_KEY_FILE = "secret.key";
  /** Parameters, plan, relinearization and public keys: what the cloud receives once. */
  public static final String EVALUATION_KEYS_FILE = "evaluation.keys";

  static final String KIND = "file";
  static final String IMAGES = "images";
  static final String PIXELS = "pixels";
  static final String CLASSES = "classes";
  /** Index, in the owner's data set, of the image in slot 0: decrypt matches results to labels by it. */
  static final String FIRST = "first-image";

  private PartyFiles() {}

  /**
   * Checks the {@value #KIND} attribute.
   *
   * @throws SerializationException WRONG_TYPE if the file is of another kind
   */
  static void expectKind(Map<String, String> attributes, String kind, String file) {
    String found = attributes.get(KIND);
    if (!kind.equals(found)) {
      throw new SerializationException(SerializationException.Code.WRONG_TYPE, file + ": expected " + kind + ", found " + (found == null ? "a file of no known kind" : found));
    }
  }

  /**
   * A whole-number attribute in [min, max].
   *
   * @throws SerializationException INVALID_FIELD if missing or out of range
   */
  static int count(Map<String, String> attributes, String key, int min, int max, String file) {
    String v = attributes.get(key);
    try {
      int x = Integer.parseInt(v == null ? "" : v.trim());
      if (x >= min && x <= max) {
        return x;
      }
    } catch (NumberFormatException e) {
      // Reported below with the expected range.
    }
    throw new SerializationException(SerializationException.Code.INVALID_FIELD, file + ": attribute " + key + " = " + (v == null ? "(missing)" : "'" + v + "'")
        + "; expected a whole number from " + min + " to " + max);
  }

  /**
   * How a transfer compares with the paper's per-image figures: a file carries one batch of
   * {@code slots} images whatever the number actually used, so the per-image cost is quoted for
   * a full batch and for the images sent.
   */
  public static String describeSize(long bytes, int images, int slots) {
    return String.format("%,d bytes: %.2f KB per image for a full batch of %d images (%.2f KB per image for the %d sent)", bytes, bytes / 1000.0 / slots, slots,
        bytes / 1000.0 / images, images);
  }
}
