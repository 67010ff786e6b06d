package runner

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/job"
)

// TestCNFTrainFlowMH trains a small cnf flow on φ⁴ at L = 4 in the job
// that then samples with it by flow-MH, and checks ⟨|m|⟩ and ⟨m²⟩ against
// adapted HMC on the same target within 4σ; the training summary carries
// the rk4 density and its measured error, and the run says so on stderr.
func TestCNFTrainFlowMH(t *testing.T) {
	if !h5.Available {
		t.Skip("built without HDF5")
	}
	const model = "[model]\nkind = \"phi4\"\nL = 4\nm2 = -4.0\nlam = 8.0\n"
	flowJob := "seed = 5\n" + model + `[train]
flow = "cnf"
features = 4
frequencies = 8
time_basis = 5
steps = 20
epochs = 100
batch = 64
lr = 0.01
eval_samples = 2000
[sampler]
kind = "flow-mh"
chains = 4
thermalize = 300
sweeps = 2000
`
	hmcJob := "seed = 3\n" + model + "[sampler]\nkind = \"hmc\"\nchains = 4\nthermalize = 500\nsweeps = 4000\n"
	dir := t.TempDir()
	s, err := job.Parse([]byte(flowJob), "cnf.toml", dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "cnf")
	tr, err := Train(context.Background(), s, Options{Out: out, Workers: 2, Task: -1, Progress: "none"})
	if err != nil {
		t.Fatal(err)
	}
	ts := tr.Tasks[0].Train
	if ts.Density != "rk4" || ts.DensityError == nil || !(*ts.DensityError > 0 && *ts.DensityError < 1e-3) {
		t.Fatalf("density %q, error %v: want rk4 with a measured error below 1e-3", ts.Density, ts.DensityError)
	}
	t.Logf("cnf: ESS/sample %.3f, density error %.2g", ts.ESS, float64(*ts.DensityError))
	var stderr strings.Builder
	flow, err := Run(context.Background(), s, Options{Out: out, Workers: 2, Task: -1, Progress: "none", Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "RK4 density") {
		t.Errorf("the run does not state the flow's density bound; stderr:\n%s", stderr.String())
	}
	hs, err := job.Parse([]byte(hmcJob), "hmc.toml", dir)
	if err != nil {
		t.Fatal(err)
	}
	hmc, err := Run(context.Background(), hs, Options{Out: filepath.Join(dir, "hmc"), Workers: 2, Task: -1, Progress: "none"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{"absm", "m2"} {
		a, b := flow.Tasks[0].Observables[o], hmc.Tasks[0].Observables[o]
		z := float64(a.Mean-b.Mean) / math.Hypot(float64(a.Stderr), float64(b.Stderr))
		t.Logf("%s: flow-MH %.4f ± %.4f, HMC %.4f ± %.4f (%.1fσ)", o, a.Mean, a.Stderr, b.Mean, b.Stderr, z)
		if math.Abs(z) > 4 {
			t.Errorf("%s: flow-MH %.4f ± %.4f, HMC %.4f ± %.4f (%.1fσ)", o, a.Mean, a.Stderr, b.Mean, b.Stderr, z)
		}
	}
	if acc := flow.Tasks[0].Observables["accept"].Mean; !(acc > 0.3) {
		t.Errorf("flow-MH acceptance %.3f: the trained flow is poor", acc)
	}
	if _, err := os.Stat(filepath.Join(out, "flow")); err != nil {
		t.Error(err)
	}
}
