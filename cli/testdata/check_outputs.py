"""Reads an mcflow run with numpy and h5py and checks it (used by main_test.go).

usage: check_outputs.py OUT CHAINS DRAWS NTASKS [hdf5]
"""
import json
import os
import sys
import zipfile

import numpy as np

out, chains, draws, ntasks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
with_h5 = len(sys.argv) > 5 and sys.argv[5] == "hdf5"
names = ["e", "m", "absm", "m2"]
summary = json.load(open(os.path.join(out, "summary.json")))
assert len(summary["tasks"]) == ntasks, summary
# tasks.json: position <-> id <-> parameters; the ids name the files.
ids = [e["id"] for e in sorted(json.load(open(os.path.join(out, "tasks.json"))), key=lambda e: e["position"])]
assert len(ids) == ntasks and [t["name"] for t in summary["tasks"]] == ids, (ids, summary["tasks"])
assert isinstance(summary["warnings"], list)
for t in range(ntasks):
    task = ids[t]
    s = json.load(open(os.path.join(out, "summary", task + ".json")))
    L = s["params"]["L"]
    for n in names:
        a = np.load(os.path.join(out, "npy", task, n + ".npy"))
        assert a.shape == (chains, draws) and a.dtype == np.float64, (n, a.shape, a.dtype)
        assert np.isfinite(a).all(), n
        # The summary's mean is the mean of the array.
        assert abs(a.mean() - s["observables"][n]["mean"]) < 1e-12, (n, a.mean(), s["observables"][n])
        assert s["observables"][n]["n"] == chains * draws
    e = np.load(os.path.join(out, "npy", task, "e.npy"))
    m = np.load(os.path.join(out, "npy", task, "m.npy"))
    absm = np.load(os.path.join(out, "npy", task, "absm.npy"))
    m2 = np.load(os.path.join(out, "npy", task, "m2.npy"))
    assert np.array_equal(absm, np.abs(m)) and np.allclose(m2, m * m, rtol=0, atol=1e-15)
    # Values live on the lattice: e*N and m*N are integers (h = 0, J = 1).
    N = L * L
    assert np.allclose(e * N, np.round(e * N), atol=1e-9) and np.all(np.abs(e) <= 2 + 1e-12)
    assert np.allclose(m * N, np.round(m * N), atol=1e-9)
    # C from the arrays as the summary defines it.
    beta = s["params"]["beta"]
    C = beta**2 * N * (np.mean(e**2) - np.mean(e) ** 2)
    assert abs(C - s["derived"]["C"]["value"]) < 1e-9 * max(1, abs(C)), (C, s["derived"]["C"])
    # The checkpoint is an NPZ archive numpy reads, with a verified manifest.
    z = np.load(os.path.join(out, "ckpt", task + ".npz"))
    man = json.loads(bytes(z["manifest"]))
    assert man["finished"] and man["draws"] == draws and man["chains"] == chains, man
    comment = zipfile.ZipFile(os.path.join(out, "ckpt", task + ".npz")).comment.decode()
    assert comment.startswith("mcflow-ckpt v1 sha256:"), comment
    if with_h5:
        import h5py
        with h5py.File(os.path.join(out, "h5", task + ".h5"), "r") as f:
            g = f[task + "/obs"]
            assert g.attrs["beta"] == beta and g.attrs["L"] == L and g.attrs["chains"] == chains
            for n in names:
                assert np.array_equal(g[n][()], np.load(os.path.join(out, "npy", task, n + ".npy"))), n
if with_h5:
    import h5py
    with h5py.File(os.path.join(out, "results.h5"), "r") as f:
        assert sorted(f.keys()) == sorted(ids), list(f.keys())
        for t in range(ntasks):
            task = ids[t]
            for n in names:
                d = f[task + "/obs/" + n]
                assert d.shape == (chains, draws)
                assert np.array_equal(d[()], np.load(os.path.join(out, "npy", task, n + ".npy")))
print("ok")
