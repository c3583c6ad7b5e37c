/**
 * Labelled image data sets in IDX format, and the MNIST fetcher: a strict reader for IDX image and
 * label files of unsigned bytes, plain or gzip-compressed, of any image size
 * ({@link org.cryptonets.data.IdxFile}), the four-file training and test layout that MNIST,
 * Fashion-MNIST and EMNIST share ({@link org.cryptonets.data.ImageDataset},
 * {@link org.cryptonets.data.LabeledImages}, {@link org.cryptonets.data.TensorShape}), and a
 * fetcher that obtains the genuine MNIST and SHA-256-verifies it
 * ({@link org.cryptonets.data.MnistFetcher}).
 *
 * <p>Malformed or foreign files raise {@link org.cryptonets.data.DatasetFormatException}; failures
 * to obtain files raise {@link org.cryptonets.data.MnistFetchException}. Both are unchecked.
 */
package org.cryptonets.data;
