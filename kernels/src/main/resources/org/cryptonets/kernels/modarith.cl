// Coefficient-wise arithmetic on batches of limbs. Every kernel here runs one work-item per
// coefficient over rows * n items (n = 2^logn, row r = k * limbs + limb is limb `limb` of polynomial
// k of the ranges), so one launch covers every polynomial and limb of its ranges. Each operand is a
// strided range (first, stride) of its buffer, see row_at in common.cl. Outputs may be the inputs
// themselves (same polynomial at the same k), since each item reads its inputs before it writes its
// own output and touches no other item's; the host rejects any other sharing.

__kernel void poly_add(__global const uint* a, uint2 ar, __global const uint* b, uint2 br,
                       __global uint* out, uint2 outr, __global const uint* mods, uint limbs,
                       uint logn) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  uint q = mods[row % limbs];
  out[row_at(outr, row, limbs, logn) + j] =
      add_mod(a[row_at(ar, row, limbs, logn) + j], b[row_at(br, row, limbs, logn) + j], q);
}

__kernel void poly_subtract(__global const uint* a, uint2 ar, __global const uint* b, uint2 br,
                            __global uint* out, uint2 outr, __global const uint* mods, uint limbs,
                            uint logn) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  uint q = mods[row % limbs];
  out[row_at(outr, row, limbs, logn) + j] =
      sub_mod(a[row_at(ar, row, limbs, logn) + j], b[row_at(br, row, limbs, logn) + j], q);
}

__kernel void poly_negate(__global const uint* a, uint2 ar, __global uint* out, uint2 outr,
                          __global const uint* mods, uint limbs, uint logn) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  uint q = mods[row % limbs];
  out[row_at(outr, row, limbs, logn) + j] = neg_mod(a[row_at(ar, row, limbs, logn) + j], q);
}

// A plain copy, for strided ranges that one contiguous buffer copy cannot cover.
__kernel void poly_copy(__global const uint* a, uint2 ar, __global uint* out, uint2 outr, uint limbs,
                        uint logn) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  out[row_at(outr, row, limbs, logn) + j] = a[row_at(ar, row, limbs, logn) + j];
}

__kernel void poly_multiply(__global const uint* a, uint2 ar, __global const uint* b, uint2 br,
                            __global uint* out, uint2 outr, __global const uint* mods,
                            __global const ulong* ratios, uint limbs, uint logn) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  uint limb = row % limbs;
  out[row_at(outr, row, limbs, logn) + j] =
      mul_mod(a[row_at(ar, row, limbs, logn) + j], b[row_at(br, row, limbs, logn) + j], mods[limb],
              ratios[limb]);
}

// b is one polynomial (polynomial 0 of range br) applied to every polynomial of a.
__kernel void poly_multiply_broadcast(__global const uint* a, uint2 ar, __global const uint* b,
                                      uint2 br, __global uint* out, uint2 outr,
                                      __global const uint* mods, __global const ulong* ratios,
                                      uint limbs, uint logn) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  uint limb = row % limbs;
  uint y = b[limb_at(br, 0u, limb, limbs, logn) + j];
  out[row_at(outr, row, limbs, logn) + j] =
      mul_mod(a[row_at(ar, row, limbs, logn) + j], y, mods[limb], ratios[limb]);
}

// ws holds (w, shoup(w)) per limb: the signed scalar already reduced modulo each prime on the host.
__kernel void poly_multiply_scalar(__global const uint* a, uint2 ar, __global uint* out, uint2 outr,
                                   __global const uint2* ws, __global const uint* mods, uint limbs,
                                   uint logn) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  uint limb = row % limbs;
  uint2 w = ws[limb];
  out[row_at(outr, row, limbs, logn) + j] =
      mul_shoup(a[row_at(ar, row, limbs, logn) + j], w.x, w.y, mods[limb]);
}

// Signed integers with |v| < 2^62, one per coefficient (polynomial p's at values[p << logn ..]),
// reduced into every limb of the output range: out limb i of polynomial p = v mod q_i in [0, q_i).
// Items run over polys * limbs * n.
__kernel void reduce_integers(__global const long* values, __global uint* out, uint2 outr,
                              __global const uint* mods, __global const ulong* ratios, uint limbs,
                              uint logn) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  uint limb = row % limbs;
  ulong p = row / limbs;
  out[row_at(outr, row, limbs, logn) + j] = reduce_signed(values[(p << logn) + j], mods[limb], ratios[limb]);
}

// values[row] is added to the first 2^logspan coefficients of that row: 1 (coefficient form,
// logspan = 0) or all n (NTT form, logspan = logn).
__kernel void poly_add_constants(__global uint* a, uint2 ar, __global const uint* values,
                                 __global const uint* mods, uint limbs, uint logn, uint logspan) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logspan);
  ulong j = gid & (ulong) ((1u << logspan) - 1u);
  uint q = mods[row % limbs];
  ulong e = row_at(ar, row, limbs, logn) + j;
  a[e] = add_mod(a[e], values[row], q);
}

// Pairs (x0, x1), (y0, y1) to triples (x0 y0, x0 y1 + x1 y0, x1 y1): pair p is polynomials 2p and
// 2p + 1 of its range, triple p polynomials 3p, 3p + 1, 3p + 2. Items run over pairs * limbs * n.
__kernel void poly_tensor(__global const uint* a, uint2 ar, __global const uint* b, uint2 br,
                          __global uint* out, uint2 outr, __global const uint* mods,
                          __global const ulong* ratios, uint limbs, uint logn) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  uint pair = row / limbs;
  uint limb = row - pair * limbs;
  uint q = mods[limb];
  ulong ratio = ratios[limb];
  uint x0 = a[limb_at(ar, 2u * pair, limb, limbs, logn) + j];
  uint x1 = a[limb_at(ar, 2u * pair + 1u, limb, limbs, logn) + j];
  uint y0 = b[limb_at(br, 2u * pair, limb, limbs, logn) + j];
  uint y1 = b[limb_at(br, 2u * pair + 1u, limb, limbs, logn) + j];
  out[limb_at(outr, 3u * pair, limb, limbs, logn) + j] = mul_mod(x0, y0, q, ratio);
  out[limb_at(outr, 3u * pair + 1u, limb, limbs, logn) + j] =
      add_mod(mul_mod(x0, y1, q, ratio), mul_mod(x1, y0, q, ratio), q);
  out[limb_at(outr, 3u * pair + 2u, limb, limbs, logn) + j] = mul_mod(x1, y1, q, ratio);
}

__kernel void poly_tensor_square(__global const uint* a, uint2 ar, __global uint* out, uint2 outr,
                                 __global const uint* mods, __global const ulong* ratios,
                                 uint limbs, uint logn) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  uint pair = row / limbs;
  uint limb = row - pair * limbs;
  uint q = mods[limb];
  ulong ratio = ratios[limb];
  uint x0 = a[limb_at(ar, 2u * pair, limb, limbs, logn) + j];
  uint x1 = a[limb_at(ar, 2u * pair + 1u, limb, limbs, logn) + j];
  uint cross = mul_mod(x0, x1, q, ratio);
  out[limb_at(outr, 3u * pair, limb, limbs, logn) + j] = mul_mod(x0, x0, q, ratio);
  out[limb_at(outr, 3u * pair + 1u, limb, limbs, logn) + j] = add_mod(cross, cross, q);
  out[limb_at(outr, 3u * pair + 2u, limb, limbs, logn) + j] = mul_mod(x1, x1, q, ratio);
}

// Multiply-accumulate by small signed weights: in holds `cols` items of `width` polynomials, out
// receives `rows` items, out[r][c] = sum_k w[r][k] in[k][c]; polynomial c of item k is polynomial
// k * width + c of its (strided) range. Products of a weight (|w| < 2^24) and a
// residue (< 2^31) are summed in signed 64-bit accumulators; the host passes max_terms so that the
// sum of that many terms stays below 2^62, and the accumulators are folded back to residues when it
// is reached.

// OpenClBackend.MAC_BLOCK must equal this: it sizes the padded weight matrix and the launch.
#define MAC_BLOCK 4

// Dense weights, MAC_BLOCK output rows per work-item so each input value is read once per block;
// w is rows padded to a multiple of MAC_BLOCK with zero rows, row-major. Items run over
// row_blocks * width * limbs * n, coefficient fastest so reads and writes coalesce.
__kernel void mac_dense(__global const uint* in, uint2 ir, __global uint* out, uint2 outr,
                        __global const int* w, uint rows, uint cols, uint width, uint limbs,
                        uint logn, ulong max_terms, __global const uint* mods,
                        __global const ulong* ratios) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  uint limb = row % limbs;
  uint rest = row / limbs;
  uint c = rest % width;
  uint r0 = rest / width * MAC_BLOCK;
  uint q = mods[limb];
  ulong ratio = ratios[limb];
  long acc[MAC_BLOCK];
  for (uint r = 0; r < MAC_BLOCK; r++) {
    acc[r] = 0;
  }
  ulong terms = 0;
  __global const int* wr = w + (ulong) r0 * cols;
  // input k of this item's column is limb_at(ir, k * width + c, ...): a fixed step from k to k + 1
  __global const uint* x_at = in + limb_at(ir, c, limb, limbs, logn) + j;
  ulong step = ((ulong) width * ir.y * limbs) << logn;
  for (uint k = 0; k < cols; k++, x_at += step) {
    if (++terms > max_terms) {
      for (uint r = 0; r < MAC_BLOCK; r++) {
        acc[r] = (long) reduce_signed(acc[r], q, ratio);
      }
      terms = 2;
    }
    long x = (long) *x_at;
    for (uint r = 0; r < MAC_BLOCK; r++) {
      acc[r] += (long) wr[(ulong) r * cols + k] * x;
    }
  }
  for (uint r = 0; r < MAC_BLOCK; r++) {
    if (r0 + r < rows) {
      out[limb_at(outr, (r0 + r) * width + c, limb, limbs, logn) + j] = reduce_signed(acc[r], q, ratio);
    }
  }
}

// Sparse weights in compressed rows (convolutions): one output row per work-item, items over
// rows * width * limbs * n.
__kernel void mac_sparse(__global const uint* in, uint2 ir, __global uint* out, uint2 outr,
                         __global const int* row_start, __global const int* column,
                         __global const int* value, uint width, uint limbs, uint logn,
                         ulong max_terms, __global const uint* mods,
                         __global const ulong* ratios) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  uint limb = row % limbs;
  uint rest = row / limbs;
  uint c = rest % width;
  uint r = rest / width;
  uint q = mods[limb];
  ulong ratio = ratios[limb];
  long acc = 0;
  ulong terms = 0;
  for (int k = row_start[r]; k < row_start[r + 1]; k++) {
    if (++terms > max_terms) {
      acc = (long) reduce_signed(acc, q, ratio);
      terms = 2;
    }
    long x = (long) in[limb_at(ir, (uint) column[k] * width + c, limb, limbs, logn) + j];
    acc += (long) value[k] * x;
  }
  out[limb_at(outr, r * width + c, limb, limbs, logn) + j] = reduce_signed(acc, q, ratio);
}
