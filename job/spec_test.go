package job

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcflow/mcflow/io/h5"
)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		line      int
		want      []string
	}{
		{"unknown key", "name = \"x\"\n[sampler]\nchains = 2\nsweps = 10\n", 4, []string{"sampler.sweps", "unknown key", `did you mean "sweeps"?`}},
		{"unknown top key", "nam = \"x\"\n", 1, []string{"nam", "unknown key", `did you mean "name"?`}},
		{"unknown table", "[sampler]\nchains = 2\n[outptu]\ndir = \"a\"\n", 3, []string{"outptu", "unknown key", `did you mean "output"?`}},
		{"misspelled sampler", "[sampler]\nkind = \"Metropolis\"\n", 2, []string{"sampler.kind", `did you mean "metropolis"?`}},
		{"misspelled model", "[model]\nkind = \"ising2\"\n", 2, []string{"model.kind", `did you mean "ising2d"?`}},
		{"missing flow file", "[model]\nkind = \"phi4\"\n[sampler]\nkind = \"flow-mh\"\nflow = \"flows/none.h5\"\n", 5, []string{"sampler.flow", "no such file", "flows/none.h5", "relative paths resolve against the job file's folder"}},
		{"misspelled choice", "[model]\nkind = \"phi4\"\n[sampler]\nkind = \"flow-mh\"\nflow = \"f.h5\"\nlocal_kernel = \"HMC\"\n", 6, []string{"sampler.local_kernel", `did you mean "hmc"?`}},
		{"wrong type", "[sampler]\nchains = \"eight\"\n", 2, []string{"sampler.chains", "is a string, want an integer"}},
		{"L = 0", "[model]\nL = 0\n", 2, []string{"model.L", "want 2 <= L"}},
		{"L in a list", "[model]\nL = [8, 1]\n", 2, []string{"model.L", "= 1"}},
		{"L not integer", "[model]\nL = 8.5\n", 2, []string{"model.L", "want an integer"}},
		{"negative beta", "[model]\nbeta = -0.1\n", 2, []string{"model.beta", "beta >= 0"}},
		{"chains < 1", "[sampler]\nchains = 0\n", 2, []string{"sampler.chains", ">= 1"}},
		{"wolff with field", "[model]\nh = 0.1\n[sampler]\nkind = \"wolff\"\n", 2, []string{"model.h", "Wolff"}},
		{"bad sampler", "[sampler]\nkind = \"gibbs\"\n", 2, []string{"sampler.kind", "metropolis"}},
		{"bad duration", "[checkpoint]\nevery = \"soon\"\n", 2, []string{"checkpoint.every", "duration"}},
		{"bad format", "[output]\nformats = [\"csv\"]\n", 2, []string{"output.formats", "npy"}},
		{"syntax", "[model]\nL = = 3\n", 2, []string{"TOML syntax"}},
		{"unknown model", "[model]\nkind = \"heisenberg\"\n", 2, []string{"model.kind", "ising2d"}},
		{"potts q", "[model]\nkind = \"potts\"\nq = [3, 1]\n", 3, []string{"model.q", "2 <= q <= 256"}},
		{"potts wolff field", "[model]\nkind = \"potts\"\nh = 0.5\n[sampler]\nkind = \"swendsen-wang\"\n", 3, []string{"model.h", "Swendsen–Wang"}},
		{"xy wolff J", "[model]\nkind = \"xy\"\nJ = -1\n[sampler]\nkind = \"wolff\"\n", 3, []string{"model.J", "J > 0"}},
		{"step for ising", "[sampler]\nstep = 0.5\n", 2, []string{"sampler.step", "continuous spins"}},
		{"xy multispin", "[model]\nkind = \"xy\"\n[sampler]\nengine = \"multispin\"\nchains = 64\n", 4, []string{"sampler.engine", "no multispin engine"}},
		{"hmc on potts", "[model]\nkind = \"potts\"\n[sampler]\nkind = \"hmc\"\n", 4, []string{"sampler.kind", "continuous targets"}},
		{"sw on ising3d", "[model]\nkind = \"ising3d\"\n[sampler]\nkind = \"swendsen-wang\"\n", 4, []string{"sampler.kind", "Swendsen–Wang"}},
		{"empty scan", "[model]\nbeta = []\n", 2, []string{"model.beta", "empty list"}},
		{"mala steps", "[model]\nkind = \"phi4\"\n[sampler]\nkind = \"mala\"\nsteps = 3\n", 5, []string{"sampler.steps", "applies to kind"}},
		{"flow-mh mala length", "[model]\nkind = \"toy2d\"\n[sampler]\nkind = \"flow-mh\"\nflow = \"f.h5\"\nlocal_kernel = \"mala\"\nlength = 1.0\n", 7, []string{"sampler.length", "one MALA step"}},
		{"pt with model beta", "[model]\nbeta = 0.4\n[sampler]\nkind = \"pt\"\nbetas = [0.3, 0.4]\n", 2, []string{"model.beta", "set by sampler.kind = \"pt\""}},
		{"pt without ladder", "[sampler]\nkind = \"pt\"\n", 1, []string{"sampler.betas", "is missing"}},
		{"pt descending", "[sampler]\nkind = \"pt\"\nbetas = [0.5, 0.4]\n", 3, []string{"sampler.betas", "ascending"}},
		{"pt one rung", "[sampler]\nkind = \"pt\"\nbetas = [0.5]\n", 3, []string{"sampler.betas", "at least 2"}},
		{"pt betas number", "[sampler]\nkind = \"pt\"\nbetas = 0.5\n", 3, []string{"sampler.betas", "list of numbers"}},
		{"pt negative beta", "[sampler]\nkind = \"pt\"\nbetas = [-0.1, 0.5]\n", 3, []string{"sampler.betas", "position 1", "betas > 0"}},
		{"pt geometric incomplete", "[sampler]\nkind = \"pt\"\nbeta_min = 0.1\nbeta_max = 0.5\n", 1, []string{"sampler.rungs", "needs beta_min, beta_max and rungs"}},
		{"pt both ladders", "[sampler]\nkind = \"pt\"\nbetas = [0.1, 0.2]\nrungs = 4\n", 3, []string{"sampler.betas", "keep one"}},
		{"pt base unknown", "[sampler]\nkind = \"pt\"\nbase = \"gibbs\"\nbetas = [0.1, 0.2]\n", 3, []string{"sampler.base", "\"metropolis\""}},
		{"pt base pt", "[sampler]\nkind = \"pt\"\nbase = \"pt\"\nbetas = [0.1, 0.2]\n", 3, []string{"sampler.base", "\"wolff\""}},
		{"pt multispin", "[sampler]\nkind = \"pt\"\nengine = \"multispin\"\nchains = 64\nbetas = [0.1, 0.2]\n", 1, []string{"sampler.base", "one configuration per chain"}},
		{"pt adaptive ea", "[model]\nkind = \"ea\"\n[sampler]\nkind = \"pt\"\nbetas = [0.5, 1.0]\nladder_rounds = 3\n", 6, []string{"sampler.ladder_rounds", "share one ladder"}},
		{"pt hmc on ising", "[sampler]\nkind = \"pt\"\nbase = \"hmc\"\nbetas = [0.1, 0.2]\n", 2, []string{"sampler.kind", "continuous targets"}},
		{"multispin chains", "[sampler]\nengine = \"multispin\"\nchains = 100\n", 3, []string{"sampler.chains", "multiple of 64"}},
		{"multispin wolff", "[sampler]\nkind = \"wolff\"\nengine = \"multispin\"\nchains = 64\n", 3, []string{"sampler.engine", "metropolis"}},
		{"bad engine", "[sampler]\nengine = \"gpu\"\n", 2, []string{"sampler.engine", "multispin"}},
		{"toy name", "[model]\nkind = \"toy2d\"\nname = \"donut\"\n", 3, []string{"model.name", "ring2d"}},
		{"adapt with target", "[model]\nkind = \"phi4\"\n[sampler]\nkind = \"hmc\"\nadapt = false\ntarget_accept = 0.9\n", 5, []string{"sampler.adapt", "drop target_accept"}},
		{"adapt for flow-mh rw", "[model]\nkind = \"phi4\"\n[sampler]\nkind = \"flow-mh\"\nflow = \"f.h5\"\nlocal_kernel = \"rw\"\nadapt = false\n", 7, []string{"sampler.adapt", "applies to local_kernel = \"hmc\""}},
		{"batch too large", "[model]\nkind = \"phi4\"\n[sampler]\nkind = \"flow-mh\"\nflow = \"f.h5\"\nbatch = 16777217\n", 6, []string{"sampler.batch", "batch <= 16777216"}},
		{"local_step for hmc kernel", "[model]\nkind = \"phi4\"\n[sampler]\nkind = \"flow-mh\"\nflow = \"f.h5\"\nlocal_step = 0.2\n", 6, []string{"sampler.local_step", "local_kernel = \"rw\""}},
		{"local kernel without local", "[model]\nkind = \"phi4\"\n[sampler]\nkind = \"flow-mh\"\nflow = \"f.h5\"\nlocal = 0\nlocal_kernel = \"hmc\"\n", 7, []string{"sampler.local_kernel", "takes no local steps"}},
		{"phi4 lam", "[model]\nkind = \"phi4\"\nlam = -1\n", 3, []string{"model.lam", "lam >= 0"}},
		{"train key", "[model]\nkind = \"toy2d\"\n[train]\nflow = \"realnvp\"\nepoch = 3\n", 5, []string{"train.epoch", "unknown key", "epochs"}},
		{"train flow", "[model]\nkind = \"toy2d\"\n[train]\nflow = \"glow\"\n", 4, []string{"train.flow", "monge-ampere"}},
		{"train lr", "[model]\nkind = \"toy2d\"\n[train]\nlr = 0\n", 4, []string{"train.lr", "out of range"}},
		{"train other flow", "[model]\nkind = \"toy2d\"\n[train]\nflow = \"realnvp\"\nsteps = 3\n", 5, []string{"train.steps", "does not apply"}},
		{"train forward", "[model]\nkind = \"toy2d\"\n[train]\nloss = \"forward\"\n", 4, []string{"train.loss", "train.data"}},
		{"train mixture", "[model]\nkind = \"toy2d\"\n[train]\nflow = \"monge-ampere\"\nsymmetric = \"mixture\"\n", 3, []string{"train", "invertible"}},
		{"train hidden", "[model]\nkind = \"toy2d\"\n[train]\nhidden = [0]\n", 4, []string{"train.hidden", ">= 1"}},
		{"train bins", "[model]\nkind = \"phi4\"\n[train]\nbins = 4\n", 4, []string{"train.bins", "coupling = \"spline\""}},
		{"train coupling", "[model]\nkind = \"phi4\"\n[train]\ncoupling = \"cubic\"\n", 4, []string{"train.coupling", "\"spline\""}},
		{"train bound", "[model]\nkind = \"phi4\"\n[train]\ncoupling = \"spline\"\nbound = 0\n", 5, []string{"train.bound", "> 0"}},
		{"train kernel lncosh", "[model]\nkind = \"phi4\"\n[train]\nflow = \"monge-ampere\"\nkernel = 3\n", 5, []string{"train.kernel", "potential = \"conv\""}},
		{"train conv potential off lattice", "[model]\nkind = \"toy2d\"\n[train]\nflow = \"monge-ampere\"\npotential = \"conv\"\n", 5, []string{"train.potential", "lattice"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir() // with the flow file the jobs name (its content is not read)
			if err := os.WriteFile(filepath.Join(dir, "f.h5"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Parse([]byte(tc.doc), "job.toml", dir)
			if err == nil {
				t.Fatal("no error")
			}
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a SpecError", err)
			}
			if se.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", se.Line, tc.line, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "job.toml:") {
				t.Errorf("error %q does not start with the file name", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
}

func TestTasksOrder(t *testing.T) {
	s, err := Parse([]byte("[model]\nbeta = [0.3, 0.4]\nL = [8, 16, 32]\nh = 0.0\n"), "j.toml", "/tmp")
	if err != nil {
		t.Fatal(err)
	}
	tasks := s.Tasks()
	if len(tasks) != 6 {
		t.Fatalf("%d tasks, want 6", len(tasks))
	}
	// Keys in the model's order (L, then beta), the last varying fastest.
	want := [][2]float64{{0.3, 8}, {0.4, 8}, {0.3, 16}, {0.4, 16}, {0.3, 32}, {0.4, 32}}
	for i, tk := range tasks {
		if tk.Get("beta") != want[i][0] || tk.Get("L") != want[i][1] || tk.Get("J") != 1 {
			t.Errorf("task %d: beta %v L %v J %v, want %v", i, tk.Get("beta"), tk.Get("L"), tk.Get("J"), want[i])
		}
	}
	if got := s.Scanned(); len(got) != 2 || got[0] != "L" || got[1] != "beta" {
		t.Errorf("scanned %v", got)
	}
}

func TestHashIgnoresOutputAndSweeps(t *testing.T) {
	base := "seed = 5\n[model]\nL = 8\n[sampler]\nsweeps = 100\n"
	a, _ := Parse([]byte(base), "j.toml", "/tmp")
	for name, doc := range map[string]string{
		"output":     base + "[output]\ndir = \"elsewhere\"\nformats = [\"npy\"]\n",
		"checkpoint": base + "[checkpoint]\nevery = 50\n",
		"sweeps":     "seed = 5\n[model]\nL = 8\n[sampler]\nsweeps = 1000\n",
	} {
		b, err := Parse([]byte(doc), "j.toml", "/tmp")
		if err != nil {
			t.Fatal(err)
		}
		if a.Hash(a.Tasks()[0]) != b.Hash(b.Tasks()[0]) {
			t.Errorf("changing %s changed the spec hash", name)
		}
	}
	for name, doc := range map[string]string{
		"seed":   "seed = 6\n[model]\nL = 8\n[sampler]\nsweeps = 100\n",
		"beta":   "seed = 5\n[model]\nL = 8\nbeta = 0.3\n[sampler]\nsweeps = 100\n",
		"chains": "seed = 5\n[model]\nL = 8\n[sampler]\nsweeps = 100\nchains = 3\n",
	} {
		b, _ := Parse([]byte(doc), "j.toml", "/tmp")
		if a.Hash(a.Tasks()[0]) == b.Hash(b.Tasks()[0]) {
			t.Errorf("changing %s kept the spec hash", name)
		}
	}
}

// TestTOMLRoundTrip: the resolved job file parses back to the same spec.
func TestTOMLRoundTrip(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	checkRoundTrip(t, s, filepath.Join(s.Dir, "out", "default"))
}

func TestExamplesParse(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.toml")
	for _, sub := range []string{"flows", "samplers"} {
		more, _ := filepath.Glob(filepath.Join("../examples", sub, "*.toml"))
		files = append(files, more...)
	}
	if len(files) == 0 {
		t.Fatal("no example job files")
	}
	for _, f := range files {
		_, err := ParseFile(f)
		if !h5.Available && err != nil && strings.Contains(err.Error(), "built without HDF5") {
			continue // the nohdf5 build refuses HDF5 output, as it must
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// A flow sampler's hash covers the [train] table that trains its flow.
func TestHashCoversTrainedFlow(t *testing.T) {
	job := func(sampler, lr string) *Spec {
		doc := "[model]\nkind = \"toy2d\"\n[train]\nlr = " + lr + "\n[sampler]\nkind = \"" + sampler + "\"\n"
		s, err := Parse([]byte(doc), "h.toml", "/tmp")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	task := job("flow-mh", "0.01").Tasks()[0]
	if job("flow-mh", "0.01").Hash(task) == job("flow-mh", "0.02").Hash(task) {
		t.Error("flow-mh: a different [train] gave the same hash")
	}
	if job("hmc", "0.01").Hash(task) != job("hmc", "0.02").Hash(task) {
		t.Error("hmc (no flow): [train] changed the hash")
	}
}
