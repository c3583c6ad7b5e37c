package org.cryptonets.bfv;

/**
 * The homomorphic encryption scheme a ciphertext, key or evaluator belongs to. Both share one
 * parameter set ({@link BfvParameters}), the secret key, the samplers and the batch encoding; they
 * differ in where the plaintext sits: BFV scales it up by Delta = floor(Q/t) (the noise is in the low
 * bits), BGV keeps it in the low bits and scales the noise by t. Objects of one scheme are refused
 * by the other's operations with {@link BfvException.ErrorCode#PARAMETER_MISMATCH}.
 *
 * <p>Immutable; thread-safe.
 */
public enum Scheme {
  /** Brakerski/Fan-Vercauteren, RNS variant: {@link Encryptor}, {@link Decryptor}, {@link Evaluator}. */
  BFV,
  /**
   * Brakerski-Gentry-Vaikuntanathan with ciphertexts kept in NTT form: {@link BgvEncryptor},
   * {@link BgvDecryptor}, {@link BgvEvaluator}.
   */
  BGV
}
