package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcflow/mcflow/io/h5"
)

// build compiles a main package in dir into bin with the module settings
// env adds.
func build(t *testing.T, dir, bin string, env ...string) {
	t.Helper()
	args := []string{"build", "-o", bin}
	if !h5.Available {
		args = append(args, "-tags", "nohdf5")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build in %s: %v\n%s", dir, err, out)
	}
}

func runProg(t *testing.T, dir, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// The example, built as a user builds it: in a module of its own outside
// this repository that requires mcflow (a replace directive to this
// checkout, this repository's go.sum, no network), so that nothing
// internal is needed. It runs a job of its own kind and its estimates
// agree with its exact enumeration; the stock mcflow command reads its
// output (summary, status, export, merge); its slurm scripts run itself.
func TestUserProgram(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	mod := t.TempDir() // outside the repository
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	gomod := "module example.com/blumecapel\n\ngo 1.26\n\nrequire github.com/mcflow/mcflow v0.0.0\n\nreplace github.com/mcflow/mcflow => " + root + "\n"
	for name, data := range map[string][]byte{"main.go": src, "go.sum": sum, "go.mod": []byte(gomod)} {
		if err := os.WriteFile(filepath.Join(mod, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	prog := filepath.Join(mod, "blume-capel")
	build(t, mod, prog, "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	stock := filepath.Join(mod, "mcflow")
	build(t, filepath.Join(root, "cmd", "mcflow"), stock)

	// A program that registers a kind name twice is refused at start-up.
	dup := filepath.Join(mod, "dup")
	if err := os.MkdirAll(dup, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dup, "main.go"), []byte(`package main

import (
	"os"

	"github.com/mcflow/mcflow/cli"
	"github.com/mcflow/mcflow/kind"
)

func main() {
	kind.RegisterModel(kind.Model{Name: "ising2d", Version: 1, New: func(kind.Values) (kind.Instance, error) { return nil, nil }})
	os.Exit(cli.Main())
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	build(t, dup, filepath.Join(mod, "dupbin"), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	o, err := exec.Command(filepath.Join(mod, "dupbin"), "version").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(o), "\"ising2d\" registered twice") {
		t.Errorf("a kind registered twice: %v\n%s", err, o)
	}

	if out := runProg(t, mod, prog, "keys", "blume-capel"); !strings.Contains(out, "model.D") {
		t.Errorf("keys: %s", out)
	}
	job := filepath.Join(mod, "job.toml")
	if err := os.WriteFile(job, []byte("seed = 3\n[model]\nkind = \"blume-capel\"\nL = 3\nbeta = 0.5\n[sampler]\nchains = 4\nthermalize = 1000\nsweeps = 40000\n[output]\ndir = \"out\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runProg(t, mod, prog, "run", job, "--progress", "none")
	out := filepath.Join(mod, "out")
	checkExact(t, filepath.Join(out, "summary", "L=3_beta=0.5_J=1_D=0.5_h=0.json"))

	// Replica exchange runs the kind's chains (they are mc.Exchangers):
	// every rung against the enumeration.
	ptJob := filepath.Join(mod, "pt.toml")
	if err := os.WriteFile(ptJob, []byte("seed = 3\n[model]\nkind = \"blume-capel\"\nL = 3\n[sampler]\nkind = \"pt\"\nbetas = [0.3, 0.5, 0.8]\nchains = 4\nthermalize = 1000\nsweeps = 20000\n[output]\ndir = \"ptout\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if o := runProg(t, mod, prog, "run", ptJob, "--progress", "none"); !strings.Contains(o, "@beta=0.8") {
		t.Errorf("pt run:\n%s", o)
	}
	checkRungs(t, filepath.Join(mod, "ptout", "summary", "L=3_J=1_D=0.5_h=0.json"))

	// The stock binary, which has no blume-capel kind, reads the output.
	if o := runProg(t, mod, stock, "summary", out); !strings.Contains(o, "L=3_beta=0.5") || !strings.Contains(o, "e exact") {
		t.Errorf("mcflow summary:\n%s", o)
	}
	if o := runProg(t, mod, stock, "status", out); !strings.Contains(o, "done") {
		t.Errorf("mcflow status:\n%s", o)
	}
	runProg(t, mod, stock, "merge", out)
	if h5.Available {
		runProg(t, mod, stock, "export", out, "--npy")
	}
	// The stock binary cannot run the job, and says which program can.
	cmd := exec.Command(stock, "run", job, "--progress", "none")
	if o, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(o), "blume-capel") {
		t.Errorf("mcflow run of a blume-capel job: %v\n%s", err, o)
	}
	// A continuous kind of which the program writes only ln p and its
	// gradient: HMC against its exact moments; a flow trained on it by
	// reverse KL (through the operation mcflow builds from the gradient)
	// and flow-MH with that flow.
	banana := filepath.Join(mod, "banana.toml")
	if err := os.WriteFile(banana, []byte("seed = 4\n[model]\nkind = \"banana\"\n[sampler]\nkind = \"hmc\"\nchains = 4\nthermalize = 1000\nsweeps = 20000\n[output]\ndir = \"bout\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runProg(t, mod, prog, "run", banana, "--progress", "none")
	checkMoments(t, filepath.Join(mod, "bout", "summary", "b=0.5_s=1.json"), []string{"x1", "x2", "x1x1", "x2x2"})
	if h5.Available {
		flowJob := filepath.Join(mod, "flow.toml")
		if err := os.WriteFile(flowJob, []byte("seed = 4\n[model]\nkind = \"banana\"\n[train]\nepochs = 200\nbatch = 256\nhidden = [16]\nlayers = 4\neval_samples = 2000\n[sampler]\nkind = \"flow-mh\"\nchains = 2\nthermalize = 200\nsweeps = 2000\n[output]\ndir = \"fout\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		runProg(t, mod, prog, "run", flowJob, "--progress", "none")
		if _, err := os.Stat(filepath.Join(mod, "fout", "flow", "b=0.5_s=1.h5")); err != nil {
			t.Error(err)
		}
	}

	// slurm scripts exec the program that wrote them.
	if o := runProg(t, mod, prog, "slurm", job); !strings.Contains(o, "exec '"+prog+"'") && !strings.Contains(o, "exec "+prog) {
		t.Errorf("slurm script does not run %s:\n%s", prog, o)
	}
}

// checkMoments compares observables with the exact values of a summary.
func checkMoments(t *testing.T, path string, names []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Observables map[string]struct {
			Mean, Stderr float64
			Binning      float64 `json:"stderr_binning"`
		} `json:"observables"`
		Exact struct{ Values map[string]float64 } `json:"exact"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	for _, k := range names {
		o, want := s.Observables[k], s.Exact.Values[k]
		se := math.Max(o.Stderr, o.Binning)
		if d := math.Abs(o.Mean - want); !(d <= 4*se) {
			t.Errorf("%s = %v ± %v, exact %v (%.1fσ)", k, o.Mean, se, want, d/se)
		}
	}
}

// checkExact compares a task's estimates with its enumeration within 4
// standard errors (the larger of the τ_int and binning errors).
// taskStats is what checkExact reads of a task's (or a rung's) summary.
type taskStats struct {
	Observables map[string]struct {
		Mean, Stderr float64
		Binning      float64 `json:"stderr_binning"`
	} `json:"observables"`
	Derived map[string]struct{ Value, Stderr float64 } `json:"derived"`
	Exact   struct{ Values map[string]float64 }        `json:"exact"`
}

func checkExact(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s taskStats
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	checkStats(t, s)
}

// checkRungs checks every rung of a ladder's summary.
func checkRungs(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Ladder struct{ Rungs []taskStats } `json:"ladder"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Ladder.Rungs) != 3 {
		t.Fatalf("%d rungs in %s", len(s.Ladder.Rungs), path)
	}
	for _, r := range s.Ladder.Rungs {
		checkStats(t, r)
	}
}

func checkStats(t *testing.T, s taskStats) {
	t.Helper()
	for _, k := range []string{"e", "m2", "q"} {
		o, want := s.Observables[k], s.Exact.Values[k]
		se := math.Max(o.Stderr, o.Binning)
		if d := math.Abs(o.Mean - want); !(d <= 4*se) {
			t.Errorf("%s = %v ± %v, enumeration %v (%.1fσ)", k, o.Mean, se, want, d/se)
		}
	}
	c, want := s.Derived["C"], s.Exact.Values["C"]
	if d := math.Abs(c.Value - want); !(d <= 4*c.Stderr) {
		t.Errorf("C = %v ± %v, enumeration %v", c.Value, c.Stderr, want)
	}
}
