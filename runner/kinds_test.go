package runner

import (
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/mcflow/mcflow/job"
)

// Every new lattice model runs on each of its samplers through a job
// file: the q = 2 Potts model against Kaufman (the summary's exact
// reference, at half the coupling), the XY and 3D Ising models to their
// tables with the derived quantities.
func TestLatticeKindsJobs(t *testing.T) {
	statistical(t)
	for _, c := range []struct {
		model, sampler string
		want           []string // observables and derived quantities
	}{
		{"kind = \"potts\"\nq = 2\nL = 6\nbeta = 0.8", "kind = \"metropolis\"", []string{"e", "m2", "C", "chi", "U4"}},
		{"kind = \"potts\"\nq = 2\nL = 6\nbeta = 0.8", "kind = \"wolff\"", []string{"cluster"}},
		{"kind = \"potts\"\nq = 2\nL = 6\nbeta = 0.8", "kind = \"swendsen-wang\"", []string{"clusters"}},
		{"kind = \"xy\"\nL = 4\nbeta = 1.0", "kind = \"metropolis\"", []string{"upsilon", "C"}},
		{"kind = \"xy\"\nL = 4\nbeta = 1.0", "kind = \"wolff\"", []string{"upsilon", "cluster"}},
		{"kind = \"ising3d\"\nL = 4\nbeta = 0.2", "kind = \"metropolis\"", []string{"absm", "U4"}},
		{"kind = \"ising3d\"\nL = 4\nbeta = 0.2", "kind = \"metropolis\"\nengine = \"multispin\"\nchains = 64", []string{"absm", "U4"}},
		{"kind = \"ising3d\"\nL = 4\nbeta = 0.2", "kind = \"wolff\"", []string{"cluster", "chi"}},
	} {
		name := strings.Fields(c.model)[2] + "/" + strings.ReplaceAll(c.sampler, "\n", " ")
		t.Run(name, func(t *testing.T) {
			doc := "seed = 2\n[model]\n" + c.model + "\n[sampler]\nthermalize = 500\n" + c.sampler + "\n"
			if !strings.Contains(c.sampler, "chains") {
				doc += "chains = 4\n"
			}
			if strings.Contains(c.model, "potts") {
				doc += "sweeps = 20000\n"
			} else {
				doc += "sweeps = 3000\n"
			}
			sum := runSummary(t, doc)
			for _, w := range c.want {
				_, obs := sum.Observables[w]
				_, der := sum.Derived[w]
				if !obs && !der {
					t.Errorf("no %s in the summary", w)
				}
			}
			if !strings.Contains(c.model, "potts") {
				return
			}
			if sum.Exact == nil {
				t.Fatal("q = 2 Potts has no exact reference")
			}
			e := sum.Observables["e"]
			ex := float64(sum.Exact.Values["e"])
			if d := math.Abs(float64(e.Mean) - ex); d > 4*float64(e.StderrBinning) || d > 4*float64(e.Stderr) {
				t.Errorf("e = %v ± %v, Kaufman at β/2: %v", e.Mean, e.Stderr, ex)
			}
			if slices.ContainsFunc(sum.Warnings, func(w string) bool { return !strings.HasPrefix(w, "symmetry:") }) {
				t.Errorf("warnings: %v", sum.Warnings)
			}
		})
	}
}

// docs/keys.md is what `mcflow keys` prints: regenerate it with make docs.
func TestKeysDocCurrent(t *testing.T) {
	want, err := os.ReadFile("../docs/keys.md")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := job.Keys(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Error("docs/keys.md differs from `mcflow keys`: run make docs and commit it")
	}
}
