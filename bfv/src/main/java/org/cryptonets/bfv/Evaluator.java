package org.cryptonets.bfv;

import org.cryptonets.engine.Backend;
import org.cryptonets.engine.IntMatrix;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;
import org.cryptonets.engine.RnsBasis;

/**
 * Homomorphic operations on ciphertext batches, written only against the engine's {@link Backend}
 * interface. Needs no secret: relinearization takes the public {@link RelinKeys}.
 *
 * <p>Multiplication is the HPS RNS variant: extend both operands from Q to Q u P exactly, take the
 * tensor product in NTT form over Q u P, scale by t/Q and round into P, convert back to Q. Results
 * are size 3 in coefficient form; linear layers work on size-3 ciphertexts as well, so callers can
 * relinearize late (after a layer that reduces the number of ciphertexts).
 *
 * <p>Operations return new batches (the caller closes them) unless named "InPlace". Batches may be
 * converted between NTT and coefficient form in place as operations need. Thread-safe for calls on
 * different batches. Throws {@link BfvException} PARAMETER_MISMATCH for batches of different
 * parameters, plaintext primes, levels or counts (and for BGV batches), and INVALID_CIPHERTEXT for wrong sizes.
 */
public final class Evaluator implements HomomorphicEvaluator {
  /** Ciphertexts per multiplication chunk: bounds the Q u P scratch memory. */
  private static final int MULTIPLY_CHUNK = Integer.getInteger("cryptonets.multiplyChunk", 64);

  private final BfvParameters params;
  private final Backend backend;
  /** Multiplication scratch kept between calls: allocating it per call costs more than the math. */
  private final java.util.Map<String, PolyBuffer> scratch = new java.util.HashMap<>();

  public Evaluator(BfvParameters params, Backend backend) {
    this.params = params;
    this.backend = backend;
  }

  private synchronized PolyBuffer scratch(String role, RnsBasis basis, int polys) {
    String key = role + "/" + basis.hashCode() + "/" + basis.size();
    PolyBuffer b = scratch.get(key);
    if (b == null || b.polys() < polys || !b.basis().equals(basis)) {
      if (b != null) {
        b.close();
      }
      b = backend.allocate(basis, polys);
      scratch.put(key, b);
    }
    return b;
  }

  /** Releases the cached scratch buffers (device memory on a GPU). */
  @Override
  public synchronized void close() {
    for (PolyBuffer b : scratch.values()) {
      b.close();
    }
    scratch.clear();
  }

  /** An uninitialised batch to fill with {@link #copyInto}. */
  public CiphertextBatch allocate(int plainIndex, int level, int size, int count, boolean nttForm) {
    params.checkPlainIndex(plainIndex);
    params.checkLevel(level);
    return CiphertextBatch.allocate(backend, params, plainIndex, level, size, count, nttForm);
  }

  /** Copies every ciphertext of {@code src} into {@code dst} starting at ciphertext {@code dstFirst}. */
  public void copyInto(CiphertextBatch src, CiphertextBatch dst, int dstFirst) {
    check(src);
    check(dst);
    if (src.plainIndex() != dst.plainIndex() || src.level() != dst.level() || src.size() != dst.size() || src.isNttForm() != dst.isNttForm()) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "cannot copy " + src + " into " + dst);
    }
    if (dstFirst < 0 || dstFirst + src.count() > dst.count()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, src.count() + " ciphertexts do not fit " + dst + " at " + dstFirst);
    }
    backend.copy(src.buffer().all(), dst.ciphertexts(dstFirst, src.count()));
  }

  @Override
  public Backend backend() {
    return backend;
  }

  /** {@link Scheme#BFV}. */
  @Override
  public Scheme scheme() {
    return Scheme.BFV;
  }

  @Override
  public BfvParameters parameters() {
    return params;
  }

  private void check(CiphertextBatch a) {
    if (a.scheme() != Scheme.BFV) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "the BFV evaluator was given a " + a.scheme() + " ciphertext: " + a);
    }
    if (!a.parameters().equals(params)) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "ciphertext made under other parameters");
    }
    if (a.buffer().backend() != backend) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "ciphertext lives on another backend");
    }
  }

  private void checkPair(CiphertextBatch a, CiphertextBatch b) {
    check(a);
    check(b);
    if (a.plainIndex() != b.plainIndex() || a.level() != b.level() || a.count() != b.count()) {
      throw new BfvException(
          BfvException.ErrorCode.PARAMETER_MISMATCH, "operands differ: " + a + " and " + b + " (plaintext prime, level and count must match)");
    }
  }

  public void toNtt(CiphertextBatch a) {
    check(a);
    if (!a.isNttForm()) {
      backend.forwardNtt(a.buffer().all());
      a.setNttForm(true);
    }
  }

  public void toCoefficients(CiphertextBatch a) {
    check(a);
    if (a.isNttForm()) {
      backend.inverseNtt(a.buffer().all());
      a.setNttForm(false);
    }
  }

  private CiphertextBatch like(CiphertextBatch a, int size, int count, boolean ntt) {
    return CiphertextBatch.allocate(backend, params, a.plainIndex(), a.level(), size, count, ntt);
  }

  /** a + b; sizes may differ (the missing component counts as zero). */
  public CiphertextBatch add(CiphertextBatch a, CiphertextBatch b) {
    return addOrSubtract(a, b, false);
  }

  public CiphertextBatch subtract(CiphertextBatch a, CiphertextBatch b) {
    return addOrSubtract(a, b, true);
  }

  private CiphertextBatch addOrSubtract(CiphertextBatch a, CiphertextBatch b, boolean subtract) {
    checkPair(a, b);
    if (a.isNttForm() != b.isNttForm()) {
      toNtt(a);
      toNtt(b);
    }
    int size = Math.max(a.size(), b.size());
    CiphertextBatch out = like(a, size, a.count(), a.isNttForm());
    for (int j = 0; j < size; j++) {
      if (j < a.size() && j < b.size()) {
        if (subtract) {
          backend.subtract(a.component(j), b.component(j), out.component(j));
        } else {
          backend.add(a.component(j), b.component(j), out.component(j));
        }
      } else if (j < a.size()) {
        backend.copy(a.component(j), out.component(j));
      } else if (subtract) {
        backend.negate(b.component(j), out.component(j));
      } else {
        backend.copy(b.component(j), out.component(j));
      }
    }
    return out;
  }

  public CiphertextBatch negate(CiphertextBatch a) {
    check(a);
    CiphertextBatch out = like(a, a.size(), a.count(), a.isNttForm());
    backend.negate(a.buffer().all(), out.buffer().all());
    return out;
  }

  /** a * c for a signed integer constant c (reduced mod each q_i; noise grows by |c|). */
  public CiphertextBatch multiplyScalar(CiphertextBatch a, long c) {
    check(a);
    CiphertextBatch out = like(a, a.size(), a.count(), a.isNttForm());
    backend.multiplyScalar(a.buffer().all(), c, out.buffer().all());
    return out;
  }

  /**
   * The plain-weight linear layer: output ciphertext r = sum_k w[r][k] input ciphertext k. Works on
   * any size and either form; the output keeps them.
   *
   * @throws BfvException INVALID_ARGUMENT if w's column count differs from the batch's count
   */
  public CiphertextBatch multiplyAccumulate(IntMatrix w, CiphertextBatch in) {
    check(in);
    if (w.columns() != in.count()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "weights have " + w.columns() + " columns for " + in.count() + " ciphertexts");
    }
    CiphertextBatch out = like(in, in.size(), w.rows(), in.isNttForm());
    backend.multiplyAccumulate(w, in.buffer().all(), in.size(), out.buffer().all());
    return out;
  }

  /**
   * Adds a plaintext constant to every slot of each ciphertext: {@code constants[k]} (signed, taken
   * mod t) to ciphertext k. This is the bias of a layer.
   */
  public void addPlainConstantsInPlace(CiphertextBatch a, long[] constants) {
    check(a);
    if (constants.length != a.count()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, constants.length + " constants for " + a.count() + " ciphertexts");
    }
    BfvParameters.PlainContext ctx = params.context(a.plainIndex(), a.level());
    int l = a.level();
    long[] values = new long[a.count() * l];
    for (int k = 0; k < a.count(); k++) {
      long m = ctx.t.reduce(constants[k]);
      for (int i = 0; i < l; i++) {
        values[k * l + i] = ctx.scaledResidue(m, i);
      }
    }
    backend.addConstants(a.component(0), values, a.isNttForm());
  }

  /** a + Delta p for one plaintext added to every ciphertext of the batch. */
  public void addPlainInPlace(CiphertextBatch a, Plaintext p) {
    check(a);
    if (p.plainIndex() != a.plainIndex()) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "plaintext for prime " + p.plainIndex() + ", ciphertexts for " + a.plainIndex());
    }
    BfvParameters.PlainContext ctx = params.context(a.plainIndex(), a.level());
    RnsBasis basis = params.basisAt(a.level());
    int n = params.n();
    long[] m = p.coefficientsUnsafe();
    long[] host = new long[basis.size() * n];
    for (int i = 0; i < basis.size(); i++) {
      for (int j = 0; j < n; j++) {
        host[i * n + j] = ctx.scaledResidue(m[j], i);
      }
    }
    try (PolyBuffer pb = backend.allocate(basis, a.count())) {
      long[] all = new long[a.count() * host.length];
      for (int k = 0; k < a.count(); k++) {
        System.arraycopy(host, 0, all, k * host.length, host.length);
      }
      backend.upload(all, pb.all());
      if (a.isNttForm()) {
        backend.forwardNtt(pb.all());
      }
      backend.add(a.component(0), pb.all(), a.component(0));
    }
  }

  /** a * p for one plaintext (lifted to centred integers) applied to every ciphertext. */
  public CiphertextBatch multiplyPlain(CiphertextBatch a, Plaintext p) {
    check(a);
    if (p.plainIndex() != a.plainIndex()) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "plaintext for prime " + p.plainIndex() + ", ciphertexts for " + a.plainIndex());
    }
    toNtt(a);
    RnsBasis basis = params.basisAt(a.level());
    int n = params.n();
    long t = params.plainModulus(a.plainIndex()).value();
    long[] m = p.coefficientsUnsafe();
    long[] host = new long[basis.size() * n];
    for (int i = 0; i < basis.size(); i++) {
      long q = basis.modulus(i).value();
      for (int j = 0; j < n; j++) {
        long c = m[j] > t / 2 ? m[j] - t : m[j];
        host[i * n + j] = Math.floorMod(c, q);
      }
    }
    CiphertextBatch out = like(a, a.size(), a.count(), true);
    try (PolyBuffer pb = backend.allocate(basis, 1)) {
      backend.upload(host, pb.all());
      backend.forwardNtt(pb.all());
      backend.multiplyBroadcast(a.buffer().all(), pb.all(), out.buffer().all());
    }
    return out;
  }

  /** a^2 (size 3, coefficient form). */
  public CiphertextBatch square(CiphertextBatch a) {
    check(a);
    return multiplyHps(a, null, a.level());
  }

  /**
   * a^2 switched down to {@code level} chunk by chunk, so the full-level result is never held in
   * memory at once; equal to {@code modSwitchTo(square(a), level)}.
   */
  public CiphertextBatch square(CiphertextBatch a, int level) {
    check(a);
    if (level < 1 || level > a.level()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "cannot square at level " + a.level() + " into level " + level);
    }
    return multiplyHps(a, null, level);
  }

  /**
   * Squares {@code a} into ciphertexts [outFirst, outFirst + a.count()) of {@code out}, at out's
   * level (at most a's), without allocating the result.
   */
  public void squareInto(CiphertextBatch a, CiphertextBatch out, int outFirst) {
    check(a);
    check(out);
    if (out.size() != 3 || out.isNttForm() || out.plainIndex() != a.plainIndex() || out.level() > a.level()) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "cannot square " + a + " into " + out);
    }
    if (outFirst < 0 || outFirst + a.count() > out.count()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, a.count() + " squares do not fit " + out + " at " + outFirst);
    }
    multiplyHpsInto(a, null, out, outFirst);
  }

  /** The linear layer written into an existing batch of w.rows() ciphertexts of the same shape. */
  public void multiplyAccumulateInto(IntMatrix w, CiphertextBatch in, CiphertextBatch out) {
    check(in);
    check(out);
    if (w.columns() != in.count() || w.rows() != out.count() || out.size() != in.size() || out.level() != in.level()
        || out.plainIndex() != in.plainIndex()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "a " + w.rows() + " x " + w.columns() + " layer cannot map " + in + " to " + out);
    }
    out.setNttForm(in.isNttForm());
    backend.multiplyAccumulate(w, in.buffer().all(), in.size(), out.buffer().all());
  }

  /** a * b (size 3, coefficient form). */
  public CiphertextBatch multiply(CiphertextBatch a, CiphertextBatch b) {
    checkPair(a, b);
    return multiplyHps(a, b, a.level());
  }

  private CiphertextBatch multiplyHps(CiphertextBatch a, CiphertextBatch b, int outLevel) {
    CiphertextBatch out = CiphertextBatch.allocate(backend, params, a.plainIndex(), outLevel, 3, a.count(), false);
    multiplyHpsInto(a, b, out, 0);
    return out;
  }

  // Synchronized: the scratch buffers are shared by every call on this evaluator, so two
  // concurrent multiplications would overwrite each other's intermediate products.
  private synchronized void multiplyHpsInto(CiphertextBatch a, CiphertextBatch b, CiphertextBatch out, int outFirst) {
    int outLevel = out.level();
    if (a.size() != 2 || b != null && b.size() != 2) {
      throw new BfvException(BfvException.ErrorCode.INVALID_CIPHERTEXT, "multiplication takes size-2 ciphertexts; relinearize first (sizes " + a.size()
          + (b == null ? "" : ", " + b.size()) + ")");
    }
    BfvParameters.PlainContext ctx = params.context(a.plainIndex(), a.level());
    BfvParameters.LevelTables lt = ctx.tables;
    int count = a.count();
    int chunk = Math.max(1, Math.min(MULTIPLY_CHUNK, count));
    int levels = a.level() - outLevel;
    PolyBuffer[] steps = new PolyBuffer[levels];
    PolyBuffer extA = scratch("extA", lt.qp, 2 * chunk);
    PolyBuffer extB = b == null ? null : scratch("extB", lt.qp, 2 * chunk);
    PolyBuffer product = scratch("product", lt.qp, 3 * chunk);
    PolyBuffer scaled = scratch("scaled", lt.p, 3 * chunk);
    {
      for (int s = 0; s < levels; s++) {
        steps[s] = scratch("step" + s, params.basisAt(a.level() - s), 3 * chunk);
      }
      for (int first = 0; first < count; first += chunk) {
        int c = Math.min(chunk, count - first);
        extendToNtt(lt, a, first, c, extA);
        if (b == null) {
          backend.tensorSquare(extA.range(0, 2 * c), product.range(0, 3 * c));
        } else {
          extendToNtt(lt, b, first, c, extB);
          backend.tensor(extA.range(0, 2 * c), extB.range(0, 2 * c), product.range(0, 3 * c));
        }
        backend.inverseNtt(product.range(0, 3 * c));
        backend.scaleAndRound(ctx.multiplyScaler, product.range(0, 3 * c), scaled.range(0, 3 * c));
        if (levels == 0) {
          backend.convertBase(lt.pToQ, scaled.range(0, 3 * c), out.ciphertexts(outFirst + first, c));
        } else {
          backend.convertBase(lt.pToQ, scaled.range(0, 3 * c), steps[0].range(0, 3 * c));
          for (int s = 0; s < levels; s++) {
            PolyRange target = s + 1 < levels ? steps[s + 1].range(0, 3 * c) : out.ciphertexts(outFirst + first, c);
            backend.dropLastModulus(steps[s].range(0, 3 * c), target);
          }
        }
      }
    }
  }

  /** Ciphertexts [first, first + c) of {@code a} extended to Q u P, in NTT form, without changing a. */
  private void extendToNtt(BfvParameters.LevelTables lt, CiphertextBatch a, int first, int c, PolyBuffer ext) {
    if (a.isNttForm()) {
      backend.extendBaseFromNtt(lt.qToP, a.ciphertexts(first, c), ext.range(0, 2 * c));
    } else {
      backend.extendBase(lt.qToP, a.ciphertexts(first, c), ext.range(0, 2 * c));
      backend.forwardNtt(ext.range(0, 2 * c));
    }
  }

  /**
   * Size 3 to size 2 with the relinearization keys (coefficient form out). Relinearize at a high
   * level: the key-switching noise is about q_i sqrt(n) per digit, large next to a small Q.
   */
  public CiphertextBatch relinearize(CiphertextBatch a, RelinKeys keys) {
    check(a);
    if (!keys.parameters().equals(params)) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "relinearization keys made under other parameters");
    }
    if (a.size() != 3) {
      throw new BfvException(BfvException.ErrorCode.INVALID_CIPHERTEXT, "relinearization takes size-3 ciphertexts, got size " + a.size());
    }
    toCoefficients(a);
    RnsBasis basis = params.basisAt(a.level());
    int count = a.count();
    CiphertextBatch out = like(a, 2, count, false);
    try (PolyBuffer switched = backend.allocate(basis, 2 * count)) {
      backend.keySwitch(a.component(2), keys.buffer().all(), switched.all());
      backend.inverseNtt(switched.all());
      backend.add(a.component(0), switched.range(0, count, 2), out.component(0));
      backend.add(a.component(1), switched.range(1, count, 2), out.component(1));
    }
    return out;
  }

  /**
   * {@link #relinearize(CiphertextBatch, RelinKeys)} for keys held by their interface.
   *
   * @throws BfvException PARAMETER_MISMATCH for keys of another scheme
   */
  @Override
  public CiphertextBatch relinearize(CiphertextBatch a, RelinearizationKeys keys) {
    if (!(keys instanceof RelinKeys)) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "the BFV evaluator was given " + keys.scheme() + " relinearization keys");
    }
    return relinearize(a, (RelinKeys) keys);
  }

  /** {@link CompressedCiphertexts#compress} with result factor 1. */
  @Override
  public CompressedResults compressForReturn(CiphertextBatch a, int bits) {
    check(a);
    return CompressedResults.of(Scheme.BFV, CompressedCiphertexts.compress(a, bits), 1);
  }

  /** Drops the last prime of the batch's level, scaling by 1/q_last with rounding (coefficient form). */
  public CiphertextBatch modSwitchToNext(CiphertextBatch a) {
    check(a);
    if (a.level() < 2) {
      throw new BfvException(BfvException.ErrorCode.INVALID_CIPHERTEXT, "ciphertext at level 1 has no prime left to drop");
    }
    toCoefficients(a);
    CiphertextBatch out = CiphertextBatch.allocate(backend, params, a.plainIndex(), a.level() - 1, a.size(), a.count(), false);
    backend.dropLastModulus(a.buffer().all(), out.buffer().all());
    return out;
  }

  /** Switches down to {@code level}, closing the intermediate batches (not the input). */
  public CiphertextBatch modSwitchTo(CiphertextBatch a, int level) {
    check(a);
    if (level < 1 || level > a.level()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "cannot switch from level " + a.level() + " to " + level);
    }
    CiphertextBatch current = a;
    while (current.level() > level) {
      CiphertextBatch next = modSwitchToNext(current);
      if (current != a) {
        current.close();
      }
      current = next;
    }
    if (current == a) {
      CiphertextBatch copy = like(a, a.size(), a.count(), a.isNttForm());
      backend.copy(a.buffer().all(), copy.buffer().all());
      return copy;
    }
    return current;
  }
}
