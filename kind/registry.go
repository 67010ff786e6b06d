package kind

import (
	"errors"
	"fmt"
	"slices"
	"sync"
)

var (
	mu       sync.Mutex
	models   = map[string]*Model{}
	samplers = map[string]*Sampler{}
	errs     []error
)

// CommonSamplerKeys are the [sampler] keys of every sampler, which a
// sampler's Keys must not declare.
var CommonSamplerKeys = []string{"kind", "chains", "thermalize", "sweeps", "measure_every", "start"}

// RegisterModel adds a model kind. A name registered twice, or a
// malformed description, is an error, also kept for Err.
func RegisterModel(m Model) error {
	err := func() error {
		if m.Name == "" || m.New == nil {
			return fmt.Errorf("kind: RegisterModel(%q): a model kind needs a name and New", m.Name)
		}
		if m.Version < 1 {
			return fmt.Errorf("kind: model %q: Version = %d, want >= 1", m.Name, m.Version)
		}
		if err := checkKeys("kind: model "+m.Name, m.Keys, []string{"kind"}); err != nil {
			return err
		}
		if _, dup := models[m.Name]; dup {
			return fmt.Errorf("kind: model kind %q registered twice", m.Name)
		}
		return nil
	}
	mu.Lock()
	defer mu.Unlock()
	if e := err(); e != nil {
		errs = append(errs, e)
		return e
	}
	models[m.Name] = &m
	return nil
}

// RegisterSampler adds a sampler kind, as RegisterModel.
func RegisterSampler(s Sampler) error {
	err := func() error {
		if s.Name == "" || s.Build == nil || s.Accepts == nil {
			return fmt.Errorf("kind: RegisterSampler(%q): a sampler kind needs a name, Accepts and Build", s.Name)
		}
		if s.Version < 1 {
			return fmt.Errorf("kind: sampler %q: Version = %d, want >= 1", s.Name, s.Version)
		}
		if err := checkKeys("kind: sampler "+s.Name, s.Keys, CommonSamplerKeys); err != nil {
			return err
		}
		if _, dup := samplers[s.Name]; dup {
			return fmt.Errorf("kind: sampler kind %q registered twice", s.Name)
		}
		return nil
	}
	mu.Lock()
	defer mu.Unlock()
	if e := err(); e != nil {
		errs = append(errs, e)
		return e
	}
	samplers[s.Name] = &s
	return nil
}

// Err returns the registration errors so far, joined (nil when none).
func Err() error {
	mu.Lock()
	defer mu.Unlock()
	return errors.Join(errs...)
}

// LookupModel returns a registered model kind.
func LookupModel(name string) (*Model, bool) {
	mu.Lock()
	defer mu.Unlock()
	m, ok := models[name]
	return m, ok
}

// LookupSampler returns a registered sampler kind.
func LookupSampler(name string) (*Sampler, bool) {
	mu.Lock()
	defer mu.Unlock()
	s, ok := samplers[name]
	return s, ok
}

// ModelNames lists the registered model kinds, sorted.
func ModelNames() []string {
	mu.Lock()
	defer mu.Unlock()
	var out []string
	for n := range models {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// SamplerNames lists the registered sampler kinds, sorted.
func SamplerNames() []string {
	mu.Lock()
	defer mu.Unlock()
	var out []string
	for n := range samplers {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// KernelVersions returns the sampler's kernels with these keys.
func (s *Sampler) KernelVersions(v Values) map[string]int {
	if s.Kernels != nil {
		return s.Kernels(v)
	}
	return map[string]int{"sampler/" + s.Name: s.Version}
}

// UnitOf returns the chains per pool chain.
func (s *Sampler) UnitOf(v Values) int {
	if s.Unit != nil {
		return s.Unit(v)
	}
	return 1
}

// SeriesOf returns the sampler's bookkeeping series.
func (s *Sampler) SeriesOf(v Values) []string {
	if s.Series != nil {
		return s.Series(v)
	}
	return nil
}

// KeyType returns the type of one of the sampler's keys (String if it has
// none of that name).
func (s *Sampler) KeyType(name string) Type {
	for _, k := range s.Keys {
		if k.Name == name {
			return k.Type
		}
	}
	return String
}
