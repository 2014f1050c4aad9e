#!/usr/bin/python3
"""PyTorch reference timings for the bsum speed comparison.

PyTorch is a measuring stick only: nothing in bsum imports or needs it.
Run with Debian's interpreter (/usr/bin/python3) after
`apt-get install -y python3-torch python3-threadpoolctl`.

Every subcommand prints one JSON object per measurement on stdout, one per
line, with at least these keys:

    name, seconds_median, seconds_min, reps, threads, torch_version,
    blas_info, env

plus extra fields per subcommand.  Everything runs in float64.

Conventions shared by all subcommands (mirror these on the Go side):

  * Layout: samples are COLUMNS.  X is (features x N), Y is (outputs x N),
    every weight matrix W_l has shape (out x in), no biases, and
    H_l = sigmoid(W_l @ H_{l-1}) for every layer, the output layer included.
  * Loss l2 = (1/N) * sum over all entries of (Y - H)^2  (N = number of
    samples = number of columns; NOT divided by the number of outputs).
  * Glorot-normal init: W_l = randn(out, in) * sqrt(2 / (in + out)), drawn
    layer by layer from the input side, after torch.manual_seed(seed).
    For BodyFat that is, in this order:
        W1 = randn(10, 13) * sqrt(2/23)
        W2 = randn(10, 10) * sqrt(2/20)
        W3 = randn(10, 10) * sqrt(2/20)
        W4 = randn( 1, 10) * sqrt(2/11)
    (torch.randn on the default CPU generator fills row-major, so W1[0, :]
    are the first 13 normals drawn.)  The Go side uses its own RNG, so only
    statistics over seeds are comparable, not individual runs.
"""

import argparse
import csv
import json
import math
import os
import re
import statistics
import sys
import time

import torch

FEATURES = ["Age", "Weight", "Height", "Neck", "Chest", "Abdomen", "Hip",
            "Thigh", "Knee", "Ankle", "Biceps", "Forearm", "Wrist"]
TARGET = "BodyFat"
BODYFAT_SIZES = [13, 10, 10, 10, 1]
LARGE_SIZES = [784, 256, 256, 10]


# --------------------------------------------------------------------------
# environment / BLAS facts

def _loaded_blas_libs():
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6:
                    base = os.path.basename(parts[-1]).lower()
                    if any(k in base for k in ("blas", "lapack", "mkl", "blis")):
                        libs.add(parts[-1])
    except OSError:
        pass
    return sorted(libs)


def _build_setting(key):
    m = re.search(r"\b%s=([^,\s]*)" % key, torch.__config__.show())
    return m.group(1) if m else None


def blas_info():
    info = {
        "torch_BLAS_INFO": _build_setting("BLAS_INFO"),
        "torch_LAPACK_INFO": _build_setting("LAPACK_INFO"),
        "mkl_available": torch.backends.mkl.is_available(),
        "mkldnn_available": torch.backends.mkldnn.is_available(),
        "cpu_capability": _cpu_capability(),
        "loaded_libs": _loaded_blas_libs(),
    }
    try:
        import threadpoolctl
        info["threadpoolctl"] = [
            {k: v for k, v in d.items() if k in (
                "user_api", "internal_api", "version", "architecture",
                "threading_layer", "num_threads", "filepath")}
            for d in threadpoolctl.threadpool_info()]
    except ImportError:
        info["threadpoolctl"] = None
    libs = " ".join(info["loaded_libs"])
    if "openblas" in libs:
        arch = None
        for d in info["threadpoolctl"] or []:
            if d.get("internal_api") == "openblas":
                arch = d.get("architecture")
        info["summary"] = "OpenBLAS %s kernels=%s" % (
            next((d.get("version") for d in info["threadpoolctl"] or []
                  if d.get("internal_api") == "openblas"), "?"), arch)
    elif "mkl" in libs or info["mkl_available"]:
        info["summary"] = "MKL"
    elif "/blas/libblas.so" in libs:
        info["summary"] = "reference BLAS (Debian libblas3, netlib)"
    else:
        info["summary"] = "unknown"
    return info


def _cpu_capability():
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage" in line:
            return line.split(":", 1)[1].strip()
    return None


def env_info():
    return {
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE") or "unset (autodetect)",
        "LD_LIBRARY_PATH": os.environ.get("LD_LIBRARY_PATH", ""),
        "blas": BLAS["summary"] if BLAS else None,
        "setup": os.environ.get("BENCH_SETUP"),
        "run": os.environ.get("BENCH_RUN"),
        # 1/5/15-min load average when the record was written: this is a
        # shared 2-core box, so other work skews numbers.
        "loadavg": _loadavg(),
    }


def _loadavg():
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[:3]
    except OSError:
        return None


def setup(threads):
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(threads)
    # torch.set_num_threads does not reach a pthread OpenBLAS; cap it too.
    try:
        import threadpoolctl
        threadpoolctl.threadpool_limits(limits=threads, user_api="blas")
    except ImportError:
        pass
    global BLAS
    torch.ones(2, 2) @ torch.ones(2, 2)  # make sure BLAS is loaded
    BLAS = blas_info()


def emit(name, times, threads, **extra):
    rec = {
        "name": name,
        "seconds_median": statistics.median(times) if times else None,
        "seconds_min": min(times) if times else None,
        "reps": len(times),
        "threads": threads,
        "torch_version": torch.__version__,
        "blas_info": BLAS,
        "env": env_info(),
    }
    rec.update(extra)
    print(json.dumps(rec), flush=True)


# --------------------------------------------------------------------------
# data and model

def load_bodyfat(path):
    """X: 13 x 252 z-scored (population std, fitted on all rows);
    Y: 1 x 252 BodyFat min-max scaled to [0, 1].  Density is not used."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    X = torch.tensor([[float(r[c]) for c in FEATURES] for r in rows]).T.contiguous()
    y = torch.tensor([[float(r[TARGET]) for r in rows]])
    mean = X.mean(dim=1, keepdim=True)
    std = X.std(dim=1, unbiased=False, keepdim=True)
    X = ((X - mean) / std).contiguous()
    y = (y - y.min()) / (y.max() - y.min())
    return X, y


def glorot(sizes, seed):
    torch.manual_seed(seed)
    ws = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w = torch.randn(fan_out, fan_in) * math.sqrt(2.0 / (fan_in + fan_out))
        ws.append(w.requires_grad_(True))
    return ws


def forward(ws, X):
    H = X
    for w in ws:
        H = torch.sigmoid(w @ H)
    return H


def l2(ws, X, Y):
    D = Y - forward(ws, X)
    return (D * D).sum() / X.shape[1]


def sgd_step(ws, X, Y, lr):
    """One step = forward + backward + plain SGD update + zero grads."""
    loss = l2(ws, X, Y)
    loss.backward()
    with torch.no_grad():
        for w in ws:
            w -= lr * w.grad
            w.grad.zero_()
    return loss


def time_steps(ws, X, Y, lr, warmup, reps, steps):
    for _ in range(warmup):
        sgd_step(ws, X, Y, lr)
    per_step = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(steps):
            sgd_step(ws, X, Y, lr)
        per_step.append((time.perf_counter() - t0) / steps)
    with torch.no_grad():
        final = float(l2(ws, X, Y))
    return per_step, final


# --------------------------------------------------------------------------
# subcommands

def cmd_step_bodyfat(a):
    setup(a.threads)
    X, Y = load_bodyfat(a.data)
    ws = glorot(BODYFAT_SIZES, a.seed)
    per_step, final = time_steps(ws, X, Y, a.lr, a.warmup, a.reps, a.steps)
    emit("step-bodyfat", per_step, a.threads,
         us_per_step_median=statistics.median(per_step) * 1e6,
         us_per_step_min=min(per_step) * 1e6,
         steps_per_rep=a.steps, warmup_steps=a.warmup, lr=a.lr,
         sizes=BODYFAT_SIZES, n=X.shape[1], final_loss=final)


def cmd_step_large(a):
    setup(a.threads)
    g = torch.Generator().manual_seed(a.seed)
    X = torch.randn(LARGE_SIZES[0], a.n, generator=g)
    Y = torch.rand(LARGE_SIZES[-1], a.n, generator=g)
    ws = glorot(LARGE_SIZES, a.seed)
    per_step, final = time_steps(ws, X, Y, a.lr, a.warmup, a.reps, a.steps)
    emit("step-large", per_step, a.threads,
         steps_per_rep=a.steps, warmup_steps=a.warmup, lr=a.lr,
         sizes=LARGE_SIZES, n=a.n, final_loss=final)


def _make_opt(method, ws):
    if method == "lbfgs":
        return torch.optim.LBFGS(ws, lr=1, max_iter=1, history_size=100,
                                 line_search_fn="strong_wolfe")
    if method == "adam":
        return torch.optim.Adam(ws, lr=0.03)
    if method == "sgd":
        return torch.optim.SGD(ws, lr=10)
    raise ValueError(method)


def tta_run(method, seed, X, Y, thresholds, max_iter, max_seconds):
    """One run.  Timer starts before weight init (data already loaded).

    Each iteration begins by computing loss and gradient at the current
    weights; nmse = N*loss/SST is checked there (so 'iterations' = number of
    completed optimizer updates when the threshold was first met), then the
    update is applied.  The check reuses the forward/backward that the
    update needs anyway, so it costs nothing extra.  For L-BFGS the
    precomputed loss/grad is handed to LBFGS.step as its first closure
    value; later closure calls (line search) recompute.
    """
    t0 = time.perf_counter()
    ws = glorot(BODYFAT_SIZES, seed)
    opt = _make_opt(method, ws)
    N = X.shape[1]
    sst = float(((Y - Y.mean()) ** 2).sum())
    pending = sorted(thresholds, reverse=True)
    hit = {}
    evals = 0
    it = 0
    nmse = float("nan")

    def full_eval():
        nonlocal evals
        evals += 1
        opt.zero_grad(set_to_none=False)
        loss = l2(ws, X, Y)
        loss.backward()
        return loss

    while True:
        loss = full_eval()
        nmse = float(loss) * N / sst
        elapsed = time.perf_counter() - t0
        while pending and nmse <= pending[0]:
            hit[pending.pop(0)] = (elapsed, it, evals)
        if not pending or it >= max_iter or elapsed >= max_seconds:
            break
        if method == "lbfgs":
            first = [True]

            def closure():
                if first[0]:
                    first[0] = False
                    return loss
                return full_eval()
            opt.step(closure)
        else:
            opt.step()
        it += 1
    return hit, it, nmse, time.perf_counter() - t0, evals


def cmd_tta(a):
    setup(a.threads)
    X, Y = load_bodyfat(a.data)
    seeds = [int(s) for s in a.seeds.split(",")]
    thresholds = [float(t) for t in a.thresholds.split(",")]
    # Untimed warm-up: a few iterations of every method, so that one-off
    # lazy initialisation in torch is not charged to the first timed run.
    for method in a.methods.split(","):
        tta_run(method, 12345, X, Y, [-1.0], 5, 10.0)
    for method in a.methods.split(","):
        runs = []
        for seed in seeds:
            hit, iters, nmse, total, evals = tta_run(
                method, seed, X, Y, thresholds, a.max_iter, a.max_seconds)
            runs.append((seed, hit, iters, nmse, total, evals))
        for thr in thresholds:
            # Unreached runs count as +inf for the median.
            secs = [r[1][thr][0] if thr in r[1] else math.inf for r in runs]
            its = [r[1][thr][1] if thr in r[1] else math.inf for r in runs]
            reached = [s for s in secs if s != math.inf]
            med = statistics.median(secs)
            med_it = statistics.median(its)
            rec_med = None if med == math.inf else med
            print(json.dumps({
                "name": "tta-bodyfat/%s/%.2f" % (method, thr),
                "seconds_median": rec_med,
                "seconds_min": min(reached) if reached else None,
                "reps": len(seeds),
                "threads": a.threads,
                "torch_version": torch.__version__,
                "blas_info": BLAS,
                "env": env_info(),
                "method": method,
                "threshold_nmse": thr,
                "reached": len(reached),
                "iterations_median": None if med_it == math.inf else med_it,
                "per_seed": [{
                    "seed": r[0],
                    "seconds": r[1][thr][0] if thr in r[1] else None,
                    "iterations": r[1][thr][1] if thr in r[1] else None,
                    "loss_grad_evals": r[1][thr][2] if thr in r[1] else None,
                    "run_iterations": r[2], "run_final_nmse": r[3],
                    "run_seconds": r[4],
                } for r in runs],
                "caps": {"max_iter": a.max_iter, "max_seconds": a.max_seconds},
            }), flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    default_data = "/work/shared/data/bodyfat.csv"

    s = sub.add_parser("step-bodyfat", help="per-step time, BodyFat 13-10-10-10-1")
    s.add_argument("--data", default=default_data)
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--lr", type=float, default=0.1)
    s.add_argument("--warmup", type=int, default=200)
    s.add_argument("--reps", type=int, default=7)
    s.add_argument("--steps", type=int, default=2000)
    s.set_defaults(fn=cmd_step_bodyfat)

    s = sub.add_parser("step-large", help="per-step time, synthetic 784-256-256-10")
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--n", type=int, default=10000)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--lr", type=float, default=0.1)
    s.add_argument("--warmup", type=int, default=2)
    s.add_argument("--reps", type=int, default=5)
    s.add_argument("--steps", type=int, default=3)
    s.set_defaults(fn=cmd_step_large)

    s = sub.add_parser("tta", help="time to accuracy on BodyFat")
    s.add_argument("--data", default=default_data)
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--seeds", default="1,2,3")
    s.add_argument("--methods", default="lbfgs,adam,sgd")
    s.add_argument("--thresholds", default="0.30,0.20,0.15,0.10")
    s.add_argument("--max-iter", type=int, default=20000)
    s.add_argument("--max-seconds", type=float, default=30.0)
    s.set_defaults(fn=cmd_tta)

    a = p.parse_args(argv)
    a.fn(a)


BLAS = None

if __name__ == "__main__":
    sys.exit(main())
