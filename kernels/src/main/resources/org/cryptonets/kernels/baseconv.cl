// RNS base conversion, BFV scale-and-round and modulus switching, in coefficient form. These
// reproduce the integer algorithms of org.cryptonets.engine.BaseConverter, RnsScaler and
// CpuBackend.dropLastModulus exactly: the rounding steps use the same 64-bit fixed-point sums (no
// floating point anywhere), and every other step is exact modular arithmetic, so the residues match
// the Java reference bit for bit.

// From Q (l primes) to P (k primes). Items run over polys * k * n: one output residue per item, which
// recomputes y_i = [x_i (Q/q_i)^-1]_{q_i} for its own prime rather than sharing them through memory;
// the l Shoup products are cheap next to the global reads they would replace.
//
// in: strided range of polynomials of l limbs; out: strided range of polynomials of out_limbs limbs,
// the converted limbs written from limb out_first (so extension writes after the copied Q limbs).
__kernel void base_convert(__global const uint* in, uint2 inr, __global uint* out, uint2 outr,
                           uint l, uint k, uint out_limbs, uint out_first, uint logn,
                           __global const uint* from_mods, __global const uint2* punct_inv,
                           __global const ulong* reciprocal, __global const uint* to_mods,
                           __global const ulong* to_ratios, __global const uint2* punct_mod_to,
                           __global const uint* product_mod_to) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  uint poly = row / k;
  uint o = row - poly * k;
  uint p = to_mods[o];
  __global const uint* x = in + limb_at(inr, poly, 0u, l, logn) + j;
  __global const uint2* pm = punct_mod_to + (ulong) o * l;
  ulong fraction = 0;
  uint acc = 0;
  for (uint i = 0; i < l; i++) {
    uint2 pi = punct_inv[i];
    uint y = mul_shoup(x[(ulong) i << logn], pi.x, pi.y, from_mods[i]);
    // y_i * floor(2^56 / q_i) < 2^56 and l <= 127, so the sum cannot wrap.
    fraction += (ulong) y * reciprocal[i];
    uint2 c = pm[i];
    acc = add_mod(acc, mul_shoup(y, c.x, c.y, p), p);
  }
  ulong v = (fraction + (1ul << 55)) >> 56;
  uint correction = reduce_wide(v * (ulong) product_mod_to[o], p, to_ratios[o]);
  out[limb_at(outr, poly, out_first + o, out_limbs, logn) + j] = sub_mod(acc, correction, p);
}

// round(t x / Q) from x over Q (l primes) or Q u P (l + k primes when aux != 0) to the k output
// primes. The fraction sums are taken in two 28-bit halves exactly as RnsScaler.scale does, and the
// rounded value is reduced modulo the output prime like the reference's o.reduce(rounded).
__kernel void scale_round(__global const uint* in, uint2 inr, __global uint* out, uint2 outr,
                          uint in_limbs, uint l, uint k, uint aux, uint logn,
                          __global const uint* fraction_high, __global const uint* fraction_low,
                          __global const uint* out_mods, __global const ulong* out_ratios,
                          __global const uint2* integer_mod_out, __global const uint2* lambda) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  uint poly = row / k;
  uint o = row - poly * k;
  uint p = out_mods[o];
  __global const uint* x = in + limb_at(inr, poly, 0u, in_limbs, logn) + j;
  __global const uint2* im = integer_mod_out + (ulong) o * l;
  ulong high = 0;
  ulong low = 0;
  uint acc = 0;
  for (uint i = 0; i < l; i++) {
    uint xi = x[(ulong) i << logn];
    high += (ulong) xi * fraction_high[i];
    low += (ulong) xi * fraction_low[i];
    uint2 c = im[i];
    acc = add_mod(acc, mul_shoup(xi, c.x, c.y, p), p);
  }
  ulong rounded = (high + ((low + (1ul << 55)) >> 28)) >> 28;
  acc = add_mod(acc, reduce_wide(rounded, p, out_ratios[o]), p);
  if (aux) {
    uint2 c = lambda[o];
    acc = add_mod(acc, mul_shoup(x[(ulong) (l + o) << logn], c.x, c.y, p), p);
  }
  out[limb_at(outr, poly, o, k, logn) + j] = acc;
}

// round(x / q_last) over the first l - 1 primes: (x_i - r) q_last^-1 mod q_i with r the centred
// residue of x modulo q_last. Items run over polys * (l - 1) * n.
__kernel void drop_last_modulus(__global const uint* in, uint2 inr, __global uint* out, uint2 outr,
                                uint l, uint logn, __global const uint* mods,
                                __global const ulong* ratios, __global const uint2* last_inverse) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  uint m = l - 1u;
  uint poly = row / m;
  uint i = row - poly * m;
  uint q = mods[i];
  ulong ratio = ratios[i];
  uint q_last = mods[m];
  __global const uint* x = in + limb_at(inr, poly, 0u, l, logn) + j;
  uint r = x[(ulong) m << logn];
  uint xi = x[(ulong) i << logn];
  uint diff;
  if (r > (q_last >> 1)) {
    // r stands for r - q_last < 0: add q_last - r.
    diff = add_mod(xi, reduce_wide((ulong) (q_last - r), q, ratio), q);
  } else {
    diff = sub_mod(xi, reduce_wide((ulong) r, q, ratio), q);
  }
  uint2 c = last_inverse[i];
  out[limb_at(outr, poly, i, m, logn) + j] = mul_shoup(diff, c.x, c.y, q);
}
