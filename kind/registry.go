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
	return register(models, &m, "model", m.Name, m.Version, m.New != nil, "a name and New", m.Keys, []string{"kind"})
}

// RegisterSampler adds a sampler kind, as RegisterModel.
func RegisterSampler(s Sampler) error {
	return register(samplers, &s, "sampler", s.Name, s.Version, s.Build != nil && s.Accepts != nil, "a name, Accepts and Build", s.Keys, CommonSamplerKeys)
}

// register checks a kind's description and adds it to table under name,
// or keeps the error for Err.
func register[T any](table map[string]*T, v *T, what, name string, version int, complete bool, needs string, keys []Key, reserved []string) error {
	mu.Lock()
	defer mu.Unlock()
	var err error
	switch {
	case name == "" || !complete:
		err = fmt.Errorf("kind: a %s kind needs %s (%q)", what, needs, name)
	case version < 1:
		err = fmt.Errorf("kind: %s %q: Version = %d, want >= 1", what, name, version)
	case table[name] != nil:
		err = fmt.Errorf("kind: %s kind %q registered twice", what, name)
	default:
		err = checkKeys("kind: "+what+" "+name, keys, reserved)
	}
	if err != nil {
		errs = append(errs, err)
		return err
	}
	table[name] = v
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

// Description returns what Describe says of the sampler with these keys,
// or "".
func (s *Sampler) Description(v Values) string {
	if s.Describe != nil {
		return s.Describe(v)
	}
	return ""
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
