package org.cryptonets.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.cryptonets.onnx.proto.OnnxSubset.AttributeProto;
import org.cryptonets.onnx.proto.OnnxSubset.NodeProto;

/**
 * Internal: evaluates, at import, nodes whose inputs are all known constants (initializers,
 * Constant nodes, shapes of activations of static shape). Exporters compute padding amounts and
 * reshape targets this way; PyTorch 1.13, for instance, writes nn.ZeroPad2d as a Pad whose pads
 * come from a chain of Constant, ConstantOfShape, Concat, Reshape, Slice, Transpose and Cast.
 * Every result's size is checked against {@link Tensor#MAX_VALUES} before it is allocated.
 */
final class ConstantFolder {
    /** Operators this class evaluates. */
    static final Set<String> OPERATORS = Set.of("Constant", "ConstantOfShape", "Concat", "Reshape", "Slice", "Transpose",
            "Cast", "Shape", "Gather", "Unsqueeze", "Squeeze", "Identity", "Add", "Sub", "Mul", "Div", "Neg", "Pow",
            "Sqrt", "Flatten", "Range", "Expand");

    private ConstantFolder() {
    }

    /**
     * The outputs of {@code node} applied to {@code inputs} (null for an omitted optional input).
     *
     * @param label the node as messages name it, e.g. {@code node "/pad/Slice" (Slice)}
     * @throws ImportFailure for anything malformed or too large
     */
    static List<Tensor> fold(NodeProto node, String label, List<Tensor> inputs, int opset) {
        String op = node.getOpType();
        Tensor result = switch (op) {
            case "Constant" -> constant(node, label);
            case "ConstantOfShape" -> constantOfShape(node, label, required(inputs, 0, label));
            case "Concat" -> concat(label, inputs, Protos.intAttribute(node, "axis", 0));
            case "Reshape" -> reshape(label, required(inputs, 0, label),
                    shapeArgument(node, label, inputs, opset), Protos.intAttribute(node, "allowzero", 0) != 0);
            case "Flatten" -> flatten(label, required(inputs, 0, label), Protos.intAttribute(node, "axis", 1));
            case "Slice" -> slice(node, label, inputs, opset);
            case "Transpose" -> transpose(label, required(inputs, 0, label), Protos.intsAttribute(node, "perm"));
            case "Cast" -> cast(node, label, required(inputs, 0, label));
            case "Shape" -> shape(node, required(inputs, 0, label).dims);
            case "Gather" -> gather(label, required(inputs, 0, label), required(inputs, 1, label),
                    Protos.intAttribute(node, "axis", 0));
            case "Unsqueeze" -> unsqueeze(label, required(inputs, 0, label), axes(node, inputs, opset, 13));
            case "Squeeze" -> squeeze(label, required(inputs, 0, label), axes(node, inputs, opset, 13));
            case "Identity" -> required(inputs, 0, label);
            case "Add", "Sub", "Mul", "Div", "Pow" -> binary(op, label, required(inputs, 0, label),
                    required(inputs, 1, label));
            case "Neg" -> unary(label, required(inputs, 0, label), true);
            case "Sqrt" -> unary(label, required(inputs, 0, label), false);
            case "Range" -> range(label, required(inputs, 0, label), required(inputs, 1, label),
                    required(inputs, 2, label));
            case "Expand" -> expand(label, required(inputs, 0, label), required(inputs, 1, label));
            default -> throw new IllegalStateException("not a folded operator: " + op);
        };
        return List.of(result);
    }

    private static Tensor required(List<Tensor> inputs, int index, String label) {
        if (index >= inputs.size() || inputs.get(index) == null) {
            throw new ImportFailure(label + ": expected input " + (index + 1) + ", found none");
        }
        return inputs.get(index);
    }

    // --- shapes ---

    /** The axes of Squeeze/Unsqueeze/...: an attribute before {@code inputSince}, an input after. */
    private static long[] axes(NodeProto node, List<Tensor> inputs, int opset, int inputSince) {
        if (opset >= inputSince) {
            return inputs.size() > 1 && inputs.get(1) != null ? inputs.get(1).asLongs() : null;
        }
        return Protos.intsAttribute(node, "axes");
    }

    private static long[] shapeArgument(NodeProto node, String label, List<Tensor> inputs, int opset) {
        if (opset < 5) {
            long[] shape = Protos.intsAttribute(node, "shape");
            if (shape == null) {
                throw new ImportFailure(label + ": expected a shape attribute");
            }
            return shape;
        }
        Tensor shape = required(inputs, 1, label);
        if (shape.isFloat() || shape.rank() != 1) {
            throw new ImportFailure(label + ": expected the target shape as a 1-d integer tensor, found a "
                    + shape.describe());
        }
        return shape.ints;
    }

    static int normalizeAxis(long axis, int rank, String label) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new ImportFailure(label + ": axis " + axis + " is out of range for rank " + rank);
        }
        return (int) a;
    }

    /** Target dimensions of a Reshape of a tensor of {@code dims} (0 copies, -1 infers). */
    static long[] reshapeDims(String label, long[] dims, long[] shape, boolean allowZero) {
        long total = 1;
        for (long d : dims) {
            total *= d;
        }
        long[] out = new long[shape.length];
        int infer = -1;
        long known = 1;
        for (int k = 0; k < shape.length; k++) {
            long s = shape[k];
            if (s == 0 && !allowZero) {
                if (k >= dims.length) {
                    throw new ImportFailure(label + ": shape " + Arrays.toString(shape) + " copies dimension " + k
                            + " of an input of rank " + dims.length);
                }
                s = dims[k];
            }
            if (s == -1) {
                if (infer >= 0) {
                    throw new ImportFailure(label + ": shape " + Arrays.toString(shape) + " has two -1 entries");
                }
                infer = k;
                continue;
            }
            if (s < 0 || s > Tensor.MAX_VALUES) {
                throw new ImportFailure(label + ": invalid shape " + Arrays.toString(shape));
            }
            out[k] = s;
            known *= s;
            if (known > Tensor.MAX_VALUES) {
                throw new ImportFailure(label + ": shape " + Arrays.toString(shape) + " has more than "
                        + Tensor.MAX_VALUES + " values");
            }
        }
        if (infer >= 0) {
            if (known == 0 || total % known != 0) {
                throw new ImportFailure(label + ": cannot reshape " + Arrays.toString(dims) + " to "
                        + Arrays.toString(shape));
            }
            out[infer] = total / known;
            known = total;
        }
        if (known != total) {
            throw new ImportFailure(label + ": cannot reshape " + Arrays.toString(dims) + " (" + total + " values) to "
                    + Arrays.toString(out) + " (" + known + " values)");
        }
        return out;
    }

    static long[] flattenDims(String label, long[] dims, long axis) {
        int a = axis == dims.length ? dims.length : normalizeAxis(axis, dims.length, label);
        long outer = 1;
        long inner = 1;
        for (int k = 0; k < dims.length; k++) {
            if (k < a) {
                outer *= dims[k];
            } else {
                inner *= dims[k];
            }
        }
        return new long[] {outer, inner};
    }

    static long[] unsqueezeDims(String label, long[] dims, long[] axes) {
        if (axes == null) {
            throw new ImportFailure(label + ": expected axes");
        }
        int rank = dims.length + axes.length;
        boolean[] inserted = new boolean[rank];
        for (long axis : axes) {
            int a = normalizeAxis(axis, rank, label);
            if (inserted[a]) {
                throw new ImportFailure(label + ": axis " + axis + " repeats");
            }
            inserted[a] = true;
        }
        long[] out = new long[rank];
        int next = 0;
        for (int k = 0; k < rank; k++) {
            out[k] = inserted[k] ? 1 : dims[next++];
        }
        return out;
    }

    static long[] squeezeDims(String label, long[] dims, long[] axes) {
        boolean[] removed = new boolean[dims.length];
        if (axes == null) {
            for (int k = 0; k < dims.length; k++) {
                removed[k] = dims[k] == 1;
            }
        } else {
            for (long axis : axes) {
                int a = normalizeAxis(axis, dims.length, label);
                if (dims[a] != 1) {
                    throw new ImportFailure(label + ": cannot squeeze axis " + axis + " of size " + dims[a]);
                }
                removed[a] = true;
            }
        }
        List<Long> out = new ArrayList<>();
        for (int k = 0; k < dims.length; k++) {
            if (!removed[k]) {
                out.add(dims[k]);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    static int[] permutation(String label, int rank, long[] perm) {
        int[] p = new int[rank];
        if (perm == null) {
            for (int k = 0; k < rank; k++) {
                p[k] = rank - 1 - k;
            }
            return p;
        }
        if (perm.length != rank) {
            throw new ImportFailure(label + ": permutation " + Arrays.toString(perm) + " for rank " + rank);
        }
        boolean[] seen = new boolean[rank];
        for (int k = 0; k < rank; k++) {
            if (perm[k] < 0 || perm[k] >= rank || seen[(int) perm[k]]) {
                throw new ImportFailure(label + ": invalid permutation " + Arrays.toString(perm));
            }
            seen[(int) perm[k]] = true;
            p[k] = (int) perm[k];
        }
        return p;
    }

    /** For each output position of a transpose, the input position it reads. */
    static int[] transposeSources(long[] dims, int[] perm) {
        int rank = dims.length;
        long[] outDims = new long[rank];
        for (int k = 0; k < rank; k++) {
            outDims[k] = dims[perm[k]];
        }
        long[] inStrides = strides(dims);
        int n = (int) product(dims);
        int[] sources = new int[n];
        int[] index = new int[rank];
        for (int o = 0; o < n; o++) {
            long src = 0;
            for (int k = 0; k < rank; k++) {
                src += index[k] * inStrides[perm[k]];
            }
            sources[o] = (int) src;
            for (int k = rank - 1; k >= 0; k--) {
                if (++index[k] < outDims[k]) {
                    break;
                }
                index[k] = 0;
            }
        }
        return sources;
    }

    static long[] strides(long[] dims) {
        long[] s = new long[dims.length];
        long stride = 1;
        for (int k = dims.length - 1; k >= 0; k--) {
            s[k] = stride;
            stride *= dims[k];
        }
        return s;
    }

    static long product(long[] dims) {
        long p = 1;
        for (long d : dims) {
            p *= d;
        }
        return p;
    }

    /**
     * Numpy-style broadcast of two shapes.
     *
     * @throws ImportFailure if they do not broadcast or the result is too large
     */
    static long[] broadcast(String label, long[] a, long[] b) {
        int rank = Math.max(a.length, b.length);
        long[] out = new long[rank];
        for (int k = 0; k < rank; k++) {
            long da = k - (rank - a.length) >= 0 ? a[k - (rank - a.length)] : 1;
            long db = k - (rank - b.length) >= 0 ? b[k - (rank - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new ImportFailure(label + ": shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " do not broadcast");
            }
            out[k] = da == 1 ? db : da;
        }
        Tensor.count(out, label + ": the result");
        return out;
    }

    /** For each position of a tensor of {@code outDims}, the position in {@code dims} broadcast to it. */
    static int[] broadcastSources(long[] dims, long[] outDims) {
        int rank = outDims.length;
        int offset = rank - dims.length;
        long[] inStrides = strides(dims);
        int n = (int) product(outDims);
        int[] sources = new int[n];
        int[] index = new int[rank];
        for (int o = 0; o < n; o++) {
            long src = 0;
            for (int k = offset; k < rank; k++) {
                if (dims[k - offset] != 1) {
                    src += index[k] * inStrides[k - offset];
                }
            }
            sources[o] = (int) src;
            for (int k = rank - 1; k >= 0; k--) {
                if (++index[k] < outDims[k]) {
                    break;
                }
                index[k] = 0;
            }
        }
        return sources;
    }

    // --- operators ---

    private static Tensor constant(NodeProto node, String label) {
        if (node.getAttributeCount() != 1) {
            throw new ImportFailure(label + ": expected exactly one value attribute, found "
                    + node.getAttributeCount());
        }
        AttributeProto a = node.getAttribute(0);
        switch (a.getName()) {
            case "value":
                return Protos.decode(a.getT(), label + " value");
            case "value_float":
                return Tensor.scalar(a.getF());
            case "value_int":
                return Tensor.ofInts(new long[0], new long[] {a.getI()});
            case "value_floats": {
                double[] v = new double[a.getFloatsCount()];
                for (int k = 0; k < v.length; k++) {
                    v[k] = a.getFloats(k);
                }
                return Tensor.ofFloats(new long[] {v.length}, v);
            }
            case "value_ints": {
                long[] v = new long[a.getIntsCount()];
                for (int k = 0; k < v.length; k++) {
                    v[k] = a.getInts(k);
                }
                return Tensor.ofInts(new long[] {v.length}, v);
            }
            default:
                throw new ImportFailure(label + ": attribute " + a.getName()
                        + " is not supported: expected value, value_float(s) or value_int(s)");
        }
    }

    private static Tensor constantOfShape(NodeProto node, String label, Tensor shape) {
        if (shape.isFloat() || shape.rank() != 1) {
            throw new ImportFailure(label + ": expected a 1-d integer shape, found a " + shape.describe());
        }
        long[] dims = shape.ints.clone();
        int n = Tensor.count(dims, label + ": the result");
        AttributeProto a = Protos.attribute(node, "value");
        Tensor value = a == null ? Tensor.scalar(0) : Protos.decode(a.getT(), label + " value");
        if (value.size() != 1) {
            throw new ImportFailure(label + ": expected a one-element value, found " + value.size() + " elements");
        }
        if (value.isFloat()) {
            double[] v = new double[n];
            Arrays.fill(v, value.floats[0]);
            return Tensor.ofFloats(dims, v);
        }
        long[] v = new long[n];
        Arrays.fill(v, value.ints[0]);
        return Tensor.ofInts(dims, v);
    }

    private static Tensor concat(String label, List<Tensor> inputs, long axis) {
        List<Tensor> parts = new ArrayList<>();
        for (Tensor t : inputs) {
            if (t != null) {
                parts.add(t);
            }
        }
        if (parts.isEmpty()) {
            throw new ImportFailure(label + ": expected at least one input");
        }
        Tensor first = parts.get(0);
        int rank = first.rank();
        int a = normalizeAxis(axis, rank, label);
        long[] dims = first.dims.clone();
        dims[a] = 0;
        for (Tensor t : parts) {
            if (t.rank() != rank || t.isFloat() != first.isFloat()) {
                throw new ImportFailure(label + ": cannot concatenate a " + first.describe() + " and a " + t.describe());
            }
            for (int k = 0; k < rank; k++) {
                if (k != a && t.dims[k] != first.dims[k]) {
                    throw new ImportFailure(label + ": cannot concatenate a " + first.describe() + " and a "
                            + t.describe());
                }
            }
            dims[a] += t.dims[a];
        }
        int n = Tensor.count(dims, label + ": the result");
        long outer = 1;
        for (int k = 0; k < a; k++) {
            outer *= dims[k];
        }
        double[] floats = first.isFloat() ? new double[n] : null;
        long[] ints = first.isFloat() ? null : new long[n];
        int pos = 0;
        for (long o = 0; o < outer; o++) {
            for (Tensor t : parts) {
                int block = (int) (t.size() / Math.max(outer, 1));
                int from = (int) (o * block);
                if (floats != null) {
                    System.arraycopy(t.floats, from, floats, pos, block);
                } else {
                    System.arraycopy(t.ints, from, ints, pos, block);
                }
                pos += block;
            }
        }
        return Tensor.like(first, dims, floats, ints);
    }

    private static Tensor reshape(String label, Tensor data, long[] shape, boolean allowZero) {
        return Tensor.like(data, reshapeDims(label, data.dims, shape, allowZero), data.floats, data.ints);
    }

    private static Tensor flatten(String label, Tensor data, long axis) {
        return Tensor.like(data, flattenDims(label, data.dims, axis), data.floats, data.ints);
    }

    private static Tensor slice(NodeProto node, String label, List<Tensor> inputs, int opset) {
        Tensor data = required(inputs, 0, label);
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps = null;
        if (opset < 10) {
            starts = Protos.intsAttribute(node, "starts");
            ends = Protos.intsAttribute(node, "ends");
            axes = Protos.intsAttribute(node, "axes");
            if (starts == null || ends == null) {
                throw new ImportFailure(label + ": expected starts and ends attributes");
            }
        } else {
            starts = required(inputs, 1, label).asLongs();
            ends = required(inputs, 2, label).asLongs();
            axes = inputs.size() > 3 && inputs.get(3) != null ? inputs.get(3).asLongs() : null;
            steps = inputs.size() > 4 && inputs.get(4) != null ? inputs.get(4).asLongs() : null;
        }
        int rank = data.rank();
        int count = starts.length;
        if (ends.length != count || (axes != null && axes.length != count) || (steps != null && steps.length != count)
                || count > rank) {
            throw new ImportFailure(label + ": starts, ends, axes and steps differ in length");
        }
        long[] begin = new long[rank];
        long[] step = new long[rank];
        long[] outDims = data.dims.clone();
        Arrays.fill(step, 1);
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < count; i++) {
            int axis = normalizeAxis(axes == null ? i : axes[i], rank, label);
            if (seen[axis]) {
                throw new ImportFailure(label + ": axis " + axis + " repeats");
            }
            seen[axis] = true;
            long dim = data.dims[axis];
            long s = steps == null ? 1 : steps[i];
            if (s == 0) {
                throw new ImportFailure(label + ": step 0");
            }
            long start = starts[i];
            long end = ends[i];
            if (start < 0) {
                start = start + dim;
            }
            if (end < 0) {
                end = end + dim;
            }
            long size;
            if (s > 0) {
                start = Math.max(0, Math.min(start, dim));
                end = Math.max(0, Math.min(end, dim));
                size = end > start ? (end - start + s - 1) / s : 0;
            } else {
                start = Math.max(0, Math.min(start, dim - 1));
                end = Math.max(-1, Math.min(end, dim - 1));
                size = start > end ? (start - end + (-s) - 1) / (-s) : 0;
            }
            begin[axis] = start;
            step[axis] = s;
            outDims[axis] = size;
        }
        int n = Tensor.count(outDims, label + ": the result");
        long[] inStrides = strides(data.dims);
        double[] floats = data.isFloat() ? new double[n] : null;
        long[] ints = data.isFloat() ? null : new long[n];
        int[] index = new int[rank];
        for (int o = 0; o < n; o++) {
            long src = 0;
            for (int k = 0; k < rank; k++) {
                src += (begin[k] + index[k] * step[k]) * inStrides[k];
            }
            if (floats != null) {
                floats[o] = data.floats[(int) src];
            } else {
                ints[o] = data.ints[(int) src];
            }
            for (int k = rank - 1; k >= 0; k--) {
                if (++index[k] < outDims[k]) {
                    break;
                }
                index[k] = 0;
            }
        }
        return Tensor.like(data, outDims, floats, ints);
    }

    private static Tensor transpose(String label, Tensor data, long[] perm) {
        int[] p = permutation(label, data.rank(), perm);
        long[] outDims = new long[p.length];
        for (int k = 0; k < p.length; k++) {
            outDims[k] = data.dims[p[k]];
        }
        int[] sources = transposeSources(data.dims, p);
        return gatherFlat(data, outDims, sources);
    }

    private static Tensor gatherFlat(Tensor data, long[] outDims, int[] sources) {
        if (data.isFloat()) {
            double[] v = new double[sources.length];
            for (int k = 0; k < v.length; k++) {
                v[k] = data.floats[sources[k]];
            }
            return Tensor.ofFloats(outDims, v);
        }
        long[] v = new long[sources.length];
        for (int k = 0; k < v.length; k++) {
            v[k] = data.ints[sources[k]];
        }
        return Tensor.ofInts(outDims, v);
    }

    private static Tensor cast(NodeProto node, String label, Tensor data) {
        int to = (int) Protos.intAttribute(node, "to", 0);
        if (Protos.isFloatType(to)) {
            double[] v = data.asDoubles();
            if (to == Protos.FLOAT) {
                v = v.clone();
                for (int k = 0; k < v.length; k++) {
                    v[k] = (float) v[k];
                }
            }
            return Tensor.ofFloats(data.dims, v);
        }
        if (Protos.isIntegerType(to)) {
            long[] v = data.asLongs().clone();
            if (to == Protos.BOOL) {
                for (int k = 0; k < v.length; k++) {
                    v[k] = v[k] != 0 ? 1 : 0;
                }
            }
            return Tensor.ofInts(data.dims, v);
        }
        throw new ImportFailure(label + ": cannot cast to " + Protos.typeName(to));
    }

    /** The Shape operator on a tensor of {@code dims} (with opset 15's start and end). */
    static Tensor shape(NodeProto node, long[] dims) {
        int rank = dims.length;
        long start = Protos.intAttribute(node, "start", 0);
        long end = Protos.intAttribute(node, "end", rank);
        start = Math.max(0, Math.min(rank, start < 0 ? start + rank : start));
        end = Math.max(0, Math.min(rank, end < 0 ? end + rank : end));
        long[] out = end > start ? Arrays.copyOfRange(dims, (int) start, (int) end) : new long[0];
        return Tensor.ofInts(new long[] {out.length}, out);
    }

    private static Tensor gather(String label, Tensor data, Tensor indices, long axis) {
        if (indices.isFloat()) {
            throw new ImportFailure(label + ": expected integer indices");
        }
        int a = normalizeAxis(axis, data.rank(), label);
        long[] outDims = new long[data.rank() - 1 + indices.rank()];
        int d = 0;
        for (int k = 0; k < a; k++) {
            outDims[d++] = data.dims[k];
        }
        for (long i : indices.dims) {
            outDims[d++] = i;
        }
        for (int k = a + 1; k < data.rank(); k++) {
            outDims[d++] = data.dims[k];
        }
        int n = Tensor.count(outDims, label + ": the result");
        long outer = 1;
        for (int k = 0; k < a; k++) {
            outer *= data.dims[k];
        }
        long inner = 1;
        for (int k = a + 1; k < data.rank(); k++) {
            inner *= data.dims[k];
        }
        long axisDim = data.dims[a];
        int[] sources = new int[n];
        int pos = 0;
        for (long o = 0; o < outer; o++) {
            for (int i = 0; i < indices.size(); i++) {
                long index = indices.ints[i];
                if (index < 0) {
                    index += axisDim;
                }
                if (index < 0 || index >= axisDim) {
                    throw new ImportFailure(label + ": index " + indices.ints[i] + " is out of range for size " + axisDim);
                }
                for (long j = 0; j < inner; j++) {
                    sources[pos++] = (int) ((o * axisDim + index) * inner + j);
                }
            }
        }
        return gatherFlat(data, outDims, sources);
    }

    private static Tensor unsqueeze(String label, Tensor data, long[] axes) {
        return Tensor.like(data, unsqueezeDims(label, data.dims, axes), data.floats, data.ints);
    }

    private static Tensor squeeze(String label, Tensor data, long[] axes) {
        return Tensor.like(data, squeezeDims(label, data.dims, axes), data.floats, data.ints);
    }

    private static Tensor binary(String op, String label, Tensor a, Tensor b) {
        long[] dims = broadcast(label, a.dims, b.dims);
        int[] sa = broadcastSources(a.dims, dims);
        int[] sb = broadcastSources(b.dims, dims);
        int n = sa.length;
        if (!a.isFloat() && !b.isFloat() && !op.equals("Pow")) {
            long[] v = new long[n];
            for (int k = 0; k < n; k++) {
                long x = a.ints[sa[k]];
                long y = b.ints[sb[k]];
                v[k] = switch (op) {
                    case "Add" -> x + y;
                    case "Sub" -> x - y;
                    case "Mul" -> x * y;
                    default -> {
                        if (y == 0) {
                            throw new ImportFailure(label + ": integer division by zero");
                        }
                        yield x / y;
                    }
                };
            }
            return Tensor.ofInts(dims, v);
        }
        double[] v = new double[n];
        for (int k = 0; k < n; k++) {
            double x = a.number(sa[k]);
            double y = b.number(sb[k]);
            v[k] = switch (op) {
                case "Add" -> x + y;
                case "Sub" -> x - y;
                case "Mul" -> x * y;
                case "Div" -> x / y;
                default -> Math.pow(x, y);
            };
        }
        if (!a.isFloat()) {
            long[] w = new long[n];
            for (int k = 0; k < n; k++) {
                w[k] = (long) v[k];
            }
            return Tensor.ofInts(dims, w);
        }
        return Tensor.ofFloats(dims, v);
    }

    private static Tensor unary(String label, Tensor a, boolean negate) {
        if (!a.isFloat()) {
            long[] v = new long[a.size()];
            for (int k = 0; k < v.length; k++) {
                v[k] = negate ? -a.ints[k] : (long) Math.sqrt(a.ints[k]);
            }
            return Tensor.ofInts(a.dims, v);
        }
        double[] v = new double[a.size()];
        for (int k = 0; k < v.length; k++) {
            v[k] = negate ? -a.floats[k] : Math.sqrt(a.floats[k]);
        }
        return Tensor.ofFloats(a.dims, v);
    }

    private static Tensor range(String label, Tensor start, Tensor limit, Tensor delta) {
        if (start.size() != 1 || limit.size() != 1 || delta.size() != 1) {
            throw new ImportFailure(label + ": expected scalar start, limit and delta");
        }
        double s = start.number(0);
        double l = limit.number(0);
        double d = delta.number(0);
        if (d == 0 || !Double.isFinite(s) || !Double.isFinite(l) || !Double.isFinite(d)) {
            throw new ImportFailure(label + ": invalid range " + s + " to " + l + " by " + d);
        }
        double count = Math.max(0, Math.ceil((l - s) / d));
        long[] dims = {(long) Math.min(count, Tensor.MAX_VALUES + 1.0)};
        int n = Tensor.count(dims, label + ": the result");
        if (start.isFloat()) {
            double[] v = new double[n];
            for (int k = 0; k < n; k++) {
                v[k] = s + k * d;
            }
            return Tensor.ofFloats(dims, v);
        }
        long[] v = new long[n];
        for (int k = 0; k < n; k++) {
            v[k] = start.ints[0] + k * delta.ints[0];
        }
        return Tensor.ofInts(dims, v);
    }

    private static Tensor expand(String label, Tensor data, Tensor shape) {
        if (shape.isFloat() || shape.rank() != 1) {
            throw new ImportFailure(label + ": expected a 1-d integer shape");
        }
        long[] dims = broadcast(label, data.dims, shape.ints);
        return gatherFlat(data, dims, broadcastSources(data.dims, dims));
    }
}
