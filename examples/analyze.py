#!/usr/bin/env python3
"""Reads an mcflow run from Python and plots E/N and C/N against beta,
with error bars, and the autocorrelation of the energy of every task.

usage: analyze.py OUT [PNG]

Reads the run with python/mcflow_reader.py (every task's summary, the
statistics computed by mcflow, and its draws: float64 arrays of shape
(chain, draw) from npy/<task>/<name>.npy), and shows the same draws in
results.h5 (parameters as attributes; needs h5py).
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import mcflow_reader  # noqa: E402

out = sys.argv[1]
png = sys.argv[2] if len(sys.argv) > 2 else os.path.join(out, "plots", "analysis.png")
run = mcflow_reader.load(out)
x = run["scanned"][0] if run["scanned"] else "beta"

def autocorr(x):
    """Normalised autocorrelation of (chain, draw) draws, chain-averaged (FFT)."""
    x = x - x.mean(axis=1, keepdims=True)
    n = x.shape[1]
    f = np.fft.rfft(x, 2 * n, axis=1)
    acf = np.fft.irfft(f * np.conj(f), axis=1)[:, :n].mean(axis=0)
    return acf / acf[0]


def tau_int(rho, c=5.0):
    """Sokal's windowed integrated autocorrelation time: 1 + 2 sum rho(t), t < W, W >= c tau."""
    tau = 1.0
    for w in range(1, len(rho)):
        tau = 1 + 2 * rho[1:w + 1].sum()
        if w >= c * tau:
            break
    return tau


rows = []
acfs = []
for task, tr in run["tasks"].items():
    t = tr["summary"]
    if t is None:  # not finished yet
        continue
    e = tr["arrays"]["e"]  # (chain, draw)
    N = t["params"]["L"] ** 2
    beta = t["params"]["beta"]
    # Our own estimate from the raw draws, with a blocking error bar.
    C = beta**2 * N * e.var()
    blocks = e.reshape(e.shape[0], 16, -1).mean(axis=2).ravel() if e.shape[1] % 16 == 0 else e.mean(axis=1)
    err = blocks.std(ddof=1) / np.sqrt(blocks.size)
    rows.append((t["params"][x], e.mean(), err, C, t["derived"]["C"]["value"], t["derived"]["C"]["stderr"],
                 (t.get("exact") or {}).get("values", {})))
    rho = autocorr(e)
    acfs.append((t["params"][x], rho))
    print(f"task {task}: {x}={t['params'][x]:<8g} E/N = {e.mean():.5f} ± {err:.5f} "
          f"(mcflow: {t['observables']['e']['mean']:.5f} ± {t['observables']['e']['stderr']:.5f}), "
          f"C/N = {t['derived']['C']['value']:.4f} ± {t['derived']['C']['stderr']:.4f}, "
          f"tau_int(e) = {tau_int(rho):.2f} (mcflow: {t['observables']['e']['tau_int']:.2f})")

try:
    import h5py
    with h5py.File(os.path.join(out, "results.h5"), "r") as f:
        for task in f:
            g = f[task]["obs"]
            print(f"results.h5 /{task}/obs: beta={g.attrs['beta']:g}, arrays {sorted(g.keys())} of shape {g['e'].shape}")
except (ImportError, FileNotFoundError):
    pass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

rows.sort(key=lambda r: r[0])
xs = np.array([r[0] for r in rows])
fig, ax = plt.subplots(1, 3, figsize=(13, 3.5))
ax[0].errorbar(xs, [r[1] for r in rows], yerr=[r[2] for r in rows], fmt="o-", label="mcflow")
ax[1].errorbar(xs, [r[4] for r in rows], yerr=[r[5] for r in rows], fmt="o-", label="mcflow")
if all("e" in r[6] for r in rows):
    ax[0].plot(xs, [r[6]["e"] for r in rows], "k--", label="exact (Kaufman)")
    ax[1].plot(xs, [r[6]["C"] for r in rows], "k--", label="exact (Kaufman)")
ax[0].set_xlabel(x); ax[0].set_ylabel("E/N"); ax[0].legend()
ax[1].set_xlabel(x); ax[1].set_ylabel("C/N"); ax[1].legend()
for xv, rho in sorted(acfs, key=lambda a: a[0]):
    lag = np.arange(min(len(rho), 200))
    ax[2].plot(lag, rho[:len(lag)], label=f"{x}={xv:g}")
ax[2].axhline(0, color="k", lw=0.5)
ax[2].set_xlabel("lag (draws)"); ax[2].set_ylabel("autocorrelation of E"); ax[2].legend(fontsize=7)
fig.tight_layout()
os.makedirs(os.path.dirname(png), exist_ok=True)
fig.savefig(png, dpi=100)
print("wrote", png)
