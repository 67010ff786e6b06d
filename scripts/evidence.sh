#!/usr/bin/env bash
# docs/samplers.md's sampler comparison: runs examples/evidence/*.toml (HMC,
# latent-space HMC, flow-MH and flow-MH mixed with HMC on phi^4 L=8 at lam = 8 and 4, and on the
# Ising relaxation at L=16, beta_c; the flows are those of testdata/flows)
# and prints tau_int and ESS per second of M and |M|, without and with the
# flow's training time (from testdata/flows/NAME.json, plus the HMC run
# that sampled its training data, NAME.data.json), and for the Ising rows
# (the relaxation's samplers beside Metropolis and Wolff on the Ising model
# itself) tau_int and ESS per second of |m| and e. flow-mh-hmc is flow-MH
# mixed with HMC trajectories; hmc-fixed is its HMC kernel alone. ~15 min on 2 cores;
# JOBS="a.toml b.toml" reruns some and prints the table of all.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build >/dev/null
for job in ${JOBS:-examples/evidence/*.toml}; do
  echo "running $job ..." >&2
  rm -rf "out/evidence/$(basename "$job" .toml)" # fresh: timings of this build
  bin/mcflow run "$job" --progress none >/dev/null
done
/usr/bin/python3 - <<'PY'
import json, os, glob
rows = []
order = {"hmc": 0, "hmc-fixed": 1, "latent-hmc": 2, "flow-mh": 3, "flow-mh-hmc": 4, "conv-flow-mh-hmc": 5, "metropolis": 6, "wolff": 7}
ising = []
for job in sorted(glob.glob("examples/evidence/*.toml")):
    name = os.path.basename(job)[:-5]
    s = json.load(open(f"out/evidence/{name}/summary.json"))["tasks"][0]
    flow = None
    for line in open(job):
        if line.startswith("flow ="):
            flow = line.split('"')[1]
    train = 0.0
    if flow:
        base = os.path.join("examples/evidence", flow)[:-3]
        t = json.load(open(base + ".json"))
        train = t["train"]["seconds"]
        if os.path.exists(base + ".data.json"):  # sampling the training data
            train += json.load(open(base + ".data.json"))["timing"]["seconds"]
    parts = name.split("-")
    target, sampler = parts[0] + "-" + parts[1], "-".join(parts[2:])
    sec = s["timing"]["seconds"]
    acc = s["observables"].get("accept")
    r = [target, sampler, f"{acc['mean']:.3f}" if acc else "—", f"{s['draws'] * s['chains']}", f"{sec:.1f}", f"{train:.0f}"]
    for o in ("m", "absm"):
        e = s["observables"][o]
        r += [f"{e['tau_int']:.1f}", f"{e['ess'] / sec:.3g}", f"{e['ess'] / (sec + train):.3g}"]
    rows.append((target, order[sampler], r))
    if target.startswith("ising"):
        q = [target, sampler]
        for o in ("absm", "e"):
            e = s["observables"][o]
            q += [f"{e['tau_int']:.1f}", f"{e['ess'] / (sec + train):.3g}"]
        ising.append((order[sampler], q))
rows.sort()
ising.sort()
print("| target | sampler | accept | draws | s | training s | τ_int(m) | ESS/s (m) | ESS/s (m) incl. training | τ_int(\\|m\\|) | ESS/s (\\|m\\|) | ESS/s (\\|m\\|) incl. training |")
print("|" + " --- |" * 12)
for _, _, r in rows:
    print("| " + " | ".join(r) + " |")
print()
print("| target | sampler | τ_int(\\|m\\|) | ESS/s (\\|m\\|) incl. training | τ_int(e) | ESS/s (e) incl. training |")
print("|" + " --- |" * 6)
for _, r in ising:
    print("| " + " | ".join(r) + " |")
PY
