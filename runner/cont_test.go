package runner

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/internal/testflows"
	"github.com/mcflow/mcflow/io/npy"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/mc/stats"
	"github.com/mcflow/mcflow/model"
)

// HMC on the Ising model's continuous relaxation, through the whole job
// pipeline (spins drawn from p(s|x) at each measurement): E/N and C/N of
// the drawn spins, and the mean of e_rb = E[E/N | x], against Kaufman's
// exact values within 4 standard errors.
func TestRelaxedHMCKaufman(t *testing.T) {
	statistical(t)
	for _, beta := range []float64{0.3, 0.4406868} {
		t.Run(fmt.Sprint(beta), func(t *testing.T) {
			doc := fmt.Sprintf("seed = 3\n[model]\nkind = \"ising2d-relaxed\"\nL = 4\nbeta = %v\n[sampler]\nkind = \"hmc\"\nchains = 8\nthermalize = 500\nsweeps = 6000\nsteps = 0\nlength = 1.5\n", beta)
			s, err := job.Parse([]byte(doc), "relaxed.toml", t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Run(context.Background(), s, Options{Out: filepath.Join(t.TempDir(), "out"), Workers: 2, Task: -1, Progress: "none"})
			if err != nil {
				t.Fatal(err)
			}
			sum := rep.Tasks[0]
			k, _ := exact.Kaufman(4, beta, 1)
			for _, c := range []struct {
				name    string
				got, se float64
				want    float64
			}{
				{"e", float64(sum.Observables["e"].Mean), float64(sum.Observables["e"].Stderr), k.E},
				{"e_rb", float64(sum.Observables["e_rb"].Mean), float64(sum.Observables["e_rb"].Stderr), k.E},
				{"C", float64(sum.Derived["C"].Value), float64(sum.Derived["C"].Stderr), k.C},
			} {
				z := (c.got - c.want) / c.se
				t.Logf("%s = %.5f ± %.5f, Kaufman %.5f (%.1f σ); acceptance %.3f", c.name, c.got, c.se, c.want, z, float64(sum.Observables["accept"].Mean))
				if math.Abs(z) > 4 {
					t.Errorf("%s = %.5f ± %.5f, Kaufman %.5f (%.1f σ)", c.name, c.got, c.se, c.want, z)
				}
			}
		})
	}
}

// configs_every: extending a finished run (more sweeps) extends the
// configuration file, keeping the snapshots taken and filling the new ones.
func TestConfigsExtend(t *testing.T) {
	dir := t.TempDir()
	run := func(sweeps int) {
		doc := fmt.Sprintf("seed = 5\n[model]\nkind = \"phi4\"\nL = 4\n[sampler]\nkind = \"hmc\"\nchains = 2\nthermalize = 50\nsweeps = %d\nsteps = 3\n[output]\nconfigs_every = 5\n", sweeps)
		s, err := job.Parse([]byte(doc), "c.toml", dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Run(context.Background(), s, Options{Out: filepath.Join(dir, "out"), Workers: 2, Task: -1, Progress: "none"}); err != nil {
			t.Fatal(err)
		}
	}
	run(500)
	_, before, err := npy.ReadAny(filepath.Join(dir, "out", "configs", "L=4_m2=-4_lam=8.npy"))
	if err != nil {
		t.Fatal(err)
	}
	run(700)
	shape, after, err := npy.ReadAny(filepath.Join(dir, "out", "configs", "L=4_m2=-4_lam=8.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(shape) != "[2 140 4 4]" {
		t.Fatalf("shape after extending %v, want [2 140 4 4]", shape)
	}
	for c := range 2 {
		for i := range 100 * 16 {
			if after[c*140*16+i] != before[c*100*16+i] {
				t.Fatalf("chain %d: snapshot value %d changed by extending", c, i)
			}
		}
		for i := 100 * 16; i < 140*16; i++ {
			if math.IsNaN(after[c*140*16+i]) {
				t.Fatalf("chain %d: new snapshot value %d not filled", c, i)
			}
		}
	}
}

// Adaptive flow-MH on Ring2D, starting from a flow trained for another
// density (the Gaussian toy's, in testdata): during thermalize the flow is
// trained on the chains' states (local moves explore the ring), then
// frozen. The recorded chain is exact (means and second moments against
// quadrature within 4σ), and the adapted flow's acceptance beats the same
// job's without adaptation.
func TestAdaptiveFlowMH(t *testing.T) {
	flow := testflows.Path(t, "gaussian-realnvp.h5")
	doc := fmt.Sprintf(`seed = 4
[model]
kind = "toy2d"
name = "ring2d"
[sampler]
kind = "flow-mh"
flow = %q
chains = 8
thermalize = 4000
sweeps = 20000
local = 0.5
local_kernel = "rw"
local_step = 0.4
`, flow)
	ref, err := exact.Toy2D(mustToy(t, "ring2d"), 0.25)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	accept := map[bool]float64{}
	for _, adaptive := range []bool{false, true} {
		body := doc
		if adaptive {
			body += "adapt_rounds = 4\nadapt_epochs = 200\nadapt_batch = 256\nadapt_lr = 0.003\n"
		}
		s, err := job.Parse([]byte(body), "adapt.toml", dir)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, fmt.Sprint("out-", adaptive))
		rep, err := Run(context.Background(), s, Options{Out: out, Workers: 2, Task: -1, Progress: "none"})
		if err != nil {
			t.Fatal(err)
		}
		sum := rep.Tasks[0]
		accept[adaptive] = float64(sum.Observables["accept"].Mean)
		t.Logf("adaptive %v: acceptance %.3f", adaptive, accept[adaptive])
		if !adaptive {
			continue
		}
		for j, n := range []string{"x1", "x2"} {
			a, err := npy.Read(filepath.Join(out, "npy", "ring2d", n+".npy"))
			if err != nil {
				t.Fatal(err)
			}
			sq := make([][]float64, len(a))
			for c, row := range a {
				for _, v := range row {
					sq[c] = append(sq[c], v*v)
				}
			}
			for _, m := range []struct {
				name string
				e    stats.Estimate
				want float64
			}{{n, stats.Summarize(a), ref.Mean[j]}, {n + "²", stats.Summarize(sq), ref.Second[j]}} {
				z := (m.e.Mean - m.want) / m.e.Stderr
				t.Logf("%s = %.4f ± %.4f, quadrature %.4f (%.1f σ)", m.name, m.e.Mean, m.e.Stderr, m.want, z)
				if math.Abs(z) > 4 {
					t.Errorf("%s = %.4f ± %.4f, quadrature %.4f (%.1f σ)", m.name, m.e.Mean, m.e.Stderr, m.want, z)
				}
			}
		}
		if _, err := os.Stat(filepath.Join(out, "flow", "ring2d.adapted.h5")); err != nil {
			t.Errorf("no adapted flow: %v", err)
		}
	}
	if accept[true] < accept[false]+0.1 {
		t.Errorf("acceptance with adaptation %.3f, without %.3f: the adaptation did not help", accept[true], accept[false])
	}
}

func mustToy(t *testing.T, name string) *model.Toy2D {
	t.Helper()
	m, err := model.NewToy2D(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
