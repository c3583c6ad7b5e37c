package org.cryptonets.bfv;

/**
 * Public key-switching material from s^2 to s for one scheme: {@link RelinKeys} (BFV) or {@link
 * BgvRelinKeys} (BGV). What {@link HomomorphicEvaluator#relinearize} takes, so a caller can hold
 * either without knowing which.
 *
 * <p>Implementations are immutable after creation and thread-safe.
 */
public interface RelinearizationKeys extends AutoCloseable {
  /** The scheme whose ciphertexts these keys relinearize. */
  Scheme scheme();

  BfvParameters parameters();

  /** Bytes of the keys at log2(q_i) bits per residue: what they cost to send. */
  long serializedBytes();

  @Override
  void close();
}
