#!/usr/bin/env bash
# docs/samplers.md's gradient-sampler comparison: NUTS (diagonal and dense
# metric), adapted HMC (10
# leapfrog steps, Stan's warmup), HMC with jittered trajectory lengths
# 0.5, 1, 1.5, 2, 3 (each trajectory's length uniform in (1 ± 0.5) times
# it; step size and metric adapted as well) and MALA, on
#   mvn     100 dimensions, scales 0.01 … 1, ρ = 0   (ESS of the slowest x_i)
#   mvn09   the same with ρ = 0.9                    (ESS of the slowest x_i)
#   funnel  Neal's funnel, 10 dimensions, centred    (ESS of logp and of v)
#   funnel-nc  the same, non-centred                 (ESS of logp and of v)
#   phi4-4  φ⁴ L = 8, m² = −4, λ = 4                 (ESS of |m|)
#   phi4-8  the same at λ = 8                        (ESS of |m|)
# ESS per 1000 gradient evaluations of the recorded steps (the n_leapfrog
# series; warmup excluded) and per second of the whole run (warmup
# included), 4 chains, 2 workers, and the largest |mean − exact| in
# standard errors of the quantity's observables where exact values exist
# (x_i and x_i² for mvn, v and v² for the funnel): a sampler that does not
# reach the funnel's neck looks fast and is biased. The job files are written to
# out/gradient-evidence/jobs/; TARGETS="mvn funnel" and SAMPLERS="nuts mala"
# rerun some. ~25 min on
# an idle 2-core machine; TARGETS=none prints the table of the runs there are.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build >/dev/null
root=out/gradient-evidence
mkdir -p "$root/jobs"

model() {
  case $1 in
    mvn) printf '[model]\nkind = "mvn"\ndim = 100\nscale_min = 0.01\nscale_max = 1.0\nrho = 0.0\n' ;;
    mvn09) printf '[model]\nkind = "mvn"\ndim = 100\nscale_min = 0.01\nscale_max = 1.0\nrho = 0.9\n' ;;
    funnel) printf '[model]\nkind = "funnel"\ndim = 10\ncentered = true\n' ;;
    funnel-nc) printf '[model]\nkind = "funnel"\ndim = 10\ncentered = false\n' ;;
    phi4-4) printf '[model]\nkind = "phi4"\nL = 8\nm2 = -4.0\nlam = 4.0\n' ;;
    phi4-8) printf '[model]\nkind = "phi4"\nL = 8\nm2 = -4.0\nlam = 8.0\n' ;;
  esac
}
# sweeps per sampler: enough draws for a stable ESS of the slowest one
# (SWEEPS, default 5000; MALA 8 times as many)
sweeps() {
  case $1 in
    mala) echo $((8 * ${SWEEPS:-5000})) ;;
    *) echo "${SWEEPS:-5000}" ;;
  esac
}
samplers=${SAMPLERS:-nuts nuts-dense hmc-adapted hmc-L0.5 hmc-L1 hmc-L1.5 hmc-L2 hmc-L3 mala}
sampler() {
  case $1 in
    nuts) printf 'kind = "nuts"\n' ;;
    nuts-dense) printf 'kind = "nuts"\ndense_metric = true\n' ;;
    hmc-adapted) printf 'kind = "hmc"\n' ;;
    hmc-L*) printf 'kind = "hmc"\nsteps = 0\nlength = %s\njitter = 0.5\n' "${1#hmc-L}" ;;
    mala) printf 'kind = "mala"\n' ;;
  esac
}

for t in ${TARGETS:-mvn mvn09 funnel funnel-nc phi4-4 phi4-8}; do
  [ "$t" = none ] && continue
  for s in $samplers; do
    name="$t--$s"
    job="$root/jobs/$name.toml"
    {
      printf 'name = "%s"\nseed = 1\n' "$name"
      model "$t"
      printf '[sampler]\n'
      sampler "$s"
      printf 'chains = 4\nthermalize = 1000\nsweeps = %s\nmeasure_every = 1\n' "$(sweeps "$s")"
      printf '[output]\ndir = "../%s"\nformats = ["npy"]\n' "$name"
    } >"$job"
    echo "running $name ..." >&2
    rm -rf "${root:?}/$name"
    bin/mcflow run "$job" --workers 2 --progress none >/dev/null
  done
done

/usr/bin/python3 - "$root" <<'PY'
import json, os, sys
root = sys.argv[1]
xs = ["x%d" % i for i in range(1, 101)]
targets = [("mvn", xs, "slowest x_i", xs + [x + "sq" for x in xs]),
           ("mvn09", xs, "slowest x_i", xs + [x + "sq" for x in xs]),
           ("funnel", ["logp", "v"], None, ["logp", "v", "v2"]),
           ("funnel-nc", ["logp", "v"], None, ["logp", "v", "v2"]),
           ("phi4-4", ["absm"], None, []), ("phi4-8", ["absm"], None, [])]
samplers = ["nuts", "nuts-dense", "hmc-adapted", "hmc-L0.5", "hmc-L1", "hmc-L1.5", "hmc-L2", "hmc-L3", "mala"]
print("| target | quantity | sampler | accept | grads/draw | divergent | ESS / 1000 grads | ESS / s | max \\|z\\| |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for t, obs, label, checked in targets:
    groups = [(label, obs)] if label else [(o, [o]) for o in obs]
    for q, names in groups:
        for s in samplers:
            p = os.path.join(root, f"{t}--{s}", "summary.json")
            if not os.path.exists(p):
                continue
            task = json.load(open(p))["tasks"][0]
            o = task["observables"]
            ess = min(o[n]["ess"] for n in names)
            draws = task["draws"] * task["chains"]
            grads = o["n_leapfrog"]["mean"] * draws
            sec = task["timing"]["seconds"]
            div = int(round(o["divergent"]["mean"] * draws))
            ex = (task.get("exact") or {}).get("values", {})
            zs = [abs(o[n]["mean"] - ex[n]) / o[n]["stderr"] for n in checked if n in ex]
            z = f"{max(zs):.1f}" if zs else "—"
            print(f"| {t} | {q} | {s} | {o['accept_prob']['mean']:.2f} | {o['n_leapfrog']['mean']:.1f} | {div} | {1000 * ess / grads:.3g} | {ess / sec:.3g} | {z} |")
PY
