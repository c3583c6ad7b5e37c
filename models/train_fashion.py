#!/usr/bin/python3
# Trains the two Fashion-MNIST CryptoNets that the end-to-end runs use and exports them to ONNX.
#
#   command:  /usr/bin/python3 models/train_fashion.py      (from the repository root)
#   options:  --data DIR (default /usr/share/datasets/fashion-mnist), --out DIR (default models/),
#             --only cryptonet|cryptonet3
#   seed:     20160619 for torch (weights, shuffling); one seed for both models
#   torch:    1.13 (Debian python3-torch), onnx 1.12; 2 CPU threads; 8 epochs of about 25 s each per
#             model on an idle machine (3-4 minutes; much longer when other jobs share the CPUs)
#
# Data: the four gzip IDX files of Fashion-MNIST (train-images-idx3-ubyte.gz, ...). Inputs are
# pixels / 255 with NO normalization, exactly what the Java side feeds the network.
#
# Models (softmax only in the loss; the exported graph ends with the last linear layer):
#   fashion-cryptonet.onnx   ZeroPad2d((1,0,1,0)) -> conv 5x5x5 stride 2 -> square -> AvgPool 3x3 s1 p1
#                            -> conv 50 maps 5x5 stride 2 -> AvgPool 3x3 s1 p1 -> flatten (1250)
#                            -> linear 100 -> square -> linear 10          (the paper's network, 4.2)
#   fashion-cryptonet3.onnx  the same, with linear 100 -> square -> linear 30 -> square -> linear 10
#
# Square activations make the loss explode easily, so training uses AdamW (learning rate 3e-3 on
# a cosine schedule, weight decay 1e-3) with gradient-norm clipping at 1. The script prints the float test accuracy on all
# 10,000 test images and on the first 1,000 (what the Java test checks), and each file's SHA-256.
import argparse
import gzip
import hashlib
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 20160619
EPOCHS = 8
BATCH = 128


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(path + ": not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(data_dir):
    def part(name):
        return read_idx(os.path.join(data_dir, name))

    train_x = part("train-images-idx3-ubyte.gz")
    train_y = part("train-labels-idx1-ubyte.gz")
    test_x = part("t10k-images-idx3-ubyte.gz")
    test_y = part("t10k-labels-idx1-ubyte.gz")

    def images(x):
        return torch.from_numpy(x.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)

    def labels(y):
        return torch.from_numpy(y.astype(np.int64))

    return images(train_x), labels(train_y), images(test_x), labels(test_y)


class Square(nn.Module):
    def forward(self, x):
        return x * x


class CryptoNet(nn.Module):
    def __init__(self, squares):
        super().__init__()
        self.pad = nn.ZeroPad2d((1, 0, 1, 0))
        self.conv1 = nn.Conv2d(1, 5, 5, stride=2)
        self.act1 = Square()
        self.pool1 = nn.AvgPool2d(3, stride=1, padding=1)
        self.conv2 = nn.Conv2d(5, 50, 5, stride=2)
        self.pool2 = nn.AvgPool2d(3, stride=1, padding=1)
        self.fc1 = nn.Linear(1250, 100)
        self.act2 = Square()
        if squares == 2:
            self.head = nn.Sequential(nn.Linear(100, 10))
        else:
            self.head = nn.Sequential(nn.Linear(100, 30), Square(), nn.Linear(30, 10))

    def forward(self, x):
        x = self.pool1(self.act1(self.conv1(self.pad(x))))
        x = self.pool2(self.conv2(x))
        x = torch.flatten(x, 1)
        return self.head(self.act2(self.fc1(x)))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(x[k:k + 1000]).argmax(1) for k in range(0, len(x), 1000)])
    return (predicted == y).double().mean().item()


def train(name, squares, data, out_dir):
    train_x, train_y, test_x, test_y = data
    torch.manual_seed(SEED)
    model = CryptoNet(squares)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)
    shuffle = torch.Generator().manual_seed(SEED)
    start = time.time()
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(train_x), generator=shuffle)
        total = 0.0
        for k in range(0, len(order), BATCH):
            batch = order[k:k + BATCH]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(train_x[batch]), train_y[batch])
            if not torch.isfinite(loss):
                sys.exit(name + ": the loss diverged in epoch " + str(epoch + 1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            total += loss.item() * len(batch)
        scheduler.step()
        print("%s: epoch %d, loss %.4f, test accuracy %.4f, %.0f s" % (
            name, epoch + 1, total / len(order), accuracy(model, test_x, test_y), time.time() - start), flush=True)

    model.eval()
    path = os.path.join(out_dir, name + ".onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, opset_version=13,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    full = accuracy(model, test_x, test_y)
    first = accuracy(model, test_x[:1000], test_y[:1000])
    print("%s: float test accuracy %.4f on 10000 images, %.4f on the first 1000; %s, %d bytes, sha256 %s" % (
        name, full, first, path, os.path.getsize(path), digest), flush=True)


def main():
    parser = argparse.ArgumentParser(description="train the Fashion-MNIST CryptoNets and export them to ONNX")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--only", choices=["cryptonet", "cryptonet3"])
    args = parser.parse_args()
    torch.set_num_threads(2)
    print("torch", torch.__version__, flush=True)
    data = load(args.data)
    if args.only in (None, "cryptonet"):
        train("fashion-cryptonet", 2, data, args.out)
    if args.only in (None, "cryptonet3"):
        train("fashion-cryptonet3", 3, data, args.out)


if __name__ == "__main__":
    main()
