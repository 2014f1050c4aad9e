#!/usr/bin/python3
"""PyTorch reference for examples/fashion: the same 784-256-10 net on
Fashion-MNIST, trained by Adam, timed per epoch.

A measuring stick only: nothing in bsum imports or needs it.  Run it with
Debian's interpreter and torch (apt-get install -y python3-torch
python3-numpy dataset-fashion-mnist):

    /usr/bin/python3 internal/bench/pytorch/fashion.py --threads 1 --epochs 10

What it mirrors from the Go example (examples/fashion):

  * Data: the four IDX files of the Debian package dataset-fashion-mnist
    (/usr/share/datasets/fashion-mnist, or $BSUM_FASHION_MNIST, or --data),
    read with gzip + numpy (no torchvision); the first --train-n / --test-n
    images (0: all); pixels / 255, float64.
  * Net: Linear(784, 256) with bias, the hidden activation (--hidden relu,
    tanh or logistic), Linear(256, 10) with bias; softmax cross-entropy
    (F.cross_entropy, mean over the batch).
  * Init (--init glorot, the default): like bsum's Glorot-normal on the
    folded out x (in+1) block, W_b = randn(out, in+1) * sqrt(2/(in+1+out)),
    the last column being the bias; torch.manual_seed(seed) first, W1 then
    W2.  --init torch keeps torch's default (Kaiming-uniform) init.
  * Batches: a fresh torch.randperm per epoch (seeded generator), batches of
    --batch in order.  The last partial batch is kept smaller (DataLoader's
    default drop_last=False); bsum instead wraps it into the next epoch so
    every batch has the same size.  Both see each sample once per epoch.
  * Adam, lr --lr (1e-3), torch's defaults otherwise.

Timing: time.perf_counter around each epoch's training loop only (batch
slicing, forward, backward, step); the test accuracy after each epoch is
not timed, as in the Go example.  "Time to 0.85 / 0.88" is the cumulative
training time at the end of the first epoch whose test accuracy reached
the target (epoch granularity, like the Go side).

Output: human-readable lines, then one JSON object per seed on a line of
its own starting with "{" (name "fashion-adam"), with the environment
(torch version, torch.__config__.show(), threads, the BLAS libraries
loaded and their summary from bench.py, load average).
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=os.environ.get("BSUM_FASHION_MNIST") or "/usr/share/datasets/fashion-mnist",
                   help="folder with the IDX files (plain or .gz)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate")
    p.add_argument("--hidden", choices=["relu", "tanh", "logistic"], default="relu")
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--train-n", type=int, default=0, help="first N training images (0: all 60,000)")
    p.add_argument("--test-n", type=int, default=0, help="first N test images (0: all 10,000)")
    p.add_argument("--threads", type=int, default=1, help="torch and BLAS threads")
    p.add_argument("--seeds", default="1", help="comma-separated seeds")
    p.add_argument("--targets", default="0.85,0.88", help="test accuracies to time")
    p.add_argument("--init", choices=["glorot", "torch"], default="glorot")
    return p.parse_args(argv)


ARGS = parse_args()
# Before torch (and its BLAS) load: a pthread OpenBLAS reads these at start,
# and torch.set_num_threads does not reach it.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (blas_info, setup, env_info)

NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def read_idx(folder, name, limit):
    """Reads an IDX file of uint8 elements (name or name.gz) and returns
    the first `limit` items (all if limit <= 0) as a numpy array."""
    for path, opener in ((os.path.join(folder, name + ".gz"), gzip.open), (os.path.join(folder, name), open)):
        if os.path.exists(path):
            break
    else:
        sys.exit("fashion.py: no %s[.gz] in %s; install it with `apt-get install -y dataset-fashion-mnist` "
                 "or pass --data" % (name, folder))
    with opener(path, "rb") as f:
        head = f.read(4)
        if len(head) != 4 or head[0] != 0 or head[1] != 0:
            sys.exit("fashion.py: %s: not an IDX file (magic %r)" % (path, head))
        if head[2] != 0x08:
            sys.exit("fashion.py: %s: element type 0x%02x, want 0x08 (uint8)" % (path, head[2]))
        ndim = head[3]
        dims = list(struct.unpack(">%dI" % ndim, f.read(4 * ndim)))
        n = dims[0] if limit <= 0 else min(limit, dims[0])
        item = 1
        for d in dims[1:]:
            item *= d
        data = f.read(n * item)
        if len(data) != n * item:
            sys.exit("fashion.py: %s: truncated: %d of %d bytes" % (path, len(data), n * item))
    return np.frombuffer(data, dtype=np.uint8).reshape([n] + dims[1:])


def load(a):
    xtr = read_idx(a.data, NAMES["train_images"], a.train_n)
    ytr = read_idx(a.data, NAMES["train_labels"], a.train_n)
    xte = read_idx(a.data, NAMES["test_images"], a.test_n)
    yte = read_idx(a.data, NAMES["test_labels"], a.test_n)
    if xtr.shape[0] != ytr.shape[0] or xte.shape[0] != yte.shape[0] or xtr.shape[1:] != (28, 28):
        sys.exit("fashion.py: images %s / labels %s do not match" % (xtr.shape, ytr.shape))

    def prep(x, y):
        return (torch.from_numpy(x.reshape(x.shape[0], -1).astype(np.float64) / 255.0),
                torch.from_numpy(y.astype(np.int64)))
    return prep(xtr, ytr) + prep(xte, yte)


ACTS = {"relu": torch.relu, "tanh": torch.tanh, "logistic": torch.sigmoid}


def make_net(a, seed):
    torch.manual_seed(seed)
    l1, l2 = torch.nn.Linear(784, a.width), torch.nn.Linear(a.width, 10)
    if a.init == "glorot":
        with torch.no_grad():
            for layer in (l1, l2):
                out, inp = layer.weight.shape
                wb = torch.randn(out, inp + 1) * (2.0 / (inp + 1 + out)) ** 0.5
                layer.weight.copy_(wb[:, :inp])
                layer.bias.copy_(wb[:, inp])
    act = ACTS[a.hidden]
    return (lambda x: l2(act(l1(x)))), list(l1.parameters()) + list(l2.parameters())


def openblas_facts(threads):
    """Asks a loaded OpenBLAS itself (ctypes) for its version, kernel
    family and thread count, and caps its threads: bench.py learns these
    from threadpoolctl, which Debian does not install with torch."""
    import ctypes
    for lib in bench.BLAS["loaded_libs"]:
        if "openblas" not in os.path.basename(lib):
            continue
        try:
            so = ctypes.CDLL(lib)
            so.openblas_set_num_threads(threads)
            so.openblas_get_corename.restype = ctypes.c_char_p
            so.openblas_get_config.restype = ctypes.c_char_p
            return "%s, kernels %s, %d threads" % (so.openblas_get_config().decode(), so.openblas_get_corename().decode(),
                                                  so.openblas_get_num_threads())
        except (OSError, AttributeError) as err:
            return "OpenBLAS %s (not queried: %s)" % (lib, err)
    return None


def accuracy(net, x, y):
    with torch.no_grad():
        return (net(x).argmax(dim=1) == y).double().mean().item()


def run_seed(a, seed, data, targets):
    xtr, ytr, xte, yte = data
    n = xtr.shape[0]
    net, params = make_net(a, seed)
    opt = torch.optim.Adam(params, lr=a.lr)
    gen = torch.Generator().manual_seed(seed)
    epochs, train_s, reached = [], 0.0, {}
    for e in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        loss_sum, batches = 0.0, 0
        for i in range(0, n, a.batch):
            idx = perm[i:i + a.batch]
            opt.zero_grad()
            loss = F.cross_entropy(net(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            loss_sum += loss.item()
            batches += 1
        dt = time.perf_counter() - t0
        train_s += dt
        acc = accuracy(net, xte, yte)
        for t in targets:
            if acc >= t and t not in reached:
                reached[t] = train_s
        epochs.append({"epoch": e, "seconds": dt, "train_seconds": train_s, "train_loss": loss_sum / batches, "test_accuracy": acc})
        print("  epoch %3d  train loss %.4f  test accuracy %.4f  epoch %.2f s  train %.2f s" % (e, loss_sum / batches, acc, dt, train_s), flush=True)
    per_epoch = sorted(r["seconds"] for r in epochs)
    return {
        "name": "fashion-adam",
        "seed": seed,
        "epochs": epochs,
        "seconds_per_epoch_median": per_epoch[len(per_epoch) // 2],
        "seconds_per_epoch_min": per_epoch[0],
        "time_to": {"%g" % t: reached.get(t) for t in targets},
        "final_test_accuracy": epochs[-1]["test_accuracy"],
    }


def main():
    a = ARGS
    bench.setup(a.threads)  # float64 default dtype, torch threads, BLAS facts
    targets = [float(t) for t in a.targets.split(",") if t.strip()]
    data = load(a)
    obl = openblas_facts(a.threads)
    if obl:
        bench.BLAS["summary"] = obl
    print("torch %s, threads %d (interop %d), BLAS: %s" % (torch.__version__, torch.get_num_threads(),
          torch.get_num_interop_threads(), bench.BLAS["summary"]))
    print("BLAS libraries loaded: %s" % ", ".join(bench.BLAS["loaded_libs"]))
    print(torch.__config__.show().rstrip())
    print("Fashion-MNIST: %d training, %d test images; 784-%d-10 %s, softmax cross-entropy, Adam lr %g, batch %d, %d epochs, init %s"
          % (data[0].shape[0], data[2].shape[0], a.width, a.hidden, a.lr, a.batch, a.epochs, a.init), flush=True)
    for seed in [int(s) for s in a.seeds.split(",") if s.strip()]:
        print("seed %d" % seed)
        rec = run_seed(a, seed, data, targets)
        rec.update({"threads": a.threads, "batch": a.batch, "lr": a.lr, "hidden": a.hidden, "width": a.width,
                    "train_n": data[0].shape[0], "test_n": data[2].shape[0], "init": a.init,
                    "torch_version": torch.__version__, "torch_config": torch.__config__.show(),
                    "blas_info": bench.BLAS, "env": bench.env_info()})
        print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    main()
