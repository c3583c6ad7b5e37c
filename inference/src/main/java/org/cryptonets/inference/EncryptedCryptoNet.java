package org.cryptonets.inference;

import java.util.ArrayList;
import java.util.List;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedResults;
import org.cryptonets.bfv.HomomorphicEvaluator;
import org.cryptonets.bfv.RelinearizationKeys;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.engine.IntMatrix;
import org.cryptonets.net.IntegerNetwork;

/**
 * The cloud side of CryptoNets: applies an integer network to encrypted images (one image per slot,
 * one ciphertext per pixel position and plaintext prime) using only public material: the
 * parameters, the relinearization keys and plain weights. It never sees a secret key.
 *
 * <p>Schedule, the same for both schemes where it can be: linear layers are plain-weight
 * multiply-accumulates (on size-3 ciphertexts where a square left them so); a ciphertext is
 * relinearized only right before it is squared again, so the first square's 845 results are never
 * relinearized, only the 100 outputs of the folded layer; results are switched down to the output
 * level before they are sent back. A linear layer on size-2 ciphertexts that a square follows
 * (conv1 and square1) runs as one step, {@link HomomorphicEvaluator#multiplyAccumulateSquareInto},
 * reported as "conv1 + square1". Where primes are dropped differs:
 * <ul>
 *   <li>BFV: each square's HPS product is switched straight to the plan's level after it;
 *   <li>BGV (ciphertexts in NTT form; a square is three pointwise products per prime): squares
 *       stay at their input's level; the primes are dropped after the following linear layer and
 *       the relinearization, so the switch divides the key-switching noise too and runs on the
 *       layer's outputs (100 ciphertexts, not 845). The logits are relinearized before the last
 *       switch for the same reason.
 * </ul>
 *
 * <p>Immutable; thread-safe if the backend is (calls allocate their own batches).
 *
 * @throws IllegalArgumentException if the plan's schedule does not cover the network's squares
 */
public final class EncryptedCryptoNet {
  /** Receives the time of each step, per plaintext prime. */
  public interface StepListener {
    void step(String name, int plainIndex, double seconds);
  }

  private final BfvParameters params;
  private final HomomorphicEvaluator evaluator;
  private final RelinearizationKeys relinKeys;
  private final boolean bgv;
  private final CryptoNetPlan plan;
  private final List<IntegerNetwork.Layer> layers;
  private final List<IntMatrix> matrices = new ArrayList<>();

  public EncryptedCryptoNet(BfvParameters params, HomomorphicEvaluator evaluator, RelinearizationKeys relinKeys, IntegerNetwork network,
      CryptoNetPlan plan) {
    this.params = params;
    this.evaluator = evaluator;
    this.relinKeys = relinKeys;
    this.bgv = evaluator.scheme() == Scheme.BGV;
    if (relinKeys.scheme() != evaluator.scheme()) {
      throw new IllegalArgumentException(relinKeys.scheme() + " relinearization keys for a " + evaluator.scheme() + " evaluator");
    }
    this.plan = plan;
    this.layers = network.layers();
    if (plan.depth() < network.depth()) {
      throw new IllegalArgumentException("the plan schedules " + plan.depth() + " squares; the network has " + network.depth());
    }
    for (IntegerNetwork.Layer layer : layers) {
      if (layer instanceof IntegerNetwork.Linear) {
        IntegerNetwork.Linear lin = (IntegerNetwork.Linear) layer;
        matrices.add(IntMatrix.fromDense(lin.outputs(), lin.inputs(), lin.weights()));
      } else {
        matrices.add(null);
      }
    }
  }

  /** Names of the steps reported to the listener, in order. */
  public List<String> stepNames() {
    List<String> names = new ArrayList<>();
    int squares = 0;
    for (int i = 0; i < layers.size(); i++) {
      IntegerNetwork.Layer layer = layers.get(i);
      if (layer instanceof IntegerNetwork.Linear && fusesWithNext(i)) {
        names.add(fusedStepName(layer, layers.get(i + 1)));
        i++;
        squares++;
      } else if (layer instanceof IntegerNetwork.Square) {
        if (squares > 0) {
          names.add("relinearize");
          if (bgv) {
            names.add("modulus switch");
          }
        }
        names.add(layer.name());
        squares++;
      } else {
        names.add(layer.name());
      }
    }
    if (bgv) {
      names.add("relinearize");
    }
    names.add("modulus switch");
    names.add(RESULT_STEP);
    return names.stream().distinct().toList();
  }

  /**
   * Runs the network on the input ciphertexts of one plaintext prime (784 of them, one per pixel)
   * and returns the encrypted logits (one ciphertext per class) at the output level: size 3 for BFV
   * (relinearized by {@link #evaluateForReturn}), size 2 for BGV. Closes its intermediates but not
   * the input.
   */
  public CiphertextBatch evaluate(CiphertextBatch input, StepListener listener) {
    CiphertextBatch current = input;
    int squares = 0;
    for (int i = 0; i < layers.size(); i++) {
      IntegerNetwork.Layer layer = layers.get(i);
      CiphertextBatch next;
      if (layer instanceof IntegerNetwork.Linear && fusesWithNext(i)) {
        // Linear then square in one step (HomomorphicEvaluator.multiplyAccumulateSquareInto): the
        // linear layer's full output is never held; on BGV the backend may fuse the two.
        IntegerNetwork.Linear lin = (IntegerNetwork.Linear) layer;
        IntMatrix w = matrices.get(i);
        int target = plan.levelAfterSquare(squares);
        // BFV switches inside the product; BGV squares at the input's level (see the class comment)
        int level = !bgv && target > 0 && target < current.level() ? target : current.level();
        long[] bias = lin.biasModulo(params.plainModulus(input.plainIndex()).value());
        long start = System.nanoTime();
        next = evaluator.allocate(input.plainIndex(), level, 3, w.rows(), false);
        try {
          evaluator.multiplyAccumulateSquareInto(w, current, bias, next);
        } catch (RuntimeException e) {
          next.close();
          throw e;
        }
        sync();
        listener.step(fusedStepName(lin, layers.get(i + 1)), input.plainIndex(), seconds(start));
        squares++;
        i++;
      } else if (layer instanceof IntegerNetwork.Linear) {
        IntegerNetwork.Linear lin = (IntegerNetwork.Linear) layer;
        long start = System.nanoTime();
        next = evaluator.multiplyAccumulate(matrices.get(i), current);
        evaluator.addPlainConstantsInPlace(next, lin.biasModulo(params.plainModulus(input.plainIndex()).value()));
        sync();
        listener.step(lin.name(), input.plainIndex(), seconds(start));
      } else {
        if (current.size() == 3) {
          long start = System.nanoTime();
          CiphertextBatch relin = evaluator.relinearize(current, relinKeys);
          sync();
          listener.step("relinearize", input.plainIndex(), seconds(start));
          release(current, input);
          current = relin;
          int after = plan.levelAfterSquare(squares - 1);
          if (bgv && after > 0 && after < current.level()) {
            start = System.nanoTime();
            CiphertextBatch switched = evaluator.modSwitchTo(current, after);
            sync();
            listener.step("modulus switch", input.plainIndex(), seconds(start));
            release(current, input);
            current = switched;
          }
        }
        long start = System.nanoTime();
        int target = plan.levelAfterSquare(squares);
        next = !bgv && target > 0 && target < current.level() ? evaluator.square(current, target) : evaluator.square(current);
        sync();
        listener.step(layer.name(), input.plainIndex(), seconds(start));
        squares++;
      }
      release(current, input);
      current = next;
    }
    if (bgv && current.size() == 3) {
      long start = System.nanoTime();
      CiphertextBatch relin = evaluator.relinearize(current, relinKeys);
      sync();
      listener.step("relinearize", input.plainIndex(), seconds(start));
      release(current, input);
      current = relin;
    }
    long start = System.nanoTime();
    CiphertextBatch out = evaluator.modSwitchTo(current, plan.outputLevel());
    release(current, input);
    sync();
    listener.step("modulus switch", input.plainIndex(), seconds(start));
    return out;
  }

  /**
   * Whether layer i (linear) runs fused with the square after it: it does when its input has size
   * 2, which holds for the first linear layer (fresh ciphertexts) and for any linear layer right
   * after a relinearized square.
   */
  private boolean fusesWithNext(int i) {
    if (i + 1 >= layers.size() || !(layers.get(i + 1) instanceof IntegerNetwork.Square)) {
      return false;
    }
    for (int k = i - 1; k >= 0; k--) {
      if (layers.get(k) instanceof IntegerNetwork.Square) {
        // a square's output has size 3 until the next square relinearizes it
        return false;
      }
    }
    return true;
  }

  /** The step name of a linear layer run fused with its square, e.g. "conv1 + square1". */
  static String fusedStepName(IntegerNetwork.Layer linear, IntegerNetwork.Layer square) {
    return linear.name() + " + " + square.name();
  }

  /** Name of the last step {@link #evaluateForReturn} reports. */
  public static final String RESULT_STEP = "relinearize + compress results";

  /**
   * The cloud's whole job for one plaintext prime: {@link #evaluate}, then the trip back: the
   * logits relinearized (BFV: at the output level, where key-switching noise is still small next
   * to Q; BGV: already, before the last switch) and switched to the power-of-two modulus
   * 2^resultBits (BGV results are converted to BFV first and carry the factor the owner applies).
   * Closes its intermediates, not the input.
   */
  public CompressedResults evaluateForReturn(CiphertextBatch input, StepListener listener, int resultBits) {
    return evaluateForReturn(input, listener, resultBits, null);
  }

  /**
   * As above; {@code beforeCompression}, if not null, sees the relinearized results before they
   * are switched to 2^resultBits (the in-process demo measures their noise budget there).
   */
  public CompressedResults evaluateForReturn(CiphertextBatch input, StepListener listener, int resultBits,
      java.util.function.Consumer<CiphertextBatch> beforeCompression) {
    try (CiphertextBatch logits = evaluate(input, listener)) {
      long start = System.nanoTime();
      CiphertextBatch relinearized = logits.size() == 3 ? evaluator.relinearize(logits, relinKeys) : logits;
      try {
        if (beforeCompression != null) {
          long probe = System.nanoTime();
          beforeCompression.accept(relinearized);
          start += System.nanoTime() - probe;
        }
        CompressedResults out = evaluator.compressForReturn(relinearized, resultBits);
        listener.step(RESULT_STEP, input.plainIndex(), seconds(start));
        return out;
      } finally {
        if (relinearized != logits) {
          relinearized.close();
        }
      }
    }
  }

  /** Waits for the device so step times are real on asynchronous backends (GPUs). */
  private void sync() {
    evaluator.backend().synchronize();
  }

  private static void release(CiphertextBatch batch, CiphertextBatch input) {
    if (batch != input) {
      batch.close();
    }
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  public BfvParameters parameters() {
    return params;
  }
}
