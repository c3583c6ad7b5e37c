// Shared modular arithmetic for the CryptoNets OpenCL kernels.
//
// Residues are stored as uint: every modulus is a prime below 2^31, so a residue, the sum of two
// residues and the difference plus q all fit 32 bits, and device memory traffic is half that of the
// host's long[] layout. Every routine returns the canonical residue in [0, q), so results are the
// exact integers the Java reference computes, whatever reduction path is taken here.
//
// Per-limb constants come from the host: q, and ratio = floor(2^64 / q) for reducing 64-bit values.
//
// Indexing: element offsets are 64-bit (a GPU buffer may hold more than 2^32 residues), but row
// numbers (polynomial * limbs + limb) are 32-bit, since 2^32 rows of at least 16 coefficients would
// exceed any device's memory; divisions and remainders by the limb count then stay 32-bit, which
// GPUs do far faster than the emulated 64-bit ones.

// a + b mod q for a, b in [0, q): the sum stays below 2^32 because q < 2^31.
uint add_mod(uint a, uint b, uint q) {
  uint s = a + b;
  return s >= q ? s - q : s;
}

uint sub_mod(uint a, uint b, uint q) {
  return a >= b ? a - b : a + (q - b);
}

uint neg_mod(uint a, uint q) {
  return a == 0u ? 0u : q - a;
}

// x mod q for any 64-bit x. With ratio = floor(2^64 / q), mul_hi(x, ratio) undershoots floor(x / q)
// by at most one, so a single conditional subtraction finishes the job; no 64-bit division.
uint reduce_wide(ulong x, uint q, ulong ratio) {
  ulong est = mul_hi(x, ratio);
  ulong r = x - est * (ulong) q;
  return (uint) (r >= (ulong) q ? r - (ulong) q : r);
}

uint mul_mod(uint a, uint b, uint q, ulong ratio) {
  return reduce_wide((ulong) a * (ulong) b, q, ratio);
}

// x * w mod q for any 32-bit x and a fixed w in [0, q) with Shoup's ws = floor(w * 2^32 / q). The
// true remainder estimate lies in [0, 2q) < 2^32, so computing it modulo 2^32 loses nothing: two
// 32-bit multiplies and one mul_hi, the cheapest product on GPUs.
uint mul_shoup(uint x, uint w, uint ws, uint q) {
  uint est = mul_hi(x, ws);
  uint r = x * w - est * q;
  return r >= q ? r - q : r;
}

// A signed accumulator with |x| < 2^62 as a residue: adding a multiple of q that is at least 2^62
// makes it non-negative without a 64-bit division. floor(ratio / 4) = floor(2^62 / q).
uint reduce_signed(long x, uint q, ulong ratio) {
  ulong bias = ((ratio >> 2) + 1ul) * (ulong) q;
  return reduce_wide((ulong) x + bias, q, ratio);
}

// Strided ranges. Every polynomial operand is passed as a uint2 range r = (first, stride):
// polynomial k of the operand is polynomial r.x + k * r.y of its buffer, exactly as
// org.cryptonets.engine.PolyRange.index(k). A batch of ciphertexts laid out c0, c1, c0, c1, ... is
// worked on one component at a time through such ranges, so kernels address them directly instead
// of the host first gathering them into a contiguous scratch copy. The polynomial index fits 32
// bits (it is below the buffer's polynomial count); the element offset is 64-bit.

// Element offset of coefficient 0 of limb `limb` of polynomial k of range r, polynomials being
// `limbs` limbs of 2^logn coefficients.
ulong limb_at(uint2 r, uint k, uint limb, uint limbs, uint logn) {
  return ((ulong) (r.x + k * r.y) * limbs + limb) << logn;
}

// The same for a row number row = k * limbs + limb, the numbering of batched launches.
ulong row_at(uint2 r, uint row, uint limbs, uint logn) {
  uint k = row / limbs;
  return limb_at(r, k, row - k * limbs, limbs, logn);
}
