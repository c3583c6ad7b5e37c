package org.cryptonets.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.cryptonets.data.TensorShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ArchitectureTest {
    private static final TensorShape MNIST = new TensorShape(1, 28, 28);

    @Test
    void presetsParseToThePapersShapes() {
        Architecture paper = Architecture.parse("cryptonet");
        assertEquals(Architecture.parse(Architecture.CRYPTONET), paper);
        assertEquals(Architecture.CRYPTONET, paper.toString());
        assertEquals(2, paper.depth());
        // the same shapes, layer by layer, as the committed model's generic form
        List<TensorShape> expected = CryptoNetModel.loadDefault().toFloatNetwork().layers().stream()
                .map(FloatNetwork.Layer::output).toList();
        assertEquals(expected, paper.shapes(MNIST, 10));
        Architecture deeper = Architecture.parse(" CryptoNet3 ");
        assertEquals(3, deeper.depth());
        assertEquals(TensorShape.flat(30), deeper.shapes(MNIST, 10).get(8));
        assertEquals(TensorShape.flat(26), deeper.shapes(MNIST, 26).get(10));
        assertEquals(Architecture.CRYPTONET3, deeper.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "dense",
        "square | dense 7",
        "pad 0,2,3,4 | conv 8 3x5 s1 p2 | square | avgpool 2x2 s2 | sumpool 3x3 s1 p1 | flatten | dense 12 | square | dense",
        "conv 5 5x5 s2 | square | sumpool 3x3 s1 p1 | conv 50 5x5 s2 | dense 100 | square | dense 30 | square | dense 10",
    })
    void descriptionsRoundTrip(String text) {
        Architecture parsed = Architecture.parse(text);
        assertEquals(text, parsed.toString());
        assertEquals(parsed, Architecture.parse(parsed.toString()));
        assertEquals(parsed.hashCode(), Architecture.parse(parsed.toString()).hashCode());
    }

    @Test
    void spacingAndDefaultsAreNormalised() {
        Architecture parsed = Architecture.parse("  conv   5 5x5  s2 p0|square|  avgpool 3x3 s1 p1 |dense  ");
        assertEquals("conv 5 5x5 s2 | square | avgpool 3x3 s1 p1 | dense", parsed.toString());
        assertEquals(List.of(new Architecture.Conv(5, 5, 5, 2, 0), new Architecture.Square(),
                new Architecture.AvgPool(3, 3, 1, 1), new Architecture.Dense(0)), parsed.layers());
        assertThrows(UnsupportedOperationException.class, () -> parsed.layers().add(new Architecture.Square()));
    }

    static Stream<Arguments> badDescriptions() {
        return Stream.of(
                Arguments.of("", "architecture: expected a preset name (cryptonet, cryptonet3) or layers separated by"
                        + " '|', found an empty text"),
                Arguments.of("   ", "found an empty text"),
                Arguments.of("cryptonet4", "layer 1 \"cryptonet4\": expected a layer keyword (pad, conv, avgpool, sumpool,"
                        + " dense, square or flatten) or a preset name (cryptonet, cryptonet3), found \"cryptonet4\""),
                Arguments.of("maxpool 2x2 s2 | dense", "layer 1 \"maxpool 2x2 s2\": expected a layer keyword (pad, conv,"
                        + " avgpool, sumpool, dense, square or flatten), found \"maxpool\""),
                Arguments.of("Conv 5 5x5 s2 | dense", "found \"Conv\""),
                Arguments.of("conv 5 5x5 | dense", "layer 1 \"conv 5 5x5\": expected 3 to 4 arguments (conv OUT KxK sS"
                        + " [pP]), found 2"),
                Arguments.of("conv 5 5x5 s2 p1 x | dense", "expected 3 to 4 arguments (conv OUT KxK sS [pP]), found 5"),
                Arguments.of("conv five 5x5 s2 | dense", "layer 1 \"conv five 5x5 s2\": expected an output channel count"
                        + " in 1..65536, found \"five\""),
                Arguments.of("conv 0 5x5 s2 | dense", "expected an output channel count in 1..65536, found 0"),
                Arguments.of("conv 5 5by5 s2 | dense", "expected a kernel KxK (or KHxKW) with sides in 1..64, found"
                        + " \"5by5\""),
                Arguments.of("conv 5 99x5 s2 | dense", "expected a kernel KxK (or KHxKW) with sides in 1..64, found 99"),
                Arguments.of("conv 5 5x5 2 | dense", "expected a stride sS with S in 1..64, found \"2\""),
                Arguments.of("conv 5 5x5 s0 | dense", "expected a stride sS with S in 1..64, found 0"),
                Arguments.of("conv 5 5x5 s | dense", "expected a stride sS with S in 1..64, found \"s\""),
                Arguments.of("conv 5 5x5 s2 q1 | dense", "expected a padding pP with P in 0..64, found \"q1\""),
                Arguments.of("avgpool 3x3 | dense", "layer 1 \"avgpool 3x3\": expected 2 to 3 arguments (avgpool KxK sS"
                        + " [pP]), found 1"),
                Arguments.of("sumpool 3x3 s1 p65 | dense", "expected a padding pP with P in 0..64, found 65"),
                Arguments.of("pad 1,1,0 | dense", "layer 1 \"pad 1,1,0\": expected four paddings T,L,B,R, found"
                        + " \"1,1,0\""),
                Arguments.of("pad 1,1,0,-1 | dense", "expected a padding in 0..64, found \"-1\""),
                Arguments.of("pad | dense", "expected 1 argument (pad T,L,B,R), found 0"),
                Arguments.of("square 2 | dense", "layer 1 \"square 2\": expected 0 arguments (square), found 1"),
                Arguments.of("flatten all | dense", "expected 0 arguments (flatten), found 1"),
                Arguments.of("dense 0", "layer 1 \"dense 0\": expected an output count in 1..65536, found 0"),
                Arguments.of("dense 99999999999", "expected an output count in 1..65536, found \"99999999999\""),
                Arguments.of("dense 10 20", "expected 0 to 1 arguments (dense N), found 2"),
                Arguments.of("square | | dense", "layer 2: expected a layer (pad, conv, avgpool, sumpool, dense, square or"
                        + " flatten), found nothing between two '|'"),
                Arguments.of("square | dense |", "layer 3: expected a layer"),
                Arguments.of("dense 100 | square", "architecture: expected the last layer to be dense (the class scores),"
                        + " found square"),
                Arguments.of("dense | square | dense", "layer 1 \"dense\": expected a size (dense N) for every dense"
                        + " layer but the last, found none"),
                Arguments.of("square | ".repeat(64) + "dense", "architecture: expected at most 64 layers, found 65"),
                Arguments.of("dense ".repeat(1000), "architecture: expected at most 4096 characters, found 5999"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("badDescriptions")
    void badDescriptionsSayWhatIsWrong(String text, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Architecture.parse(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void shapesSayWhichLayerDoesNotFit() {
        Architecture tooWide = Architecture.parse("square | conv 5 5x5 s1 | dense");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tooWide.shapes(new TensorShape(1, 3, 4), 2));
        assertEquals("layer 2 \"conv 5 5x5 s1\": expected a kernel that fits the input 1x3x4, found 5x5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Architecture.parse("avgpool 4x4 s1 p1 | dense").shapes(new TensorShape(2, 1, 1), 2));
        assertTrue(e.getMessage().contains("the input 2x1x1 padded to 3x3, found 4x4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Architecture.parse("dense 5").shapes(MNIST, 10));
        assertEquals("layer 1 \"dense 5\": expected at least 10 outputs, one per class of the data, found 5",
                e.getMessage());
        assertEquals(List.of(new TensorShape(3, 4, 4), new TensorShape(3, 2, 2), TensorShape.flat(12),
                TensorShape.flat(4)), Architecture.parse("conv 3 3x3 s2 p2 | sumpool 2x2 s2 | flatten | dense 4")
                .shapes(new TensorShape(2, 5, 5), 3));
    }

    @Test
    void layerRecordsCheckTheirRanges() {
        assertThrows(IllegalArgumentException.class, () -> new Architecture.Conv(1, 0, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Architecture.Pad(-1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Architecture.Dense(-1));
        assertThrows(IllegalArgumentException.class, () -> new Architecture(List.of()));
        assertThrows(NullPointerException.class, () -> Architecture.parse(null));
    }
}
