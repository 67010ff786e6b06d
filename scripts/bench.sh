#!/usr/bin/env bash
# make bench: mcflow's benchmarks side by side with the references in
# bench/ (the C Ising reference, bench/ising_ref.c, and the PyTorch
# workloads, bench/torch_ref.py), measured in one run on this machine, as
# ratios.
# Each figure is the median of 3 interleaved runs (C, Go, C, Go, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
REF_DIR=bench
mkdir -p build
gcc -O3 -march=native -o build/ising_ref "$REF_DIR/ising_ref.c" -lm
go build -o build/mcflow ./cmd/mcflow
go test -c -o build/ising.test ./mc/ising >/dev/null
go test -c -o build/ad.test ./ad >/dev/null
go test -c -o build/tn.test ./tn >/dev/null
go test -c -o build/nf.test ./nf >/dev/null
go test -c -o build/point.test ./nf/point >/dev/null
go test -c -o build/train.test ./nf/train >/dev/null
go test -c -o build/model.test ./model >/dev/null
go test -c -o build/hmc.test ./mc/hmc >/dev/null
go test -c -o build/runner.test ./runner >/dev/null
go test -c -o build/builtin.test ./builtin >/dev/null
go test -c -o build/ea.test ./mc/ea >/dev/null
PY=/usr/bin/python3
if ! $PY -c "import torch" 2>/dev/null; then
  echo "bench: $PY cannot import torch (make deps-bench installs python3-torch)" >&2
  exit 1
fi

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
gobench() { # pattern -> flips/ns
  ./build/ising.test -test.run '^$' -test.bench "$1" -test.benchtime 2s | awk '/flips\/ns/ {for (i=1;i<=NF;i++) if ($(i+1)=="flips/ns") print $i}'
}

export OPENBLAS_NUM_THREADS=1
metric() { # benchmark pattern, unit -> value (single-threaded: -test.cpu 1)
  ./build/ad.test -test.run '^$' -test.bench "$1" -test.benchtime 2s -test.cpu 1 | awk -v u="$2" '{for (i=1;i<=NF;i++) if ($(i+1)==u) print $i}'
}
c=(); g=(); wo=(); ms=(); msi=(); ms2=(); msp=(); eams=(); p1=(); p2=(); tm=(); gm=(); to=(); go_=()
for i in 1 2 3; do
  tm+=("$($PY "$REF_DIR/torch_ref.py" mlp_step | awk '{print $2 * 1000}')")
  gm+=("$(metric 'MLPStep$' ms/step)")
  to+=("$($PY "$REF_DIR/torch_ref.py" op_overhead | awk '{print $2 * 1e6}')")
  go_+=("$(metric 'OpOverhead$' us/op)")
  c+=("$(./build/ising_ref 256 0.4406868 3000 | awk '{print $2}')")
  g+=("$(gobench 'Metropolis/L=256$')")
  wo+=("$(./build/ising.test -test.run '^$' -test.bench 'Wolff$' -test.benchtime 2s -test.cpu 1 | awk '/sites\/ns/ {for (i=1;i<=NF;i++) if ($(i+1)=="sites/ns") print $i}')")
  msout=$(./build/ising.test -test.run '^$' -test.bench 'Multispin/L=256$' -test.benchtime 2s -test.cpu 1)
  ms+=("$(echo "$msout" | awk '/flips\/ns/ {for (i=1;i<=NF;i++) if ($(i+1)=="flips/ns") print $i}')")
  msi+=("$(echo "$msout" | awk '/instr\/flip/ {for (i=1;i<=NF;i++) if ($(i+1)=="instr/flip") print $i}')")
  ms2+=("$(MCFLOW_KERNEL=avx2 ./build/ising.test -test.run '^$' -test.bench 'Multispin/L=256$' -test.benchtime 2s -test.cpu 1 2>/dev/null | awk '/flips\/ns/ {for (i=1;i<=NF;i++) if ($(i+1)=="flips/ns") print $i}' || true)")
  msp+=("$(MCFLOW_KERNEL=portable ./build/ising.test -test.run '^$' -test.bench 'Multispin/L=256$' -test.benchtime 2s -test.cpu 1 | awk '/flips\/ns/ {for (i=1;i<=NF;i++) if ($(i+1)=="flips/ns") print $i}')")
  eams+=("$(./build/ea.test -test.run '^$' -test.bench 'Multispin/dim=2/L=256$' -test.benchtime 2s -test.cpu 1 | awk '/flips\/ns/ {for (i=1;i<=NF;i++) if ($(i+1)=="flips/ns") print $i}')")
  pool=$(./build/ising.test -test.run '^$' -test.bench 'Pool' -test.benchtime 2s | awk '/flips\/ns/ {for (i=1;i<=NF;i++) if ($(i+1)=="flips/ns") print $i}')
  p1+=("$(echo "$pool" | sed -n 1p)"); p2+=("$(echo "$pool" | sed -n 2p)")
done
C=$(printf '%s\n' "${c[@]}" | median)
G=$(printf '%s\n' "${g[@]}" | median)
WO=$(printf '%s\n' "${wo[@]}" | median)
MS=$(printf '%s\n' "${ms[@]}" | median)
MSI=$(printf '%s\n' "${msi[@]}" | median)
MS2=$(printf '%s\n' "${ms2[@]}" | median)
MSP=$(printf '%s\n' "${msp[@]}" | median)
KERNEL=$(./build/mcflow version 2>/dev/null | awk -F': ' '/^multispin kernel/ {split($2, a, " "); print a[1]}')
EAMS=$(printf '%s\n' "${eams[@]}" | median)
P1=$(printf '%s\n' "${p1[@]}" | median)
P2=$(printf '%s\n' "${p2[@]}" | median)
TM=$(printf '%s\n' "${tm[@]}" | median)
GM=$(printf '%s\n' "${gm[@]}" | median)
TO=$(printf '%s\n' "${to[@]}" | median)
GO=$(printf '%s\n' "${go_[@]}" | median)

cpu=$(lscpu 2>/dev/null | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}')
echo "mcflow benchmarks on $(nproc) CPU(s) ($cpu), $(date -u +%Y-%m-%d), median of 3"
printf '%-52s %12s %12s %8s\n' "workload" "mcflow" "reference" "speed-up"
printf "%-52s %12.4f %12.4f %7.2fx\n" "Metropolis L=256, 1 core, flips/ns (vs ising_ref.c)" "$G" "$C" "$(awk -v a="$G" -v b="$C" 'BEGIN {print a / b}')"
printf "%-52s %12.4f %12.4f %7.2fx\n" "Multispin L=256 (64 replicas), 1 core, flips/ns, $KERNEL kernel (vs C)" "$MS" "$C" "$(awk -v a="$MS" -v b="$C" 'BEGIN {print a / b}')"
if [ -n "$MS2" ]; then
  printf "%-52s %12.4f %12.4f %7.2fx\n" "  the same, avx2 kernel (vs C)" "$MS2" "$C" "$(awk -v a="$MS2" -v b="$C" 'BEGIN {print a / b}')"
fi
printf "%-52s %12.4f %12.4f %7.2fx\n" "  the same, portable Go (MCFLOW_KERNEL=portable; vs C)" "$MSP" "$C" "$(awk -v a="$MSP" -v b="$C" 'BEGIN {print a / b}')"
if [ -n "$MSI" ]; then
  printf "%-52s %12.4f\n" "  AVX-512 kernels' instructions per flip (counted)" "$MSI"
fi
printf "%-52s %12.4f\n" "Wolff L=64 at beta_c, 1 core, cluster sites/ns" "$WO"
printf "%-52s %12.4f %12.4f %7.2fx\n" "EA ±J multispin 2D L=256 (64 pairs), flips/ns (vs Ising ms)" "$EAMS" "$MS" "$(awk -v a="$EAMS" -v b="$MS" 'BEGIN {print a / b}')"
printf "%-52s %12.4f %12.4f %7.2fx\n" "Pool 8 chains L=64, flips/ns: 2 workers vs 1 worker" "$P2" "$P1" "$(awk -v a="$P2" -v b="$P1" 'BEGIN {print a / b}')"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {print a / b}'; }
printf "%-52s %12.4f %12.4f %7.2fx\n" "MLP step 2-32-32-1 tanh, batch 1024, ms (vs PyTorch)" "$GM" "$TM" "$(ratio "$TM" "$GM")"
printf "%-52s %12.4f %12.4f %7.2fx\n" "mul+sum+backward of 4-vectors, us (vs PyTorch)" "$GO" "$TO" "$(ratio "$TO" "$GO")"
echo "(PyTorch and mcflow both on one thread; speed-up = reference time / mcflow time, or mcflow rate / reference rate)"

# Flow training steps (nf/train): 3 interleaved runs, single-threaded.
nfmetric() { # benchmark pattern -> s/step
  ./build/train.test -test.run '^$' -test.bench "$1" -test.benchtime "$2" -test.cpu 1 | awk '{for (i=1;i<=NF;i++) if ($(i+1)=="s/step") print $i}'
}
tma=(); gma=(); trn=(); grn=()
for i in 1 2 3; do
  tma+=("$($PY "$REF_DIR/torch_ref.py" ma_flow --reps 5 | awk '{print $2}')")
  gma+=("$(nfmetric 'MongeAmpereTrainStep$' 10x)")
  trn+=("$($PY "$REF_DIR/torch_ref.py" realnvp --reps 20 | awk '{print $2}')")
  grn+=("$(nfmetric 'RealNVPPhi4TrainStep$' 40x)")
done
TMA=$(printf '%s\n' "${tma[@]}" | median); GMA=$(printf '%s\n' "${gma[@]}" | median)
TRN=$(printf '%s\n' "${trn[@]}" | median); GRN=$(printf '%s\n' "${grn[@]}" | median)
printf "%-52s %12.4f %12.4f %7.2fx\n" "Monge-Ampere train step (ma_flow), s (vs PyTorch)" "$GMA" "$TMA" "$(ratio "$TMA" "$GMA")"
printf "%-52s %12.4f %12.4f %7.2fx\n" "RealNVP phi4 L=8 train step (realnvp), s (vs PyTorch)" "$GRN" "$TRN" "$(ratio "$TRN" "$GRN")"

# The flow samplers' per-step work at one point (point.Point, graph-free)
# against the same RealNVP in PyTorch (scripts/torch_point.py), one thread.
pointmetric() { # benchmark pattern -> us/point
  ./build/point.test -test.run '^$' -test.bench "$1" -test.benchtime 1s -test.cpu 1 | awk '{for (i=1;i<=NF;i++) if ($(i+1)=="us/point") print $i}'
}
tq=(); gq=(); tl=(); gl=(); ts=(); gs=()
for i in 1 2 3; do
  tp=$($PY scripts/torch_point.py 300)
  tq+=("$(echo "$tp" | awk '$1=="logq" {print $2}')"); tl+=("$(echo "$tp" | awk '$1=="latent" {print $2}')"); ts+=("$(echo "$tp" | awk '$1=="sample" {print $2}')")
  gq+=("$(pointmetric 'LogProbPoint/point$')"); gl+=("$(pointmetric 'LatentGradPoint/point$')"); gs+=("$(pointmetric 'SampleBatch/point$')")
done
for w in "ln q (flow-MH)|tq|gq" "latent ln p + grad (latent HMC)|tl|gl" "draw + ln q (batch 64)|ts|gs"; do
  IFS='|' read -r label tv gv <<<"$w"
  declare -n ta=$tv gb=$gv
  T=$(printf '%s\n' "${ta[@]}" | median); G=$(printf '%s\n' "${gb[@]}" | median)
  printf "%-52s %12.2f %12.2f %7.2fx\n" "RealNVP L=8 at 1 point: $label, us (vs PyTorch)" "$G" "$T" "$(ratio "$T" "$G")"
done

# HMC leapfrog on phi^4 (L=64, 16 chains): hand-written gradient vs autograd.
thm=(); ghm=(); gk=()
for i in 1 2 3; do
  thm+=("$($PY "$REF_DIR/torch_ref.py" hmc_phi4 --reps 10 | awk '{print $2}')")
  ghm+=("$(./build/hmc.test -test.run '^$' -test.bench 'HMCPhi4Leapfrog$' -test.benchtime 30x -test.cpu 1 | awk '{for (i=1;i<=NF;i++) if ($(i+1)=="s/leapfrog") print $i}')")
  gk+=("$(./build/model.test -test.run '^$' -test.bench 'Phi4Leapfrog$' -test.benchtime 200x -test.cpu 1 | awk '{for (i=1;i<=NF;i++) if ($(i+1)=="s/leapfrog") print $i}')")
done
THM=$(printf '%s\n' "${thm[@]}" | median); GHM=$(printf '%s\n' "${ghm[@]}" | median); GK=$(printf '%s\n' "${gk[@]}" | median)
printf "%-52s %12.6f %12.6f %7.2fx\n" "HMC leapfrog phi4 L=64 x 16 chains (hmc_phi4), s (vs PyTorch)" "$GHM" "$THM" "$(ratio "$THM" "$GHM")"
printf "%-52s %12.6f %12.6f %7.2fx\n" "  of which: the bare leapfrog kernel (model/), s" "$GK" "$THM" "$(ratio "$THM" "$GK")"

# NUTS's tree building per leapfrog step against HMC's (10 steps a
# trajectory), phi^4 L=16, one chain, one core; the ratio within each run.
nr=(); nv=(); hv=()
for i in 1 2 3; do
  run=$(./build/hmc.test -test.run '^$' -test.bench 'NUTSOverhead' -test.benchtime 2s -test.cpu 1 | awk '{for (i=1;i<=NF;i++) if ($(i+1)=="s/leapfrog") print $1, $i}')
  H=$(echo "$run" | awk '$1 ~ /hmc/ {print $2 * 1e6}'); N=$(echo "$run" | awk '$1 ~ /nuts/ {print $2 * 1e6}')
  hv+=("$H"); nv+=("$N"); nr+=("$(ratio "$H" "$N")")
done
printf "%-52s %12.2f %12.2f %7.2fx\n" "NUTS per leapfrog step, phi4 L=16, us (vs HMC's)" "$(printf '%s\n' "${nv[@]}" | median)" "$(printf '%s\n' "${hv[@]}" | median)" "$(printf '%s\n' "${nr[@]}" | median)"

# The lattice kinds' Metropolis sweeps per site against the 2D Ising plain
# engine, one core: five runs of all of them back to back, the ratio taken
# within each run (the VM's speed drifts between runs), then the median.
declare -A sr sv
for i in 1 2 3 4 5; do
  run=$(./build/builtin.test -test.run '^$' -test.bench 'Sweep' -test.benchtime 0.5s -test.cpu 1 | awk '/sites\/ns/ {n=$1; sub(/^BenchmarkSweep\//, "", n); for (i=1;i<=NF;i++) if ($(i+1)=="sites/ns") print n, $i}')
  base=$(echo "$run" | awk '$1=="ising2d/L=256" {print $2}')
  while read -r name v; do sr[$name]+="$(ratio "$v" "$base") "; sv[$name]+="$v "; done <<<"$run"
done
I2=$(echo ${sv["ising2d/L=256"]} | tr ' ' '\n' | median)
for k in "ising3d/L=64" "ising3d-multispin/L=40" "potts-q3/L=256" "xy/L=256"; do
  V=$(echo ${sv[$k]} | tr ' ' '\n' | median); R=$(echo ${sr[$k]} | tr ' ' '\n' | median)
  printf "%-52s %12.4f %12.4f %7.2fx\n" "Metropolis $k, sites/ns (vs ising2d L=256 plain)" "$V" "$I2" "$R"
done

# ad.Conv2D: the tutorial's conv coupling network (phi^4 L=8, batch 64,
# channels 1-8-8-2, 3x3 circular), forward + backward, one thread, against
# PyTorch's conv2d with circular padding (scripts/torch_conv.py).
tc=(); gc=()
for i in 1 2 3; do
  tc+=("$($PY scripts/torch_conv.py 200 | awk '{print $2}')")
  gc+=("$(./build/ad.test -test.run '^$' -test.bench 'Conv2D$' -test.benchtime 2s -test.cpu 1 | awk '{for (i=1;i<=NF;i++) if ($(i+1)=="us/net") print $i}')")
done
TC=$(printf '%s\n' "${tc[@]}" | median); GC=$(printf '%s\n' "${gc[@]}" | median)
printf "%-52s %12.1f %12.1f %7.2fx\n" "conv net 1-8-8-2 3x3 circular, L=8, batch 64, us (vs PyTorch)" "$GC" "$TC" "$(ratio "$TC" "$GC")"

# Coupling-flow training steps: the tutorial's flow (16 conv coupling
# layers, phi^4 L=8, batch 64, reverse KL, Adam), affine and with
# rational-quadratic splines, one thread, against scripts/torch_flow.py.
for cp in affine spline; do
  bench=ConvPhi4TrainStep; [ "$cp" = spline ] && bench=SplineConvPhi4TrainStep
  tf=(); gf=()
  for i in 1 2 3; do
    tf+=("$($PY scripts/torch_flow.py --steps 20 --coupling $cp | awk '/train_step/ {print $2 / 1000}')")
    gf+=("$(./build/train.test -test.run '^$' -test.bench "^Benchmark$bench\$" -test.benchtime 20x -test.cpu 1 | awk '{for (i=1;i<=NF;i++) if ($(i+1)=="s/step") print $i}')")
  done
  TF=$(printf '%s\n' "${tf[@]}" | median); GF=$(printf '%s\n' "${gf[@]}" | median)
  printf "%-52s %12.4f %12.4f %7.2fx\n" "conv $cp coupling flow, train step, s (vs PyTorch)" "$GF" "$TF" "$(ratio "$TF" "$GF")"
done

# The cnf flow at L = 32 with its defaults (20 features, 49 frequencies,
# 21 time-basis functions, 50 RK4 steps), one thread: a training step per
# configuration, the hand-written RK4 adjoint against autograd
# (torch_ref.py cnf, batch 4), and a flow-MH proposal (a draw and its
# ln q) in units of an HMC trajectory of 10 leapfrog steps on phi^4 at the
# same L, both timed in one Go benchmark.
tcn=(); gcn=(); gpr=()
for i in 1 2 3; do
  tcn+=("$($PY "$REF_DIR/torch_ref.py" cnf --reps 2 | awk '{print $2}')")
  gcn+=("$(./build/nf.test -test.run '^$' -test.bench 'CNFTrainStep/L=32$' -test.benchtime 1x -test.cpu 1 | awk '{for (i=1;i<=NF;i++) if ($(i+1)=="ms/sample") print $i / 1000}')")
  gpr+=("$(./build/nf.test -test.run '^$' -test.bench 'CNFProposal$' -test.benchtime 2x -test.cpu 1 | awk '{for (i=1;i<=NF;i++) if ($(i+1)=="trajectories/proposal") print $i}')")
done
TCN=$(printf '%s\n' "${tcn[@]}" | median); GCN=$(printf '%s\n' "${gcn[@]}" | median); GPR=$(printf '%s\n' "${gpr[@]}" | median)
printf "%-52s %12.3f %12.3f %7.2fx\n" "cnf L=32 train step per configuration (cnf), s (vs PyTorch)" "$GCN" "$TCN" "$(ratio "$TCN" "$GCN")"
printf "%-52s %12.0f\n" "cnf L=32 flow-MH proposal, in HMC trajectories (10 leapfrogs)" "$GPR"

# The conv coupling flow at one point (what flow-MH and latent HMC pay per
# step): point.Point, graph-free, against the same flow through the ad graph.
for cp in affine spline; do
  for what in "logq|ln q" "latent|latent ln p + grad"; do
    IFS='|' read -r key label <<<"$what"
    P=$(pointmetric "ConvPoint/$cp/$key/point\$"); A=$(pointmetric "ConvPoint/$cp/$key/ad\$")
    printf "%-52s %12.1f %12.1f %7.2fx\n" "conv $cp flow at 1 point: $label, us (vs ad graph)" "$P" "$A" "$(ratio "$A" "$P")"
  done
done

# Checkpoint of a 256^2 x 64-chain task (write + fsync + rename), no reference.
./build/runner.test -test.run '^$' -test.bench 'Checkpoint' -test.benchtime 10x | awk '/ms\/checkpoint/ {
  for (i=1;i<=NF;i++) { if ($(i+1)=="ms/checkpoint") ms=$i; if ($(i+1)=="MB") mb=$i }
  split($1, n, "/"); sub(/-[0-9]+$/, "", n[2]);
  printf "%-52s %9.1f ms %9.2f MB\n", "checkpoint, 64 chains L=256, " n[2] " engine", ms, mb }'

# TRG: PyTorch the median of 3 runs after a warm-up, mcflow the mean of 3
# after one (PyTorch takes 5-10 s per lnZ here).
TT=$($PY "$REF_DIR/torch_ref.py" trg --reps 3 | awk '{print $2}')
TG=$(./build/tn.test -test.run '^$' -test.bench 'TRG$' -test.benchtime 3x | awk '{for (i=1;i<=NF;i++) if ($(i+1)=="s/lnZ+E+C") print $i}')
printf "%-52s %12.3f %12.3f %7.2fx\n" "TRG Dcut=24 20 steps, s: mcflow lnZ+E+C vs PyTorch lnZ" "$TG" "$TT" "$(ratio "$TT" "$TG")"
