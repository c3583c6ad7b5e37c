package org.cryptonets.backend.cpu;

import static org.cryptonets.backend.cpu.Fixtures.basis;
import static org.cryptonets.backend.cpu.Fixtures.load;
import static org.cryptonets.backend.cpu.Fixtures.random;
import static org.cryptonets.backend.cpu.Fixtures.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.BaseConverter;
import org.cryptonets.engine.EngineException;
import org.cryptonets.engine.EngineException.Code;
import org.cryptonets.engine.IntMatrix;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;
import org.cryptonets.engine.ResidueWriter;
import org.cryptonets.engine.RnsBasis;
import org.cryptonets.engine.RnsScaler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Proves that {@link CpuBackend} detects misuse with the documented {@link EngineException} codes:
 * VALUE_OUT_OF_RANGE for bad uploads and constants, SHAPE_MISMATCH for every operation given ranges
 * that disagree, BUFFER_INVALID for closed buffers, buffers of a closed backend and foreign buffers
 * (of another backend or another implementation), INVALID_ARGUMENT for bad counts and widths, and
 * DEVICE_FAILURE when the calling thread is interrupted while workers run; on the scalar and the
 * two-thread vector path alike.
 */
class CpuBackendErrorsTest {
  private static final int N = 16;

  static Stream<CpuBackend> backends() {
    return Stream.of(CpuBackend.create(1, false), CpuBackend.create(2, true));
  }

  private static void fails(Code code, Runnable r) {
    EngineException e = assertThrows(EngineException.class, r::run);
    assertEquals(code, e.code(), e.getMessage());
  }

  @ParameterizedTest
  @MethodSource("backends")
  void uploadRejectsValuesOutsideEachLimbsRange(CpuBackend be) {
    try (be) {
      RnsBasis b = basis(N, 3);
      long q0 = b.modulus(0).value();
      long q1 = b.modulus(1).value(); // q1 < q0: primes come largest first
      assertTrue(q1 < q0);
      PolyBuffer buf = be.allocate(b, 2);
      long[] ok = random(b, 2, 1);
      long[] bad = ok.clone();
      bad[0] = q1; // limb 0 of polynomial 0: q1 < q0 is a valid residue there
      be.upload(bad, buf.all());
      assertArrayEquals(bad, read(be, buf));
      for (int[] where : new int[][] {{0, 0, 0}, {0, 1, 5}, {1, 2, N - 1}, {1, 0, 3}}) {
        int index = ((where[0] * 3) + where[1]) * N + where[2];
        long q = b.modulus(where[1]).value();
        for (long v : new long[] {-1, q, q + 1, Long.MIN_VALUE, Long.MAX_VALUE}) {
          long[] h = ok.clone();
          h[index] = v;
          fails(Code.VALUE_OUT_OF_RANGE, () -> be.upload(h, buf.all()));
        }
      }
      long[] h = ok.clone();
      h[N] = q1; // limb 1, coefficient 0: q1 is out of range for q1
      fails(Code.VALUE_OUT_OF_RANGE, () -> be.upload(h, buf.all()));
    }
  }

  /**
   * uploadIntegers takes (-2^62, 2^62) and nothing else; generate checks what its writer wrote as an
   * upload does; neither leaves a partly reduced input behind for a rejected integer.
   */
  @ParameterizedTest
  @MethodSource("backends")
  void integerAndGeneratedUploadsRejectValuesOutOfRange(CpuBackend be) {
    try (be) {
      RnsBasis b = basis(N, 3);
      PolyBuffer buf = be.allocate(b, 2);
      for (long v : new long[] {1L << 62, -(1L << 62), Long.MAX_VALUE, Long.MIN_VALUE, (1L << 62) + 5}) {
        for (int at : new int[] {0, N + 7, 2 * N - 1}) {
          long[] ints = new long[2 * N];
          ints[at] = v;
          fails(Code.VALUE_OUT_OF_RANGE, () -> be.uploadIntegers(ints, buf.all(), true));
        }
      }
      assertArrayEquals(new long[2 * 3 * N], read(be, buf), "a rejected integer upload must not change the buffer");
      long q2 = b.modulus(2).value();
      for (long v : new long[] {-1, q2, Long.MAX_VALUE}) {
        fails(Code.VALUE_OUT_OF_RANGE, () -> be.generate(buf.all(), (p, target, offset) -> target[offset + 2 * N + 3] = v));
      }
      // the fused encryption step checks both its integers and its generated residues
      PolyBuffer gen = be.allocate(b, 2);
      PolyBuffer factor = be.allocate(b, 1);
      long[] tooLarge = new long[N];
      tooLarge[5] = 1L << 62;
      fails(Code.VALUE_OUT_OF_RANGE, () -> be.uploadIntegersPlusProduct(tooLarge, buf.range(0, 1), gen.range(0, 1), (p, target, offset) -> { }, factor.all()));
      for (long v : new long[] {-1, q2, Long.MIN_VALUE}) {
        fails(Code.VALUE_OUT_OF_RANGE, () -> be.uploadIntegersPlusProduct(new long[2 * N], buf.all(), gen.all(),
            (p, target, offset) -> target[offset + 2 * N + 3] = p == 1 ? v : 0, factor.all()));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void hostArraysOfTheWrongLengthAreShapeMismatch(CpuBackend be) {
    try (be) {
      RnsBasis b = basis(N, 2);
      PolyBuffer buf = be.allocate(b, 3);
      fails(Code.SHAPE_MISMATCH, () -> be.upload(new long[3 * 2 * N - 1], buf.all()));
      fails(Code.SHAPE_MISMATCH, () -> be.upload(new long[3 * 2 * N], buf.range(0, 2)));
      fails(Code.SHAPE_MISMATCH, () -> be.download(buf.all(), new long[2 * 2 * N]));
      fails(Code.SHAPE_MISMATCH, () -> be.download(buf.range(1, 1), new long[2 * N + 1]));
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void addConstantsChecksLengthAndRange(CpuBackend be) {
    try (be) {
      RnsBasis b = basis(N, 2);
      PolyBuffer buf = be.allocate(b, 2);
      fails(Code.SHAPE_MISMATCH, () -> be.addConstants(buf.all(), new long[3], false));
      fails(Code.SHAPE_MISMATCH, () -> be.addConstants(buf.all(), new long[5], true));
      long q1 = b.modulus(1).value();
      fails(Code.VALUE_OUT_OF_RANGE, () -> be.addConstants(buf.all(), new long[] {0, q1, 0, 0}, false));
      fails(Code.VALUE_OUT_OF_RANGE, () -> be.addConstants(buf.all(), new long[] {0, 0, -1, 0}, true));
      assertArrayEquals(new long[2 * 2 * N], read(be, buf), "a rejected call must not change the buffer");
    }
  }

  /**
   * A constant outside [0, q_i) is rejected before anything is written, for a sparse and a dense
   * layer: the checks run before the backend picks its fused or default path.
   */
  @ParameterizedTest
  @MethodSource("backends")
  void linearSquareRejectsConstantsOutOfRange(CpuBackend be) {
    try (be) {
      RnsBasis b = basis(N, 2);
      long q1 = b.modulus(1).value();
      for (IntMatrix w : new IntMatrix[] {IntMatrix.fromDense(1, 8, new int[] {1, 0, 0, 0, 0, 0, 0, 0}), IntMatrix.fromDense(1, 2, new int[] {1, 2})}) {
        PolyBuffer in = be.allocate(b, 2 * w.columns());
        PolyBuffer out = be.allocate(b, 3);
        fails(Code.VALUE_OUT_OF_RANGE, () -> be.multiplyAccumulateSquare(w, in.all(), new long[] {0, q1}, out.all()));
        fails(Code.VALUE_OUT_OF_RANGE, () -> be.multiplyAccumulateSquare(w, in.all(), new long[] {-1, 0}, out.all()));
        assertArrayEquals(new long[3 * 2 * N], read(be, out), "a rejected call must not change the output");
      }
    }
  }

  /** Each row: a description and a call that must fail with SHAPE_MISMATCH. */
  static Stream<Arguments> shapeMismatches() {
    CpuBackend be = CpuBackend.create(1, true);
    RnsBasis q = basis(N, 3);
    RnsBasis other = basis(N, 2);
    RnsBasis p = Fixtures.auxiliary(N, 2);
    PolyBuffer a2 = be.allocate(q, 2);
    PolyBuffer b2 = be.allocate(q, 2);
    PolyBuffer a3 = be.allocate(q, 3);
    PolyBuffer o2 = be.allocate(other, 2);
    PolyBuffer t3 = be.allocate(q, 3);
    PolyBuffer t6 = be.allocate(q, 6);
    PolyBuffer p2 = be.allocate(p, 2);
    PolyBuffer one = be.allocate(basis(N, 1), 2);
    BaseConverter conv = new BaseConverter(q, p);
    RnsScaler scaler = RnsScaler.forMultiplication(q, p, Modulus.of(65537));
    IntMatrix w = IntMatrix.fromDense(1, 2, new int[] {1, 2});
    List<Arguments> rows = new ArrayList<>();
    rows.add(Arguments.of("copy count", be, (Consumer<Backend>) x -> x.copy(a2.all(), a3.all())));
    rows.add(Arguments.of("copy basis", be, (Consumer<Backend>) x -> x.copy(a2.all(), o2.all())));
    rows.add(Arguments.of("add count", be, (Consumer<Backend>) x -> x.add(a2.all(), a3.all(), b2.all())));
    rows.add(Arguments.of("add out count", be, (Consumer<Backend>) x -> x.add(a2.all(), b2.all(), a3.all())));
    rows.add(Arguments.of("add basis", be, (Consumer<Backend>) x -> x.add(a2.all(), o2.all(), b2.all())));
    rows.add(Arguments.of("subtract basis", be, (Consumer<Backend>) x -> x.subtract(a2.all(), b2.all(), o2.all())));
    rows.add(Arguments.of("negate count", be, (Consumer<Backend>) x -> x.negate(a2.all(), a3.all())));
    rows.add(Arguments.of("multiply basis", be, (Consumer<Backend>) x -> x.multiply(o2.all(), b2.all(), a2.all())));
    rows.add(Arguments.of("broadcast of two", be, (Consumer<Backend>) x -> x.multiplyBroadcast(a2.all(), b2.all(), a2.all())));
    rows.add(Arguments.of("broadcast basis", be, (Consumer<Backend>) x -> x.multiplyBroadcast(a2.all(), o2.range(0, 1), b2.all())));
    rows.add(Arguments.of("multiply-add broadcast of two", be, (Consumer<Backend>) x -> x.multiplyAddBroadcast(a2.all(), b2.all(), a2.all())));
    rows.add(Arguments.of("multiply-add broadcast out count", be, (Consumer<Backend>) x -> x.multiplyAddBroadcast(a2.all(), b2.range(0, 1), a3.all())));
    rows.add(Arguments.of("integers for too few polynomials", be, (Consumer<Backend>) x -> x.uploadIntegers(new long[N], a2.all(), false)));
    rows.add(Arguments.of("integers one per limb", be, (Consumer<Backend>) x -> x.uploadIntegers(new long[2 * 3 * N], a2.all(), true)));
    ResidueWriter zeros = (pp, target, offset) -> { };
    rows.add(Arguments.of("fused upload integers for too few polynomials", be,
        (Consumer<Backend>) x -> x.uploadIntegersPlusProduct(new long[N], a2.all(), b2.all(), zeros, a3.range(0, 1))));
    rows.add(Arguments.of("fused upload generated count", be,
        (Consumer<Backend>) x -> x.uploadIntegersPlusProduct(new long[2 * N], a2.all(), a3.all(), zeros, t3.range(0, 1))));
    rows.add(Arguments.of("fused upload generated basis", be,
        (Consumer<Backend>) x -> x.uploadIntegersPlusProduct(new long[2 * N], a2.all(), o2.all(), zeros, t3.range(0, 1))));
    rows.add(Arguments.of("fused upload factor of two", be,
        (Consumer<Backend>) x -> x.uploadIntegersPlusProduct(new long[2 * N], a2.all(), b2.all(), zeros, t3.range(0, 2))));
    rows.add(Arguments.of("fused upload factor basis", be,
        (Consumer<Backend>) x -> x.uploadIntegersPlusProduct(new long[2 * N], a2.all(), b2.all(), zeros, o2.range(0, 1))));
    rows.add(Arguments.of("scalar count", be, (Consumer<Backend>) x -> x.multiplyScalar(a2.all(), 3, a3.all())));
    rows.add(Arguments.of("layer input count", be, (Consumer<Backend>) x -> x.multiplyAccumulate(w, a3.all(), 1, t3.range(0, 1))));
    rows.add(Arguments.of("layer output count", be, (Consumer<Backend>) x -> x.multiplyAccumulate(w, a2.all(), 1, t3.range(0, 2))));
    rows.add(Arguments.of("layer width", be, (Consumer<Backend>) x -> x.multiplyAccumulate(w, a2.all(), 2, t3.range(0, 2))));
    rows.add(Arguments.of("layer output basis", be, (Consumer<Backend>) x -> x.multiplyAccumulate(w, a2.all(), 1, o2.range(0, 1))));
    rows.add(Arguments.of("layer in place", be, (Consumer<Backend>) x -> x.multiplyAccumulate(w, a3.range(0, 2), 1, a3.range(2, 1))));
    rows.add(Arguments.of("linear square input count", be, (Consumer<Backend>) x -> x.multiplyAccumulateSquare(w, a2.all(), new long[3], t3.all())));
    rows.add(Arguments.of("linear square output count", be, (Consumer<Backend>) x -> x.multiplyAccumulateSquare(w, t6.range(0, 4), new long[3], a2.all())));
    rows.add(Arguments.of("linear square output basis", be,
        (Consumer<Backend>) x -> x.multiplyAccumulateSquare(w, t6.range(0, 4), new long[3], be.allocate(other, 3).all())));
    rows.add(Arguments.of("linear square into its input", be, (Consumer<Backend>) x -> x.multiplyAccumulateSquare(w, t6.range(0, 4), new long[3], t6.range(3, 3))));
    rows.add(Arguments.of("linear square constants", be, (Consumer<Backend>) x -> x.multiplyAccumulateSquare(w, t6.range(0, 4), new long[2], t3.all())));
    rows.add(Arguments.of("tensor odd input", be, (Consumer<Backend>) x -> x.tensor(a3.all(), t3.all(), t6.range(0, 3))));
    rows.add(Arguments.of("tensor output count", be, (Consumer<Backend>) x -> x.tensor(a2.all(), b2.all(), t6.all())));
    rows.add(Arguments.of("tensor input counts", be, (Consumer<Backend>) x -> x.tensor(a2.all(), t6.range(0, 4), t3.all())));
    rows.add(Arguments.of("tensor into its input", be, (Consumer<Backend>) x -> x.tensor(t6.range(0, 2), b2.all(), t6.range(3, 3))));
    rows.add(Arguments.of("square odd input", be, (Consumer<Backend>) x -> x.tensorSquare(a3.all(), t6.range(0, 3))));
    rows.add(Arguments.of("square output basis", be, (Consumer<Backend>) x -> x.tensorSquare(a2.all(), be.allocate(other, 3).all())));
    rows.add(Arguments.of("square into its input", be, (Consumer<Backend>) x -> x.tensorSquare(t6.range(0, 2), t6.range(2, 3))));
    rows.add(Arguments.of("extend input basis", be, (Consumer<Backend>) x -> x.extendBase(conv, o2.all(), be.allocate(q.concat(p), 2).all())));
    rows.add(Arguments.of("extend output basis", be, (Consumer<Backend>) x -> x.extendBase(conv, a2.all(), p2.all())));
    rows.add(Arguments.of("extend output count", be, (Consumer<Backend>) x -> x.extendBase(conv, a2.all(), be.allocate(q.concat(p), 3).all())));
    rows.add(Arguments.of("convert output basis", be, (Consumer<Backend>) x -> x.convertBase(conv, a2.all(), b2.all())));
    rows.add(Arguments.of("convert output count", be, (Consumer<Backend>) x -> x.convertBase(conv, a2.all(), p2.range(0, 1))));
    rows.add(Arguments.of("scale input basis", be, (Consumer<Backend>) x -> x.scaleAndRound(scaler, a2.all(), p2.all())));
    rows.add(Arguments.of("scale output basis", be, (Consumer<Backend>) x -> x.scaleAndRound(scaler, be.allocate(q.concat(p), 2).all(), b2.all())));
    rows.add(Arguments.of("drop the only prime", be, (Consumer<Backend>) x -> x.dropLastModulus(one.all(), one.all())));
    rows.add(Arguments.of("drop output basis", be, (Consumer<Backend>) x -> x.dropLastModulus(a2.all(), b2.all())));
    rows.add(Arguments.of("drop output count", be, (Consumer<Backend>) x -> x.dropLastModulus(a2.all(), o2.range(0, 1))));
    rows.add(Arguments.of("key basis not extending digits", be, (Consumer<Backend>) x -> x.keySwitch(a2.all(), be.allocate(other, 4).all(), be.allocate(q, 4).all())));
    rows.add(Arguments.of("key count", be, (Consumer<Backend>) x -> x.keySwitch(a2.all(), t6.range(0, 5), be.allocate(q, 4).all())));
    rows.add(Arguments.of("key switch output count", be, (Consumer<Backend>) x -> x.keySwitch(a2.all(), t6.all(), t3.all())));
    rows.add(Arguments.of("key switch from NTT output count", be, (Consumer<Backend>) x -> x.keySwitchFromNtt(a2.all(), t6.all(), t3.all())));
    rows.add(Arguments.of("key switch from NTT key basis", be,
        (Consumer<Backend>) x -> x.keySwitchFromNtt(a2.all(), be.allocate(other, 4).all(), be.allocate(q, 4).all())));
    rows.add(Arguments.of("key switch output basis", be, (Consumer<Backend>) x -> x.keySwitch(o2.range(0, 1), t6.all(), b2.all())));
    return rows.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("shapeMismatches")
  void disagreeingRangesAreShapeMismatch(String what, Backend be, Consumer<Backend> call) {
    fails(Code.SHAPE_MISMATCH, () -> call.accept(be));
  }

  /** Every operation, given a closed buffer for one operand, fails with BUFFER_INVALID. */
  static Stream<Arguments> closedBufferCalls() {
    RnsBasis q = basis(N, 3);
    RnsBasis p = Fixtures.auxiliary(N, 2);
    BaseConverter conv = new BaseConverter(q, p);
    RnsScaler dec = RnsScaler.forDecryption(q, Modulus.of(65537));
    IntMatrix w = IntMatrix.fromDense(1, 2, new int[] {1, 2});
    List<Arguments> rows = new ArrayList<>();
    for (CpuBackend be : new CpuBackend[] {CpuBackend.create(1, false), CpuBackend.create(2, true)}) {
      PolyBuffer open2 = be.allocate(q, 2);
      PolyBuffer open3 = be.allocate(q, 3);
      PolyBuffer dead = be.allocate(q, 2);
      PolyRange d = dead.all(); // taken before close
      PolyRange d1 = dead.range(0, 1);
      dead.close();
      String tag = be.device() + ": ";
      rows.add(Arguments.of(tag + "upload", (Runnable) () -> be.upload(new long[2 * 3 * N], d)));
      rows.add(Arguments.of(tag + "download", (Runnable) () -> be.download(d, new long[2 * 3 * N])));
      rows.add(Arguments.of(tag + "copy from", (Runnable) () -> be.copy(d, open2.all())));
      rows.add(Arguments.of(tag + "copy to", (Runnable) () -> be.copy(open2.all(), d)));
      rows.add(Arguments.of(tag + "forward", (Runnable) () -> be.forwardNtt(d)));
      rows.add(Arguments.of(tag + "inverse", (Runnable) () -> be.inverseNtt(d)));
      rows.add(Arguments.of(tag + "add", (Runnable) () -> be.add(open2.all(), d, open2.all())));
      rows.add(Arguments.of(tag + "subtract", (Runnable) () -> be.subtract(d, open2.all(), open2.all())));
      rows.add(Arguments.of(tag + "negate", (Runnable) () -> be.negate(open2.all(), d)));
      rows.add(Arguments.of(tag + "multiply", (Runnable) () -> be.multiply(open2.all(), open2.all(), d)));
      rows.add(Arguments.of(tag + "broadcast", (Runnable) () -> be.multiplyBroadcast(open2.all(), d1, open2.all())));
      rows.add(Arguments.of(tag + "scalar", (Runnable) () -> be.multiplyScalar(d, 5, open2.all())));
      rows.add(Arguments.of(tag + "constants", (Runnable) () -> be.addConstants(d, new long[6], true)));
      rows.add(Arguments.of(tag + "layer", (Runnable) () -> be.multiplyAccumulate(w, d, 1, open3.range(0, 1))));
      rows.add(Arguments.of(tag + "tensor", (Runnable) () -> be.tensor(d, open2.all(), open3.all())));
      rows.add(Arguments.of(tag + "square", (Runnable) () -> be.tensorSquare(open2.all(), closed(be, q, 3))));
      rows.add(Arguments.of(tag + "extend", (Runnable) () -> be.extendBase(conv, d, be.allocate(q.concat(p), 2).all())));
      rows.add(Arguments.of(tag + "convert", (Runnable) () -> be.convertBase(conv, open2.all(), closed(be, p, 2))));
      rows.add(Arguments.of(tag + "scale", (Runnable) () -> be.scaleAndRound(dec, d, be.allocate(dec.output(), 2).all())));
      rows.add(Arguments.of(tag + "drop", (Runnable) () -> be.dropLastModulus(d, be.allocate(q.prefix(2), 2).all())));
      rows.add(Arguments.of(tag + "key switch", (Runnable) () -> be.keySwitch(open2.all(), closed(be, q, 6), be.allocate(q, 4).all())));
      rows.add(Arguments.of(tag + "polys()", (Runnable) dead::polys));
      rows.add(Arguments.of(tag + "all()", (Runnable) dead::all));
    }
    return rows.stream();
  }

  private static PolyRange closed(Backend be, RnsBasis b, int polys) {
    PolyBuffer buf = be.allocate(b, polys);
    PolyRange r = buf.all();
    buf.close();
    return r;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("closedBufferCalls")
  void closedBuffersAreBufferInvalid(String what, Runnable call) {
    fails(Code.BUFFER_INVALID, call);
  }

  @ParameterizedTest
  @MethodSource("backends")
  void buffersOfAnotherBackendAreBufferInvalid(CpuBackend be) {
    try (be; CpuBackend other = CpuBackend.create(1, false)) {
      RnsBasis b = basis(N, 2);
      PolyBuffer mine = be.allocate(b, 2);
      PolyBuffer theirs = other.allocate(b, 2);
      assertSame(be, mine.backend());
      fails(Code.BUFFER_INVALID, () -> be.upload(new long[2 * 2 * N], theirs.all()));
      fails(Code.BUFFER_INVALID, () -> be.download(theirs.all(), new long[2 * 2 * N]));
      fails(Code.BUFFER_INVALID, () -> be.copy(mine.all(), theirs.all()));
      fails(Code.BUFFER_INVALID, () -> be.add(mine.all(), theirs.all(), mine.all()));
      fails(Code.BUFFER_INVALID, () -> be.forwardNtt(theirs.all()));
      fails(Code.BUFFER_INVALID, () -> be.multiplyScalar(theirs.all(), 2, mine.all()));
      fails(Code.BUFFER_INVALID, () -> be.addConstants(theirs.all(), new long[4], false));
      PolyBuffer alien = new PolyBuffer() {
        @Override
        public RnsBasis basis() {
          return b;
        }

        @Override
        public int polys() {
          return 2;
        }

        @Override
        public Backend backend() {
          return be; // claims to be ours, but is not a CPU buffer
        }

        @Override
        public void close() {}
      };
      fails(Code.BUFFER_INVALID, () -> be.negate(alien.all(), mine.all()));
      fails(Code.BUFFER_INVALID, () -> be.multiply(mine.all(), mine.all(), alien.all()));
      fails(Code.BUFFER_INVALID, () -> be.upload(new long[2 * 2 * N], alien.all()));
      // The rejected calls left our buffer untouched.
      assertArrayEquals(new long[2 * 2 * N], read(be, mine));
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void buffersOfAClosedBackendAreBufferInvalid(int threads) {
    CpuBackend be = CpuBackend.create(threads, threads > 1);
    RnsBasis b = basis(N, 2);
    PolyBuffer buf = load(be, b, random(b, 4, 3));
    PolyRange r = buf.all();
    be.close();
    fails(Code.BUFFER_INVALID, () -> be.add(r, r, r));
    fails(Code.BUFFER_INVALID, () -> be.forwardNtt(r));
    fails(Code.BUFFER_INVALID, () -> be.download(r, new long[4 * 2 * N]));
  }

  @Test
  void invalidArguments() {
    fails(Code.INVALID_ARGUMENT, () -> CpuBackend.create(0, false));
    fails(Code.INVALID_ARGUMENT, () -> CpuBackend.create(-2, true));
    try (CpuBackend be = CpuBackend.create(1, false)) {
      RnsBasis b = basis(N, 2);
      fails(Code.INVALID_ARGUMENT, () -> be.allocate(b, -1));
      assertEquals(0, be.allocate(b, 0).polys());
      PolyBuffer in = be.allocate(b, 2);
      PolyBuffer out = be.allocate(b, 1);
      IntMatrix w = IntMatrix.fromDense(1, 2, new int[] {1, 2});
      fails(Code.INVALID_ARGUMENT, () -> be.multiplyAccumulate(w, in.all(), 0, out.all()));
      fails(Code.INVALID_ARGUMENT, () -> be.multiplyAccumulate(w, in.all(), -1, out.all()));
    }
  }

  /** An interrupt of the calling thread while workers run is reported as DEVICE_FAILURE, flag kept. */
  @Test
  void interruptedCallerGetsDeviceFailure() {
    try (CpuBackend be = CpuBackend.create(2, true)) {
      RnsBasis b = basis(1024, 4);
      PolyBuffer buf = load(be, b, random(b, 8, 4));
      Thread.currentThread().interrupt();
      try {
        fails(Code.DEVICE_FAILURE, () -> be.forwardNtt(buf.all()));
        assertTrue(Thread.currentThread().isInterrupted(), "the interrupt flag must be restored");
      } finally {
        Thread.interrupted();
      }
      assertFalse(Thread.currentThread().isInterrupted());
      be.inverseNtt(buf.all()); // still usable afterwards
    }
  }
}
