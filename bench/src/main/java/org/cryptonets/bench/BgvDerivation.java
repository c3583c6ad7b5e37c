package org.cryptonets.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.cryptonets.backend.opencl.KernelCosts;
import org.cryptonets.backend.opencl.KernelWork;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.inference.EncryptedCryptoNet;
import org.cryptonets.net.IntegerNetwork;

/**
 * BGV's work per CryptoNet step, DERIVED (not counted) from the per-kernel formulas of
 * {@link KernelCosts} and BGV's operation sequence, with ciphertexts kept in NTT form:
 *
 * <ul>
 *   <li>linear layers: the same multiply-accumulate as BFV (scalars commute with the NTT), so the
 *       counted BFV work is used ({@link #derive} returns no entry for them);
 *   <li>square of c ciphertexts at l primes: one {@code poly_tensor_square} (three pointwise products
 *       per prime), then per dropped prime (m primes left before the drop) on the 3c polynomials:
 *       an inverse NTT of the dropped prime's limb ({@code ntt_inverse_local}, one limb), a correction
 *       kernel that forms r = centred([x_last t^-1]_{q_last}) (one Shoup per residue), reduces it
 *       to each of the m - 1 other primes (one reduce_wide) and transforms it in local memory
 *       (like {@code key_switch_spread_ntt}), and a combine kernel x_i q_last^-1 - NTT_i(r) t
 *       q_last^-1 over m - 1 limbs (two reads, one write, two Shoup products), the arithmetic of
 *       engine-api's {@code PlainPreservingSwitch}; the OpenCL backend has these kernels
 *       ({@code switch_correction_local}, {@code switch_forward_combine}).
 *   <li>relinearize c ciphertexts at l primes: inverse NTT of c2 (l limbs), the same key-switching
 *       kernels as BFV ({@code key_switch_spread_ntt}, {@code key_switch_inner}), two adds in NTT
 *       form; no inverse NTT of the switched pair (BFV's output leaves in coefficient form);
 *   <li>results: relinearize as above, then copy and inverse NTT before the switch to 2^b;
 *   <li>modulus switch to the output level: the rescale above per dropped prime, or a copy;
 *   <li>key generation, encode + encrypt, decrypt: taken as equal to BFV's counted work.
 * </ul>
 *
 * Buffer allocations (zero fills) of outputs are included where BFV's counted run has them.
 *
 * <p>Stateless; thread-safe. Throws {@link IllegalArgumentException} if the plan does not cover the
 * network's squares.
 */
final class BgvDerivation {
  private BgvDerivation() {}

  /** Hypothetical kernels of the BGV rescale, named so in the report. */
  static final String CORRECTION_NTT = "bgv_rescale_correction_ntt";
  static final String COMBINE = "bgv_rescale_combine";

  /**
   * Per step name, the work of that step for ONE plaintext prime of one batch under BGV (all its
   * occurrences), kernel by kernel; steps absent from the map are the same as BFV's counted work.
   */
  static Map<String, Map<String, KernelWork>> derive(IntegerNetwork network, CryptoNetPlan plan, int n) {
    Map<String, Map<String, KernelWork>> out = new LinkedHashMap<>();
    int level = plan.inputLevel();
    int size = 2;
    int count = ((IntegerNetwork.Linear) network.layers().get(0)).inputs();
    int squares = 0;
    for (IntegerNetwork.Layer layer : network.layers()) {
      if (layer instanceof IntegerNetwork.Linear lin) {
        count = lin.outputs();
        continue;
      }
      if (size == 3) {
        merge(out, "relinearize", relinearize(count, level, n));
      }
      int target = plan.levelAfterSquare(squares);
      int to = target > 0 && target < level ? target : level;
      Map<String, KernelWork> sq = new TreeMap<>();
      add(sq, "buffer_fill", KernelCosts.bufferFill(3L * count * to * n * KernelCosts.WORD));
      add(sq, "poly_tensor_square", KernelCosts.tensorSquare(count, level, n));
      rescale(sq, 3L * count, level, to, n);
      merge(out, layer.name(), sq);
      level = to;
      size = 3;
      squares++;
    }
    Map<String, KernelWork> sw = new TreeMap<>();
    if (plan.outputLevel() < level) {
      add(sw, "buffer_fill", KernelCosts.bufferFill((long) size * count * plan.outputLevel() * n * KernelCosts.WORD));
      rescale(sw, (long) size * count, level, plan.outputLevel(), n);
      level = plan.outputLevel();
    } else {
      add(sw, "buffer_fill", KernelCosts.bufferFill((long) size * count * level * n * KernelCosts.WORD));
      add(sw, "buffer_copy", KernelCosts.bufferCopy((long) size * count * level * n * KernelCosts.WORD));
    }
    merge(out, "modulus switch", sw);
    Map<String, KernelWork> result = relinearize(count, level, n);
    long pair = 2L * count * level * n * KernelCosts.WORD;
    add(result, "buffer_fill", KernelCosts.bufferFill(pair));
    add(result, "buffer_copy", KernelCosts.bufferCopy(pair));
    add(result, "ntt_inverse_local", KernelCosts.nttLocal(2L * count, level, n, n, true));
    merge(out, EncryptedCryptoNet.RESULT_STEP, result);
    return out;
  }

  /** BGV relinearization of {@code count} size-3 ciphertexts in NTT form at {@code limbs} primes, output in NTT form. */
  static Map<String, KernelWork> relinearize(long count, int limbs, int n) {
    Map<String, KernelWork> w = new TreeMap<>();
    long pairBytes = 2L * count * limbs * n * KernelCosts.WORD;
    add(w, "buffer_fill", KernelCosts.bufferFill(pairBytes).times(2));
    add(w, "ntt_inverse_local", KernelCosts.nttLocal(count, limbs, n, n, true));
    add(w, "key_switch_spread_ntt", KernelCosts.keySwitchSpreadNtt(count, limbs, n));
    add(w, "key_switch_inner", KernelCosts.keySwitchInner(count, limbs, n));
    add(w, "poly_add", KernelCosts.elementwise("poly_add", count, limbs, n).times(2));
    return w;
  }

  /** BGV modulus switching of {@code polys} polynomials in NTT form from {@code from} primes down to {@code to}. */
  static void rescale(Map<String, KernelWork> w, long polys, int from, int to, int n) {
    int logn = Integer.numberOfTrailingZeros(n);
    for (int m = from; m > to; m--) {
      add(w, "ntt_inverse_local", KernelCosts.nttLocal(polys, 1, n, n, true));
      long groups = polys * (m - 1);
      long residues = groups * n;
      long butterflies = groups * (n / 2) * logn;
      // r = centred([x_last t^-1]_{q_last}) recomputed by each group (one Shoup per residue), reduced
      // to q_i (one reduce_wide), then the group's NTT.
      long shoup = butterflies + residues;
      add(w, CORRECTION_NTT, new KernelWork(1, groups, KernelCosts.WORD * polys * n, KernelCosts.WORD * residues, (m - 1L) * n * 8 + 28L * m,
          KernelCosts.WORD * residues + butterflies * 8 + groups * 28, 0, shoup, residues, 0,
          shoup * KernelCosts.SHOUP_INSTRUCTIONS + residues * KernelCosts.REDUCE_WIDE_INSTRUCTIONS));
      // x_i q_last^-1 - NTT_i(r) (t q_last^-1): two Shoup products per residue (PlainPreservingSwitch).
      add(w, COMBINE, new KernelWork(1, residues, 2L * KernelCosts.WORD * residues, KernelCosts.WORD * residues, 20L * m,
          residues * (2L * KernelCosts.WORD + 20), 0, 2 * residues, 0, 0, 2 * residues * KernelCosts.SHOUP_INSTRUCTIONS));
    }
  }

  private static void add(Map<String, KernelWork> w, String kernel, KernelWork work) {
    w.merge(kernel, work, KernelWork::plus);
  }

  private static void merge(Map<String, Map<String, KernelWork>> out, String step, Map<String, KernelWork> work) {
    Map<String, KernelWork> m = out.computeIfAbsent(step, k -> new TreeMap<>());
    work.forEach((k, v) -> m.merge(k, v, KernelWork::plus));
  }
}
