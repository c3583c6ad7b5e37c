// Negacyclic NTT over batches of limbs (see org.cryptonets.engine.NttTables for the transform):
// forward Cooley-Tukey, natural order in, bit-reversed out; inverse Gentleman-Sande, bit-reversed in,
// natural out, scaled by n^-1.
//
// A batch is `rows` limbs of n coefficients: row r is limb (r % limbs) of polynomial (r / limbs) of
// the strided range `rng` of `a` (see row_at in common.cl). Twiddles are uint2 (w, shoup(w)) laid out [limb][n] in the
// bit-reversed order of the Java tables, so the butterfly of span t in group g uses entry
// n / (2t) + g in both directions.
//
// Two shapes of launch:
//  - *_local: one work-group per block of L = 2^logl coefficients of one row, all stages whose
//    butterflies stay inside the block done in local memory with a barrier between stages. When
//    L == n this is the whole transform in one launch: one global read and one write per value.
//  - *_stage: one radix-2 stage over global memory, one butterfly per work-item, for the stages
//    whose span exceeds the local block (n larger than fits in local memory).

__kernel void ntt_forward_stage(__global uint* a, uint2 rng, __global const uint2* tw,
                                __global const uint* mods, uint limbs, uint logn, uint logt) {
  ulong gid = get_global_id(0);
  uint n = 1u << logn;
  uint b = (uint) (gid & (ulong) ((n >> 1) - 1u));
  uint row = (uint) (gid >> (logn - 1u));
  uint limb = row % limbs;
  uint q = mods[limb];
  uint t = 1u << logt;
  uint g = b >> logt;
  uint j = (g << (logt + 1u)) + (b & (t - 1u));
  uint2 w = tw[(ulong) limb * n + (n >> (logt + 1u)) + g];
  __global uint* p = a + row_at(rng, row, limbs, logn);
  uint u = p[j];
  uint v = mul_shoup(p[j + t], w.x, w.y, q);
  p[j] = add_mod(u, v, q);
  p[j + t] = sub_mod(u, v, q);
}

__kernel void ntt_inverse_stage(__global uint* a, uint2 rng, __global const uint2* tw,
                                __global const uint* mods, __global const uint2* inv_n,
                                uint limbs, uint logn, uint logt, uint scale) {
  ulong gid = get_global_id(0);
  uint n = 1u << logn;
  uint b = (uint) (gid & (ulong) ((n >> 1) - 1u));
  uint row = (uint) (gid >> (logn - 1u));
  uint limb = row % limbs;
  uint q = mods[limb];
  uint t = 1u << logt;
  uint g = b >> logt;
  uint j = (g << (logt + 1u)) + (b & (t - 1u));
  uint2 w = tw[(ulong) limb * n + (n >> (logt + 1u)) + g];
  __global uint* p = a + row_at(rng, row, limbs, logn);
  uint u = p[j];
  uint v = p[j + t];
  uint s = add_mod(u, v, q);
  uint d = mul_shoup(sub_mod(u, v, q), w.x, w.y, q);
  if (scale) {
    // The last stage applies n^-1 to its outputs, as the reference does after all stages.
    uint2 ni = inv_n[limb];
    s = mul_shoup(s, ni.x, ni.y, q);
    d = mul_shoup(d, ni.x, ni.y, q);
  }
  p[j] = s;
  p[j + t] = d;
}

// The forward stages with spans L/2 down to 1 on a block of L = 2^logl coefficients in local
// memory: block blk of a row whose twiddles start at twl. Every work-item of the group must call it.
void forward_block(__local uint* s, __global const uint2* twl, uint q, uint logn, uint logl,
                   uint blk) {
  uint lid = get_local_id(0);
  uint wg = get_local_size(0);
  uint n = 1u << logn;
  uint half_len = 1u << (logl - 1u);
  for (int lt = (int) logl - 1; lt >= 0; lt--) {
    uint logt = (uint) lt;
    uint t = 1u << logt;
    // Twiddle group of this block's first butterfly group at span t, in whole-row numbering.
    uint gbase = (n >> (logt + 1u)) + (blk << (logl - logt - 1u));
    for (uint b = lid; b < half_len; b += wg) {
      uint g = b >> logt;
      uint j = (g << (logt + 1u)) + (b & (t - 1u));
      uint2 w = twl[gbase + g];
      uint u = s[j];
      uint v = mul_shoup(s[j + t], w.x, w.y, q);
      s[j] = add_mod(u, v, q);
      s[j + t] = sub_mod(u, v, q);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
}

// Stages with spans L/2 down to 1, i.e. everything once the global stages have split the row into
// independent blocks of L coefficients.
__kernel void ntt_forward_local(__global uint* a, uint2 rng, __global const uint2* tw,
                                __global const uint* mods, uint limbs, uint logn, uint logl,
                                __local uint* s) {
  uint lid = get_local_id(0);
  uint wg = get_local_size(0);
  ulong grp = get_group_id(0);
  uint n = 1u << logn;
  uint len = 1u << logl;
  uint block_bits = logn - logl;
  uint row = (uint) (grp >> block_bits);
  uint blk = (uint) (grp & (ulong) ((1u << block_bits) - 1u));
  uint limb = row % limbs;
  __global uint* p = a + row_at(rng, row, limbs, logn) + (ulong) blk * len;
  for (uint k = lid; k < len; k += wg) {
    s[k] = p[k];
  }
  barrier(CLK_LOCAL_MEM_FENCE);
  forward_block(s, tw + (ulong) limb * n, mods[limb], logn, logl, blk);
  for (uint k = lid; k < len; k += wg) {
    p[k] = s[k];
  }
}

// The inverse stages with spans 1 up to L/2 on a block of L = 2^logl coefficients in local memory,
// without the n^-1 scaling: block blk of a row whose twiddles start at twl. Every work-item of the
// group must call it; the block is complete in s when it returns.
void inverse_block(__local uint* s, __global const uint2* twl, uint q, uint logn, uint logl,
                   uint blk) {
  uint lid = get_local_id(0);
  uint wg = get_local_size(0);
  uint n = 1u << logn;
  uint half_len = 1u << (logl - 1u);
  for (uint logt = 0u; logt < logl; logt++) {
    uint t = 1u << logt;
    uint gbase = (n >> (logt + 1u)) + (blk << (logl - logt - 1u));
    for (uint b = lid; b < half_len; b += wg) {
      uint g = b >> logt;
      uint j = (g << (logt + 1u)) + (b & (t - 1u));
      uint2 w = twl[gbase + g];
      uint u = s[j];
      uint v = s[j + t];
      s[j] = add_mod(u, v, q);
      s[j + t] = mul_shoup(sub_mod(u, v, q), w.x, w.y, q);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
}

// Stages with spans 1 up to L/2; the global stages finish the larger spans. `scale` is set when the
// block is the whole row, so n^-1 is applied on the way out.
__kernel void ntt_inverse_local(__global uint* a, uint2 rng, __global const uint2* tw,
                                __global const uint* mods, __global const uint2* inv_n,
                                uint limbs, uint logn, uint logl, uint scale, __local uint* s) {
  uint lid = get_local_id(0);
  uint wg = get_local_size(0);
  ulong grp = get_group_id(0);
  uint n = 1u << logn;
  uint len = 1u << logl;
  uint block_bits = logn - logl;
  uint row = (uint) (grp >> block_bits);
  uint blk = (uint) (grp & (ulong) ((1u << block_bits) - 1u));
  uint limb = row % limbs;
  uint q = mods[limb];
  __global uint* p = a + row_at(rng, row, limbs, logn) + (ulong) blk * len;
  for (uint k = lid; k < len; k += wg) {
    s[k] = p[k];
  }
  barrier(CLK_LOCAL_MEM_FENCE);
  inverse_block(s, tw + (ulong) limb * n, q, logn, logl, blk);
  if (scale) {
    uint2 ni = inv_n[limb];
    for (uint k = lid; k < len; k += wg) {
      p[k] = mul_shoup(s[k], ni.x, ni.y, q);
    }
  } else {
    for (uint k = lid; k < len; k += wg) {
      p[k] = s[k];
    }
  }
}
