#!/usr/bin/env python3
"""Reads an mcflow run from Python and plots E/N and C/N against beta.

usage: analyze.py OUT [PNG]

Shows the three ways into a run: summary.json (statistics computed by
mcflow), results.h5 (all draws, parameters as attributes; needs h5py) and
npy/<task>/<name>.npy (float64 arrays of shape (chain, draw)).
"""
import json
import os
import sys

import numpy as np

out = sys.argv[1]
png = sys.argv[2] if len(sys.argv) > 2 else os.path.join(out, "plots", "analysis.png")
summary = json.load(open(os.path.join(out, "summary.json")))
x = summary["scanned"][0] if summary["scanned"] else "beta"

rows = []
for t in summary["tasks"]:
    task = t["name"]
    e = np.load(os.path.join(out, "npy", task, "e.npy"))  # (chain, draw)
    N = t["params"]["L"] ** 2
    beta = t["params"]["beta"]
    # Our own estimate from the raw draws, with a blocking error bar.
    C = beta**2 * N * e.var()
    blocks = e.reshape(e.shape[0], 16, -1).mean(axis=2).ravel() if e.shape[1] % 16 == 0 else e.mean(axis=1)
    err = blocks.std(ddof=1) / np.sqrt(blocks.size)
    rows.append((t["params"][x], e.mean(), err, C, t["derived"]["C"]["value"], t["derived"]["C"]["stderr"],
                 (t.get("exact") or {}).get("values", {})))
    print(f"task {task}: {x}={t['params'][x]:<8g} E/N = {e.mean():.5f} ± {err:.5f} "
          f"(mcflow: {t['observables']['e']['mean']:.5f} ± {t['observables']['e']['stderr']:.5f}), "
          f"C/N = {t['derived']['C']['value']:.4f} ± {t['derived']['C']['stderr']:.4f}")

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
fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
ax[0].errorbar(xs, [r[1] for r in rows], yerr=[r[2] for r in rows], fmt="o-", label="mcflow")
ax[1].errorbar(xs, [r[4] for r in rows], yerr=[r[5] for r in rows], fmt="o-", label="mcflow")
if all("e" in r[6] for r in rows):
    ax[0].plot(xs, [r[6]["e"] for r in rows], "k--", label="exact (Kaufman)")
    ax[1].plot(xs, [r[6]["C"] for r in rows], "k--", label="exact (Kaufman)")
ax[0].set_xlabel(x); ax[0].set_ylabel("E/N"); ax[0].legend()
ax[1].set_xlabel(x); ax[1].set_ylabel("C/N"); ax[1].legend()
fig.tight_layout()
os.makedirs(os.path.dirname(png), exist_ok=True)
fig.savefig(png, dpi=100)
print("wrote", png)
