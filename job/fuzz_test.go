package job

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse: any input either fails with a SpecError or parses to a spec
// whose resolved job file (written, as OUT/job.toml is, in another
// directory with paths relative to it) parses back to a deep-equal spec
// with the same hash for every task; it never panics. `make test` runs the
// checked-in corpus (testdata/fuzz/FuzzParse) and these seeds; `make fuzz`
// runs the campaign.
func FuzzParse(f *testing.F) {
	f.Add([]byte("name = \"x\"\n[model]\nL = [8, 16]\nbeta = 0.4\n[sampler]\nchains = 2\n"))
	f.Add([]byte("[sampler]\nkind = \"wolff\"\n[model]\nh = 0.0\nJ = [1, 2]\n[checkpoint]\nevery = 100\n"))
	f.Add(DefaultTOML())
	f.Add([]byte("[sampler]\nengine = \"multispin\"\nchains = 128\n"))
	f.Add([]byte("[model]\nkind = \"phi4\"\nL = 4\n[sampler]\nkind = \"hmc\"\nsteps = 0\nlength = 2.5\nmetric = false\n"))
	f.Add([]byte("[model]\nkind = \"phi4\"\nL = 4\n[sampler]\nkind = \"hmc\"\nadapt = false\n"))
	f.Add([]byte("[model]\nkind = \"toy2d\"\n[sampler]\nkind = \"flow-mh\"\nflow = \"f.h5\"\nlocal = 0.5\n"))
	f.Add([]byte("[model]\nkind = \"toy2d\"\n[sampler]\nkind = \"flow-mh\"\nflow = \"f.h5\"\nlocal = 0\n"))
	f.Add([]byte("[model]\nkind = \"toy2d\"\n[train]\nepochs = 3\n[sampler]\nkind = \"latent-hmc\"\n"))
	f.Add([]byte("[model]\nkind = \"toy2d\"\nname = \"wave\"\n[train]\nflow = \"monge-ampere\"\npotential = \"mlp\"\neps = 0.05\n"))
	f.Add([]byte("[model]\nkind = \"phi4\"\nlam = [4, 8]\n[train]\nsymmetric = \"equivariant\"\nhidden = [32]\n"))
	f.Add([]byte("name = \"a\\u0007b\"\n[output]\ndir = \"../x\\u007f\"\n"))
	f.Add([]byte("[model\n"))
	f.Add([]byte("[model]\nkind = \"potts\"\nq = [2, 3]\n[sampler]\nkind = \"swendsen-wang\"\n"))
	f.Add([]byte("[model]\nkind = \"xy\"\nbeta = [1.0, 1.1]\n[sampler]\nstep = 0.5\n"))
	f.Add([]byte("[model]\nkind = \"ising3d\"\nL = 4\n[sampler]\nengine = \"multispin\"\nchains = 64\n"))
	dir := f.TempDir() // holds f.h5: a job's paths must name existing files
	if err := os.WriteFile(filepath.Join(dir, "f.h5"), nil, 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.toml", dir)
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a SpecError", err)
			}
			return
		}
		checkRoundTrip(t, s, filepath.Join(dir, "out", "critical"))
	})
}

// checkRoundTrip writes s as its job copy in dir and parses it back: the
// spec must be deep-equal (but for where it was read from) with the same
// hash for every task.
func checkRoundTrip(t *testing.T, s *Spec, dir string) {
	t.Helper()
	text := s.TOML(dir)
	back, err := Parse(text, filepath.Join(dir, "job.toml"), dir)
	if err != nil {
		t.Fatalf("resolved spec does not parse: %v\n%s", err, text)
	}
	a, b := *s, *back
	a.File, a.Dir, b.File, b.Dir = "", "", "", ""
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("resolved spec parses to another spec:\n%+v\n%+v\n%s", a, b, text)
	}
	for _, task := range s.Tasks() {
		if s.Hash(task) != back.Hash(task) {
			t.Fatalf("task %s: the resolved spec has another hash\n%s", task.Name(), text)
		}
	}
}
