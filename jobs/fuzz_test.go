package jobs

import (
	"errors"
	"testing"
)

// FuzzParse: any input either parses to a spec whose resolved TOML parses
// back to the same spec, or fails with a SpecError; it never panics.
func FuzzParse(f *testing.F) {
	f.Add([]byte("name = \"x\"\n[model]\nL = [8, 16]\nbeta = 0.4\n[sampler]\nchains = 2\n"))
	f.Add([]byte("[sampler]\nkind = \"wolff\"\n[model]\nh = 0.0\nJ = [1, 2]\n[checkpoint]\nevery = 100\n"))
	f.Add(DefaultTOML())
	f.Add([]byte("[sampler]\nengine = \"multispin\"\nchains = 128\n"))
	f.Add([]byte("[model]\nkind = \"phi4\"\nL = 4\n[sampler]\nkind = \"hmc\"\nsteps = 0\nlength = 2.5\nmetric = false\n"))
	f.Add([]byte("[model]\nkind = \"toy2d\"\n[sampler]\nkind = \"flow-mh\"\nflow = \"f.h5\"\nlocal = 0.5\n"))
	f.Add([]byte("[model]\nkind = \"toy2d\"\n[train]\nepochs = 3\n[sampler]\nkind = \"latent-hmc\"\n"))
	f.Add([]byte("[model]\nkind = \"toy2d\"\nname = \"wave\"\n[train]\nflow = \"monge-ampere\"\npotential = \"mlp\"\neps = 0.05\n"))
	f.Add([]byte("[model]\nkind = \"phi4\"\nlam = [4, 8]\n[train]\nsymmetric = \"equivariant\"\nhidden = [32]\n"))
	f.Add([]byte("[model\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.toml", "/tmp")
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a SpecError", err)
			}
			return
		}
		back, err := Parse(s.TOML(), "resolved.toml", "/tmp")
		if err != nil {
			t.Fatalf("resolved spec does not parse: %v\n%s", err, s.TOML())
		}
		if string(back.TOML()) != string(s.TOML()) {
			t.Fatalf("resolved spec changed on a round trip:\n%s\n%s", s.TOML(), back.TOML())
		}
	})
}
