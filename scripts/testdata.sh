#!/usr/bin/env bash
# make testdata: retrains the small flows in testdata/flows/ that the tests
# load (one job file each, testdata/flows/NAME.toml -> NAME.h5 and
# NAME.json, the training summary). Deterministic: the same flows for any
# number of workers. ~30 min on 2 cores; NAMES=... limits it.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for job in ${NAMES:-testdata/flows/*.toml}; do
  [ -f "$job" ] || job="testdata/flows/$job.toml"
  name=$(basename "$job" .toml)
  echo "training $name ..."
  bin/mcflow train "$job" --out "$tmp/$name" --progress none | sed -n 2,3p
  cp "$tmp/$name/flow/0000.h5" "testdata/flows/$name.h5"
  cp "$tmp/$name/summary/0000.json" "testdata/flows/$name.json"
done
