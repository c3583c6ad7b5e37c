package org.cryptonets.bfv;

import org.cryptonets.engine.PolyBuffer;

/**
 * The BFV public key (pk0, pk1) = (-(a s + e), a) in NTT form over Q.
 *
 * <p>Immutable after creation; thread-safe for concurrent encryptions.
 */
public final class PublicKey implements AutoCloseable {
  private final BfvParameters params;
  private final PolyBuffer buffer;

  PublicKey(BfvParameters params, PolyBuffer buffer) {
    this.params = params;
    this.buffer = buffer;
  }

  public BfvParameters parameters() {
    return params;
  }

  PolyBuffer buffer() {
    return buffer;
  }

  @Override
  public void close() {
    buffer.close();
  }
}
