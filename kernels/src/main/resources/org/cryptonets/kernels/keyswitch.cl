// The key-switching inner product with RNS digits, in three launches per batch:
//   1. key_switch_spread: digit j of polynomial p (its limb j, a residue mod q_j) is reduced modulo
//      every prime q_i of the basis, giving a scratch polynomial T[p][j] over the whole basis;
//   2. the batched forward NTT (ntt.cl) over all T[p][j] at once;
//      when n fits one local-memory block, key_switch_spread_ntt does 1 and 2 in one launch and
//      the scratch is written once instead of written, read and written again;
//   3. key_switch_inner: out[2p][i] = sum_j T[p][j][i] * b_j[i], out[2p+1][i] = sum_j T[p][j][i] * a_j[i].
// The key holds (b_j, a_j) for each prime j of its basis (key_limbs primes, a superset of the
// ciphertext's l), each over the key basis, in NTT form: polynomials 2j and 2j + 1 of its range.
// Digits, key and output are strided ranges (see limb_at in common.cl); the scratch is contiguous.

// Items run over polys * l * l * n: scratch row (p * l + j) * l + i, from limb j of digit p.
__kernel void key_switch_spread(__global const uint* digits, uint2 dr, __global uint* scratch,
                                uint l, uint logn, __global const uint* mods,
                                __global const ulong* ratios) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong c = gid & (ulong) ((1u << logn) - 1u);
  uint digit = row / l;
  uint i = row - digit * l;
  uint v = digits[row_at(dr, digit, l, logn) + c];
  scratch[gid] = reduce_wide((ulong) v, mods[i], ratios[i]);
}

// Steps 1 and 2 fused: one work-group per scratch row (p * l + j) * l + i, n = 2^logn coefficients
// in local memory.
__kernel void key_switch_spread_ntt(__global const uint* digits, uint2 dr, __global uint* scratch,
                                    __global const uint2* tw, uint l, uint logn,
                                    __global const uint* mods, __global const ulong* ratios,
                                    __local uint* s) {
  uint lid = get_local_id(0);
  uint wg = get_local_size(0);
  uint row = (uint) get_group_id(0);
  uint n = 1u << logn;
  uint digit = row / l;
  uint i = row - digit * l;
  uint q = mods[i];
  ulong ratio = ratios[i];
  __global const uint* src = digits + row_at(dr, digit, l, logn);
  for (uint k = lid; k < n; k += wg) {
    s[k] = reduce_wide((ulong) src[k], q, ratio);
  }
  barrier(CLK_LOCAL_MEM_FENCE);
  forward_block(s, tw + (ulong) i * n, q, logn, logn, 0u);
  __global uint* dst = scratch + ((ulong) row << logn);
  for (uint k = lid; k < n; k += wg) {
    dst[k] = s[k];
  }
}

// Items run over polys * l * n: row p * l + i.
__kernel void key_switch_inner(__global const uint* scratch, __global const uint* key, uint2 kr,
                               __global uint* out, uint2 outr, uint l, uint key_limbs, uint logn,
                               __global const uint* mods, __global const ulong* ratios) {
  ulong gid = get_global_id(0);
  uint row = (uint) (gid >> logn);
  ulong c = gid & (ulong) ((1u << logn) - 1u);
  uint poly = row / l;
  uint i = row - poly * l;
  uint q = mods[i];
  ulong ratio = ratios[i];
  __global const uint* t = scratch + (((ulong) poly * l * l + i) << logn) + c;
  uint acc0 = 0;
  uint acc1 = 0;
  for (uint j = 0; j < l; j++) {
    uint d = t[((ulong) j * l) << logn];
    uint b = key[limb_at(kr, 2u * j, i, key_limbs, logn) + c];
    uint a = key[limb_at(kr, 2u * j + 1u, i, key_limbs, logn) + c];
    acc0 = add_mod(acc0, mul_mod(d, b, q, ratio), q);
    acc1 = add_mod(acc1, mul_mod(d, a, q, ratio), q);
  }
  out[limb_at(outr, 2u * poly, i, l, logn) + c] = acc0;
  out[limb_at(outr, 2u * poly + 1u, i, l, logn) + c] = acc1;
}
