# mcflow: `make run` runs the default job, `make test` runs the tests.
# `make run` first runs `make deps`, `make test` `make deps-test`: each
# installs what a fresh Debian/Ubuntu
# machine lacks (apt-get when root; otherwise it prints the install line).

GO      ?= go
# What building and running jobs needs (plots are drawn in Go: no Python).
PKGS    := gcc pkg-config libhdf5-dev libopenblas-dev
# What the tests add: Python's readers for the cross-language checks (and
# the tutorial's analysis), netCDF for the export, the shells whose
# completion scripts are checked, GNU time for the memory check. (.ci/run
# also starts a one-node SLURM cluster: scripts/slurm/up.sh installs
# slurm-wlm and munge when missing.)
TEST_PKGS := python3-numpy python3-h5py python3-matplotlib python3-xarray python3-netcdf4 zsh fish time
BENCH_PKGS := python3-torch
BIN     := bin/mcflow
OUT     ?= out/default

.PHONY: slurm-up slurm-down deps deps-test deps-bench build build-nohdf5 run test test-long fuzz bench docs testdata train-toys clean

deps:
	@./scripts/deps.sh $(PKGS)

deps-test:
	@./scripts/deps.sh $(PKGS) $(TEST_PKGS)

deps-bench:
	@./scripts/deps.sh $(PKGS) $(TEST_PKGS) $(BENCH_PKGS)

build: deps
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/mcflow

# A pure-Go binary without HDF5 (NPY output only).
build-nohdf5:
	CGO_ENABLED=0 $(GO) build -buildvcs=auto -tags nohdf5 -o bin/mcflow-nohdf5 ./cmd/mcflow

run: build
	./$(BIN) run --out $(OUT)

# The fast suite (~7½ minutes on 2 cores: `.ci/run` on a clean clone took 436 and 447 s on 2026-12-08, setup included; docs/tests.md#time): every package, the race
# detector on the engine, the pure-Go nohdf5 build, and the pure-Go GEMM,
# SVD and eigensolver against LAPACK's results (ad, tn). Every test binary
# runs under scripts/memcheck.sh, which fails it above 2 GB of peak resident
# memory and logs each binary's peak to out/test-memory.log. The nohdf5
# vet covers io/h5 and ad, whose files the build tags change; the nohdf5
# tests compile everything else without cgo.
GOTEST  := MCFLOW_MEMLOG=$(CURDIR)/out/test-memory.log $(GO) test -exec $(CURDIR)/scripts/memcheck.sh -count=1 -timeout 20m
test: deps-test
	mkdir -p out && : > out/test-memory.log
	$(GO) vet ./...
	$(GOTEST) ./...
	$(GOTEST) -race ./mc/ ./io/... ./ad/...
	$(GOTEST) -race -run "Determinism|SaveLoad|LnCosh" ./nf/...
	$(GOTEST) -race -run "Invariant" ./mc/hmc/
	CGO_ENABLED=0 $(GO) vet -tags nohdf5 ./io/h5/ ./ad/
	CGO_ENABLED=0 $(GOTEST) -short -tags nohdf5 ./io/... ./job/ ./results/ ./runner/ ./nf/... ./model/ ./cli/
	CGO_ENABLED=0 $(GOTEST) -run 'ThinSVD|SymEigen|GradCheck|Exact|Golden' ./ad/ ./tn/

# The long statistical runs: 10x the draws of the Kaufman comparisons.
test-long: deps-test
	MCFLOW_LONG=1 $(GO) test -count=1 -timeout 60m ./...

# Coverage-guided fuzzing of the job-file parser and the checkpoint decoder,
# FUZZTIME each (default 5m). `make test` runs only their checked-in corpora
# (testdata/fuzz/), so that it is deterministic; an input the campaign finds
# failing is written to testdata/fuzz/ by go test: fix the bug and commit
# the input as a corpus entry.
FUZZTIME ?= 5m
fuzz: deps-test
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./job
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./io/ckpt

# The job-file reference, generated from the kinds' registrations (a test
# checks that it is current).
docs:
	$(GO) run ./cmd/mcflow keys > docs/keys.md

bench: deps-bench
	./scripts/bench.sh

# Retrain the small flows in testdata/flows/ that the tests load (~50 min).
testdata: build
	scripts/testdata.sh

# Train RealNVP and Monge-Ampere flows on the five 2D toy densities and
# print docs/flows.md's table (~30 min).
train-toys: build
	scripts/train-toys.sh

clean:
	rm -rf bin out

# A one-node SLURM cluster on localhost for the SLURM tests (root; .ci/run
# starts and stops it): installs slurm-wlm and munge when missing.
slurm-up:
	scripts/slurm/up.sh

slurm-down:
	scripts/slurm/down.sh
