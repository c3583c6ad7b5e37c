package org.cryptonets.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cryptonets.data.TensorShape;
import org.cryptonets.net.FloatNetwork;
import org.cryptonets.net.FloatNetwork.Affine;
import org.cryptonets.onnx.proto.OnnxSubset.GraphProto;
import org.cryptonets.onnx.proto.OnnxSubset.ModelProto;
import org.cryptonets.onnx.proto.OnnxSubset.NodeProto;
import org.cryptonets.onnx.proto.OnnxSubset.OperatorSetIdProto;
import org.cryptonets.onnx.proto.OnnxSubset.TensorProto;
import org.cryptonets.onnx.proto.OnnxSubset.TensorShapeProto;
import org.cryptonets.onnx.proto.OnnxSubset.TypeProto;
import org.cryptonets.onnx.proto.OnnxSubset.ValueInfoProto;

/**
 * Reads a trained network from an ONNX file into a {@link FloatNetwork}: the unfolded chain of
 * affine maps and squares (call {@link FloatNetwork#fold()} for the prediction form).
 *
 * <p>The graph must be a single chain from one image input, {@code [N, C, H, W]} or {@code [N, K]}
 * with a batch dimension that is symbolic or 1 and every other dimension fixed, to one output.
 * Supported, in the forms PyTorch's {@code torch.onnx.export} writes them (opsets 9 to 17; 7 to 21
 * are read): Conv (2-d, group 1, dilation 1), Gemm, MatMul (then Add), AveragePool,
 * GlobalAveragePool, Pad (zeros), BatchNormalization, Flatten, Reshape, Squeeze, Unsqueeze,
 * Transpose, Identity and Dropout (removed), the square activation as {@code Mul(x, x)} or
 * {@code Pow(x, 2)}, Add/Sub/Mul/Div/Neg with constants, and a last Softmax, LogSoftmax or
 * Sigmoid, which is dropped since it does not change the predicted class. Subgraphs that depend
 * only on initializers, Constant nodes and static shapes (PyTorch's padding amounts, reshape
 * targets) are evaluated at import. Anything else is refused with a message that names the node,
 * its operator and what a CryptoNet uses instead.
 *
 * <p>Size limits are checked before anything is allocated: files above {@link #MAX_FILE_BYTES},
 * tensors declaring more than 2^26 values, activations above {@link #MAX_ACTIVATION_VALUES}
 * values, and layers whose weight count would exceed {@link Affine#MAX_NONZEROS} (or
 * {@link #MAX_TOTAL_WEIGHTS} for the whole network) are refused.
 *
 * <p>Stateless and thread-safe. Every method throws {@link OnnxImportException} (unchecked),
 * never a protobuf exception, for anything it cannot read; its message starts with the file's
 * name.
 */
public final class OnnxImporter {
    /** Largest ONNX file read: 512 MiB. */
    public static final long MAX_FILE_BYTES = 512L << 20;
    /** Largest activation tensor (values per image) a layer may produce. */
    public static final int MAX_ACTIVATION_VALUES = 1 << 24;
    /** Largest number of non-zero weights in all layers together. */
    public static final long MAX_TOTAL_WEIGHTS = 1L << 26;
    /** Most nodes a graph may have. */
    public static final int MAX_NODES = 100_000;
    /** Opsets of the default ONNX domain that the importer reads. */
    public static final int MIN_OPSET = 7;
    /** Newest opset of the default ONNX domain that the importer reads. */
    public static final int MAX_OPSET = 21;

    static final String ACTIVATION_ADVICE = "a CryptoNet uses a polynomial activation instead: replace ReLU or "
            + "sigmoid by a square activation (x*x) and retrain";
    static final String POOL_ADVICE = "a CryptoNet cannot take a maximum of encrypted values: use average pooling "
            + "(the scaled mean pool) instead and retrain";
    static final String SUPPORTED = "a CryptoNet is a chain of linear layers (Conv, Gemm, MatMul, AveragePool, "
            + "BatchNormalization, Pad, Flatten, Reshape, Add/Sub/Mul/Div with constants) and square activations "
            + "(Mul(x, x) or Pow(x, 2)); rewrite the model with those and retrain";

    private static final Set<String> ACTIVATIONS = Set.of("Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu",
            "Sigmoid", "HardSigmoid", "Tanh", "Softplus", "Softsign", "HardSwish", "Gelu", "Mish", "ThresholdedRelu",
            "Clip", "Erf", "Exp", "Log", "Abs", "Sign", "Sin", "Cos", "Atan", "Swish", "Shrink", "Round", "Floor",
            "Ceil", "Max", "Min", "Reciprocal", "Sqrt");
    private static final Set<String> MAX_POOLS = Set.of("MaxPool", "GlobalMaxPool", "LpPool", "GlobalLpPool",
            "MaxRoiPool", "MaxUnpool", "ReduceMax", "ReduceMin", "ArgMax", "ArgMin");
    private static final Set<String> NORMALIZATIONS = Set.of("LayerNormalization", "InstanceNormalization", "LRN",
            "GroupNormalization", "MeanVarianceNormalization", "LpNormalization");
    private static final Set<String> FINAL_OPERATORS = Set.of("Softmax", "LogSoftmax", "Sigmoid");

    private OnnxImporter() {
    }

    /**
     * Reads and imports an ONNX file.
     *
     * @throws OnnxImportException if the file cannot be read, is above {@link #MAX_FILE_BYTES},
     *     is not a valid ONNX model, or uses a construct a CryptoNet cannot evaluate
     */
    public static FloatNetwork load(Path file) {
        String name = String.valueOf(file);
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) {
                throw new OnnxImportException(name + ": is a folder: expected an .onnx file");
            }
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new OnnxImportException(name + ": " + size + " bytes, above the limit of " + MAX_FILE_BYTES
                        + " bytes for an ONNX model");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new OnnxImportException(name + ": no such file: expected an .onnx file", e);
        } catch (IOException e) {
            throw new OnnxImportException(name + ": cannot read the file: " + e, e);
        }
        return read(bytes, name);
    }

    /**
     * Imports an ONNX model held in memory.
     *
     * @param name how error messages name the model, e.g. its file name
     * @throws OnnxImportException if the bytes are above {@link #MAX_FILE_BYTES}, are not a valid
     *     ONNX model, or use a construct a CryptoNet cannot evaluate
     */
    public static FloatNetwork read(byte[] bytes, String name) {
        if (bytes.length > MAX_FILE_BYTES) {
            throw new OnnxImportException(name + ": " + bytes.length + " bytes, above the limit of " + MAX_FILE_BYTES
                    + " bytes for an ONNX model");
        }
        if (bytes.length == 0) {
            throw new OnnxImportException(name + ": empty: expected an ONNX model");
        }
        ModelProto model;
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setSizeLimit(Integer.MAX_VALUE);
            model = ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxImportException(name + ": not a valid ONNX model (protobuf ModelProto): " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new OnnxImportException(name + ": not a valid ONNX model (protobuf ModelProto): " + e, e);
        }
        try {
            return new Conversion(model).run();
        } catch (ImportFailure e) {
            throw new OnnxImportException(name + ": " + e.getMessage(), e.getCause());
        } catch (IllegalArgumentException | ArithmeticException | IndexOutOfBoundsException e) {
            throw new OnnxImportException(name + ": " + e.getMessage(), e);
        }
    }

    /** One import: the graph walked node by node along the chain of activations. */
    private static final class Conversion {
        private final ModelProto model;
        private final GraphProto graph;
        private final Map<String, Tensor> constants = new HashMap<>();
        /** ONNX dimensions (batch first, always 1) of every activation produced so far. */
        private final Map<String, long[]> activations = new HashMap<>();
        private final Set<String> defined = new HashSet<>();
        private final List<FloatNetwork.Layer> layers = new ArrayList<>();
        private int opset;
        private String head;
        private TensorShape inputShape;
        private String outputName;
        private long totalWeights;
        /** The layer a MatMul emitted, while its output is the head, so a following Add joins it. */
        private Affine pendingMatMul;
        private String finalDropped;

        Conversion(ModelProto model) {
            this.model = model;
            this.graph = model.getGraph();
        }

        FloatNetwork run() {
            if (!model.hasGraph()) {
                throw new ImportFailure("not an ONNX model: no graph (expected a ModelProto with a graph of nodes)");
            }
            opset = defaultOpset();
            if (graph.getNodeCount() == 0) {
                throw new ImportFailure("the graph has no nodes: expected the layers of a network");
            }
            if (graph.getNodeCount() > MAX_NODES) {
                throw new ImportFailure("the graph has " + graph.getNodeCount() + " nodes, above the limit of "
                        + MAX_NODES);
            }
            for (TensorProto t : graph.getInitializerList()) {
                String what = "initializer \"" + t.getName() + "\"";
                if (!defined.add(t.getName())) {
                    throw new ImportFailure(what + " is defined twice");
                }
                constants.put(t.getName(), Protos.decode(t, what));
            }
            readInput();
            readOutput();
            for (int index = 0; index < graph.getNodeCount(); index++) {
                NodeProto node = graph.getNode(index);
                String label = label(node, index);
                try {
                    convert(node, label);
                } catch (IllegalArgumentException | ArithmeticException e) {
                    throw new ImportFailure(label + ": " + e.getMessage(), e);
                }
            }
            String result = finalDropped != null ? finalDropped : head;
            if (!outputName.equals(result)) {
                if (constants.containsKey(outputName)) {
                    throw new ImportFailure("the graph output \"" + outputName + "\" is a constant that does not "
                            + "depend on the input");
                }
                throw new ImportFailure("the graph output \"" + outputName + "\" is not the end of the chain of layers "
                        + "from the input (which ends at \"" + head + "\"): expected a single chain of layers");
            }
            if (layers.isEmpty()) {
                throw new ImportFailure("the graph computes no layer: expected at least one linear layer");
            }
            if (layers.get(layers.size() - 1) instanceof FloatNetwork.Square square) {
                throw new ImportFailure("the network ends with the square activation \"" + square.name()
                        + "\": a CryptoNet ends with a linear layer that gives the class scores");
            }
            return new FloatNetwork(inputShape, layers);
        }

        private int defaultOpset() {
            Long version = null;
            for (OperatorSetIdProto set : model.getOpsetImportList()) {
                if (set.getDomain().isEmpty() || set.getDomain().equals("ai.onnx")) {
                    version = set.getVersion();
                }
            }
            if (version == null) {
                throw new ImportFailure("declares no opset for the default ONNX domain (opset_import): expected one of "
                        + MIN_OPSET + " to " + MAX_OPSET);
            }
            if (version < MIN_OPSET || version > MAX_OPSET) {
                throw new ImportFailure("opset " + version + " is not supported: expected " + MIN_OPSET + " to "
                        + MAX_OPSET + " (PyTorch exports 9 to 17)");
            }
            return version.intValue();
        }

        private void readInput() {
            List<ValueInfoProto> inputs = new ArrayList<>();
            for (ValueInfoProto v : graph.getInputList()) {
                if (!constants.containsKey(v.getName())) {
                    inputs.add(v);
                }
            }
            if (inputs.size() != 1) {
                throw new ImportFailure("the graph has " + inputs.size() + " inputs besides its weights "
                        + inputs.stream().map(v -> "\"" + v.getName() + "\"").toList()
                        + ": expected exactly one, the image");
            }
            ValueInfoProto input = inputs.get(0);
            String what = "input \"" + input.getName() + "\"";
            if (!input.hasType() || input.getType().getValueCase() != TypeProto.ValueCase.TENSOR_TYPE
                    || !input.getType().getTensorType().hasShape()) {
                throw new ImportFailure(what + " has no tensor shape: expected [N, C, H, W] or [N, K]");
            }
            TypeProto.Tensor type = input.getType().getTensorType();
            int elem = type.getElemType();
            if (elem != 0 && !Protos.isFloatType(elem)) {
                throw new ImportFailure(what + " has element type " + Protos.typeName(elem)
                        + ": expected float (pixels scaled to [0, 1])");
            }
            TensorShapeProto shape = type.getShape();
            int rank = shape.getDimCount();
            if (rank != 4 && rank != 2) {
                throw new ImportFailure(what + " has rank " + rank + ": expected [N, C, H, W] or [N, K]");
            }
            long[] dims = new long[rank];
            dims[0] = 1;
            TensorShapeProto.Dimension batch = shape.getDim(0);
            if (batch.hasDimValue() && batch.getDimValue() != 1) {
                throw new ImportFailure(what + " has batch dimension " + batch.getDimValue()
                        + ": expected 1 or a symbolic batch size");
            }
            for (int k = 1; k < rank; k++) {
                TensorShapeProto.Dimension d = shape.getDim(k);
                if (!d.hasDimValue()) {
                    String symbol = d.hasDimParam() ? "\"" + d.getDimParam() + "\"" : "(unnamed)";
                    throw new ImportFailure(what + " has the symbolic dimension " + symbol + " on axis " + k
                            + ": dynamic shapes are not supported; a CryptoNet needs a fixed input shape (export "
                            + "with fixed sizes, only the batch axis dynamic)");
                }
                if (d.getDimValue() < 1 || d.getDimValue() > MAX_ACTIVATION_VALUES) {
                    throw new ImportFailure(what + " has dimension " + d.getDimValue() + " on axis " + k
                            + ": expected 1 to " + MAX_ACTIVATION_VALUES);
                }
                dims[k] = d.getDimValue();
            }
            checkActivation(dims, what);
            inputShape = shapeOf(dims);
            head = input.getName();
            defined.add(head);
            activations.put(head, dims);
        }

        private void readOutput() {
            if (graph.getOutputCount() != 1) {
                throw new ImportFailure("the graph has " + graph.getOutputCount()
                        + " outputs: expected exactly one, the class scores");
            }
            outputName = graph.getOutput(0).getName();
        }

        private static String label(NodeProto node, int index) {
            String name = node.getName().isEmpty() ? node.getOpType() + "#" + index : node.getName();
            return "node \"" + name + "\" (" + node.getOpType() + ")";
        }

        private static String layerName(NodeProto node, int fallbackIndex) {
            return node.getName().isEmpty() ? node.getOpType() + "_" + fallbackIndex : node.getName();
        }

        // --- the walk ---

        private void convert(NodeProto node, String label) {
            String op = node.getOpType();
            if (!node.getDomain().isEmpty() && !node.getDomain().equals("ai.onnx")) {
                throw new ImportFailure(label + " is not supported: operator domain \"" + node.getDomain()
                        + "\" is not standard ONNX; " + SUPPORTED);
            }
            for (String out : node.getOutputList()) {
                if (!out.isEmpty() && !defined.add(out)) {
                    throw new ImportFailure(label + ": value \"" + out + "\" is produced twice");
                }
            }
            List<String> activationInputs = new ArrayList<>();
            List<Tensor> inputs = new ArrayList<>();
            for (String in : node.getInputList()) {
                if (in.isEmpty()) {
                    inputs.add(null);
                } else if (constants.containsKey(in)) {
                    inputs.add(constants.get(in));
                } else if (activations.containsKey(in)) {
                    inputs.add(null);
                    activationInputs.add(in);
                } else if (in.equals(finalDropped)) {
                    throw new ImportFailure(label + " uses the output of the final " + "operation \"" + in
                            + "\", which is only allowed as the graph's last operation");
                } else {
                    throw new ImportFailure(label + ": input \"" + in + "\" is not an initializer or the output of an "
                            + "earlier node (expected the nodes in topological order)");
                }
            }
            if (op.equals("Shape") && activationInputs.size() == 1) {
                putConstant(node, label, ConstantFolder.shape(node, activations.get(activationInputs.get(0))));
                return;
            }
            if (activationInputs.isEmpty()) {
                if (!ConstantFolder.OPERATORS.contains(op)) {
                    throw unsupported(node, label);
                }
                List<Tensor> results = ConstantFolder.fold(node, label, inputs, opset);
                putConstant(node, label, results.get(0));
                return;
            }
            if (finalDropped != null) {
                throw new ImportFailure(label + " follows the final operation that produces the output \""
                        + finalDropped + "\": expected that operation last");
            }
            for (String in : activationInputs) {
                if (!in.equals(head)) {
                    throw new ImportFailure(label + " is not supported: it reads \"" + in + "\", an earlier activation "
                            + "than the current end of the chain \"" + head + "\" (a branch or a residual connection);"
                            + " the graph must be a single chain of layers, as in a CryptoNet");
                }
            }
            if (node.getOutputCount() == 0 || node.getOutput(0).isEmpty()) {
                throw new ImportFailure(label + ": expected an output");
            }
            Affine matMul = pendingMatMul;
            pendingMatMul = null;
            long[] dims = activations.get(head);
            switch (op) {
                case "Conv" -> conv(node, label, inputs, dims);
                case "Gemm" -> gemm(node, label, inputs, dims);
                case "MatMul" -> matMul(node, label, inputs, dims);
                case "AveragePool" -> averagePool(node, label, dims, false);
                case "GlobalAveragePool" -> averagePool(node, label, dims, true);
                case "Pad" -> pad(node, label, inputs, dims);
                case "BatchNormalization" -> batchNorm(node, label, inputs, dims);
                case "Flatten" -> reshapeTo(node, label, dims,
                        ConstantFolder.flattenDims(label, dims, Protos.intAttribute(node, "axis", 1)));
                case "Reshape" -> reshapeTo(node, label, dims, ConstantFolder.reshapeDims(label, dims,
                        reshapeTarget(node, label, inputs), Protos.intAttribute(node, "allowzero", 0) != 0));
                case "Squeeze" -> reshapeTo(node, label, dims,
                        ConstantFolder.squeezeDims(label, dims, axesArgument(node, inputs)));
                case "Unsqueeze" -> reshapeTo(node, label, dims,
                        ConstantFolder.unsqueezeDims(label, dims, axesArgument(node, inputs)));
                case "Transpose" -> transpose(node, label, dims);
                case "Identity" -> alias(node, dims);
                case "Dropout" -> dropout(node, dims);
                case "Mul" -> multiply(node, label, inputs, dims);
                case "Pow" -> power(node, label, inputs, dims);
                case "Div" -> divide(node, label, inputs, dims);
                case "Add", "Sub" -> addOrSubtract(node, label, inputs, dims, matMul);
                case "Neg" -> elementwise(node, label, dims, Tensor.scalar(-1), null, null);
                case "Softmax", "LogSoftmax", "Sigmoid" -> finalOperation(node, label, dims);
                default -> throw unsupported(node, label);
            }
        }

        private void putConstant(NodeProto node, String label, Tensor value) {
            if (node.getOutputCount() < 1 || node.getOutput(0).isEmpty()) {
                throw new ImportFailure(label + ": expected an output");
            }
            constants.put(node.getOutput(0), value);
        }

        private ImportFailure unsupported(NodeProto node, String label) {
            String op = node.getOpType();
            String advice;
            if (op.equals("Softmax") || op.equals("LogSoftmax")) {
                advice = "a CryptoNet leaves " + op + " to the data owner: it is allowed only as the graph's last "
                        + "operation, where it is dropped (the class with the largest score is unchanged)";
            } else if (ACTIVATIONS.contains(op)) {
                advice = ACTIVATION_ADVICE;
            } else if (MAX_POOLS.contains(op)) {
                advice = POOL_ADVICE;
            } else if (NORMALIZATIONS.contains(op)) {
                advice = "it divides by statistics of the data, which a CryptoNet cannot compute on encrypted values: "
                        + "use BatchNormalization (fixed statistics, folded into the linear layers) or none and retrain";
            } else if (op.equals("Resize") || op.equals("Upsample")) {
                advice = "a CryptoNet resizes nothing inside the network: resize the images before encrypting them";
            } else {
                advice = SUPPORTED;
            }
            return new ImportFailure(label + " is not supported: " + advice);
        }

        // --- helpers ---

        private void emit(NodeProto node, FloatNetwork.Layer layer, long[] outDims) {
            if (layer instanceof Affine affine) {
                totalWeights += affine.nonZeros();
                if (totalWeights > MAX_TOTAL_WEIGHTS) {
                    throw new ImportFailure("node \"" + layer.name() + "\": the network holds more than "
                            + MAX_TOTAL_WEIGHTS + " weights: expected a smaller network");
                }
            }
            layers.add(layer);
            advance(node, outDims);
        }

        private void advance(NodeProto node, long[] outDims) {
            head = node.getOutput(0);
            activations.put(head, outDims);
        }

        private static TensorShape shapeOf(long[] dims) {
            // batch first (always 1); the rest is C x H x W, with trailing axes merged into W
            int rank = dims.length;
            if (rank <= 1) {
                return TensorShape.flat(1);
            }
            if (rank == 2) {
                return TensorShape.flat((int) dims[1]);
            }
            if (rank == 3) {
                return new TensorShape((int) dims[1], (int) dims[2], 1);
            }
            long width = 1;
            for (int k = 3; k < rank; k++) {
                width *= dims[k];
            }
            return new TensorShape((int) dims[1], (int) dims[2], (int) width);
        }

        private static void checkActivation(long[] dims, String what) {
            long size = 1;
            for (long d : dims) {
                if (d < 1) {
                    throw new ImportFailure(what + ": empty tensor " + Arrays.toString(dims));
                }
                size *= d;
                if (size > MAX_ACTIVATION_VALUES) {
                    throw new ImportFailure(what + ": tensor " + Arrays.toString(dims) + " has more than "
                            + MAX_ACTIVATION_VALUES + " values: expected a smaller network");
                }
            }
        }

        private long[] checkedOutput(String label, long[] dims) {
            checkActivation(dims, label);
            if (dims.length < 2 || dims[0] != 1) {
                throw new ImportFailure(label + ": the result " + Arrays.toString(dims)
                        + " does not keep the batch axis first: expected [1, ...]");
            }
            return dims;
        }

        private static void checkRank4(String label, long[] dims) {
            if (dims.length != 4) {
                throw new ImportFailure(label + ": expected a 4-d input [N, C, H, W], found " + Arrays.toString(dims));
            }
        }

        private Tensor constantInput(NodeProto node, String label, List<Tensor> inputs, int index, String role) {
            if (index >= node.getInputCount() || node.getInput(index).isEmpty()) {
                throw new ImportFailure(label + ": expected the " + role + " as input " + (index + 1) + ", found none");
            }
            Tensor t = inputs.get(index);
            if (t == null) {
                throw new ImportFailure(label + " is not supported: its " + role + " \"" + node.getInput(index)
                        + "\" is computed from the image; a CryptoNet multiplies encrypted values only by fixed weights");
            }
            return t;
        }

        private Tensor optionalConstant(NodeProto node, String label, List<Tensor> inputs, int index, String role) {
            if (index >= node.getInputCount() || node.getInput(index).isEmpty()) {
                return null;
            }
            return constantInput(node, label, inputs, index, role);
        }

        private static int[] intPair(String label, long[] values, String what, long fallback) {
            if (values == null) {
                return new int[] {(int) fallback, (int) fallback};
            }
            if (values.length != 2) {
                throw new ImportFailure(label + ": expected two " + what + " (2-d), found " + Arrays.toString(values));
            }
            return new int[] {checkedInt(label, values[0], what), checkedInt(label, values[1], what)};
        }

        private static int checkedInt(String label, long value, String what) {
            if (value < 0 || value > MAX_ACTIVATION_VALUES) {
                throw new ImportFailure(label + ": invalid " + what + " " + value);
            }
            return (int) value;
        }

        /** ONNX pads {h_begin, w_begin, h_end, w_end} as FloatNetwork's {top, left, bottom, right}. */
        private static int[] pads(NodeProto node, String label) {
            long[] pads = Protos.intsAttribute(node, "pads");
            if (pads == null) {
                return new int[4];
            }
            if (pads.length != 4) {
                throw new ImportFailure(label + ": expected four pads (2-d), found " + Arrays.toString(pads));
            }
            int[] out = new int[4];
            for (int k = 0; k < 4; k++) {
                if (pads[k] < 0 || pads[k] > 4096) {
                    throw new ImportFailure(label + ": pads " + Arrays.toString(pads) + ": expected 0 to 4096");
                }
                out[k] = (int) pads[k];
            }
            return out;
        }

        private static void checkAutoPad(NodeProto node, String label, int[] pads) {
            String autoPad = Protos.stringAttribute(node, "auto_pad", "NOTSET");
            if (autoPad.equals("VALID") && Arrays.stream(pads).allMatch(p -> p == 0)) {
                return;
            }
            if (!autoPad.equals("NOTSET")) {
                throw new ImportFailure(label + " is not supported: auto_pad " + autoPad
                        + ": expected explicit pads (auto_pad NOTSET), as PyTorch exports them");
            }
        }

        private static void checkDilations(NodeProto node, String label) {
            long[] dilations = Protos.intsAttribute(node, "dilations");
            if (dilations != null && Arrays.stream(dilations).anyMatch(d -> d != 1)) {
                throw new ImportFailure(label + " is not supported: dilations " + Arrays.toString(dilations)
                        + ": a CryptoNet uses ordinary (dilation 1) windows; set dilation=1 and retrain");
            }
        }

        private static int outputSize(String label, long in, int padSum, int kernel, int stride) {
            long span = in + padSum - kernel;
            if (span < 0) {
                throw new ImportFailure(label + ": kernel " + kernel + " is larger than the padded input " + (in + padSum));
            }
            return (int) (span / stride + 1);
        }

        private void checkWeights(String label, long weights) {
            if (weights > Affine.MAX_NONZEROS) {
                throw new ImportFailure(label + ": the layer would hold up to " + weights + " weights, above the limit of "
                        + Affine.MAX_NONZEROS + ": expected a smaller layer");
            }
            if (totalWeights + weights > MAX_TOTAL_WEIGHTS) {
                throw new ImportFailure(label + ": the network would hold more than " + MAX_TOTAL_WEIGHTS
                        + " weights: expected a smaller network");
            }
        }

        private static double[] finite(String label, Tensor t, String role) {
            double[] v = t.asDoubles();
            for (int k = 0; k < v.length; k++) {
                if (!Double.isFinite(v[k])) {
                    throw new ImportFailure(label + ": the " + role + " holds a non-finite value (" + v[k] + ") at "
                            + k);
                }
            }
            return v;
        }

        // --- operators ---

        private void conv(NodeProto node, String label, List<Tensor> inputs, long[] dims) {
            checkRank4(label, dims);
            long group = Protos.intAttribute(node, "group", 1);
            if (group != 1) {
                throw new ImportFailure(label + " is not supported: grouped convolution (group " + group
                        + "): a CryptoNet uses ordinary convolutions (group 1); set groups=1 and retrain");
            }
            checkDilations(node, label);
            Tensor w = constantInput(node, label, inputs, 1, "weight");
            Tensor b = optionalConstant(node, label, inputs, 2, "bias");
            if (w.rank() != 4) {
                throw new ImportFailure(label + " is not supported: weight of shape " + Arrays.toString(w.dims)
                        + ": expected a 2-d convolution, [M, C, kH, kW]");
            }
            int outChannels = (int) w.dims[0];
            if (w.dims[1] != dims[1]) {
                throw new ImportFailure(label + ": weight \"" + node.getInput(1) + "\" of shape " + Arrays.toString(w.dims)
                        + " expects " + w.dims[1] + " input channels but the input " + Arrays.toString(dims) + " has "
                        + dims[1]);
            }
            int kernelH = (int) w.dims[2];
            int kernelW = (int) w.dims[3];
            long[] kernelShape = Protos.intsAttribute(node, "kernel_shape");
            if (kernelShape != null && !Arrays.equals(kernelShape, new long[] {kernelH, kernelW})) {
                throw new ImportFailure(label + ": kernel_shape " + Arrays.toString(kernelShape)
                        + " differs from the weight's " + kernelH + "x" + kernelW);
            }
            if (outChannels < 1 || kernelH < 1 || kernelW < 1) {
                throw new ImportFailure(label + ": empty weight of shape " + Arrays.toString(w.dims));
            }
            if (b != null && b.size() != outChannels) {
                throw new ImportFailure(label + ": bias \"" + node.getInput(2) + "\" has " + b.size() + " values: expected "
                        + outChannels + ", one per output channel");
            }
            int[] strides = intPair(label, Protos.intsAttribute(node, "strides"), "strides", 1);
            if (strides[0] < 1 || strides[1] < 1) {
                throw new ImportFailure(label + ": strides must be at least 1");
            }
            int[] pads = pads(node, label);
            checkAutoPad(node, label, pads);
            int outH = outputSize(label, dims[2], pads[0] + pads[2], kernelH, strides[0]);
            int outW = outputSize(label, dims[3], pads[1] + pads[3], kernelW, strides[1]);
            long[] outDims = checkedOutput(label, new long[] {1, outChannels, outH, outW});
            checkWeights(label, (long) outChannels * outH * outW * dims[1] * kernelH * kernelW);
            Affine layer = Affine.conv2d(layerName(node, layers.size()), shapeOf(dims), outChannels, kernelH, kernelW,
                    strides[0], strides[1], pads, finite(label, w, "weight"), b == null ? null : finite(label, b, "bias"));
            emit(node, layer, outDims);
        }

        private void gemm(NodeProto node, String label, List<Tensor> inputs, long[] dims) {
            if (node.getInputCount() < 2 || !node.getInput(0).equals(head)) {
                throw new ImportFailure(label + " is not supported: the image must be the first operand (A) and the "
                        + "weights the second (B)");
            }
            if (Protos.intAttribute(node, "transA", 0) != 0) {
                throw new ImportFailure(label + " is not supported: transA 1: expected the input as a row (transA 0)");
            }
            if (dims.length != 2) {
                throw new ImportFailure(label + ": expected a 2-d input [N, K], found " + Arrays.toString(dims)
                        + " (flatten it first)");
            }
            Tensor bTensor = constantInput(node, label, inputs, 1, "weight");
            Tensor c = optionalConstant(node, label, inputs, 2, "bias");
            boolean transB = Protos.intAttribute(node, "transB", 0) != 0;
            double alpha = Protos.floatAttribute(node, "alpha", 1);
            double beta = Protos.floatAttribute(node, "beta", 1);
            int inputs2 = (int) dims[1];
            if (bTensor.rank() != 2) {
                throw new ImportFailure(label + ": weight \"" + node.getInput(1) + "\" has shape "
                        + Arrays.toString(bTensor.dims) + ": expected a matrix");
            }
            long k = transB ? bTensor.dims[1] : bTensor.dims[0];
            int outputs = (int) (transB ? bTensor.dims[0] : bTensor.dims[1]);
            if (k != inputs2 || outputs < 1) {
                throw new ImportFailure(label + ": weight \"" + node.getInput(1) + "\" is " + bTensor.dims[0] + "x"
                        + bTensor.dims[1] + " (transB " + (transB ? 1 : 0) + ") but the input has " + inputs2
                        + " values: expected " + (transB ? "Mx" + inputs2 : inputs2 + "xM"));
            }
            checkWeights(label, (long) outputs * inputs2);
            double[] b = finite(label, bTensor, "weight");
            double[] weights = new double[outputs * inputs2];
            for (int o = 0; o < outputs; o++) {
                for (int i = 0; i < inputs2; i++) {
                    weights[o * inputs2 + i] = alpha * (transB ? b[o * inputs2 + i] : b[i * outputs + o]);
                }
            }
            double[] bias = null;
            if (c != null) {
                bias = new double[outputs];
                double[] cv = finite(label, c, "bias");
                if (cv.length == 1) {
                    Arrays.fill(bias, beta * cv[0]);
                } else if (cv.length == outputs && c.dims[c.rank() - 1] == outputs) {
                    for (int o = 0; o < outputs; o++) {
                        bias[o] = beta * cv[o];
                    }
                } else {
                    throw new ImportFailure(label + ": bias \"" + node.getInput(2) + "\" has shape "
                            + Arrays.toString(c.dims) + ": expected " + outputs + " values");
                }
            }
            Affine layer = Affine.dense(layerName(node, layers.size()), shapeOf(dims), outputs, weights, bias);
            emit(node, layer, checkedOutput(label, new long[] {1, outputs}));
        }

        private void matMul(NodeProto node, String label, List<Tensor> inputs, long[] dims) {
            if (!node.getInput(0).equals(head) || node.getInputCount() != 2) {
                throw new ImportFailure(label + " is not supported: the image must be the first operand and a constant "
                        + "weight matrix the second");
            }
            Tensor w = constantInput(node, label, inputs, 1, "weight");
            if (w.rank() != 2) {
                throw new ImportFailure(label + " is not supported: weight \"" + node.getInput(1) + "\" has shape "
                        + Arrays.toString(w.dims) + ": expected a matrix [K, M]");
            }
            int k = (int) dims[dims.length - 1];
            if (dims.length < 2 || w.dims[0] != k || w.dims[1] < 1) {
                throw new ImportFailure(label + ": weight \"" + node.getInput(1) + "\" is " + w.dims[0] + "x" + w.dims[1]
                        + " but the input " + Arrays.toString(dims) + " has " + k + " values on its last axis");
            }
            int m = (int) w.dims[1];
            long[] outDims = dims.clone();
            outDims[outDims.length - 1] = m;
            checkedOutput(label, outDims);
            long rows = ConstantFolder.product(dims) / k;
            checkWeights(label, rows * k * m);
            double[] wv = finite(label, w, "weight");
            String name = layerName(node, layers.size());
            Affine layer;
            if (rows == 1) {
                double[] weights = new double[m * k];
                for (int o = 0; o < m; o++) {
                    for (int i = 0; i < k; i++) {
                        weights[o * k + i] = wv[i * m + o];
                    }
                }
                layer = Affine.dense(name, shapeOf(dims), m, weights, null);
            } else {
                // the same matrix applied to every row of the leading axes: block diagonal
                int rowsI = (int) rows;
                int[] rowStart = new int[rowsI * m + 1];
                int count = 0;
                int[] nonZerosPerRow = new int[m];
                for (int o = 0; o < m; o++) {
                    for (int i = 0; i < k; i++) {
                        if (wv[i * m + o] != 0) {
                            nonZerosPerRow[o]++;
                        }
                    }
                    count += nonZerosPerRow[o];
                }
                int[] columns = new int[Math.multiplyExact(count, rowsI)];
                double[] values = new double[columns.length];
                int pos = 0;
                int row = 0;
                for (int r = 0; r < rowsI; r++) {
                    for (int o = 0; o < m; o++) {
                        for (int i = 0; i < k; i++) {
                            double v = wv[i * m + o];
                            if (v != 0) {
                                columns[pos] = r * k + i;
                                values[pos++] = v;
                            }
                        }
                        rowStart[++row] = pos;
                    }
                }
                layer = Affine.sparse(name, shapeOf(dims), shapeOf(outDims), rowStart, columns, values,
                        new double[rowsI * m]);
            }
            emit(node, layer, outDims);
            pendingMatMul = layer;
        }

        private void averagePool(NodeProto node, String label, long[] dims, boolean global) {
            checkRank4(label, dims);
            int kernelH;
            int kernelW;
            int[] strides;
            int[] pads;
            boolean countIncludePad;
            if (global) {
                kernelH = (int) dims[2];
                kernelW = (int) dims[3];
                strides = new int[] {1, 1};
                pads = new int[4];
                countIncludePad = true;
            } else {
                long[] kernel = Protos.intsAttribute(node, "kernel_shape");
                if (kernel == null) {
                    throw new ImportFailure(label + ": expected a kernel_shape attribute");
                }
                int[] k = intPair(label, kernel, "kernel_shape", 1);
                kernelH = k[0];
                kernelW = k[1];
                strides = intPair(label, Protos.intsAttribute(node, "strides"), "strides", 1);
                pads = pads(node, label);
                checkAutoPad(node, label, pads);
                checkDilations(node, label);
                if (Protos.intAttribute(node, "ceil_mode", 0) != 0) {
                    throw new ImportFailure(label + " is not supported: ceil_mode 1: expected ceil_mode 0 (floor), "
                            + "PyTorch's default");
                }
                countIncludePad = Protos.intAttribute(node, "count_include_pad", 0) != 0;
                if (kernelH < 1 || kernelW < 1 || strides[0] < 1 || strides[1] < 1) {
                    throw new ImportFailure(label + ": kernel and strides must be at least 1");
                }
            }
            int outH = outputSize(label, dims[2], pads[0] + pads[2], kernelH, strides[0]);
            int outW = outputSize(label, dims[3], pads[1] + pads[3], kernelW, strides[1]);
            long[] outDims = checkedOutput(label, new long[] {1, dims[1], outH, outW});
            checkWeights(label, dims[1] * outH * outW * kernelH * kernelW);
            Affine layer = Affine.averagePool(layerName(node, layers.size()), shapeOf(dims), kernelH, kernelW,
                    strides[0], strides[1], pads, countIncludePad);
            emit(node, layer, outDims);
        }

        private void pad(NodeProto node, String label, List<Tensor> inputs, long[] dims) {
            String mode = Protos.stringAttribute(node, "mode", "constant");
            if (!mode.equals("constant")) {
                throw new ImportFailure(label + " is not supported: mode " + mode
                        + ": a CryptoNet pads with zeros (mode constant, value 0)");
            }
            long[] pads;
            double value;
            long[] axes = null;
            if (opset < 11) {
                pads = Protos.intsAttribute(node, "pads");
                if (pads == null) {
                    throw new ImportFailure(label + ": expected a pads attribute");
                }
                value = Protos.floatAttribute(node, "value", 0);
            } else {
                Tensor p = constantInput(node, label, inputs, 1, "pads");
                if (p.isFloat() || p.rank() != 1) {
                    throw new ImportFailure(label + ": expected 1-d integer pads, found a " + p.describe());
                }
                pads = p.ints;
                Tensor v = optionalConstant(node, label, inputs, 2, "padding value");
                if (v != null && v.size() != 1) {
                    throw new ImportFailure(label + ": expected a single padding value, found " + v.size());
                }
                value = v == null ? 0 : v.number(0);
                Tensor a = optionalConstant(node, label, inputs, 3, "axes");
                axes = a == null ? null : a.asLongs();
            }
            if (value != 0) {
                throw new ImportFailure(label + " is not supported: padding value " + value
                        + ": a CryptoNet pads with zeros");
            }
            int rank = dims.length;
            long[] full = new long[2 * rank];
            if (axes == null) {
                if (pads.length != 2 * rank) {
                    throw new ImportFailure(label + ": expected " + 2 * rank + " pads for a " + rank + "-d input, found "
                            + Arrays.toString(pads));
                }
                full = pads;
            } else {
                if (pads.length != 2 * axes.length) {
                    throw new ImportFailure(label + ": expected " + 2 * axes.length + " pads, found " + pads.length);
                }
                for (int i = 0; i < axes.length; i++) {
                    int axis = ConstantFolder.normalizeAxis(axes[i], rank, label);
                    full[axis] = pads[i];
                    full[axis + rank] = pads[i + axes.length];
                }
            }
            if (Arrays.stream(full).allMatch(p -> p == 0)) {
                alias(node, dims);
                return;
            }
            checkRank4(label, dims);
            if (full[0] != 0 || full[1] != 0 || full[4] != 0 || full[5] != 0) {
                throw new ImportFailure(label + " is not supported: pads " + Arrays.toString(full)
                        + " pad the batch or channel axis: expected padding of height and width only");
            }
            int[] p = new int[4];
            long[] hw = {full[2], full[3], full[6], full[7]};
            for (int k = 0; k < 4; k++) {
                if (hw[k] < 0 || hw[k] > 4096) {
                    throw new ImportFailure(label + " is not supported: pads " + Arrays.toString(full)
                            + ": expected 0 to 4096 (negative pads crop)");
                }
                p[k] = (int) hw[k];
            }
            long[] outDims = checkedOutput(label, new long[] {1, dims[1], dims[2] + p[0] + p[2], dims[3] + p[1] + p[3]});
            checkWeights(label, ConstantFolder.product(outDims));
            emit(node, Affine.pad(layerName(node, layers.size()), shapeOf(dims), p), outDims);
        }

        private void batchNorm(NodeProto node, String label, List<Tensor> inputs, long[] dims) {
            if (Protos.intAttribute(node, "spatial", 1) != 1) {
                throw new ImportFailure(label + " is not supported: spatial 0: expected per-channel statistics");
            }
            if (dims.length < 2) {
                throw new ImportFailure(label + ": expected an input with a channel axis");
            }
            int channels = (int) dims[1];
            double[] scale = channelValues(node, label, inputs, 1, "scale", channels);
            double[] bias = channelValues(node, label, inputs, 2, "bias", channels);
            double[] mean = channelValues(node, label, inputs, 3, "mean", channels);
            double[] variance = channelValues(node, label, inputs, 4, "variance", channels);
            double epsilon = Protos.floatAttribute(node, "epsilon", 1e-5);
            double[] a = new double[channels];
            double[] b = new double[channels];
            for (int c = 0; c < channels; c++) {
                if (variance[c] + epsilon <= 0) {
                    throw new ImportFailure(label + ": variance " + variance[c] + " plus epsilon " + epsilon
                            + " is not positive for channel " + c);
                }
                a[c] = scale[c] / Math.sqrt(variance[c] + epsilon);
                b[c] = bias[c] - mean[c] * a[c];
            }
            checkWeights(label, ConstantFolder.product(dims));
            emit(node, Affine.channelAffine(layerName(node, layers.size()), shapeOf(dims), a, b), dims);
        }

        private double[] channelValues(NodeProto node, String label, List<Tensor> inputs, int index, String role,
                int channels) {
            Tensor t = constantInput(node, label, inputs, index, role);
            if (t.size() != channels) {
                throw new ImportFailure(label + ": " + role + " \"" + node.getInput(index) + "\" has " + t.size()
                        + " values: expected " + channels + ", one per channel");
            }
            return finite(label, t, role);
        }

        private long[] reshapeTarget(NodeProto node, String label, List<Tensor> inputs) {
            if (opset < 5) {
                long[] shape = Protos.intsAttribute(node, "shape");
                if (shape == null) {
                    throw new ImportFailure(label + ": expected a shape attribute");
                }
                return shape;
            }
            Tensor shape = constantInput(node, label, inputs, 1, "target shape");
            if (shape.isFloat() || shape.rank() != 1) {
                throw new ImportFailure(label + ": expected a 1-d integer target shape, found a " + shape.describe());
            }
            return shape.ints;
        }

        private long[] axesArgument(NodeProto node, List<Tensor> inputs) {
            if (opset >= 13) {
                return inputs.size() > 1 && inputs.get(1) != null ? inputs.get(1).asLongs() : null;
            }
            return Protos.intsAttribute(node, "axes");
        }

        private void reshapeTo(NodeProto node, String label, long[] dims, long[] outDims) {
            checkedOutput(label, outDims);
            if (Arrays.equals(dims, outDims)) {
                alias(node, dims);
                return;
            }
            checkWeights(label, ConstantFolder.product(dims));
            emit(node, Affine.reshape(layerName(node, layers.size()), shapeOf(dims), shapeOf(outDims)), outDims);
        }

        private void transpose(NodeProto node, String label, long[] dims) {
            int[] perm = ConstantFolder.permutation(label, dims.length, Protos.intsAttribute(node, "perm"));
            long[] outDims = new long[dims.length];
            for (int k = 0; k < dims.length; k++) {
                outDims[k] = dims[perm[k]];
            }
            checkedOutput(label, outDims);
            checkWeights(label, ConstantFolder.product(dims));
            int[] sources = ConstantFolder.transposeSources(dims, perm);
            int n = sources.length;
            int[] rowStart = new int[n + 1];
            double[] values = new double[n];
            for (int k = 0; k < n; k++) {
                rowStart[k + 1] = k + 1;
                values[k] = 1;
            }
            emit(node, Affine.sparse(layerName(node, layers.size()), shapeOf(dims), shapeOf(outDims), rowStart, sources,
                    values, new double[n]), outDims);
        }

        private void alias(NodeProto node, long[] dims) {
            advance(node, dims);
        }

        /** Dropout at inference passes its input through; nothing may read its mask output. */
        private void dropout(NodeProto node, long[] dims) {
            alias(node, dims);
        }

        /** The constant operand of a binary operator whose other operand is the head. */
        private Tensor otherOperand(NodeProto node, String label, List<Tensor> inputs) {
            if (node.getInputCount() != 2) {
                throw new ImportFailure(label + ": expected two inputs");
            }
            int other = node.getInput(0).equals(head) ? 1 : 0;
            return constantInput(node, label, inputs, other, "operand");
        }

        private void multiply(NodeProto node, String label, List<Tensor> inputs, long[] dims) {
            if (node.getInputCount() == 2 && node.getInput(0).equals(head) && node.getInput(1).equals(head)) {
                emit(node, new FloatNetwork.Square(layerName(node, layers.size()), shapeOf(dims)), dims);
                return;
            }
            Tensor c = otherOperand(node, label, inputs);
            elementwise(node, label, dims, c, null, null);
        }

        private void power(NodeProto node, String label, List<Tensor> inputs, long[] dims) {
            if (node.getInputCount() != 2 || !node.getInput(0).equals(head)) {
                throw new ImportFailure(label + " is not supported: a constant raised to a power of the image; "
                        + SUPPORTED);
            }
            Tensor exponent = constantInput(node, label, inputs, 1, "exponent");
            double[] e = exponent.asDoubles();
            boolean allTwo = e.length > 0 && Arrays.stream(e).allMatch(x -> x == 2);
            boolean allOne = e.length > 0 && Arrays.stream(e).allMatch(x -> x == 1);
            if (allOne) {
                alias(node, dims);
                return;
            }
            if (!allTwo) {
                throw new ImportFailure(label + " is not supported: exponent "
                        + (e.length == 1 ? fmt(e[0]) : Arrays.toString(e))
                        + ": a CryptoNet's activation is the square, Pow(x, 2) or Mul(x, x)");
            }
            emit(node, new FloatNetwork.Square(layerName(node, layers.size()), shapeOf(dims)), dims);
        }

        private void divide(NodeProto node, String label, List<Tensor> inputs, long[] dims) {
            if (node.getInputCount() != 2 || !node.getInput(0).equals(head) || node.getInput(1).equals(head)) {
                throw new ImportFailure(label + " is not supported: division by the image (or a value computed from "
                        + "it); a CryptoNet divides only by constants");
            }
            Tensor c = constantInput(node, label, inputs, 1, "divisor");
            double[] v = c.asDoubles();
            double[] inverse = new double[v.length];
            for (int k = 0; k < v.length; k++) {
                if (v[k] == 0 || !Double.isFinite(v[k])) {
                    throw new ImportFailure(label + ": division by " + v[k]);
                }
                inverse[k] = 1 / v[k];
            }
            elementwise(node, label, dims, Tensor.ofFloats(c.dims, inverse), null, null);
        }

        private void addOrSubtract(NodeProto node, String label, List<Tensor> inputs, long[] dims, Affine matMul) {
            boolean subtract = node.getOpType().equals("Sub");
            if (node.getInputCount() == 2 && node.getInput(0).equals(head) && node.getInput(1).equals(head)) {
                // x + x or x - x
                elementwise(node, label, dims, Tensor.scalar(subtract ? 0 : 2), null, null);
                return;
            }
            Tensor c = otherOperand(node, label, inputs);
            boolean headFirst = node.getInput(0).equals(head);
            double[] cv = c.asDoubles();
            Tensor shift = c;
            Tensor scale = null;
            if (subtract) {
                if (headFirst) {
                    double[] negated = new double[cv.length];
                    for (int k = 0; k < cv.length; k++) {
                        negated[k] = -cv[k];
                    }
                    shift = Tensor.ofFloats(c.dims, negated);
                } else {
                    scale = Tensor.scalar(-1); // c - x
                    shift = Tensor.ofFloats(c.dims, cv);
                }
            }
            elementwise(node, label, dims, scale, shift, matMul);
        }

        /**
         * out = scale * x + shift with constants broadcast to the activation's shape (null scale
         * means 1, null shift 0). A per-channel (or scalar) pair becomes a channel affine map,
         * anything else a diagonal one. A shift right after a MatMul joins it as its bias.
         */
        private void elementwise(NodeProto node, String label, long[] dims, Tensor scale, Tensor shift, Affine matMul) {
            int n = (int) ConstantFolder.product(dims);
            double[] a = scale == null ? null : broadcastTo(label, scale, dims, "scale");
            double[] b = shift == null ? null : broadcastTo(label, shift, dims, "shift");
            String name = layerName(node, layers.size());
            TensorShape shape = shapeOf(dims);
            checkWeights(label, n);
            if (matMul != null && a == null && b != null && layers.get(layers.size() - 1) == matMul) {
                // MatMul then Add of a constant: one dense layer with a bias
                Affine add = diagonal(name, shape, null, b);
                layers.set(layers.size() - 1, Affine.compose(matMul, add, matMul.name()));
                advance(node, dims);
                return;
            }
            int channels = shape.channels();
            int area = n / channels;
            if (isPerChannel(a, channels, area) && isPerChannel(b, channels, area)) {
                double[] sc = new double[channels];
                double[] sh = new double[channels];
                for (int c = 0; c < channels; c++) {
                    sc[c] = a == null ? 1 : a[c * area];
                    sh[c] = b == null ? 0 : b[c * area];
                }
                emit(node, Affine.channelAffine(name, shape, sc, sh), dims);
            } else {
                emit(node, diagonal(name, shape, a, b), dims);
            }
        }

        private static boolean isPerChannel(double[] values, int channels, int area) {
            if (values == null) {
                return true;
            }
            for (int c = 0; c < channels; c++) {
                for (int k = 1; k < area; k++) {
                    if (values[c * area + k] != values[c * area]) {
                        return false;
                    }
                }
            }
            return true;
        }

        private static Affine diagonal(String name, TensorShape shape, double[] a, double[] b) {
            int n = shape.size();
            int[] rowStart = new int[n + 1];
            int[] columns = new int[n];
            double[] values = new double[n];
            int pos = 0;
            for (int k = 0; k < n; k++) {
                double v = a == null ? 1 : a[k];
                if (v != 0) {
                    columns[pos] = k;
                    values[pos++] = v;
                }
                rowStart[k + 1] = pos;
            }
            return Affine.sparse(name, shape, shape, rowStart, Arrays.copyOf(columns, pos), Arrays.copyOf(values, pos),
                    b == null ? new double[n] : b);
        }

        private static double[] broadcastTo(String label, Tensor c, long[] dims, String role) {
            if (c.rank() > dims.length) {
                throw new ImportFailure(label + ": constant of shape " + Arrays.toString(c.dims)
                        + " has more axes than the input " + Arrays.toString(dims));
            }
            long[] out = ConstantFolder.broadcast(label, dims, c.dims);
            if (!Arrays.equals(out, dims)) {
                throw new ImportFailure(label + ": constant of shape " + Arrays.toString(c.dims)
                        + " would enlarge the input " + Arrays.toString(dims) + " to " + Arrays.toString(out));
            }
            double[] values = finite(label, c, role);
            int[] sources = ConstantFolder.broadcastSources(c.dims, dims);
            double[] result = new double[sources.length];
            for (int k = 0; k < sources.length; k++) {
                result[k] = values[sources[k]];
            }
            return result;
        }

        private void finalOperation(NodeProto node, String label, long[] dims) {
            if (!node.getOutput(0).equals(outputName)) {
                if (node.getOpType().equals("Sigmoid")) {
                    throw new ImportFailure(label + " is not supported: " + ACTIVATION_ADVICE);
                }
                throw unsupported(node, label);
            }
            if (!node.getOpType().equals("Sigmoid")) {
                // the scores keep their order only if the (log-)softmax covers all of them
                int rank = dims.length;
                long axis = Protos.intAttribute(node, "axis", opset >= 13 ? -1 : 1);
                int a = ConstantFolder.normalizeAxis(axis, rank, label);
                boolean coversAll = opset >= 13 ? a >= 1 : a <= 1;
                if (opset >= 13) {
                    for (int k = 1; k < a; k++) {
                        coversAll &= dims[k] == 1;
                    }
                }
                if (!coversAll) {
                    throw new ImportFailure(label + " is not supported: axis " + axis + " of " + Arrays.toString(dims)
                            + " does not cover all class scores: expected the scores as [N, K] and axis 1");
                }
            }
            finalDropped = node.getOutput(0);
        }

        private static String fmt(double v) {
            return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
        }
    }
}
