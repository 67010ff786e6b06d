#!/usr/bin/env bash
# The evidence for replica exchange (docs/tempering.md): runs
# examples/tempering/evidence/*.toml and prints
#  1. the 2D Ising model at L = 32, beta = 0.5: Metropolis, tempered
#     Metropolis and Wolff, tau_int and ESS per second of m and |m| at
#     beta = 0.5 (a ladder's seconds are the whole ladder's);
#  2. the Ising relaxation at L = 16, beta_c: HMC alone and tempered;
#  3. the Gaussian spin glasses (2D L = 16 to T = 0.5, 3D L = 8 to T = 1):
#     the Monte Carlo time (sweeps of one rung) from which the
#     Katzgraber-Palassini-Young test agrees, with tempering and with
#     Metropolis alone (a lower bound where it never does).
# ~20 min on 2 cores; JOBS="a.toml b.toml" reruns some and prints all
# (JOBS=" " reruns none).
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build >/dev/null
for job in ${JOBS:-examples/tempering/evidence/*.toml}; do
  echo "running $job ..." >&2
  rm -rf "out/tempering-evidence/$(basename "$job" .toml)"
  bin/mcflow run "$job" --progress none >/dev/null
done
/usr/bin/python3 - <<'PY'
import json
def run(name):
    return json.load(open(f"out/tempering-evidence/{name}/summary.json"))
def at(task, beta):
    """The statistics of the task at beta: the task, or its ladder's rung."""
    if task.get("ladder"):
        for b, r in zip(task["ladder"]["betas"], task["ladder"]["rungs"]):
            if abs(b - beta) < 1e-9:
                return r
        raise SystemExit(f"no rung at beta = {beta}")
    return task
def row(label, name, beta, obs):
    t = run(name)["tasks"][0]
    r, sec = at(t, beta), t["timing"]["seconds"]
    out = [label, f"{sec:.0f}"]
    for o in obs:
        e = r["observables"][o]
        out += [f"{e['tau_int']:.1f}", f"{e['ess'] / sec:.3g}"]
    if t.get("ladder"):
        l = t["ladder"]
        out.append(f"{len(l['betas'])} rungs, swaps {min(l['swap_accept']):.2f}..{max(l['swap_accept']):.2f}, {l['round_trips']} round trips")
    else:
        out.append("")
    print("| " + " | ".join(out) + " |")
print("| 2D Ising L = 32, β = 0.5 | s | τ_int(m) | ESS/s (m) | τ_int(\\|m\\|) | ESS/s (\\|m\\|) | ladder |")
print("|" + " --- |" * 7)
for label, name in [("Metropolis", "ising-L32-metropolis"), ("tempered Metropolis", "ising-L32-pt"), ("Wolff", "ising-L32-wolff")]:
    row(label, name, 0.5, ["m", "absm"])
print()
print("| Ising relaxation L = 16, β_c | s | τ_int(m) | ESS/s (m) | τ_int(\\|m\\|) | ESS/s (\\|m\\|) | ladder |")
print("|" + " --- |" * 7)
for label, name in [("HMC", "relaxed-L16-hmc"), ("tempered HMC", "relaxed-L16-pt")]:
    row(label, name, 0.4406868, ["m", "absm"])
print()
print("| Gaussian spin glass | sampler | samples | seconds | sweeps run | KPY agrees from (sweeps) | the same in sweeps of all rungs | [e] | [q_l] |")
print("|" + " --- |" * 9)
for label, pt, metro, beta in [("2D L = 16, T = 0.5", "ea2d-L16-pt", "ea2d-L16-metropolis", 2.0), ("3D L = 8, T = 1", "ea3d-L8-pt", "ea3d-L8-metropolis", 1.0)]:
    for sampler, name in [("tempering", pt), ("Metropolis", metro)]:
        r = run(name)
        g = [g for g in r["disorder"] if abs(g["params"]["beta"] - beta) < 1e-9][0]
        sec = sum(t["timing"]["seconds"] for t in r["tasks"])
        eq = g["equilibration"]
        t0 = r["tasks"][0]
        run_ = t0["thermalize"] + t0["draws"] * t0["measure_every"]
        rungs = len(t0["ladder"]["betas"]) if t0.get("ladder") else 1
        if eq["agree_from"] is None:
            agree = cost = f"never (> {run_})"
        else:
            agree, cost = str(int(eq["agree_from"])), str(int(eq["agree_from"]) * rungs)
        e, ql = g["observables"]["e"], g["observables"]["ql"]
        print(f"| {label} | {sampler} | {len(g['samples'])} | {sec:.0f} | {run_} | {agree} | {cost} | {e['value']:.4f}({e['stderr']:.4f}) | {ql['value']:.4f}({ql['stderr']:.4f}) |")
PY
