/**
 * MNIST for the CryptoNet application: a strict reader for the uncompressed IDX files
 * ({@link org.cryptonets.mnist.IdxFile}, {@link org.cryptonets.mnist.MnistDataset}) and a fetcher
 * that obtains and SHA-256-verifies them ({@link org.cryptonets.mnist.MnistFetcher}).
 *
 * <p>Malformed or foreign files raise {@link org.cryptonets.mnist.MnistFormatException}; failures
 * to obtain files raise {@link org.cryptonets.mnist.MnistFetchException}. Both are unchecked.
 */
package org.cryptonets.mnist;
