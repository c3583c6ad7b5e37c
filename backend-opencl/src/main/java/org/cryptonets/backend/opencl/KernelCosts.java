package org.cryptonets.backend.opencl;

/**
 * The work of one launch of each kernel in {@code kernels/} (and of the buffer commands), as
 * formulas of the launch's sizes read off the OpenCL C source: what {@link WorkCounter} adds up when
 * counting is on, and what a projection can evaluate for operation sequences that were not run
 * (another scheme's). Every method returns the work of exactly one launch.
 *
 * <p>Arguments: {@code n} ring degree, {@code limbs} primes of the operands' basis, {@code polys}
 * polynomials of the call (for tensors: pairs), {@code rows} limbs transformed ({@code polys * limbs}).
 *
 * <p>Multiply instructions (see {@link KernelWork}), counted from {@code common.cl}: each 32-bit
 * result of a multiply, low or high half, is one instruction (a widening 32x32 -> 64 multiply is two;
 * NVIDIA's IMAD.WIDE issues as one instruction at the cost of two results, the same thing):
 *
 * <ul>
 *   <li>{@code mul_shoup}: mul_hi(x, w'), x * w, est * q: {@value #SHOUP_INSTRUCTIONS};
 *   <li>{@code reduce_wide} (64-bit Barrett by floor(2^64 / q)): the 64 x 64 mul_hi is the high half
 *       of x_lo r_lo (1) plus three full 32 x 32 products (6), then est * q to 64 bits (3):
 *       {@value #REDUCE_WIDE_INSTRUCTIONS};
 *   <li>{@code mul_mod}: the 32 x 32 -> 64 product (2) plus reduce_wide: {@value #BARRETT_INSTRUCTIONS};
 *   <li>{@code reduce_signed}: reduce_wide plus the bias ((ratio >> 2) + 1) * q to 64 bits (3):
 *       {@value #REDUCE_SIGNED_INSTRUCTIONS};
 *   <li>a widening product into an accumulator: 32 x 32 -> 64 {@value #WIDE_32_INSTRUCTIONS},
 *       32 x 64 -> 64 {@value #WIDE_64_INSTRUCTIONS}.
 * </ul>
 *
 * Index arithmetic (row / limbs, shifts), additions, comparisons and selects run on the integer ALU
 * pipe and are not counted: the projection assumes they overlap with the multiply pipe.
 *
 * <p>Stateless; thread-safe. Throws nothing (sizes are the caller's, already checked).
 */
public final class KernelCosts {
  /** Bytes of a residue on the device. */
  public static final int WORD = 4;
  public static final int SHOUP_INSTRUCTIONS = 3;
  public static final int REDUCE_WIDE_INSTRUCTIONS = 10;
  public static final int BARRETT_INSTRUCTIONS = 2 + REDUCE_WIDE_INSTRUCTIONS;
  public static final int REDUCE_SIGNED_INSTRUCTIONS = REDUCE_WIDE_INSTRUCTIONS + 3;
  public static final int WIDE_32_INSTRUCTIONS = 2;
  public static final int WIDE_64_INSTRUCTIONS = 3;
  /** Per-limb q (uint) and floor(2^64 / q) (ulong), read by most kernels. */
  private static final int MOD_AND_RATIO = 4 + 8;
  /** Output rows per work-item of mac_dense (MAC_BLOCK in modarith.cl). */
  public static final int MAC_BLOCK = 4;

  private KernelCosts() {}

  /** Accumulates the fields of one launch. */
  private static final class Tally {
    long items;
    long read;
    long write;
    long table;
    long issued;
    long barrett;
    long shoup;
    long reductions;
    long reduceSigned;
    long wide32;
    long wide64;

    KernelWork done() {
      long instructions = barrett * BARRETT_INSTRUCTIONS + shoup * SHOUP_INSTRUCTIONS + (reductions - reduceSigned) * REDUCE_WIDE_INSTRUCTIONS
          + reduceSigned * REDUCE_SIGNED_INSTRUCTIONS + wide32 * WIDE_32_INSTRUCTIONS + wide64 * WIDE_64_INSTRUCTIONS;
      return new KernelWork(1, items, read, write, table, issued, barrett, shoup, reductions, wide32 + wide64, instructions);
    }
  }

  // ------------------------------------------------------------------ buffer commands

  /** clEnqueueCopyBuffer(Rect): every byte read and written once. */
  public static KernelWork bufferCopy(long bytes) {
    Tally t = new Tally();
    t.read = bytes;
    t.write = bytes;
    t.issued = bytes;
    return t.done();
  }

  /** clEnqueueFillBuffer: every byte written once. */
  public static KernelWork bufferFill(long bytes) {
    Tally t = new Tally();
    t.write = bytes;
    return t.done();
  }

  // ------------------------------------------------------------------ modarith.cl

  /**
   * poly_add, poly_subtract, poly_negate, poly_copy, poly_multiply: one item per coefficient,
   * {@code operands} inputs (1 or 2) read and one output written per item; poly_multiply does one
   * Barrett product per item and reads q and its ratio, the others q only (poly_copy nothing).
   */
  public static KernelWork elementwise(String kernel, long polys, int limbs, int n) {
    long items = polys * limbs * n;
    Tally t = new Tally();
    t.items = items;
    int operands = kernel.equals("poly_add") || kernel.equals("poly_subtract") || kernel.equals("poly_multiply") ? 2 : 1;
    int perLimb = switch (kernel) {
      case "poly_multiply" -> MOD_AND_RATIO;
      case "poly_copy" -> 0;
      default -> 4;
    };
    if (kernel.equals("poly_multiply")) {
      t.barrett = items;
    }
    t.read = operands * WORD * items;
    t.write = WORD * items;
    t.table = (long) perLimb * limbs;
    t.issued = t.read + perLimb * items;
    return t.done();
  }

  /** poly_multiply_broadcast: a * b with b one polynomial (a table for the launch), one Barrett product per item. */
  public static KernelWork multiplyBroadcast(long polys, int limbs, int n) {
    long items = polys * limbs * n;
    Tally t = new Tally();
    t.items = items;
    t.barrett = items;
    t.read = WORD * items;
    t.write = WORD * items;
    t.table = (long) WORD * limbs * n + (long) MOD_AND_RATIO * limbs;
    t.issued = (2L * WORD + MOD_AND_RATIO) * items;
    return t.done();
  }

  /** poly_multiply_scalar: one Shoup product per item; reads (w, w') and q per item. */
  public static KernelWork multiplyScalar(long polys, int limbs, int n) {
    long items = polys * limbs * n;
    Tally t = new Tally();
    t.items = items;
    t.shoup = items;
    t.read = WORD * items;
    t.write = WORD * items;
    t.table = 12L * limbs;
    t.issued = (WORD + 12L) * items;
    return t.done();
  }

  /**
   * poly_add_constants: {@code values} rows (polynomials times limbs), each adding its constant to
   * the first {@code 2^logspan} coefficients in place.
   */
  public static KernelWork addConstants(long values, int limbs, int logspan) {
    long items = values << logspan;
    Tally t = new Tally();
    t.items = items;
    t.read = WORD * items;
    t.write = WORD * items;
    t.table = WORD * values + 4L * limbs;
    t.issued = (WORD + 8L) * items;
    return t.done();
  }

  /**
   * reduce_integers: one item per output residue, reading its polynomial's 64-bit integer (the
   * same integer for every limb: {@code polys * n * 8} bytes once, issued once per limb), q and its
   * ratio, writing one word; one signed 64-bit reduction per item.
   */
  public static KernelWork reduceIntegers(long polys, int limbs, int n) {
    long items = polys * limbs * n;
    Tally t = new Tally();
    t.items = items;
    t.reductions = items;
    t.reduceSigned = items;
    t.read = 8L * polys * n;
    t.write = WORD * items;
    t.table = (long) MOD_AND_RATIO * limbs;
    t.issued = (8L + MOD_AND_RATIO) * items;
    return t.done();
  }

  /** poly_tensor over {@code pairs} ciphertext pairs: reads 4, writes 3, four Barrett products per item. */
  public static KernelWork tensor(long pairs, int limbs, int n) {
    long items = pairs * limbs * n;
    Tally t = new Tally();
    t.items = items;
    t.barrett = 4 * items;
    t.read = 4L * WORD * items;
    t.write = 3L * WORD * items;
    t.table = (long) MOD_AND_RATIO * limbs;
    t.issued = (4L * WORD + MOD_AND_RATIO) * items;
    return t.done();
  }

  /** poly_tensor_square over {@code pairs} ciphertexts of size 2: reads 2, writes 3, three Barrett products per item. */
  public static KernelWork tensorSquare(long pairs, int limbs, int n) {
    long items = pairs * limbs * n;
    Tally t = new Tally();
    t.items = items;
    t.barrett = 3 * items;
    t.read = 2L * WORD * items;
    t.write = 3L * WORD * items;
    t.table = (long) MOD_AND_RATIO * limbs;
    t.issued = (2L * WORD + MOD_AND_RATIO) * items;
    return t.done();
  }

  /**
   * How often a work-item folds its signed accumulators over {@code terms} terms when at most
   * {@code maxTerms} may be summed (the kernels' {@code ++terms > max_terms} loop): the first fold
   * after maxTerms terms, then one every maxTerms - 1 (the folded residue counts as a term).
   */
  static long folds(long terms, long maxTerms) {
    if (terms <= maxTerms) {
      return 0;
    }
    return 1 + (terms - maxTerms - 1) / Math.max(1, maxTerms - 1);
  }

  /**
   * mac_dense: {@code ceil(rows / 4)} row blocks x width x limbs x n items, each reading its
   * {@code cols} inputs once and 4 x cols weights, 4 x cols widening products (padding rows too),
   * one reduce_signed per output written, plus folds. Unique input reads: cols x width polynomials.
   */
  public static KernelWork macDense(int rows, int cols, int width, int limbs, int n, long maxTerms) {
    long blocks = (rows + MAC_BLOCK - 1) / MAC_BLOCK;
    long perCoeff = (long) width * limbs * n;
    long items = blocks * perCoeff;
    Tally t = new Tally();
    t.items = items;
    t.read = (long) WORD * cols * perCoeff;
    t.write = (long) WORD * rows * perCoeff;
    t.table = blocks * MAC_BLOCK * cols * 4L + (long) MOD_AND_RATIO * limbs;
    t.issued = items * ((long) cols * WORD + (long) MAC_BLOCK * cols * 4 + MOD_AND_RATIO);
    t.wide32 = items * MAC_BLOCK * cols;
    t.reductions = (long) rows * perCoeff + items * MAC_BLOCK * folds(cols, maxTerms);
    t.reduceSigned = t.reductions;
    return t.done();
  }

  /**
   * mac_sparse over compressed rows: rows x width x limbs x n items, item of row r reading nnz(r)
   * inputs with their column and value, one widening product per term, one reduce_signed per item
   * plus folds. Unique input reads: the distinct columns referenced, x width polynomials.
   */
  public static KernelWork macSparse(int[] rowStart, int[] columnIndex, int width, int limbs, int n, long maxTerms) {
    int rows = rowStart.length - 1;
    int nnz = rowStart[rows];
    long perCoeff = (long) width * limbs * n;
    long folds = 0;
    for (int r = 0; r < rows; r++) {
      folds += folds(rowStart[r + 1] - rowStart[r], maxTerms);
    }
    long distinct = java.util.Arrays.stream(columnIndex, 0, nnz).distinct().count();
    Tally t = new Tally();
    t.items = rows * perCoeff;
    t.read = WORD * distinct * perCoeff;
    t.write = WORD * t.items;
    t.table = 4L * (rows + 1 + 2L * nnz) + (long) MOD_AND_RATIO * limbs;
    t.issued = nnz * perCoeff * (WORD + 8L) + t.items * (8L + MOD_AND_RATIO);
    t.wide32 = nnz * perCoeff;
    t.reductions = t.items + folds * perCoeff;
    t.reduceSigned = t.reductions;
    return t.done();
  }

  // ------------------------------------------------------------------ ntt.cl

  /** Distinct twiddle bytes (uint2 per entry) the launch reads: entries n/2^(logt+1) .. of each limb touched. */
  private static long twiddles(long rows, int limbs, long entries) {
    return Math.min(rows, limbs) * entries * 8L;
  }

  /**
   * ntt_forward_stage / ntt_inverse_stage: one radix-2 stage of span 2^logt over global memory,
   * rows x n/2 items (one butterfly each: two reads, two writes, one Shoup product, one twiddle);
   * the inverse's last stage ({@code scale}) applies n^-1 to both outputs (two more Shoup products).
   */
  public static KernelWork nttStage(long rows, int limbs, int n, int logt, boolean scale) {
    long items = rows * (n / 2);
    Tally t = new Tally();
    t.items = items;
    t.read = 2L * WORD * items;
    t.write = 2L * WORD * items;
    t.shoup = items * (scale ? 3 : 1);
    t.table = twiddles(rows, limbs, n >> (logt + 1)) + 4L * limbs + (scale ? 8L * limbs : 0);
    t.issued = t.read + items * (8 + 4 + (scale ? 8 : 0));
    return t.done();
  }

  /**
   * ntt_forward_local / ntt_inverse_local: rows x n / block work-groups, each loading its block of
   * 2^logBlock coefficients once, doing block/2 x logBlock butterflies in local memory (one Shoup
   * product and one twiddle each) and writing the block once; {@code scale} (whole row in one block,
   * inverse only) adds one Shoup product per coefficient for n^-1.
   */
  public static KernelWork nttLocal(long rows, int limbs, int n, int block, boolean scale) {
    int logBlock = Integer.numberOfTrailingZeros(block);
    long groups = rows * (n / block);
    long butterflies = groups * (block / 2) * logBlock;
    long coefficients = rows * n;
    Tally t = new Tally();
    t.items = groups;
    t.read = WORD * coefficients;
    t.write = WORD * coefficients;
    t.shoup = butterflies + (scale ? coefficients : 0);
    // Block-local stages of every block use twiddle entries 1 .. n/2^(logn - logBlock + 1) .. n - 1:
    // with several blocks per row, all n - 1 of the upper entries are read; bounded by n per limb.
    t.table = twiddles(rows, limbs, n) + 4L * limbs + (scale ? 8L * limbs : 0);
    t.issued = t.read + butterflies * 8 + groups * (4 + (scale ? 8 : 0));
    return t.done();
  }

  // ------------------------------------------------------------------ keyswitch.cl

  /** key_switch_spread: count x limbs x limbs x n items, each reducing one digit residue modulo one prime. */
  public static KernelWork keySwitchSpread(long count, int limbs, int n) {
    long items = count * limbs * limbs * n;
    Tally t = new Tally();
    t.items = items;
    t.read = WORD * count * limbs * n;
    t.write = WORD * items;
    t.reductions = items;
    t.table = (long) MOD_AND_RATIO * limbs;
    t.issued = items * (WORD + MOD_AND_RATIO);
    return t.done();
  }

  /**
   * key_switch_spread_ntt: count x limbs x limbs work-groups, each reading one digit limb (n
   * residues), reducing it to one prime and transforming it in local memory (n/2 x log n
   * butterflies), writing n residues.
   */
  public static KernelWork keySwitchSpreadNtt(long count, int limbs, int n) {
    int logn = Integer.numberOfTrailingZeros(n);
    long groups = count * limbs * limbs;
    long butterflies = groups * (n / 2) * logn;
    Tally t = new Tally();
    t.items = groups;
    t.read = WORD * count * limbs * n;
    t.write = WORD * groups * n;
    t.reductions = groups * n;
    t.shoup = butterflies;
    t.table = twiddles(limbs, limbs, n) + (long) MOD_AND_RATIO * limbs;
    t.issued = groups * n * WORD + butterflies * 8 + groups * MOD_AND_RATIO;
    return t.done();
  }

  /**
   * key_switch_inner: count x limbs x n items, each summing limbs digit residues times two key
   * residues (two Barrett products per term) and writing two outputs. The key's limbs below
   * {@code limbs} of its 2 x limbs polynomials are a table for the launch.
   */
  public static KernelWork keySwitchInner(long count, int limbs, int n) {
    long items = count * limbs * n;
    Tally t = new Tally();
    t.items = items;
    t.read = WORD * count * limbs * limbs * n;
    t.write = 2L * WORD * items;
    t.barrett = 2L * limbs * items;
    t.table = 2L * limbs * limbs * n * WORD + (long) MOD_AND_RATIO * limbs;
    t.issued = items * ((long) limbs * 3 * WORD + MOD_AND_RATIO);
    return t.done();
  }

  // ------------------------------------------------------------------ baseconv.cl

  /**
   * base_convert from {@code from} to {@code to} primes: count x to x n items, each reading the
   * from input residues of its coefficient, 2 x from Shoup products, from fixed-point products
   * (32 x 64) plus the correction's product (64 x 32) and one reduce_wide.
   */
  public static KernelWork baseConvert(long count, int from, int to, int n) {
    long items = count * to * n;
    Tally t = new Tally();
    t.items = items;
    t.read = WORD * count * from * n;
    t.write = WORD * items;
    t.shoup = 2L * from * items;
    t.wide64 = (from + 1L) * items;
    t.reductions = items;
    // Per input prime: punctured inverse (uint2), reciprocal (ulong), q (uint); per pair: punctured
    // product mod the output prime (uint2); per output prime: p, its ratio, Q mod p.
    t.table = from * (8L + 8 + 4) + (long) from * to * 8 + to * (4L + 8 + 4);
    t.issued = items * ((long) from * (WORD + 8 + 8 + 4 + 8) + 4 + 8 + 4);
    return t.done();
  }

  /**
   * scale_round from {@code inLimbs} input primes (l of them in Q, plus the auxiliary ones when
   * {@code aux}) to {@code out} primes: count x out x n items, each reading l residues (plus its own
   * auxiliary one), 2 l widening products (32 x 32), l Shoup products (+1 with aux), one reduce_wide.
   */
  public static KernelWork scaleRound(long count, int inLimbs, int l, int out, boolean aux, int n) {
    long items = count * out * n;
    Tally t = new Tally();
    t.items = items;
    t.read = WORD * count * (aux ? inLimbs : l) * n;
    t.write = WORD * items;
    t.wide32 = 2L * l * items;
    t.shoup = (l + (aux ? 1L : 0)) * items;
    t.reductions = items;
    t.table = l * (4L + 4) + (long) out * l * 8 + out * (4L + 8 + (aux ? 8 : 0));
    t.issued = items * ((long) l * (WORD + 4 + 4 + 8) + 4 + 8 + (aux ? WORD + 8 : 0));
    return t.done();
  }

  /**
   * drop_last_modulus from {@code limbs} primes: count x (limbs - 1) x n items, each reading its own
   * residue and the last prime's, one reduce_wide (the centred last residue modulo q_i) and one
   * Shoup product by q_last^-1.
   */
  public static KernelWork dropLastModulus(long count, int limbs, int n) {
    long items = count * (limbs - 1) * n;
    Tally t = new Tally();
    t.items = items;
    t.read = WORD * count * limbs * n;
    t.write = WORD * items;
    t.reductions = items;
    t.shoup = items;
    t.table = limbs * (4L + 8 + 8);
    t.issued = items * (2L * WORD + MOD_AND_RATIO + 4 + 8);
    return t.done();
  }

  // ------------------------------------------------------------------ BGV modulus switching (baseconv.cl)

  /** Per output prime: q (uint) and floor(2^64 / q) (ulong) to reduce the correction. */
  private static final int SPREAD_TABLE = MOD_AND_RATIO;
  /** Per output prime: q (uint) and the uint4 (q_l^-1, shoup, t q_l^-1, shoup). */
  private static final int COMBINE_TABLE = 4 + 16;

  /**
   * switch_correction_local from {@code limbs} primes: count work-groups, each reading the last limb
   * of its polynomial (n residues), n/2 x log2 n inverse butterflies in local memory (one Shoup
   * product and one twiddle of the dropped prime each), one Shoup product per coefficient by
   * n^-1 t^-1, and (limbs - 1) x n outputs, each one reduce_wide of the centred correction modulo
   * its prime (reading that prime's q and ratio).
   */
  public static KernelWork switchCorrectionLocal(long count, int limbs, int n) {
    int logn = Integer.numberOfTrailingZeros(n);
    long butterflies = count * (n / 2) * logn;
    long coefficients = count * n;
    long outputs = coefficients * (limbs - 1);
    Tally t = new Tally();
    t.items = count;
    t.read = WORD * coefficients;
    t.write = WORD * outputs;
    t.shoup = butterflies + coefficients;
    t.reductions = outputs;
    t.table = Math.min(count, 1) * n * 8L + (long) SPREAD_TABLE * (limbs - 1);
    t.issued = WORD * coefficients + butterflies * 8 + outputs * SPREAD_TABLE;
    return t.done();
  }

  /**
   * switch_spread (the global-memory path) from {@code limbs} primes: count x n items, each reading
   * its coefficient of the last limb in coefficient form, one Shoup product by t^-1 and, per output
   * prime, one reduce_wide and one write.
   */
  public static KernelWork switchSpread(long count, int limbs, int n) {
    long items = count * n;
    long outputs = items * (limbs - 1);
    Tally t = new Tally();
    t.items = items;
    t.read = WORD * items;
    t.write = WORD * outputs;
    t.shoup = items;
    t.reductions = outputs;
    t.table = (long) SPREAD_TABLE * (limbs - 1);
    t.issued = WORD * items + outputs * SPREAD_TABLE;
    return t.done();
  }

  /**
   * switch_forward_combine from {@code limbs} primes: count x (limbs - 1) work-groups, one per output
   * limb, each reading the correction limb (n residues) and the input's limb, n/2 x log2 n forward
   * butterflies in local memory (one Shoup product and one twiddle each), two Shoup products per
   * coefficient and n residues written.
   */
  public static KernelWork switchForwardCombine(long count, int limbs, int n) {
    int logn = Integer.numberOfTrailingZeros(n);
    long rows = count * (limbs - 1);
    long butterflies = rows * (n / 2) * logn;
    long coefficients = rows * n;
    Tally t = new Tally();
    t.items = rows;
    t.read = 2L * WORD * coefficients;
    t.write = WORD * coefficients;
    t.shoup = butterflies + 2 * coefficients;
    t.table = twiddles(rows, limbs - 1, n) + (long) COMBINE_TABLE * (limbs - 1);
    t.issued = 2L * WORD * coefficients + butterflies * 8 + rows * COMBINE_TABLE;
    return t.done();
  }

  /**
   * switch_combine (the global-memory path) from {@code limbs} primes: count x (limbs - 1) x n items,
   * each reading the input residue and the transformed correction, two Shoup products, one write.
   */
  public static KernelWork switchCombine(long count, int limbs, int n) {
    long items = count * (limbs - 1) * n;
    Tally t = new Tally();
    t.items = items;
    t.read = 2L * WORD * items;
    t.write = WORD * items;
    t.shoup = 2 * items;
    t.table = (long) COMBINE_TABLE * (limbs - 1);
    t.issued = items * (2L * WORD + COMBINE_TABLE);
    return t.done();
  }
}
