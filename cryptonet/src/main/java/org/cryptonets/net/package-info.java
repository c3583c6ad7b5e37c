/**
 * CryptoNets on plaintext (Gilad-Bachrach et al., ICML 2016, sections 3 and 4): any network as
 * data, and the committed MNIST network.
 *
 * <ul>
 *   <li>{@link org.cryptonets.net.FloatNetwork}: any CryptoNet as a chain of sparse affine maps and
 *       squares over C x H x W tensors, and {@link org.cryptonets.net.FloatNetwork#fold()};</li>
 *   <li>{@link org.cryptonets.net.NetworkFile}: the project's versioned model file for any network;
 *       {@link org.cryptonets.net.Architecture} and {@link org.cryptonets.net.ArchitectureTrainer}:
 *       a one-line architecture description and a reproducible trainer for it;</li>
 *   <li>{@link org.cryptonets.net.CryptoNetModel}: the nine-layer training form with float
 *       weights, its versioned model file, and {@link org.cryptonets.net.CryptoNetModel#fold()};</li>
 *   <li>{@link org.cryptonets.net.FoldedNetwork}: the five-layer prediction form (conv1 as a
 *       linear map, square, folded 845 -> 100 linear layer, square, 100 -> 10);</li>
 *   <li>{@link org.cryptonets.net.Trainer}: reproducible single-threaded training;</li>
 *   <li>{@link org.cryptonets.net.Quantizer} and {@link org.cryptonets.net.IntegerNetwork}: the
 *       exact integer network (any depth) that the encrypted evaluator computes, with its measured
 *       ranges.</li>
 * </ul>
 *
 * <p>Design choices where the paper leaves room: the scaled mean pool is the plain sum over a 3x3
 * window with stride 1 and zero padding 1 (so, as the paper says, the first pool keeps 5x13x13 and
 * the second 50x5x5); training uses softmax cross-entropy instead of the final sigmoid, which the
 * prediction form drops anyway; all 60,000 training images are used (the paper used 50,000).
 */
package org.cryptonets.net;
