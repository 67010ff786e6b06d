package kind

import (
	"math"
	"strings"
	"testing"
)

func TestRegisterRefuses(t *testing.T) {
	newM := func(Values) (Instance, error) { return nil, nil }
	ok := Model{Name: "kindtest-model", Version: 1, New: newM, Keys: []Key{IntKey("L", 4, 2, 8, "size")}}
	if err := RegisterModel(ok); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m    Model
		want string
	}{
		{ok, "registered twice"},
		{Model{Name: "kindtest-v0", New: newM}, "Version"},
		{Model{Name: "kindtest-nonew", Version: 1}, "needs a name and New"},
		{Model{Name: "kindtest-dupkey", Version: 1, New: newM, Keys: []Key{AnyKey("J", 1, "a"), AnyKey("J", 2, "b")}}, "declared twice"},
		{Model{Name: "kindtest-kindkey", Version: 1, New: newM, Keys: []Key{AnyKey("kind", 1, "a")}}, "declared twice"},
		{Model{Name: "kindtest-nodoc", Version: 1, New: newM, Keys: []Key{AnyKey("J", 1, "")}}, "no doc"},
		{Model{Name: "kindtest-baddef", Version: 1, New: newM, Keys: []Key{IntKey("L", 1, 2, 8, "size")}}, "default 1"},
		{Model{Name: "kindtest-type", Version: 1, New: newM, Keys: []Key{{Name: "L", Type: Int, Default: 2.5, Doc: "size"}}}, "not of the key's type"},
	} {
		err := RegisterModel(c.m)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.m.Name, err, c.want)
		}
		if e := Err(); e == nil || !strings.Contains(e.Error(), c.want) {
			t.Errorf("%s: Err() = %v", c.m.Name, e)
		}
	}
	s := Sampler{Name: "kindtest-sampler", Version: 1, Accepts: func(Instance, Values) error { return nil },
		Build: func(*Env, Instance) (*Built, error) { return nil, nil }, Keys: []Key{AnyKey("chains", 1, "x")}}
	if err := RegisterSampler(s); err == nil || !strings.Contains(err.Error(), "declared twice") {
		t.Errorf("a sampler key named chains: %v", err)
	}
}

func TestKeyRange(t *testing.T) {
	for _, c := range []struct {
		k    Key
		v    float64
		ok   bool
		desc string
	}{
		{IntKey("L", 4, 2, 8, "size"), 9, false, "2 <= L <= 8"},
		{IntKey("L", 4, 2, 8, "size"), 2, true, "2 <= L <= 8"},
		{PositiveKey("eps", 1, "step"), 0, false, "eps > 0"},
		{FloatKey("beta", 1, 0, math.Inf(1), "β"), 0, true, "beta >= 0"},
		{AnyKey("h", 0, "field"), -1e300, true, "any finite number"},
		{AnyKey("h", 0, "field"), math.Inf(1), false, "any finite number"},
	} {
		if got := c.k.CheckNumber(c.v) == ""; got != c.ok {
			t.Errorf("%s = %v: ok %v, want %v", c.k.Name, c.v, got, c.ok)
		}
		if r := c.k.Range(); r != c.desc {
			t.Errorf("%s: range %q, want %q", c.k.Name, r, c.desc)
		}
	}
}

// Nearest suggests the closest name: case, a typo or two, a unique
// prefix; nothing when no name is close.
func TestNearest(t *testing.T) {
	names := []string{"metropolis", "wolff", "swendsen-wang", "hmc", "nuts", "mala", "flow-mh", "latent-hmc"}
	for _, c := range []struct{ s, want string }{
		{"Metropolis", "metropolis"}, {"metropolsi", "metropolis"}, {"wolf", "wolff"}, {"swendsen", "swendsen-wang"},
		{"flowmh", "flow-mh"}, {"nut", "nuts"}, {"latent-hcm", "latent-hmc"}, {"annealing", ""}, {"x", ""},
	} {
		if got := Nearest(c.s, names); got != c.want {
			t.Errorf("Nearest(%q) = %q, want %q", c.s, got, c.want)
		}
	}
	if got := DidYouMean("Wolff", names); got != `; did you mean "wolff"?` {
		t.Errorf("DidYouMean: %q", got)
	}
}
