#!/usr/bin/env bash
# make testdata: retrains the small flows in testdata/flows/ that the tests
# load (one job file each, testdata/flows/NAME.toml -> NAME.h5 and
# NAME.json, the training summary; a flow trained by forward KL has
# NAME.data.toml, the HMC run that samples its data into
# out/testdata/NAME-data first). Deterministic: the same flows for any
# number of workers. ~50 min on 2 cores; NAMES=... limits it.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for job in ${NAMES:-$(ls testdata/flows/*.toml | grep -v '\.data\.toml$')}; do
  [ -f "$job" ] || job="testdata/flows/$job.toml"
  name=$(basename "$job" .toml)
  data="testdata/flows/$name.data.toml"
  if [ -f "$data" ]; then # forward-KL training data: HMC configurations
    echo "sampling training data for $name ..."
    rm -rf "out/testdata/$name-data"
    bin/mcflow run "$data" --out "out/testdata/$name-data" --progress none >/dev/null
    cp out/testdata/"$name"-data/summary/*.json "testdata/flows/$name.data.json"   # the job's one task
  fi
  echo "training $name ..."
  bin/mcflow train "$job" --out "$tmp/$name" --progress none | sed -n 2,3p
  cp "$tmp/$name"/flow/*.h5 "testdata/flows/$name.h5"   # the job's one task
  cp "$tmp/$name"/summary/*.json "testdata/flows/$name.json"
done
