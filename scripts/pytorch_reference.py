#!/usr/bin/python3
"""PyTorch twin of gradscope's mlp7_sigmoid and lenet_sigmoid scenarios (SCENARIOS.md recipe:
Fashion-MNIST split 54k/6k/10k, pixels/255, Normal(0, 0.05) or Xavier init, zero biases, softmax CE,
plain SGD lr 0.01, batch 64, reshuffled every epoch, the last partial batch trained). An epoch is
timed as gradscope times it: the training steps, batch gathering and the validation pass. Prints one
JSON line per epoch and a final line with the test accuracy, for scripts/bench_vs_pytorch.sh."""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows * cols).astype(np.float32) / 255.0
    return np.frombuffer(data, np.uint8, offset=8).astype(np.int64)


def model_for(name):
    if name == "mlp7_sigmoid":
        layers, width = [], 784
        for _ in range(7):
            layers += [nn.Linear(width, 128), nn.Sigmoid()]
            width = 128
        m = nn.Sequential(*layers, nn.Linear(128, 10))
        for p in m.modules():
            if isinstance(p, nn.Linear):
                nn.init.normal_(p.weight, 0.0, 0.05)
                nn.init.zeros_(p.bias)
        return m, False
    if name == "lenet_sigmoid":
        m = nn.Sequential(nn.Conv2d(1, 20, 5), nn.Sigmoid(), nn.MaxPool2d(2), nn.Conv2d(20, 50, 5), nn.Sigmoid(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(800, 500), nn.Sigmoid(), nn.Linear(500, 10))
        for p in m.modules():
            if isinstance(p, (nn.Linear, nn.Conv2d)):
                nn.init.xavier_normal_(p.weight)
                nn.init.zeros_(p.bias)
        return m, True
    raise SystemExit(f"unknown scenario {name}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default=os.environ.get("GRADSCOPE_DATA", "/usr/share/datasets/fashion-mnist"))
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x = load_idx(f"{a.data}/train-images-idx3-ubyte.gz")
    y = load_idx(f"{a.data}/train-labels-idx1-ubyte.gz")
    xt = load_idx(f"{a.data}/t10k-images-idx3-ubyte.gz")
    yt = load_idx(f"{a.data}/t10k-labels-idx1-ubyte.gz")
    model, conv = model_for(a.scenario)
    shape = (-1, 1, 28, 28) if conv else (-1, 784)
    xtr, ytr = torch.from_numpy(x[:54000]).reshape(shape), torch.from_numpy(y[:54000])
    xva, yva = torch.from_numpy(x[54000:]).reshape(shape), torch.from_numpy(y[54000:])
    xte, yte = torch.from_numpy(xt).reshape(shape), torch.from_numpy(yt)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(a.seed)
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(54000, generator=gen)
        total, correct = 0.0, 0
        for i in range(0, 54000, 64):
            idx = perm[i:i + 64]
            out = model(xtr[idx])
            loss = loss_fn(out, ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            correct += (out.argmax(1) == ytr[idx]).sum().item()
        val_acc = accuracy(model, xva, yva)
        dt = time.perf_counter() - t0
        print(json.dumps({"epoch": epoch, "train_loss": total / 54000, "train_acc": correct / 54000,
                          "val_acc": val_acc, "epoch_time_s": dt}), flush=True)
    print(json.dumps({"test_acc": accuracy(model, xte, yte)}), flush=True)


def accuracy(model, x, y):
    """Evaluation in batches of 64, as gradscope evaluates."""
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 64):
            correct += (model(x[i:i + 64]).argmax(1) == y[i:i + 64]).sum().item()
    return correct / len(x)


if __name__ == "__main__":
    main()
