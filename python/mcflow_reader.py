"""Read an mcflow output directory into Python: numpy only (h5py when it
is installed, for runs written as HDF5 alone).

    import mcflow_reader
    run = mcflow_reader.load("out/critical")
    run["tasks"]["L=16_beta=0.44_J=1_h=0"]["arrays"]["e"]   # (chain, draw)

load(out) returns a dict:

    name, scanned, warnings   from OUT/summary.json (None, [], [] while a
                              run has not finished all its tasks)
    tasks                     {task id: {"position", "params", "summary",
                              "arrays", "configs", "divergences",
                              "disorder"}} in the job's task order

"summary" is the task's summary (OUT/summary/<task>.json, the schema of
docs/outputs.md) or None when the task has none yet; "arrays" maps each
recorded series to its float64 array, (chain, draw) or (chain, rung, draw)
for a ladder, read from OUT/npy/<task>/ or else from results.h5; a running
task's unrecorded draws are NaN. "configs", "divergences" and "disorder"
are the arrays of OUT/configs/, OUT/divergences/ and OUT/disorder/, or
None.
"""
import json
import os

import numpy as np

__all__ = ["load"]


def _json(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path) as f:
        return json.load(f)


def _npy(path):
    return np.load(path) if os.path.exists(path) else None


def _h5_arrays(out, task):
    """The task's series from results.h5, or {} (no file, or no h5py)."""
    path = os.path.join(out, "results.h5")
    if not os.path.exists(path):
        return {}
    try:
        import h5py
    except ImportError:
        return {}
    with h5py.File(path, "r") as f:
        if task not in f or "obs" not in f[task]:
            return {}
        return {k: np.asarray(v) for k, v in f[task]["obs"].items()}


def load(out):
    """Every task of the mcflow output directory out: arrays, parameters
    and summary (see the module's documentation)."""
    tasks_file = os.path.join(out, "tasks.json")
    if not os.path.exists(tasks_file):
        raise FileNotFoundError(f"{tasks_file}: not an mcflow output directory (no tasks.json)")
    run = _json(os.path.join(out, "summary.json"), {})
    result = {"name": run.get("name"), "scanned": run.get("scanned", []),
              "warnings": run.get("warnings", []), "tasks": {}}
    for t in _json(tasks_file):
        tid = t["id"]
        npy_dir = os.path.join(out, "npy", tid)
        if os.path.isdir(npy_dir):
            arrays = {f[:-4]: np.load(os.path.join(npy_dir, f))
                      for f in sorted(os.listdir(npy_dir)) if f.endswith(".npy")}
        else:
            arrays = _h5_arrays(out, tid)
        result["tasks"][tid] = {
            "position": t["position"],
            "params": t["params"],
            "summary": _json(os.path.join(out, "summary", tid + ".json")),
            "arrays": arrays,
            "configs": _npy(os.path.join(out, "configs", tid + ".npy")),
            "divergences": _npy(os.path.join(out, "divergences", tid + ".npy")),
            "disorder": _npy(os.path.join(out, "disorder", tid + ".npy")),
        }
    return result


if __name__ == "__main__":
    import sys

    for out in sys.argv[1:]:
        r = load(out)
        print(f"{out}: {r['name']}, {len(r['tasks'])} task(s), {len(r['warnings'])} warning(s)")
        for tid, t in r["tasks"].items():
            shapes = ", ".join(f"{k} {v.shape}" for k, v in t["arrays"].items())
            print(f"  {tid}: {shapes}")
