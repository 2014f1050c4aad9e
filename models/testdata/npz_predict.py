"""Recompute a bsum network's predictions in NumPy from an exported .npz.

usage: npz_predict.py weights.npz config.json x.npy out.npy

config.json: {"blocks": ["W1", ...], "activation": [name, params...],
              "output": [name, params...], "bias": bool}
x.npy: raw features, d0 x n (one column per sample). The features are
standardised with the archive's scaler.* arrays, the network is applied
block by block (W_j @ [h; 1] with a folded bias), and the output is mapped
back to the target's units. Writes the dJ x n predictions to out.npy.
"""
import json
import sys

import numpy as np


def activation(spec):
    name, params = spec[0], spec[1:]
    if name == "identity":
        return lambda z: z
    if name == "logistic":
        return lambda z: 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh
    if name == "softplus":
        return lambda z: np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))
    if name == "relu":
        return lambda z: np.maximum(z, 0.0)
    if name == "leakyrelu":
        a = params[0] if params else 0.01
        return lambda z: np.where(z >= 0, z, a * z)
    if name == "elu":
        a = params[0] if params else 1.0
        return lambda z: np.where(z > 0, z, a * np.expm1(np.minimum(z, 0.0)))
    if name == "bentidentity":
        return lambda z: z * z / (2.0 * (np.sqrt(z * z + 1.0) + 1.0)) + z
    if name == "isru":
        a = params[0] if params else 1.0
        return lambda z: z / np.sqrt(1.0 + a * z * z)
    raise SystemExit("unknown activation %r" % name)


def main():
    weights, config, xfile, out = sys.argv[1:5]
    z = np.load(weights)  # no pickle: every array is plain
    cfg = json.load(open(config))
    x = np.load(xfile)
    h = (x - z["scaler.mean"][:, None]) / z["scaler.std"][:, None]
    hidden, last = activation(cfg["activation"]), activation(cfg["output"])
    blocks = cfg["blocks"]
    for j, name in enumerate(blocks):
        w = z[name]
        assert w.dtype == np.float64 and w.ndim == 2, (name, w.dtype, w.shape)
        if cfg["bias"]:
            h = np.vstack([h, np.ones((1, h.shape[1]))])
        act = last if j == len(blocks) - 1 else hidden
        h = act(w @ h)
    mode = str(z["scaler.target_mode"])
    if mode == "minmax":
        lo, hi = z["scaler.range"]
        tmin, tmax = z["scaler.target_min"][:, None], z["scaler.target_max"][:, None]
        h = (h - lo) / (hi - lo) * (tmax - tmin) + tmin
    elif mode == "standard":
        h = h * z["scaler.target_std"][:, None] + z["scaler.target_mean"][:, None]
    elif mode != "identity":
        raise SystemExit("unknown target mode %r" % mode)
    np.save(out, h)


if __name__ == "__main__":
    main()
