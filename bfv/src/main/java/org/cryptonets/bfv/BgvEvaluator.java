package org.cryptonets.bfv;

import java.math.BigInteger;
import java.util.concurrent.ConcurrentHashMap;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.IntMatrix;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.PlainPreservingSwitch;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;
import org.cryptonets.engine.RnsBasis;

/**
 * Homomorphic operations on BGV batches, all in NTT form and written only against the engine's
 * {@link Backend}. Needs no secret: relinearization takes the public {@link BgvRelinKeys}.
 *
 * <ul>
 *   <li>Multiplication is the tensor product in NTT form (three pointwise products per prime, no base
 *       extension, no scale-and-round); results are size 3 and their correction factors multiply.
 *   <li>Relinearization: the inverse NTT of c2 into RNS digits, the engine's key switching, the
 *       result added in NTT form.
 *   <li>Modulus switching with BGV's t-correction ({@link Backend#dropLastModulusNtt}): the phase
 *       becomes (x - delta) / q_l and the correction factor is multiplied by q_l^-1 mod t.
 *       Relinearize before switching, so the switch divides the key-switching noise too.
 *   <li>Adding batches of different correction factors multiplies the second operand by
 *       f_a f_b^-1 mod t (centred), which costs up to log2(t) - 1 bits of its noise budget;
 *       batches that went through the same operations never need it.
 *   <li>Results go back as BFV ciphertexts ({@link #compressForReturn}).
 * </ul>
 *
 * <p>Operations return new batches (the caller closes them) unless named "Into" or "InPlace".
 * Thread-safe for calls on different batches. Throws {@link BfvException} PARAMETER_MISMATCH for BFV
 * batches or keys, batches of other parameters, backends, plaintext primes, levels or counts;
 * INVALID_CIPHERTEXT for wrong sizes; INVALID_ARGUMENT for shapes that do not fit.
 */
public final class BgvEvaluator implements HomomorphicEvaluator {
  private final BfvParameters params;
  private final Backend backend;
  private final ConcurrentHashMap<Long, PlainPreservingSwitch> switches = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Long, PolyBuffer> inverseT = new ConcurrentHashMap<>();

  public BgvEvaluator(BfvParameters params, Backend backend) {
    this.params = params;
    this.backend = backend;
  }

  /** {@link Scheme#BGV}. */
  @Override
  public Scheme scheme() {
    return Scheme.BGV;
  }

  @Override
  public BfvParameters parameters() {
    return params;
  }

  @Override
  public Backend backend() {
    return backend;
  }

  /** Releases the cached t^-1 constants (device memory on a GPU). */
  @Override
  public void close() {
    for (PolyBuffer b : inverseT.values()) {
      b.close();
    }
    inverseT.clear();
  }

  private void check(CiphertextBatch a) {
    if (a.scheme() != Scheme.BGV) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "the BGV evaluator was given a " + a.scheme() + " ciphertext: " + a);
    }
    if (!a.parameters().equals(params)) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "ciphertext made under other parameters");
    }
    if (a.buffer().backend() != backend) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "ciphertext lives on another backend");
    }
  }

  /** A batch that is read must have been written: its factor is set. */
  private void checkWritten(CiphertextBatch a) {
    check(a);
    if (a.correctionFactor() == CiphertextBatch.FACTOR_UNSET) {
      throw new BfvException(BfvException.ErrorCode.INVALID_CIPHERTEXT, "batch " + a + " was allocated but never written");
    }
  }

  private void checkPair(CiphertextBatch a, CiphertextBatch b) {
    checkWritten(a);
    checkWritten(b);
    if (a.plainIndex() != b.plainIndex() || a.level() != b.level() || a.count() != b.count()) {
      throw new BfvException(
          BfvException.ErrorCode.PARAMETER_MISMATCH, "operands differ: " + a + " and " + b + " (plaintext prime, level and count must match)");
    }
  }

  private static void requireSize(CiphertextBatch a, int size, String operation) {
    if (a.size() != size) {
      throw new BfvException(BfvException.ErrorCode.INVALID_CIPHERTEXT, operation + " takes size-" + size + " ciphertexts, got " + a);
    }
  }

  private Modulus t(CiphertextBatch a) {
    return params.plainModulus(a.plainIndex());
  }

  /** Sets the factor of a batch being filled, or checks that it matches what is written into it. */
  private static void assignFactor(CiphertextBatch dst, long factor) {
    if (dst.correctionFactor() == CiphertextBatch.FACTOR_UNSET) {
      dst.setCorrectionFactor(factor);
    } else if (dst.correctionFactor() != factor) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "writing ciphertexts of correction factor " + factor + " into " + dst
          + "; every part of a batch must carry the same factor");
    }
  }

  private CiphertextBatch like(CiphertextBatch a, int size, int count, long factor) {
    return CiphertextBatch.allocateBgv(backend, params, a.plainIndex(), a.level(), size, count, factor);
  }

  /** {@link #like} with unspecified residues, for outputs an operation writes whole. */
  private CiphertextBatch likeForOverwrite(CiphertextBatch a, int size, int count, long factor) {
    return CiphertextBatch.allocateBgvForOverwrite(backend, params, a.plainIndex(), a.level(), size, count, factor);
  }

  /**
   * An uninitialised BGV batch (NTT form whatever {@code nttForm} says); its factor is set by the
   * first write. Its residues are unspecified until written (memory is not cleared first): fill
   * every ciphertext before reading any; a batch nothing was written into is refused.
   */
  @Override
  public CiphertextBatch allocate(int plainIndex, int level, int size, int count, boolean nttForm) {
    params.checkPlainIndex(plainIndex);
    params.checkLevel(level);
    if (size < 2 || size > 3 || count < 1) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "cannot allocate " + count + " ciphertexts of size " + size);
    }
    return CiphertextBatch.allocateBgvForOverwrite(backend, params, plainIndex, level, size, count, CiphertextBatch.FACTOR_UNSET);
  }

  /**
   * An uninitialised BGV batch (NTT form) that already carries correction factor {@code
   * correctionFactor}: for ciphertexts whose factor is known before their residues are uploaded
   * (a batch read from a file). Filling it with residues of another factor is the caller's error.
   *
   * @throws BfvException INVALID_ARGUMENT for a factor outside [1, t), a size other than 2 or 3 or
   *     a count below 1, or a plaintext index or level these parameters lack
   */
  public CiphertextBatch allocateWithFactor(int plainIndex, int level, int size, int count, long correctionFactor) {
    params.checkPlainIndex(plainIndex);
    params.checkLevel(level);
    long t = params.plainModulus(plainIndex).value();
    if (correctionFactor < 1 || correctionFactor >= t) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "correction factor " + correctionFactor + " is not in [1, " + t + ")");
    }
    if (size < 2 || size > 3 || count < 1) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "cannot allocate " + count + " ciphertexts of size " + size);
    }
    // Memory is not cleared, as documented: the reader overwrites every residue (clearing the
    // recycled arrays of a batch was 0.13 s of reading the second plaintext prime's batch).
    return CiphertextBatch.allocateBgvForOverwrite(backend, params, plainIndex, level, size, count, correctionFactor);
  }

  @Override
  public void copyInto(CiphertextBatch src, CiphertextBatch dst, int dstFirst) {
    checkWritten(src);
    check(dst);
    if (src.plainIndex() != dst.plainIndex() || src.level() != dst.level() || src.size() != dst.size()) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "cannot copy " + src + " into " + dst);
    }
    if (dstFirst < 0 || dstFirst + src.count() > dst.count()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, src.count() + " ciphertexts do not fit " + dst + " at " + dstFirst);
    }
    assignFactor(dst, src.correctionFactor());
    backend.copy(src.buffer().all(), dst.ciphertexts(dstFirst, src.count()));
  }

  /** a + b; sizes may differ (the missing component counts as zero); b is aligned to a's factor. */
  public CiphertextBatch add(CiphertextBatch a, CiphertextBatch b) {
    return addOrSubtract(a, b, false);
  }

  /** a - b, as {@link #add}. */
  public CiphertextBatch subtract(CiphertextBatch a, CiphertextBatch b) {
    return addOrSubtract(a, b, true);
  }

  private CiphertextBatch addOrSubtract(CiphertextBatch a, CiphertextBatch b, boolean subtract) {
    checkPair(a, b);
    CiphertextBatch aligned = b.correctionFactor() == a.correctionFactor() ? b : alignFactor(b, a.correctionFactor());
    try {
      int size = Math.max(a.size(), b.size());
      CiphertextBatch out = like(a, size, a.count(), a.correctionFactor());
      for (int j = 0; j < size; j++) {
        if (j < a.size() && j < aligned.size()) {
          if (subtract) {
            backend.subtract(a.component(j), aligned.component(j), out.component(j));
          } else {
            backend.add(a.component(j), aligned.component(j), out.component(j));
          }
        } else if (j < a.size()) {
          backend.copy(a.component(j), out.component(j));
        } else if (subtract) {
          backend.negate(aligned.component(j), out.component(j));
        } else {
          backend.copy(aligned.component(j), out.component(j));
        }
      }
      return out;
    } finally {
      if (aligned != b) {
        aligned.close();
      }
    }
  }

  /**
   * b with its correction factor changed to {@code factor}: b times the centred f f_b^-1 mod t (the
   * noise grows by that factor, up to t/2).
   */
  public CiphertextBatch alignFactor(CiphertextBatch b, long factor) {
    checkWritten(b);
    Modulus t = t(b);
    if (factor < 1 || factor >= t.value()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "correction factor " + factor + " is not in [1, " + t.value() + ")");
    }
    long scalar = t.centered(t.multiply(factor, t.inverse(b.correctionFactor())));
    CiphertextBatch out = like(b, b.size(), b.count(), factor);
    backend.multiplyScalar(b.buffer().all(), scalar, out.buffer().all());
    return out;
  }

  public CiphertextBatch negate(CiphertextBatch a) {
    checkWritten(a);
    CiphertextBatch out = like(a, a.size(), a.count(), a.correctionFactor());
    backend.negate(a.buffer().all(), out.buffer().all());
    return out;
  }

  /** a * c for a signed integer constant c (noise grows by |c|). */
  public CiphertextBatch multiplyScalar(CiphertextBatch a, long c) {
    checkWritten(a);
    CiphertextBatch out = like(a, a.size(), a.count(), a.correctionFactor());
    backend.multiplyScalar(a.buffer().all(), c, out.buffer().all());
    return out;
  }

  @Override
  public CiphertextBatch multiplyAccumulate(IntMatrix w, CiphertextBatch in) {
    checkWritten(in);
    if (w.columns() != in.count()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "weights have " + w.columns() + " columns for " + in.count() + " ciphertexts");
    }
    CiphertextBatch out = likeForOverwrite(in, in.size(), w.rows(), in.correctionFactor());
    backend.multiplyAccumulate(w, in.buffer().all(), in.size(), out.buffer().all());
    return out;
  }

  /** The linear layer into an existing batch; out takes in's correction factor (it is overwritten whole). */
  @Override
  public void multiplyAccumulateInto(IntMatrix w, CiphertextBatch in, CiphertextBatch out) {
    checkWritten(in);
    check(out);
    if (w.columns() != in.count() || w.rows() != out.count() || out.size() != in.size() || out.level() != in.level()
        || out.plainIndex() != in.plainIndex()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "a " + w.rows() + " x " + w.columns() + " layer cannot map " + in + " to " + out);
    }
    out.setCorrectionFactor(in.correctionFactor());
    backend.multiplyAccumulate(w, in.buffer().all(), in.size(), out.buffer().all());
  }

  /**
   * At the input's level the whole step goes to {@code Backend.multiplyAccumulateSquare}: the
   * linear output carries in's factor f, so each bias enters as f c, and the square carries f^2.
   * Into a lower level, the default (square, then switch) applies.
   */
  @Override
  public void multiplyAccumulateSquareInto(IntMatrix w, CiphertextBatch in, long[] bias, CiphertextBatch out) {
    checkWritten(in);
    check(out);
    requireSize(in, 2, "a linear layer before a square");
    if (w.columns() != in.count() || w.rows() != out.count() || bias.length != w.rows() || out.size() != 3
        || out.plainIndex() != in.plainIndex() || out.level() > in.level()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT,
          "a " + w.rows() + " x " + w.columns() + " layer with " + bias.length + " biases cannot map " + in + " to the squares " + out);
    }
    if (out.level() != in.level()) {
      HomomorphicEvaluator.super.multiplyAccumulateSquareInto(w, in, bias, out);
      return;
    }
    Modulus t = t(in);
    long f = in.correctionFactor();
    RnsBasis basis = params.basisAt(in.level());
    int l = basis.size();
    long[] constants = new long[w.rows() * l];
    for (int r = 0; r < w.rows(); r++) {
      System.arraycopy(liftedResidues(basis, t, t.multiply(t.reduce(bias[r]), f)), 0, constants, r * l, l);
    }
    assignFactor(out, t.multiply(f, f));
    backend.multiplyAccumulateSquare(w, in.buffer().all(), constants, out.buffer().all());
  }

  /** Residues of the centred lift of [f c]_t modulo each prime of the level. */
  private static long[] liftedResidues(RnsBasis basis, Modulus t, long value) {
    long centred = t.centered(t.reduce(value));
    long[] r = new long[basis.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = Math.floorMod(centred, basis.modulus(i).value());
    }
    return r;
  }

  @Override
  public void addPlainConstantsInPlace(CiphertextBatch a, long[] constants) {
    checkWritten(a);
    if (constants.length != a.count()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, constants.length + " constants for " + a.count() + " ciphertexts");
    }
    Modulus t = t(a);
    RnsBasis basis = params.basisAt(a.level());
    int l = basis.size();
    long[] values = new long[a.count() * l];
    for (int k = 0; k < a.count(); k++) {
      // The phase holds f m, so the constant enters as f c.
      long[] r = liftedResidues(basis, t, t.multiply(t.reduce(constants[k]), a.correctionFactor()));
      System.arraycopy(r, 0, values, k * l, l);
    }
    backend.addConstants(a.component(0), values, true);
  }

  /** The centred lift of plaintext coefficients (times {@code factor} mod t) in NTT form over the level. */
  private PolyBuffer plainNtt(Plaintext p, int level, long factor) {
    RnsBasis basis = params.basisAt(level);
    Modulus t = params.plainModulus(p.plainIndex());
    int n = params.n();
    long[] m = p.coefficientsUnsafe();
    long[] host = new long[basis.size() * n];
    for (int j = 0; j < n; j++) {
      long c = t.centered(factor == 1 ? m[j] : t.multiply(m[j], factor));
      for (int i = 0; i < basis.size(); i++) {
        host[i * n + j] = Math.floorMod(c, basis.modulus(i).value());
      }
    }
    PolyBuffer pb = backend.allocate(basis, 1);
    backend.upload(host, pb.all());
    backend.forwardNtt(pb.all());
    return pb;
  }

  private void checkPlain(CiphertextBatch a, Plaintext p) {
    if (p.plainIndex() != a.plainIndex()) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "plaintext for prime " + p.plainIndex() + ", ciphertexts for " + a.plainIndex());
    }
  }

  /** a + p for one plaintext added to every ciphertext of the batch. */
  public void addPlainInPlace(CiphertextBatch a, Plaintext p) {
    checkWritten(a);
    checkPlain(a, p);
    try (PolyBuffer pb = plainNtt(p, a.level(), a.correctionFactor())) {
      for (int k = 0; k < a.count(); k++) {
        backend.add(a.component(0).sub(k, 1), pb.all(), a.component(0).sub(k, 1));
      }
    }
  }

  /** a * p for one plaintext (lifted to centred integers) applied to every ciphertext; the factor is kept. */
  public CiphertextBatch multiplyPlain(CiphertextBatch a, Plaintext p) {
    checkWritten(a);
    checkPlain(a, p);
    CiphertextBatch out = like(a, a.size(), a.count(), a.correctionFactor());
    try (PolyBuffer pb = plainNtt(p, a.level(), 1)) {
      backend.multiplyBroadcast(a.buffer().all(), pb.all(), out.buffer().all());
    }
    return out;
  }

  /** a * b of size-2 batches: size 3, NTT form, factor f_a f_b. */
  public CiphertextBatch multiply(CiphertextBatch a, CiphertextBatch b) {
    checkPair(a, b);
    requireSize(a, 2, "multiplication");
    requireSize(b, 2, "multiplication");
    Modulus t = t(a);
    CiphertextBatch out = like(a, 3, a.count(), t.multiply(a.correctionFactor(), b.correctionFactor()));
    backend.tensor(a.buffer().all(), b.buffer().all(), out.buffer().all());
    return out;
  }

  @Override
  public CiphertextBatch square(CiphertextBatch a) {
    checkWritten(a);
    return square(a, a.level());
  }

  @Override
  public CiphertextBatch square(CiphertextBatch a, int level) {
    checkWritten(a);
    if (level < 1 || level > a.level()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "cannot square at level " + a.level() + " into level " + level);
    }
    CiphertextBatch out = CiphertextBatch.allocateBgvForOverwrite(backend, params, a.plainIndex(), level, 3, a.count(), CiphertextBatch.FACTOR_UNSET);
    squareInto(a, out, 0);
    return out;
  }

  /**
   * a^2 into ciphertexts [outFirst, outFirst + a.count()) of out (size 3), switched down to out's
   * level; sets out's factor on the first write and checks it on later ones.
   */
  @Override
  public void squareInto(CiphertextBatch a, CiphertextBatch out, int outFirst) {
    checkWritten(a);
    check(out);
    requireSize(a, 2, "squaring");
    if (out.size() != 3 || out.plainIndex() != a.plainIndex() || out.level() > a.level()) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "cannot square " + a + " into " + out);
    }
    if (outFirst < 0 || outFirst + a.count() > out.count()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, a.count() + " squares do not fit " + out + " at " + outFirst);
    }
    Modulus t = t(a);
    long factor = t.multiply(a.correctionFactor(), a.correctionFactor());
    for (int level = a.level(); level > out.level(); level--) {
      factor = t.multiply(factor, droppedInverse(t, level));
    }
    assignFactor(out, factor);
    int count = a.count();
    PolyRange target = out.ciphertexts(outFirst, count);
    if (out.level() == a.level()) {
      backend.tensorSquare(a.buffer().all(), target);
      return;
    }
    PolyBuffer current = backend.allocate(params.basisAt(a.level()), 3 * count);
    try {
      backend.tensorSquare(a.buffer().all(), current.all());
      for (int level = a.level(); level > out.level(); level--) {
        if (level - 1 == out.level()) {
          backend.dropLastModulusNtt(switchFor(a.plainIndex(), level), current.all(), target);
        } else {
          PolyBuffer next = backend.allocate(params.basisAt(level - 1), 3 * count);
          backend.dropLastModulusNtt(switchFor(a.plainIndex(), level), current.all(), next.all());
          current.close();
          current = next;
        }
      }
    } finally {
      current.close();
    }
  }

  /** q^-1 mod t for the prime q dropped when leaving {@code level}. */
  private long droppedInverse(Modulus t, int level) {
    return t.inverse(params.coeffBasis().modulus(level - 1).value() % t.value());
  }

  private PlainPreservingSwitch switchFor(int plainIndex, int level) {
    return switches.computeIfAbsent(((long) plainIndex << 32) | level,
        k -> new PlainPreservingSwitch(params.basisAt(level), params.plainModulus(plainIndex).value()));
  }

  /**
   * Size 3 to size 2: c2's limbs as RNS digits (the engine's key switching from NTT form) with the
   * batch's plaintext prime's keys, added in NTT form. The factor is kept.
   */
  public CiphertextBatch relinearize(CiphertextBatch a, BgvRelinKeys keys) {
    checkWritten(a);
    if (!keys.parameters().equals(params)) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "relinearization keys made under other parameters");
    }
    requireSize(a, 3, "relinearization");
    RnsBasis basis = params.basisAt(a.level());
    int count = a.count();
    CiphertextBatch out = likeForOverwrite(a, 2, count, a.correctionFactor());
    try (PolyBuffer switched = backend.allocateUninitialized(basis, 2 * count)) {
      backend.keySwitchFromNtt(a.component(2), keys.keysFor(a.plainIndex()), switched.all());
      backend.add(a.component(0), switched.range(0, count, 2), out.component(0));
      backend.add(a.component(1), switched.range(1, count, 2), out.component(1));
    }
    return out;
  }

  /**
   * {@link #relinearize(CiphertextBatch, BgvRelinKeys)} for keys held by their interface.
   *
   * @throws BfvException PARAMETER_MISMATCH for keys of another scheme
   */
  @Override
  public CiphertextBatch relinearize(CiphertextBatch a, RelinearizationKeys keys) {
    if (!(keys instanceof BgvRelinKeys)) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "the BGV evaluator was given " + keys.scheme() + " relinearization keys");
    }
    return relinearize(a, (BgvRelinKeys) keys);
  }

  /**
   * Drops the last prime q_l of the batch's level with the t-correction, in NTT form (any size):
   * the factor becomes f q_l^-1 mod t.
   */
  public CiphertextBatch modSwitchToNext(CiphertextBatch a) {
    checkWritten(a);
    if (a.level() < 2) {
      throw new BfvException(BfvException.ErrorCode.INVALID_CIPHERTEXT, "ciphertext at level 1 has no prime left to drop");
    }
    Modulus t = t(a);
    CiphertextBatch out = CiphertextBatch.allocateBgvForOverwrite(backend, params, a.plainIndex(), a.level() - 1, a.size(), a.count(),
        t.multiply(a.correctionFactor(), droppedInverse(t, a.level())));
    backend.dropLastModulusNtt(switchFor(a.plainIndex(), a.level()), a.buffer().all(), out.buffer().all());
    return out;
  }

  @Override
  public CiphertextBatch modSwitchTo(CiphertextBatch a, int level) {
    checkWritten(a);
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
      CiphertextBatch copy = like(a, a.size(), a.count(), a.correctionFactor());
      backend.copy(a.buffer().all(), copy.buffer().all());
      return copy;
    }
    return current;
  }

  /**
   * The BFV ciphertexts mu c, mu = [t^-1]_Q (t^-1 mod q_i on each prime), of size-2 BGV batch a at
   * its level Q: mu x = (Q/t) [k x]_t + x/t (mod Q) for the phase x, so mu c is a BFV encryption of
   * k f m with k = [-Q^-1]_t (t mu = 1 + k Q) and BFV noise about |x| / t. Returned in NTT form;
   * the caller closes it. a is not modified.
   */
  CiphertextBatch toBfv(CiphertextBatch a) {
    checkWritten(a);
    requireSize(a, 2, "conversion to BFV");
    PolyBuffer mu = inverseT.computeIfAbsent(((long) a.plainIndex() << 32) | a.level(), k -> {
      RnsBasis basis = params.basisAt(a.level());
      int n = params.n();
      long t = t(a).value();
      long[] host = new long[basis.size() * n];
      for (int i = 0; i < basis.size(); i++) {
        Modulus qi = basis.modulus(i);
        java.util.Arrays.fill(host, i * n, (i + 1) * n, qi.inverse(t % qi.value()));
      }
      PolyBuffer b = backend.allocate(basis, 1);
      backend.upload(host, b.all());
      return b;
    });
    CiphertextBatch out = CiphertextBatch.allocate(backend, params, a.plainIndex(), a.level(), 2, a.count(), true);
    backend.multiplyBroadcast(a.buffer().all(), mu.all(), out.buffer().all());
    return out;
  }

  /**
   * g = (k f)^-1 = [-Q f^-1]_t for results converted at {@code level}: what the owner multiplies
   * the BFV-decrypted slots by.
   */
  long resultFactor(int plainIndex, int level, long correctionFactor) {
    Modulus t = params.plainModulus(plainIndex);
    long qModT = params.basisAt(level).product().mod(BigInteger.valueOf(t.value())).longValueExact();
    return t.multiply(t.negate(qModT), t.inverse(correctionFactor));
  }

  /**
   * Converts size-2 results to BFV ({@link #toBfv}) and switches them to 2^bits, the same
   * ciphertexts and bytes as BFV's {@link CompressedCiphertexts}, with the factor g = [-Q f^-1]_t.
   *
   * @throws BfvException INVALID_CIPHERTEXT unless a has size 2, INVALID_ARGUMENT for bits outside
   *     [bits(t) + 1, 62]
   */
  @Override
  public CompressedResults compressForReturn(CiphertextBatch a, int bits) {
    try (CiphertextBatch converted = toBfv(a)) {
      CompressedCiphertexts c = CompressedCiphertexts.compress(converted, bits);
      return CompressedResults.of(Scheme.BGV, c, resultFactor(a.plainIndex(), a.level(), a.correctionFactor()));
    }
  }
}
