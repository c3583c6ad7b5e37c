package org.cryptonets.bfv.io;

/**
 * The kinds of record a BFV file holds, with the 16-bit code stored in each record header. Codes
 * are part of the format: never renumber them.
 *
 * <p>Immutable; thread-safe; throws nothing ({@link #ofCode} answers null for an unknown code).
 */
public enum ObjectType {
  /** The parameter set itself: n, the ciphertext and plaintext primes, the security level. */
  PARAMETERS(1, "parameters"),
  /** Printable key/value text bound to a parameter set (what a file is, the evaluation plan). */
  ATTRIBUTES(2, "attributes"),
  /** The public key (pk0, pk1), NTT form over the full Q. */
  PUBLIC_KEY(3, "public key"),
  /** Relinearization keys, one (b_j, a_j) pair per prime of Q, NTT form. */
  RELIN_KEYS(4, "relinearization keys"),
  /** The ternary secret key at two bits per coefficient. */
  SECRET_KEY(5, "secret key"),
  /** A ciphertext batch with every polynomial. */
  CIPHERTEXTS(6, "ciphertext batch"),
  /** A symmetric ciphertext batch as its c0 halves and the 32-byte seed its c1 halves expand from. */
  CIPHERTEXTS_SEEDED(7, "seeded ciphertext batch"),
  /** Encrypted results switched to a power-of-two modulus for the trip back. */
  COMPRESSED_RESULTS(8, "compressed result ciphertexts"),
  /**
   * A symmetric ciphertext batch encrypted directly at its own level: c0 halves and the seed whose
   * expansion over that level's primes is c1 in NTT form (no switch from the top level).
   */
  CIPHERTEXTS_SEEDED_AT_LEVEL(9, "seeded ciphertext batch encrypted at its level"),
  /**
   * The BGV public key: one (pk0, pk1) pair per plaintext prime t_j (their noise is t_j e), NTT
   * form over the full Q.
   */
  BGV_PUBLIC_KEY(10, "BGV public key"),
  /**
   * BGV relinearization keys: for each plaintext prime t_j, one (b_i, a_i) pair per prime of Q,
   * NTT form.
   */
  BGV_RELIN_KEYS(11, "BGV relinearization keys"),
  /** A BGV ciphertext batch (NTT form) with every polynomial and its correction factor. */
  BGV_CIPHERTEXTS(12, "BGV ciphertext batch"),
  /**
   * A symmetric BGV ciphertext batch as its correction factor, its c0 halves and the 32-byte seed
   * whose expansion over the record level's primes is c1 in NTT form.
   */
  BGV_CIPHERTEXTS_SEEDED(13, "seeded BGV ciphertext batch"),
  /**
   * Encrypted results switched to a power-of-two modulus, as {@link #COMPRESSED_RESULTS}, with the
   * factor g mod t that the decrypted slots are multiplied by (BGV results).
   */
  COMPRESSED_RESULTS_FACTORED(14, "compressed result ciphertexts with a result factor");

  private final int code;
  private final String description;

  ObjectType(int code, String description) {
    this.code = code;
    this.description = description;
  }

  /** The code stored in record headers. */
  public int code() {
    return code;
  }

  public String description() {
    return description;
  }

  /** The type with this code, or null. */
  public static ObjectType ofCode(int code) {
    for (ObjectType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    return null;
  }
}
