package org.cryptonets.onnx;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.cryptonets.onnx.proto.OnnxSubset.AttributeProto;
import org.cryptonets.onnx.proto.OnnxSubset.NodeProto;
import org.cryptonets.onnx.proto.OnnxSubset.TensorProto;

/** Internal: decoding of ONNX tensors and node attributes, with size checks before allocation. */
final class Protos {
    // TensorProto.DataType values
    static final int FLOAT = 1;
    static final int UINT8 = 2;
    static final int INT8 = 3;
    static final int UINT16 = 4;
    static final int INT16 = 5;
    static final int INT32 = 6;
    static final int INT64 = 7;
    static final int STRING = 8;
    static final int BOOL = 9;
    static final int FLOAT16 = 10;
    static final int DOUBLE = 11;
    static final int UINT32 = 12;
    static final int UINT64 = 13;
    static final int BFLOAT16 = 16;

    private Protos() {
    }

    static boolean isFloatType(int type) {
        return type == FLOAT || type == DOUBLE || type == FLOAT16 || type == BFLOAT16;
    }

    static boolean isIntegerType(int type) {
        return type == UINT8 || type == INT8 || type == UINT16 || type == INT16 || type == INT32 || type == INT64
                || type == BOOL || type == UINT32 || type == UINT64;
    }

    static String typeName(int type) {
        return switch (type) {
            case FLOAT -> "float";
            case UINT8 -> "uint8";
            case INT8 -> "int8";
            case UINT16 -> "uint16";
            case INT16 -> "int16";
            case INT32 -> "int32";
            case INT64 -> "int64";
            case STRING -> "string";
            case BOOL -> "bool";
            case FLOAT16 -> "float16";
            case DOUBLE -> "double";
            case UINT32 -> "uint32";
            case UINT64 -> "uint64";
            case BFLOAT16 -> "bfloat16";
            default -> "type " + type;
        };
    }

    /**
     * The values of a tensor. Checks the declared shape against {@link Tensor#MAX_VALUES} and the
     * stored data against the shape before allocating anything.
     *
     * @param what how messages name the tensor, e.g. {@code initializer "fc.weight"}
     */
    static Tensor decode(TensorProto t, String what) {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            throw new ImportFailure(what + " keeps its values in an external file: expected the weights inside the "
                    + ".onnx file (export without external data)");
        }
        long[] dims = new long[t.getDimsCount()];
        for (int k = 0; k < dims.length; k++) {
            dims[k] = t.getDims(k);
        }
        int n = Tensor.count(dims, what);
        int type = t.getDataType();
        ByteString raw = t.hasRawData() ? t.getRawData() : null;
        if (type == FLOAT || type == DOUBLE || type == FLOAT16 || type == BFLOAT16) {
            double[] values;
            int width = type == DOUBLE ? 8 : type == FLOAT ? 4 : 2;
            if (raw != null) {
                checkRaw(raw, n, width, what, type);
                ByteBuffer in = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                values = new double[n];
                for (int k = 0; k < n; k++) {
                    values[k] = switch (type) {
                        case DOUBLE -> in.getDouble();
                        case FLOAT -> in.getFloat();
                        case FLOAT16 -> halfToFloat(in.getShort() & 0xFFFF);
                        default -> Float.intBitsToFloat((in.getShort() & 0xFFFF) << 16);
                    };
                }
            } else if (type == FLOAT) {
                checkCount(t.getFloatDataCount(), n, what, "float_data");
                values = new double[n];
                for (int k = 0; k < n; k++) {
                    values[k] = t.getFloatData(k);
                }
            } else if (type == DOUBLE) {
                checkCount(t.getDoubleDataCount(), n, what, "double_data");
                values = new double[n];
                for (int k = 0; k < n; k++) {
                    values[k] = t.getDoubleData(k);
                }
            } else {
                checkCount(t.getInt32DataCount(), n, what, "int32_data");
                values = new double[n];
                for (int k = 0; k < n; k++) {
                    int bits = t.getInt32Data(k) & 0xFFFF;
                    values[k] = type == FLOAT16 ? halfToFloat(bits) : Float.intBitsToFloat(bits << 16);
                }
            }
            return Tensor.ofFloats(dims, values);
        }
        if (type == INT64 || type == INT32 || type == INT16 || type == INT8 || type == UINT8 || type == UINT16
                || type == BOOL) {
            long[] values = new long[n];
            if (raw != null) {
                int width = switch (type) {
                    case INT64 -> 8;
                    case INT32 -> 4;
                    case INT16, UINT16 -> 2;
                    default -> 1;
                };
                checkRaw(raw, n, width, what, type);
                ByteBuffer in = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                for (int k = 0; k < n; k++) {
                    values[k] = switch (type) {
                        case INT64 -> in.getLong();
                        case INT32 -> in.getInt();
                        case INT16 -> in.getShort();
                        case UINT16 -> in.getShort() & 0xFFFF;
                        case INT8 -> in.get();
                        default -> in.get() & 0xFF;
                    };
                }
            } else if (type == INT64) {
                checkCount(t.getInt64DataCount(), n, what, "int64_data");
                for (int k = 0; k < n; k++) {
                    values[k] = t.getInt64Data(k);
                }
            } else {
                checkCount(t.getInt32DataCount(), n, what, "int32_data");
                for (int k = 0; k < n; k++) {
                    values[k] = t.getInt32Data(k);
                }
            }
            if (type == BOOL) {
                for (int k = 0; k < n; k++) {
                    values[k] = values[k] != 0 ? 1 : 0;
                }
            }
            return Tensor.ofInts(dims, values);
        }
        throw new ImportFailure(what + " has element type " + typeName(type)
                + ": expected float, double, float16 or an integer type");
    }

    private static void checkRaw(ByteString raw, int n, int width, String what, int type) {
        if (raw.size() != (long) n * width) {
            throw new ImportFailure(what + " declares " + n + " " + typeName(type) + " values (" + (long) n * width
                    + " bytes) but holds " + raw.size() + " bytes of raw data");
        }
    }

    private static void checkCount(int found, int n, String what, String field) {
        if (found != n) {
            throw new ImportFailure(what + " declares " + n + " values but holds " + found + " in " + field);
        }
    }

    /** IEEE 754 half precision to float. */
    static float halfToFloat(int bits) {
        int sign = (bits >>> 15) & 1;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        float magnitude;
        if (exponent == 0) {
            magnitude = mantissa * 0x1p-24f;
        } else if (exponent == 31) {
            magnitude = mantissa == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else {
            magnitude = Float.intBitsToFloat(((exponent + 112) << 23) | (mantissa << 13));
        }
        return sign == 1 ? -magnitude : magnitude;
    }

    // --- attributes ---

    static AttributeProto attribute(NodeProto node, String name) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        return null;
    }

    static long intAttribute(NodeProto node, String name, long fallback) {
        AttributeProto a = attribute(node, name);
        return a == null ? fallback : a.getI();
    }

    static double floatAttribute(NodeProto node, String name, double fallback) {
        AttributeProto a = attribute(node, name);
        return a == null ? fallback : a.getF();
    }

    static String stringAttribute(NodeProto node, String name, String fallback) {
        AttributeProto a = attribute(node, name);
        return a == null ? fallback : a.getS().toStringUtf8();
    }

    /** An INTS attribute, or null when absent. */
    static long[] intsAttribute(NodeProto node, String name) {
        AttributeProto a = attribute(node, name);
        if (a == null) {
            return null;
        }
        long[] out = new long[a.getIntsCount()];
        for (int k = 0; k < out.length; k++) {
            out[k] = a.getInts(k);
        }
        return out;
    }
}
