package kind

import (
	"encoding"
	"errors"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/hmc"
	"github.com/mcflow/mcflow/nf"
)

// Plan is the [sampler] table's common keys, which every sampler has.
type Plan struct {
	Chains       int // independent chains per task
	Thermalize   int // steps discarded per chain
	Sweeps       int // recorded steps per chain
	MeasureEvery int // steps between measurements
	Hot          bool
}

// Sampler is a sampler kind: sampler.kind = Name in a job file.
type Sampler struct {
	Name    string
	Doc     string // one line
	Version int    // the kernel version of its moves (see Model.Version)
	// Keys are its [sampler] keys besides the common ones (kind, chains,
	// thermalize, sweeps, measure_every, start).
	Keys []Key
	// Needs names the capability a model must have, for the reference
	// and errors ("kind.Metropolis", "kind.Continuous").
	Needs string
	// Flow marks samplers that use a trained flow (its `flow` key, or the
	// flow the job's [train] table trains).
	Flow bool
	// Configs marks samplers that can save configurations
	// (output.configs_every).
	Configs bool
	// Wraps marks a sampler that runs another registered sampler, named by
	// its `base` key (a String key it must declare): the base's keys sit
	// flat in the same [sampler] table, are parsed and resolved by the
	// base's description, and the wrapper's Resolve, Accepts and Build see
	// them in the same Values.
	Wraps bool
	// Overrides names [model] keys that the sampler sets itself (a
	// tempering ladder's "beta"): a job file that gives one is refused,
	// and the model's Instance of a task is built at the key's default.
	Overrides []string

	// Resolve checks the keys together and makes them canonical: keys
	// that do not apply are deleted, defaults that depend on others set,
	// so that the resolved job file parses back to the same values. given
	// reports whether the job file gave a key. Optional.
	Resolve func(v Values, given func(string) bool, p Plan) error
	// Accepts reports whether the sampler can run on the model: the
	// capability, and the parameters' domain (an error about a [model]
	// key is a *KeyError).
	Accepts func(m Instance, v Values) error
	// Series names the bookkeeping series the sampler appends after the
	// model's observables (acceptance, cluster sizes, …).
	Series func(v Values) []string
	// Kernels returns the kernel versions the sampler runs with these
	// keys; nil: {"sampler/" + Name: Version}. Optional.
	Kernels func(v Values) map[string]int
	// Unit is the number of chains per pool chain (64 for a bit-parallel
	// engine); nil: 1.
	Unit func(v Values) int
	// Whole says why a task with these keys cannot be split into slices
	// of chains (it adapts from all of them), or "". Optional.
	Whole func(v Values) string
	// Describe says what the run's first line adds about the sampler
	// with these keys (the multispin engine's vector kernel), or "".
	// Optional.
	Describe func(v Values) string
	// Build makes the chains of a task.
	Build func(e *Env, m Instance) (*Built, error)
}

// Env is what a sampler's Build gets.
type Env struct {
	Seed    uint64
	Task    string // the task's id: part of every random stream
	Plan    Plan
	Sampler Values
	// Configs asks every chain's Observe to append its configuration
	// after the observables and series.
	Configs bool
	// Flow loads the sampler's flow (Flow samplers), checked against the
	// target's dimension.
	Flow func(dim int) (*nf.Model, error)
	// Workers is how many goroutines the sampler may use for work across
	// its chains (an Adapter's training); results must not depend on it.
	Workers int
	// ModelAt builds the task's model with one numeric [model] key set to
	// v (a tempering ladder's rungs); the error is a *KeyError when the
	// model has no such key or refuses the value.
	ModelAt func(key string, v float64) (Instance, error)
	// Prefix is prepended to the index of every stream (a wrapped
	// sampler's rung); nil for a sampler that is not wrapped.
	Prefix []uint64
}

// Stream returns the random stream of (seed, task, purpose, prefix…,
// index…): the only way a chain gets random numbers.
func (e *Env) Stream(p mc.Purpose, index ...uint64) *mc.PCG {
	if len(e.Prefix) > 0 {
		index = append(append([]uint64(nil), e.Prefix...), index...)
	}
	return mc.NewStream(e.Seed, e.Task, p, index...)
}

// Sub returns a copy of the environment whose streams are prefixed by
// index as well (the base sampler of a wrapper, one rung of a ladder).
func (e *Env) Sub(index ...uint64) *Env {
	s := *e
	s.Prefix = append(append([]uint64(nil), e.Prefix...), index...)
	return &s
}

// Built is a task's chains.
type Built struct {
	Chains []mc.Chain
	// Config is the shape of the configuration a chain appends when
	// Env.Configs (nil when the sampler saves none).
	Config []int
	// Adapter, if not nil, trains something on the chains during
	// thermalize (adaptive flow-MH).
	Adapter Adapter
	// Ladder, for a tempering sampler, is the inverse temperature of each
	// rung (ascending) and Rungs the model at each: every chain is one
	// ladder (Unit 1) whose Observe appends the observables and series of
	// each rung in turn, and the statistics are per rung.
	Ladder []float64
	Rungs  []Instance
	// Rung builds the model at another β of the ladder (one that adapts
	// during thermalize: the chains report their final ladder through a
	// Betas() []float64 method).
	Rung func(beta float64) (Instance, error)
}

// Adapter is a sampler that adapts across chains during thermalize: it is
// split into Rounds rounds; after each, Train learns from what the chains
// collected in it, then the chains use the result. The Adapter's state is
// saved in the task's checkpoint; what the chains collected is in their
// own bytes.
type Adapter interface {
	Rounds() int
	// Begin starts round r's collection in chains that are not collecting
	// (a resumed round keeps what its chains hold).
	Begin(r, steps int)
	// Train learns from round r's collection and hands the result to the
	// chains.
	Train(r int) error
	// Flow is what was learned, saved for inspection after the last round.
	Flow() *nf.Model
	// Reload makes the chains use the state restored by UnmarshalBinary.
	Reload()
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// ErrNoKey is Env.ModelAt's error for a model without the key.
var ErrNoKey = errors.New("kind: the model has no such key")

// Diverging is a chain that keeps the states of its divergent transitions
// after thermalisation (HMC's family): mcflow writes them to
// OUT/divergences/<task>.npy. Divergences returns, for each kept, the
// draw (measurement interval) it fell in and the state it left the chain
// in (in the target's space); ok is false when the chain's sampler cannot
// diverge (nothing is written).
type Diverging interface {
	Divergences() (draws []int, states [][]float64, ok bool)
}

// Adapted is a chain with an adapted step size and metric (HMC's family):
// mcflow writes them to OUT/adapt/<task>.json, which init_adapt reads;
// ok is false when the chain has none.
type Adapted interface {
	Adaptation() (a hmc.Adaptation, ok bool)
}

// AdaptFile is OUT/adapt/<task>.json: the adapted step size and metric of
// every chain of a task, in chain order.
type AdaptFile struct {
	Sampler string           `json:"sampler"`
	Task    string           `json:"task"`
	Dim     int              `json:"dim"`
	Dense   bool             `json:"dense"`
	Chains  []hmc.Adaptation `json:"chains"`
}
