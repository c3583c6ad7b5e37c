#!/usr/bin/python3
# Writes the ONNX test fixtures of the onnx module, each exported by PyTorch's own exporter.
#
#   command:  /usr/bin/python3 onnx/src/test/python/make_fixtures.py      (from the repository root)
#   output:   onnx/src/test/resources/org/cryptonets/onnx/<name>.onnx and <name>.expected.txt
#   seeds:    torch.manual_seed(1000 + k) before building fixture number k (weights);
#             torch.Generator().manual_seed(2016 + k) for its three test inputs
#   versions: torch 1.13 and onnx 1.12 (Debian python3-torch, python3-onnx); 1 CPU thread
#
# Every model is tiny (inputs such as 1x8x8) with random weights. For a model the importer must
# accept, <name>.expected.txt holds the input shape and, for three pseudo-random inputs in [0, 1],
# the input values and the logits PyTorch computes (float64 text of the float32 results). For a
# model that ends in Softmax, LogSoftmax or Sigmoid the expected logits are the scores before that
# last operation: the importer drops it (the class with the largest score is unchanged).
# For a model the importer must refuse, the file lists substrings the error message must contain.
#
# One fixture, dropout_identity, is edited after export with the onnx library: PyTorch writes
# Dropout only in a training-mode export and never an Identity on an activation, but other
# exporters write both; an Identity and an inference-style Dropout are inserted.
import os
import sys

import onnx
import onnx.helper
import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "org", "cryptonets", "onnx")
ACTIVATION_ADVICE = "replace ReLU or sigmoid by a square activation (x*x) and retrain"
POOL_ADVICE = "use average pooling (the scaled mean pool) instead and retrain"


class Square(nn.Module):
    def forward(self, x):
        return x * x


class PowSquare(nn.Module):
    def forward(self, x):
        return x.pow(2)


class Scores(nn.Module):
    """Wraps a network and a last operation that the importer drops."""

    def __init__(self, body, last):
        super().__init__()
        self.body = body
        self.last = last

    def forward(self, x):
        return self.last(self.body(x))


class ConvSquarePool(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 3, 3, padding=1)
        self.pool1 = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=True)
        self.conv2 = nn.Conv2d(3, 4, 3, stride=2)
        self.pool2 = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.fc = nn.Linear(4 * 3 * 3, 5)

    def forward(self, x):
        x = self.pool1(square(self.conv1(x)))
        x = self.pool2(self.conv2(x))
        return self.fc(torch.flatten(x, 1))


def square(x):
    return x * x


class ZeroPadConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.pad = nn.ZeroPad2d((1, 0, 1, 0))
        self.conv = nn.Conv2d(1, 2, 3, stride=2)
        self.fc = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        return self.fc(torch.flatten(square(self.conv(self.pad(x))), 1))


class BatchNormNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)
        self.bn = nn.BatchNorm2d(3)
        self.fc = nn.Linear(3 * 4 * 4, 4)
        self.bn1 = nn.BatchNorm1d(4)
        self.out = nn.Linear(4, 3)
        for bn in (self.bn, self.bn1):
            with torch.no_grad():
                bn.running_mean.uniform_(-0.5, 0.5)
                bn.running_var.uniform_(0.5, 2.0)
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        x = square(self.bn(self.conv(x)))
        return self.out(square(self.bn1(self.fc(x.view(x.size(0), -1)))))


class MatMulAdd(nn.Module):
    def __init__(self):
        super().__init__()
        self.rows = nn.Linear(6, 5)  # applied to a 3-d tensor: MatMul then Add
        self.weight = nn.Parameter(torch.randn(20, 3) * 0.3)
        self.bias = nn.Parameter(torch.randn(3) * 0.1)

    def forward(self, x):
        x = self.rows(x.reshape(-1, 4, 6))  # [N, 4, 5]
        x = square(x).reshape(-1, 20)
        return torch.matmul(x, self.weight) + self.bias


class PowNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.act = PowSquare()
        self.fc = nn.Linear(2 * 6 * 6, 4)

    def forward(self, x):
        return self.fc(torch.flatten(self.act(self.conv(x)), 1))


class DropoutNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.drop = nn.Dropout(0.25)
        self.fc = nn.Linear(2 * 6 * 6, 4)
        self.drop2 = nn.Dropout(0.5)
        self.out = nn.Linear(4, 3)

    def forward(self, x):
        x = self.drop(square(self.conv(x)))
        return self.out(self.drop2(square(self.fc(torch.flatten(x, 1)))))


class ThreeSquares(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, stride=2)
        self.pool = nn.AvgPool2d(2, stride=1)
        self.fc1 = nn.Linear(3 * 2 * 2, 8)
        self.fc2 = nn.Linear(8, 6)
        self.fc3 = nn.Linear(6, 4)

    def forward(self, x):
        x = self.pool(square(self.conv(x)))
        x = square(self.fc1(torch.flatten(x, 1)))
        return self.fc3(square(self.fc2(x)))


class ScalarAffine(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.shift = nn.Parameter(torch.randn(2, 1, 1) * 0.2)
        self.gain = nn.Parameter(torch.randn(1, 2, 1, 1) + 1.5)
        self.fc = nn.Linear(2 * 6 * 6, 3)

    def forward(self, x):
        x = self.conv(x) * 0.5 + self.shift
        x = square(x / 4.0 - 0.1)
        x = 1.0 - x * self.gain
        return self.fc(torch.flatten(x, 1))


class Refused(nn.Module):
    """conv -> op -> flatten -> linear, with op the construct the importer must refuse."""

    def __init__(self, op, flat):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.op = op
        self.fc = nn.Linear(flat, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.op(self.conv(x)), 1))


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3, padding=1)
        self.conv2 = nn.Conv2d(2, 2, 3, padding=1)
        self.fc = nn.Linear(2 * 8 * 8, 3)

    def forward(self, x):
        y = square(self.conv1(x))
        return self.fc(torch.flatten(y + self.conv2(y), 1))


class GroupConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3)
        self.conv2 = nn.Conv2d(2, 2, 3, groups=2)
        self.fc = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv2(square(self.conv1(x))), 1))


def export(model, shape, path, opset, batch_dynamic=True, height_dynamic=False, **kwargs):
    axes = {}
    if batch_dynamic:
        axes = {"image": {0: "batch"}, "scores": {0: "batch"}}
    if height_dynamic:
        axes["image"] = {0: "batch", 2: "height"}
    torch.onnx.export(model, torch.zeros(1, *shape), path, opset_version=opset, input_names=["image"],
                      output_names=["scores"], dynamic_axes=axes or None, **kwargs)


def number(value):
    return repr(float(value))


def write_expected(name, shape, body, index, note):
    generator = torch.Generator().manual_seed(2016 + index)
    inputs = torch.rand(3, *shape, generator=generator)
    body.eval()
    with torch.no_grad():
        logits = body(inputs)
    lines = ["# " + name + ".onnx: " + note, "# written by make_fixtures.py (torch " + torch.__version__
             + ", onnx " + onnx.__version__ + "); inputs from torch.Generator().manual_seed(" + str(2016 + index) + ")",
             "shape " + " ".join(str(d) for d in shape)]
    for k in range(3):
        lines.append("input " + " ".join(number(v) for v in inputs[k].flatten()))
        lines.append("logits " + " ".join(number(v) for v in logits[k].flatten()))
    with open(os.path.join(OUT, name + ".expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_refusal(name, note, substrings):
    lines = ["# " + name + ".onnx: " + note, "# written by make_fixtures.py; the import error must contain:"]
    lines += ["error " + s for s in substrings]
    with open(os.path.join(OUT, name + ".expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def node_named(path, op_type):
    """The name of the last node of that type (the one the importer refuses)."""
    nodes = [n for n in onnx.load(path).graph.node if n.op_type == op_type]
    if not nodes:
        sys.exit(path + ": expected a " + op_type + " node")
    return nodes[-1].name


def insert_identity_and_dropout(path):
    """Adds an Identity after the first Conv and an inference Dropout after the first Gemm (as
    exporters other than PyTorch's write them); values are unchanged."""
    model = onnx.load(path)
    graph = model.graph
    nodes = list(graph.node)
    edited = []
    done = set()
    for node in nodes:
        edited.append(node)
        if node.op_type in ("Conv", "Gemm") and node.op_type not in done:
            done.add(node.op_type)
            old = node.output[0]
            new = old + "_raw"
            node.output[0] = new
            if node.op_type == "Conv":
                edited.append(onnx.helper.make_node("Identity", [new], [old], name="inserted/Identity"))
            else:
                ratio = onnx.helper.make_tensor("inserted/ratio", onnx.TensorProto.FLOAT, [], [0.5])
                graph.initializer.append(ratio)
                edited.append(onnx.helper.make_node("Dropout", [new, "inserted/ratio"], [old, "inserted/mask"],
                                                    name="inserted/Dropout"))
    del graph.node[:]
    graph.node.extend(edited)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    fixtures = []

    def accept(name, make, shape, opset, note, last=None, **kwargs):
        fixtures.append(("accept", name, make, shape, opset, note, last, kwargs))

    def refuse(name, make, shape, opset, note, expected, **kwargs):
        fixtures.append(("refuse", name, make, shape, opset, note, expected, kwargs))

    accept("conv_square_pool", ConvSquarePool, (1, 8, 8), 13,
           "Conv, Mul(x,x), AvgPool2d count_include_pad=True (PyTorch writes Pad then AveragePool), Conv stride 2, "
           "AvgPool2d count_include_pad=False (AveragePool with pads, count_include_pad 0), Flatten, Gemm")
    accept("zeropad_conv", ZeroPadConv, (1, 8, 8), 13,
           "nn.ZeroPad2d: Pad whose pads come from a Constant/ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast chain")
    accept("zeropad_conv_unfolded", ZeroPadConv, (1, 8, 8), 13,
           "the same exported with do_constant_folding=False: the pads chain starts from Shape/Gather of the input",
           do_constant_folding=False)
    accept("zeropad_conv_opset9", ZeroPadConv, (1, 8, 8), 9, "opset 9: Pad with a pads attribute")
    accept("batchnorm", BatchNormNet, (2, 6, 6), 13,
           "BatchNormalization after Conv and after Gemm (exported with TrainingMode.PRESERVE so it is not fused)",
           training=torch.onnx.TrainingMode.PRESERVE)
    accept("matmul_add", MatMulAdd, (1, 4, 6), 13, "nn.Linear on a 3-d tensor and torch.matmul + bias: MatMul then Add")
    accept("pow_square", PowNet, (1, 8, 8), 13, "Pow(x, 2) as the activation")
    accept("dropout_identity", DropoutNet, (1, 8, 8), 12,
           "Dropout (training export) and an inserted Identity and inference Dropout", training=torch.onnx.TrainingMode.TRAINING)
    accept("final_softmax", lambda: Scores(ConvSquarePool(), nn.Softmax(dim=1)), (1, 8, 8), 13,
           "ends in Softmax", last=True)
    accept("final_logsoftmax", lambda: Scores(ConvSquarePool(), nn.LogSoftmax(dim=1)), (1, 8, 8), 11,
           "ends in LogSoftmax (opset 11)", last=True)
    accept("final_sigmoid", lambda: Scores(ConvSquarePool(), nn.Sigmoid()), (1, 8, 8), 13, "ends in Sigmoid", last=True)
    accept("three_squares", ThreeSquares, (1, 7, 7), 13, "three square activations")
    accept("scalar_affine", ScalarAffine, (1, 8, 8), 13,
           "Mul and Div by scalars, Add of a per-channel tensor, Sub of a scalar, scalar minus x, Mul by a per-channel tensor")
    refuse("refuse_relu", lambda: Refused(nn.ReLU(), 72), (1, 8, 8), 13, "ReLU activation",
           ["(Relu) is not supported", ACTIVATION_ADVICE])
    refuse("refuse_maxpool", lambda: Refused(nn.MaxPool2d(2), 18), (1, 8, 8), 13, "MaxPool",
           ["(MaxPool) is not supported", POOL_ADVICE])
    refuse("refuse_sigmoid_middle", lambda: Refused(nn.Sigmoid(), 72), (1, 8, 8), 13, "Sigmoid before the last layer",
           ["(Sigmoid) is not supported", ACTIVATION_ADVICE])
    refuse("refuse_dynamic_height", lambda: Refused(Square(), 72), (1, 8, 8), 13, "symbolic height",
           ["dynamic shapes", "\"height\""], height_dynamic=True)
    refuse("refuse_residual", Residual, (1, 8, 8), 13, "residual connection y + conv(y)",
           ["(Add)", "single chain"])
    refuse("refuse_group_conv", GroupConv, (1, 8, 8), 13, "Conv with group 2", ["(Conv)", "group 2"])

    for index, (kind, name, make, shape, opset, note, extra, kwargs) in enumerate(fixtures):
        torch.manual_seed(1000 + index)
        model = make()
        model.eval()
        path = os.path.join(OUT, name + ".onnx")
        height_dynamic = kwargs.pop("height_dynamic", False)
        export(model, shape, path, opset, height_dynamic=height_dynamic, **kwargs)
        if name == "dropout_identity":
            insert_identity_and_dropout(path)
        onnx.checker.check_model(onnx.load(path))
        if kind == "accept":
            body = model.body if extra else model
            write_expected(name, shape, body, index, note)
        else:
            substrings = list(extra)
            op = substrings[0][substrings[0].find("(") + 1:substrings[0].find(")")] if "(" in substrings[0] else None
            if op:
                substrings.insert(0, "node \"" + node_named(path, op) + "\" (" + op + ")")
            write_refusal(name, note, substrings)
        print("%-24s %6d bytes" % (name + ".onnx", os.path.getsize(path)))


if __name__ == "__main__":
    main()
