#!/usr/bin/env bash
# The lattice-flow goal table of docs/flows.md: trains each job file in
# examples/flows/ named below with --workers 2 and prints, per flow, the
# training's ESS per sample on fresh samples (train.ess_per_sample of
# OUT/summary/<task>.json), F_q, the gap where -ln Z is exact, and the
# training time (train.seconds). NAMES=... limits it; ~1 h on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build >/dev/null
PY=/usr/bin/python3
printf "%-20s %-14s %-16s %-14s %s\n" "job" "ESS/sample" "F_q" "gap" "train s"
for name in ${NAMES:-phi4-L8-lam8 phi4-L12 phi4-L20 phi4-L32 ising-relaxed-L16}; do
  out="out/flows/$name"
  bin/mcflow train --workers 2 --progress none "examples/flows/$name.toml" --out "$out" >/dev/null
  $PY - "$out" "$name" <<'PYEOF'
import glob, json, sys
for f in sorted(glob.glob(sys.argv[1] + "/summary/*.json")):
    t = json.load(open(f))["train"]
    gap = "n/a" if t["gap"] is None else "%.3f(%d)" % (t["gap"], round(1000 * t["gap_stderr"]))
    print("%-20s %-14s %-16s %-14s %.0f" % (sys.argv[2], "%.4f(%d)" % (t["ess_per_sample"], round(1e4 * t["ess_per_sample_stderr"])),
          "%.4f(%d)" % (t["F_q"], round(1e4 * t["F_q_stderr"])), gap, t["seconds"]))
PYEOF
done
