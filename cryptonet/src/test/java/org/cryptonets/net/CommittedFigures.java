package org.cryptonets.net;

/** Figures measured for the committed model; they change only when the model is retrained. */
final class CommittedFigures {
    static final int LOGIT_BITS = 54;
    static final int INTEGER_CORRECT = 9910;

    private CommittedFigures() {
    }
}
