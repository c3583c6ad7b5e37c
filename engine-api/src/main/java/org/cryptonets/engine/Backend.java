package org.cryptonets.engine;

/**
 * The compute engine's service-provider interface: batched polynomial arithmetic over RNS bases on
 * buffers the backend owns. The BFV scheme and the CryptoNet evaluator are written against this
 * interface only, so the same code runs on the Java Vector API backend and on OpenCL devices.
 *
 * <p>Conventions shared by every operation:
 *
 * <ul>
 *   <li>Ranges name runs of polynomials; all operands of one call have the same basis unless the
 *       method says otherwise, and counts must agree. Output ranges may alias input ranges exactly
 *       (in-place) but must not partially overlap them.
 *   <li>Coefficients are canonical residues in [0, q_i); every backend returns exactly the same
 *       residues as the scalar reference in engine-api (NttTables, BaseConverter, RnsScaler).
 *   <li>Operations may run asynchronously on a device; {@link #download} and {@link #synchronize}
 *       wait for all previously issued work.
 *   <li>Errors: {@code SHAPE_MISMATCH} for ranges that disagree, {@code BUFFER_INVALID} for closed or
 *       foreign buffers, {@code VALUE_OUT_OF_RANGE} for bad uploads, {@code DEVICE_FAILURE} for device
 *       errors; all as {@link EngineException}.
 * </ul>
 *
 * <p>Implementations are thread-safe for calls on disjoint output buffers unless they say otherwise.
 */
public interface Backend extends AutoCloseable {
  /** The name used to select it with {@code -Dcryptonets.backend}. */
  String name();

  /** Human-readable description of the device and its configuration (threads, vector width). */
  String device();

  /** A zero-filled buffer of {@code polys} polynomials over {@code basis}. */
  PolyBuffer allocate(RnsBasis basis, int polys);

  /**
   * A buffer whose contents are unspecified until written (a backend may recycle the memory of
   * closed buffers without clearing it): only for outputs the caller overwrites completely before
   * anything reads or exports them. Skips zero-filling memory that is about to be overwritten (on
   * the CPU backend, 6 % of BGV encryption). The default is {@link #allocate}.
   *
   * @throws EngineException INVALID_ARGUMENT for a negative count
   */
  default PolyBuffer allocateUninitialized(RnsBasis basis, int polys) {
    return allocate(basis, polys);
  }

  /**
   * Copies host data into {@code dst}: {@code host[(p * limbs + i) * n + j]} is coefficient j of
   * limb i of polynomial p of the range, each in [0, q_i).
   */
  void upload(long[] host, PolyRange dst);

  /**
   * Writes signed integers into every limb: limb i of polynomial p of {@code dst} receives
   * {@code values[p * n + j] mod q_i}, then the forward NTT if {@code toNtt}. For the small
   * polynomials the host samples (noise, messages, ternary values): one value per coefficient
   * crosses instead of one per limb, and a backend can reduce and transform each limb while it is in
   * cache. The default reduces on the host, then uploads and transforms.
   *
   * @throws EngineException SHAPE_MISMATCH if {@code values} does not hold {@code dst.count() * n}
   *     values, VALUE_OUT_OF_RANGE for a value outside (-2^62, 2^62)
   */
  default void uploadIntegers(long[] values, PolyRange dst, boolean toNtt) {
    RnsBasis basis = dst.basis();
    int n = basis.n();
    int limbs = basis.size();
    if (values.length != (long) dst.count() * n) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, values.length + " integers for " + dst.count() + " polynomials of n = " + n);
    }
    for (int k = 0; k < values.length; k++) {
      if (values[k] <= -(1L << 62) || values[k] >= (1L << 62)) {
        throw new EngineException(EngineException.Code.VALUE_OUT_OF_RANGE, "integer " + values[k] + " at polynomial " + k / n + ", coefficient " + k % n + " is not in (-2^62, 2^62)");
      }
    }
    long[] host = new long[Math.toIntExact(dst.hostLength())];
    java.util.stream.IntStream.range(0, dst.count() * limbs).parallel().forEach(k -> {
      int p = k / limbs;
      Modulus q = basis.modulus(k % limbs);
      long qv = q.value();
      // Barrett on |v| where it is below 2^(2 bits(q)) (every value for 31-bit primes), a
      // division otherwise; negative values take q - r.
      long barrettBound = q.bits() >= 31 ? Long.MAX_VALUE : 1L << (2 * q.bits());
      for (int j = 0; j < n; j++) {
        long v = values[p * n + j];
        long a = Math.abs(v);
        long r = a < barrettBound ? q.reduceProduct(a) : a % qv;
        host[k * n + j] = v < 0 && r != 0 ? qv - r : r;
      }
    });
    upload(host, dst);
    if (toNtt) {
      forwardNtt(dst);
    }
  }

  /**
   * Residues that host code writes straight into a buffer: {@code writer} is called once for each
   * polynomial of {@code dst} and writes its limbs in the layout of {@link #upload}. A backend whose
   * buffers live in host memory passes its own arrays (no staging copy); others stage and upload.
   * Calls for different polynomials may run concurrently. The written values are checked as an
   * upload's are.
   *
   * @throws EngineException VALUE_OUT_OF_RANGE if a written value is not a residue in [0, q_i)
   */
  default void generate(PolyRange dst, ResidueWriter writer) {
    int len = dst.basis().size() * dst.basis().n();
    long[] host = new long[Math.toIntExact(dst.hostLength())];
    java.util.stream.IntStream.range(0, dst.count()).parallel().forEach(p -> writer.write(p, host, p * len));
    upload(host, dst);
  }

  /**
   * Symmetric encryption in NTT form in one call: {@code generated} is filled by {@code writer}
   * (as {@link #generate}), then {@code out = NTT(values) + generated * factor}, where {@code
   * values} are reduced into every limb as by {@link #uploadIntegers} and {@code factor} holds ONE
   * polynomial applied to every polynomial (as {@link #multiplyAddBroadcast}). A backend can do all
   * of it for one polynomial while that polynomial is in cache; the default makes the three calls.
   * The results are those of the three calls.
   *
   * @throws EngineException SHAPE_MISMATCH if {@code values}, {@code generated} or {@code factor}
   *     do not match {@code out}, VALUE_OUT_OF_RANGE as the three calls throw it
   */
  default void uploadIntegersPlusProduct(long[] values, PolyRange out, PolyRange generated, ResidueWriter writer, PolyRange factor) {
    uploadIntegers(values, out, true);
    generate(generated, writer);
    multiplyAddBroadcast(generated, factor, out);
  }

  /** Copies {@code src} to the host, same layout as {@link #upload}; waits for pending work. */
  void download(PolyRange src, long[] host);

  void copy(PolyRange src, PolyRange dst);

  /** Negacyclic forward NTT of every limb of every polynomial, in place (see {@link NttTables}). */
  void forwardNtt(PolyRange polys);

  /** Inverse NTT including the n^-1 scaling, in place. */
  void inverseNtt(PolyRange polys);

  void add(PolyRange a, PolyRange b, PolyRange out);

  void subtract(PolyRange a, PolyRange b, PolyRange out);

  void negate(PolyRange a, PolyRange out);

  /** Coefficient-wise product (the ring product when both are in NTT form). */
  void multiply(PolyRange a, PolyRange b, PolyRange out);

  /**
   * out = a * b, where b holds ONE polynomial applied to every polynomial of a (for example the
   * secret key, or a plaintext in NTT form).
   */
  void multiplyBroadcast(PolyRange a, PolyRange b, PolyRange out);

  /**
   * out += a * b, with b ONE polynomial applied to every polynomial of a, as {@link
   * #multiplyBroadcast}: encryption's key products in one pass over the ciphertexts instead of
   * three. The default multiplies into a temporary buffer and adds.
   */
  default void multiplyAddBroadcast(PolyRange a, PolyRange b, PolyRange out) {
    try (PolyBuffer tmp = allocateUninitialized(a.basis(), a.count())) {
      multiplyBroadcast(a, b, tmp.all());
      add(out, tmp.all(), out);
    }
  }

  /** out = a * scalar for a signed scalar (reduced modulo each prime). */
  void multiplyScalar(PolyRange a, long scalar, PolyRange out);

  /**
   * Adds per-polynomial constants: {@code values[p * limbs + i]} (in [0, q_i)) is added to limb i of
   * polynomial p, to coefficient 0 only ({@code nttForm == false}) or to every coefficient (the NTT
   * image of a constant polynomial).
   */
  void addConstants(PolyRange polys, long[] values, boolean nttForm);

  /**
   * The plain-weight linear layer: {@code in} holds {@code w.columns()} items of {@code width}
   * polynomials, {@code out} receives {@code w.rows()} items: out[r][c] = sum_k w[r][k] in[k][c]
   * modulo each prime. Valid in either domain, since scalars commute with the NTT.
   */
  void multiplyAccumulate(IntMatrix w, PolyRange in, int width, PolyRange out);

  /**
   * Tensor product of ciphertext pairs in NTT form: {@code a} and {@code b} hold pairs (x0, x1),
   * {@code out} triples (x0 y0, x0 y1 + x1 y0, x1 y1).
   */
  void tensor(PolyRange a, PolyRange b, PolyRange out);

  /** Tensor square of pairs in NTT form: triples (x0^2, 2 x0 x1, x1^2). */
  void tensorSquare(PolyRange a, PolyRange out);

  /** Rows per step of the default {@link #multiplyAccumulateSquare}: the layer's output is never held whole. */
  int LINEAR_SQUARE_ROWS = 64;

  /**
   * A plain-weight layer on pairs in NTT form followed by the tensor square, the BGV CryptoNet's
   * linear-then-square step: for every row r, y = sum_k w[r][k] in[k] (as {@link
   * #multiplyAccumulate} with width 2), then {@code constants[r * limbs + i]} is added to every
   * coefficient of limb i of y0 (as {@link #addConstants} in NTT form), and out[r] = (y0^2, 2 y0
   * y1, y1^2) (as {@link #tensorSquare}). {@code out} holds {@code 3 * w.rows()} polynomials.
   *
   * <p>The default runs those three operations on {@value #LINEAR_SQUARE_ROWS} rows at a time. A
   * backend can fuse them so that the layer's output never leaves the cache and each input is
   * read once (the CPU backend does, for sparse layers such as conv1).
   *
   * @throws EngineException SHAPE_MISMATCH for ranges or a number of constants that do not fit,
   *     VALUE_OUT_OF_RANGE for a constant outside [0, q_i)
   */
  default void multiplyAccumulateSquare(IntMatrix w, PolyRange in, long[] constants, PolyRange out) {
    requireLinearSquareShapes(w, in, constants, out);
    int limbs = in.basis().size();
    int step = Math.min(LINEAR_SQUARE_ROWS, w.rows());
    try (PolyBuffer part = allocateUninitialized(in.basis(), 2 * step)) {
      for (int r0 = 0; r0 < w.rows(); r0 += step) {
        int rows = Math.min(step, w.rows() - r0);
        PolyRange y = part.range(0, 2 * rows);
        multiplyAccumulate(w.rows(r0, r0 + rows), in, 2, y);
        addConstants(part.range(0, rows, 2), java.util.Arrays.copyOfRange(constants, r0 * limbs, (r0 + rows) * limbs), true);
        tensorSquare(y, out.sub(3 * r0, 3 * rows));
      }
    }
  }

  /**
   * The checks of {@link #multiplyAccumulateSquare}, for backends that override it.
   *
   * @throws EngineException as that method documents
   */
  static void requireLinearSquareShapes(IntMatrix w, PolyRange in, long[] constants, PolyRange out) {
    in.require(in.basis(), 2 * w.columns(), "input pairs of the " + w.rows() + " x " + w.columns() + " layer");
    out.require(in.basis(), 3 * w.rows(), "squared outputs (triples) of the " + w.rows() + " x " + w.columns() + " layer");
    if (in.buffer() == out.buffer()) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "the linear layer and square cannot write their own input buffer");
    }
    int limbs = in.basis().size();
    if (constants.length != w.rows() * limbs) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH,
          constants.length + " constants for " + w.rows() + " rows of " + limbs + " limbs; expected " + w.rows() * limbs);
    }
    for (int k = 0; k < constants.length; k++) {
      long q = in.basis().modulus(k % limbs).value();
      if (constants[k] < 0 || constants[k] >= q) {
        throw new EngineException(EngineException.Code.VALUE_OUT_OF_RANGE, "constant " + constants[k] + " is not in [0, " + q + ")");
      }
    }
  }

  /**
   * Base extension in coefficient form: {@code in} over {@code conv.from()}, {@code out} over
   * {@code conv.from()} followed by {@code conv.to()}; the first limbs are copied and the rest
   * converted (see {@link BaseConverter}).
   */
  void extendBase(BaseConverter conv, PolyRange in, PolyRange out);

  /**
   * Base extension of polynomials held in NTT form, result in NTT form: the first limbs of
   * {@code out} are {@code in}'s limbs unchanged, the rest are the NTT of the converted
   * coefficients. Equal to inverse NTT, {@link #extendBase}, forward NTT, but a backend can skip the
   * forward transform of the limbs it copies (the default does not).
   */
  default void extendBaseFromNtt(BaseConverter conv, PolyRange in, PolyRange out) {
    try (PolyBuffer tmp = allocate(conv.from(), in.count())) {
      copy(in, tmp.all());
      inverseNtt(tmp.all());
      extendBase(conv, tmp.all(), out);
      forwardNtt(out);
    }
  }

  /** Base conversion in coefficient form: {@code in} over conv.from(), {@code out} over conv.to(). */
  void convertBase(BaseConverter conv, PolyRange in, PolyRange out);

  /**
   * round(t x / Q) in coefficient form: {@code in} over {@code s.input()}, {@code out} over
   * {@code s.output()} (see {@link RnsScaler}).
   */
  void scaleAndRound(RnsScaler s, PolyRange in, PolyRange out);

  /**
   * Modulus switching in coefficient form: out = round(in / q_last) with {@code out}'s basis equal to
   * {@code in}'s without its last prime.
   */
  void dropLastModulus(PolyRange in, PolyRange out);

  /**
   * BGV modulus switching in NTT form (see {@link PlainPreservingSwitch}): {@code in} over
   * {@code s.from()} in NTT form, {@code out} over {@code s.to()} in NTT form, out = (in - delta) /
   * q_last with delta = in mod q_last and delta = 0 mod t, so the value mod t is kept up to the
   * factor q_last^-1. The default is a host round trip through the scalar reference, a few
   * polynomials at a time; backends may run it natively.
   */
  default void dropLastModulusNtt(PlainPreservingSwitch s, PolyRange in, PolyRange out) {
    in.require(s.from(), in.count(), "modulus switching input");
    out.require(s.to(), in.count(), "modulus switching output");
    int chunk = 16;
    int inLength = s.from().size() * s.from().n();
    int outLength = s.to().size() * s.to().n();
    for (int first = 0; first < in.count(); first += chunk) {
      int c = Math.min(chunk, in.count() - first);
      long[] host = new long[c * inLength];
      long[] result = new long[c * outLength];
      download(in.sub(first, c), host);
      for (int p = 0; p < c; p++) {
        s.apply(host, p * inLength, result, p * outLength);
      }
      upload(result, out.sub(first, c));
    }
  }

  /**
   * The key-switching inner product with RNS digits. {@code digits} holds polynomials d in coefficient
   * form over a basis Q' that is a prefix of the key basis; {@code key} holds, for each prime j of the
   * key basis, two polynomials (b_j, a_j) in NTT form. For each d, {@code out} receives the pair
   * (sum_j NTT([d]_{q_j}) * b_j, sum_j NTT([d]_{q_j}) * a_j) over Q', j running over Q''s primes, in
   * NTT form.
   */
  void keySwitch(PolyRange digits, PolyRange key, PolyRange out);

  /**
   * {@link #keySwitch} for digits held in NTT form (BGV's c2): the same result, and {@code digits}
   * is not modified. The default copies them, runs the inverse NTT and {@link #keySwitch}. A backend
   * can skip the transform of digit i under prime i, which is the limb it was given (the CPU backend
   * does: l of the l^2 forward NTTs).
   */
  default void keySwitchFromNtt(PolyRange digits, PolyRange key, PolyRange out) {
    try (PolyBuffer coefficients = allocateUninitialized(digits.basis(), digits.count())) {
      copy(digits, coefficients.all());
      inverseNtt(coefficients.all());
      keySwitch(coefficients.all(), key, out);
    }
  }

  /** Waits until all issued work is done. */
  void synchronize();

  /**
   * Prepares for a long run of evaluations: a backend whose code is compiled at run time runs its
   * operations on small data until they are compiled. Callers that evaluate networks (the demo, the
   * service, a Spark executor) call it once after opening; one-shot work such as one owner's key
   * generation, encryption or decryption should not, since the preparation costs more than it saves
   * there (BENCHMARKS.md, "Cold commands"). The CPU backend prepares once per JVM and skips it
   * under {@code -Dcryptonets.cpu.warmup=false}; the default does nothing.
   */
  default void warmUp() {}

  /** Releases the backend's threads or device context; its buffers become invalid. */
  @Override
  void close();
}
