#!/usr/bin/env python3
"""Full-batch gradient of the examples/fashion network in PyTorch.

The counterpart of bsum's BenchmarkFullGradientFashionShaped: 784-256-10
ReLU with biases, softmax cross-entropy (mean), float64, on 60,000 samples
with pixels ~ U[0, 1] and random labels; one forward and backward pass per
repetition. A measuring stick only: nothing in bsum imports or needs it.

    OPENBLAS_NUM_THREADS=1 python3 internal/bench/pytorch/fullgrad.py --threads 1
"""
import argparse
import json
import os
import time

import torch


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=60000)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    x = torch.rand(a.n, 784, dtype=torch.float64)
    y = torch.randint(0, 10, (a.n,))
    net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)).double()
    loss_fn = torch.nn.CrossEntropyLoss()
    times = []
    for _ in range(a.reps + 1):  # the first is a warm-up
        net.zero_grad(set_to_none=True)
        t = time.perf_counter()
        loss = loss_fn(net(x), y)
        loss.backward()
        times.append(time.perf_counter() - t)
    times = sorted(times[1:])
    print(json.dumps({"name": "fullgrad-fashion-shaped", "n": a.n, "threads": a.threads,
                      "median_s": times[len(times) // 2], "min_s": times[0], "reps": a.reps,
                      "torch": torch.__version__, "loadavg": os.getloadavg()}))


if __name__ == "__main__":
    main()
