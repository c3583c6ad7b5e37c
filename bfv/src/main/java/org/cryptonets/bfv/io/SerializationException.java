package org.cryptonets.bfv.io;

/**
 * The one exception type of reading and writing BFV files. Each instance carries a {@link Code}, so
 * callers and tests can tell the failures apart without parsing text; the message names the file,
 * the record and its byte offset, what was found and what was expected.
 *
 * <p>Immutable; thread-safe; constructing one throws nothing.
 */
public final class SerializationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The kinds of failure. */
  public enum Code {
    /** The file ends before a record does (or is empty). */
    TRUNCATED,
    /** The first bytes are not this format's magic number: not a CryptoNets BFV file. */
    BAD_MAGIC,
    /** A format version this reader does not know. */
    UNSUPPORTED_VERSION,
    /** A record of another type than the reader asked for, or of an unknown type. */
    WRONG_TYPE,
    /** A record made under other BFV parameters than the reader was given. */
    PARAMETER_MISMATCH,
    /** A length field beyond any possible size, or not the one the parameters and the record's own fields imply. */
    LENGTH_OUT_OF_RANGE,
    /** A residue at or above its prime q_i, or a secret-key coefficient code that is not -1, 0 or 1. */
    COEFFICIENT_OUT_OF_RANGE,
    /** The CRC-32C of the record does not match: the bytes were damaged. */
    CHECKSUM_MISMATCH,
    /** A field with a value outside its domain: level, size, form, count, plaintext index, attribute text, padding. */
    INVALID_FIELD,
    /** The parameters record describes a parameter set that {@code BfvParameters.create} refuses. */
    INVALID_PARAMETERS,
    /** Bytes after the last expected record. */
    TRAILING_DATA,
    /** The file could not be opened, read, written or moved into place. */
    IO_ERROR,
    /**
     * The path names a FIFO, a device, a socket or a folder: refused before it is opened, since
     * opening a FIFO without a writer blocks and a device never ends.
     */
    NOT_A_REGULAR_FILE,
    /**
     * Loading the record would take more memory than the reader's budget ({@link
     * BfvFileReader#memoryBudget()}); refused before anything is allocated or checksummed.
     */
    OVER_BUDGET
  }

  private final Code code;

  public SerializationException(Code code, String message) {
    super(code + ": " + message);
    this.code = code;
  }

  public SerializationException(Code code, String message, Throwable cause) {
    super(code + ": " + message, cause);
    this.code = code;
  }

  public Code code() {
    return code;
  }
}
