package org.cryptonets.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cryptonets.onnx.proto.OnnxSubset.AttributeProto;
import org.cryptonets.onnx.proto.OnnxSubset.GraphProto;
import org.cryptonets.onnx.proto.OnnxSubset.ModelProto;
import org.cryptonets.onnx.proto.OnnxSubset.NodeProto;
import org.cryptonets.onnx.proto.OnnxSubset.OperatorSetIdProto;
import org.cryptonets.onnx.proto.OnnxSubset.TensorProto;
import org.cryptonets.onnx.proto.OnnxSubset.TensorShapeProto;
import org.cryptonets.onnx.proto.OnnxSubset.TypeProto;
import org.cryptonets.onnx.proto.OnnxSubset.ValueInfoProto;

/** Builds small ONNX models in tests, with the generated protobuf classes. */
final class Models {
    private Models() {
    }

    static TensorProto floats(String name, long[] dims, double... values) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1);
        Arrays.stream(dims).forEach(t::addDims);
        for (double v : values) {
            t.addFloatData((float) v);
        }
        return t.build();
    }

    static TensorProto ints(String name, long[] dims, long... values) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(7);
        Arrays.stream(dims).forEach(t::addDims);
        Arrays.stream(values).forEach(t::addInt64Data);
        return t.build();
    }

    static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        Arrays.stream(values).forEach(a::addInts);
        return a.build();
    }

    static AttributeProto integer(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    static AttributeProto real(String name, double value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF((float) value)
                .build();
    }

    static NodeProto node(String op, String name, List<String> inputs, String output, AttributeProto... attributes) {
        return NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(output)
                .addAllAttribute(Arrays.asList(attributes)).build();
    }

    /** A value of float type and the given dimensions; a string dimension is symbolic. */
    static ValueInfoProto value(String name, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            if (d instanceof String s) {
                shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(s));
            } else {
                shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
            }
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(shape))).build();
    }

    /** A model of one graph, opset {@code opset}. */
    static final class Graph {
        final List<NodeProto> nodes = new ArrayList<>();
        final List<TensorProto> initializers = new ArrayList<>();
        ValueInfoProto input;
        ValueInfoProto output;
        int opset = 13;

        Graph input(String name, Object... dims) {
            input = value(name, dims);
            return this;
        }

        Graph output(String name) {
            output = value(name);
            return this;
        }

        Graph init(TensorProto t) {
            initializers.add(t);
            return this;
        }

        Graph node(NodeProto n) {
            nodes.add(n);
            return this;
        }

        Graph node(String op, String name, List<String> inputs, String out, AttributeProto... attributes) {
            return node(Models.node(op, name, inputs, out, attributes));
        }

        ModelProto model() {
            GraphProto.Builder g = GraphProto.newBuilder().setName("test").addAllNode(nodes)
                    .addAllInitializer(initializers);
            if (input != null) {
                g.addInput(input);
            }
            if (output != null) {
                g.addOutput(output);
            }
            return ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
                    .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(g).build();
        }

        byte[] bytes() {
            return model().toByteArray();
        }
    }
}
