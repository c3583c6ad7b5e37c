package org.cryptonets.backend.opencl;

/**
 * Work counted for one kernel (or buffer command) over one or more launches, derived from the launch
 * sizes and the kernel source (see {@link KernelCosts} for every formula), never measured. Residues
 * are 32-bit words on the device.
 *
 * <ul>
 *   <li>{@code residueReadBytes}, {@code residueWriteBytes}: the call's operand polynomials, each
 *       residue counted once per launch (what DRAM must deliver if caches only serve repeats within
 *       one launch).
 *   <li>{@code tableBytes}: distinct constant data a launch reads (twiddles, moduli and their
 *       reduction constants, base-conversion tables, key-switching keys, weights, the broadcast
 *       operand), counted once per launch.
 *   <li>{@code issuedReadBytes}: every global load as the work-items issue it, tables and repeated
 *       operand reads included, with no cache: an upper bound on read traffic.
 *   <li>{@code modularProducts}: products of two residues reduced modulo a prime, Barrett
 *       ({@code mul_mod}) plus Shoup ({@code mul_shoup}), one each.
 *   <li>{@code reductions}: {@code reduce_wide} or {@code reduce_signed} of a value that is not a
 *       product of two residues (an accumulator, a rounded fraction, a digit reduced to another
 *       prime): the same mul_hi-based Barrett step without the product.
 *   <li>{@code wideProducts}: non-modular widening products summed into 64-bit accumulators
 *       (weights times residues, fixed-point fractions).
 *   <li>{@code multiplyInstructions}: 32-bit integer multiply instructions (each 32-bit result of a
 *       multiply, low or high half, is one), from the per-operation costs in {@link KernelCosts}.
 * </ul>
 *
 * <p>Immutable; thread-safe. Throws nothing.
 */
public record KernelWork(
    long launches,
    long workItems,
    long residueReadBytes,
    long residueWriteBytes,
    long tableBytes,
    long issuedReadBytes,
    long barrettProducts,
    long shoupProducts,
    long reductions,
    long wideProducts,
    long multiplyInstructions) {

  /** No work. */
  public static final KernelWork NONE = new KernelWork(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  /** Barrett plus Shoup products: the modular products, one per product of two residues. */
  public long modularProducts() {
    return barrettProducts + shoupProducts;
  }

  /** Bytes a launch moves between the GPU and its memory in the roofline: operands plus tables. */
  public long memoryBytes() {
    return residueReadBytes + residueWriteBytes + tableBytes;
  }

  /** The sum of two counts. */
  public KernelWork plus(KernelWork o) {
    return new KernelWork(launches + o.launches, workItems + o.workItems, residueReadBytes + o.residueReadBytes,
        residueWriteBytes + o.residueWriteBytes, tableBytes + o.tableBytes, issuedReadBytes + o.issuedReadBytes,
        barrettProducts + o.barrettProducts, shoupProducts + o.shoupProducts, reductions + o.reductions, wideProducts + o.wideProducts,
        multiplyInstructions + o.multiplyInstructions);
  }

  /** This count less an earlier count of the same counter. */
  public KernelWork minus(KernelWork o) {
    return new KernelWork(launches - o.launches, workItems - o.workItems, residueReadBytes - o.residueReadBytes,
        residueWriteBytes - o.residueWriteBytes, tableBytes - o.tableBytes, issuedReadBytes - o.issuedReadBytes,
        barrettProducts - o.barrettProducts, shoupProducts - o.shoupProducts, reductions - o.reductions, wideProducts - o.wideProducts,
        multiplyInstructions - o.multiplyInstructions);
  }

  /** This count {@code times} times (the same launch repeated). */
  public KernelWork times(long times) {
    return new KernelWork(launches * times, workItems * times, residueReadBytes * times, residueWriteBytes * times, tableBytes * times,
        issuedReadBytes * times, barrettProducts * times, shoupProducts * times, reductions * times, wideProducts * times,
        multiplyInstructions * times);
  }

  /** True if every field is zero. */
  public boolean isEmpty() {
    return equals(NONE);
  }
}
