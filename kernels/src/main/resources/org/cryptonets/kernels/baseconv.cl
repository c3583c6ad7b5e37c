// RNS base conversion, BFV scale-and-round and modulus switching in coefficient form, plus BGV
// modulus switching in NTT form. These reproduce the integer algorithms of
// org.cryptonets.engine.BaseConverter, RnsScaler, CpuBackend.dropLastModulus and
// PlainPreservingSwitch exactly: the rounding steps use the same 64-bit fixed-point sums (no
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

// BGV modulus switching in NTT form (org.cryptonets.engine.PlainPreservingSwitch): from l primes to
// m = l - 1, keeping the value modulo t. Per polynomial, the last limb goes back to coefficient
// form, the correction r = centred([x t^-1]_{q_l}) is spread as [r]_{q_i} over the m output limbs,
// those are transformed forward, and limb i becomes x_i q_l^-1 - NTT_i(r) (t q_l^-1) mod q_i. The
// output buffer holds the correction between the steps, so no scratch memory is needed.
//
// With n in one local-memory block that is two launches, switch_correction_local and
// switch_forward_combine; otherwise the host runs the copy, the one-limb inverse NTT (ntt.cl),
// switch_spread, the forward NTT and switch_combine, the same arithmetic through global memory.

// [c]_{q_i} for limb i = 0 .. m - 1 of dst (limbs 2^logn apart), c = centred(r) for the residue r
// in [0, q_last): r > q_last / 2 stands for r - q_last < 0, as in PlainPreservingSwitch.correction.
void switch_spread_residue(uint r, uint q_last, __global uint* dst, uint m, uint logn,
                           __global const uint* mods, __global const ulong* ratios) {
  uint negative = r > (q_last >> 1);
  ulong magnitude = (ulong) (negative ? q_last - r : r);
  for (uint i = 0; i < m; i++) {
    uint q = mods[i];
    uint v = reduce_wide(magnitude, q, ratios[i]);
    dst[(ulong) i << logn] = negative ? neg_mod(v, q) : v;
  }
}

// One work-group per polynomial: its last limb (NTT form) loaded into local memory, inverse
// transformed with the last prime's twiddles (last_tw: n uint2 entries), multiplied by
// scale = n^-1 t^-1 mod q_last (the inverse's scaling and the correction's factor in one Shoup
// product) and spread over the m limbs of the output polynomial in coefficient form.
__kernel void switch_correction_local(__global const uint* in, uint2 inr, __global uint* out,
                                      uint2 outr, uint l, uint logn,
                                      __global const uint2* last_tw, uint q_last, uint scale,
                                      uint scale_shoup, __global const uint* mods,
                                      __global const ulong* ratios, __local uint* s) {
  uint lid = get_local_id(0);
  uint wg = get_local_size(0);
  uint poly = (uint) get_group_id(0);
  uint n = 1u << logn;
  uint m = l - 1u;
  __global const uint* src = in + limb_at(inr, poly, m, l, logn);
  for (uint k = lid; k < n; k += wg) {
    s[k] = src[k];
  }
  barrier(CLK_LOCAL_MEM_FENCE);
  inverse_block(s, last_tw, q_last, logn, logn, 0u);
  __global uint* dst = out + limb_at(outr, poly, 0u, m, logn);
  for (uint k = lid; k < n; k += wg) {
    uint r = mul_shoup(s[k], scale, scale_shoup, q_last);
    switch_spread_residue(r, q_last, dst + k, m, logn, mods, ratios);
  }
}

// The spread through global memory: items over polys * n; limb 0 of each output polynomial holds
// the last limb in coefficient form (already scaled by n^-1), multiplied here by t^-1 mod q_last.
// Each item reads its coefficient of limb 0 before writing that coefficient of every limb.
__kernel void switch_spread(__global uint* out, uint2 outr, uint m, uint logn, uint q_last,
                            uint t_inv, uint t_inv_shoup, __global const uint* mods,
                            __global const ulong* ratios) {
  ulong gid = get_global_id(0);
  uint poly = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  __global uint* dst = out + limb_at(outr, poly, 0u, m, logn) + j;
  uint r = mul_shoup(dst[0], t_inv, t_inv_shoup, q_last);
  switch_spread_residue(r, q_last, dst, m, logn, mods, ratios);
}

// limb i: x_i q_l^-1 - y_i (t q_l^-1) mod q_i, c = (q_l^-1, shoup, t q_l^-1, shoup) of the limb.
uint switch_combine_residue(uint x, uint y, uint4 c, uint q) {
  return sub_mod(mul_shoup(x, c.x, c.y, q), mul_shoup(y, c.z, c.w, q), q);
}

// One work-group per output row p * m + i: the correction [r]_{q_i} (coefficient form, in the
// output) transformed forward in local memory with the output basis's twiddles, then combined with
// limb i of input polynomial p and written back.
__kernel void switch_forward_combine(__global const uint* in, uint2 inr, __global uint* out,
                                     uint2 outr, uint l, uint logn, __global const uint2* tw,
                                     __global const uint* mods, __global const uint4* combine,
                                     __local uint* s) {
  uint lid = get_local_id(0);
  uint wg = get_local_size(0);
  uint row = (uint) get_group_id(0);
  uint n = 1u << logn;
  uint m = l - 1u;
  uint poly = row / m;
  uint i = row - poly * m;
  uint q = mods[i];
  __global uint* p = out + limb_at(outr, poly, i, m, logn);
  for (uint k = lid; k < n; k += wg) {
    s[k] = p[k];
  }
  barrier(CLK_LOCAL_MEM_FENCE);
  forward_block(s, tw + (ulong) i * n, q, logn, logn, 0u);
  __global const uint* x = in + limb_at(inr, poly, i, l, logn);
  uint4 c = combine[i];
  for (uint k = lid; k < n; k += wg) {
    p[k] = switch_combine_residue(x[k], s[k], c, q);
  }
}

// The combine through global memory, after the batched forward NTT of the output: items over
// polys * m * n.
__kernel void switch_combine(__global const uint* in, uint2 inr, __global uint* out, uint2 outr,
                             uint l, uint logn, __global const uint* mods,
                             __global const uint4* combine) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong j = gid & (ulong) ((1u << logn) - 1u);
  uint m = l - 1u;
  uint poly = row / m;
  uint i = row - poly * m;
  ulong o = limb_at(outr, poly, i, m, logn) + j;
  out[o] = switch_combine_residue(in[limb_at(inr, poly, i, l, logn) + j], out[o], combine[i],
                                  mods[i]);
}
