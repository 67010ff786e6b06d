package kind

import (
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/stats"
	"github.com/mcflow/mcflow/model"
)

// Model is a model kind: model.kind = Name in a job file.
type Model struct {
	Name string
	Doc  string // one line
	// Version is the kernel version of the model's observables and
	// measurements: bump it whenever they change for the same stream (a
	// checkpoint resumes only with the versions that wrote it).
	Version int
	// Keys are the [model] keys besides kind. Numeric keys can be scanned;
	// a task's id lists them in this order ("L=16_beta=0.44").
	Keys []Key
	// Lattice marks models whose configurations are L×L lattices (flows
	// default to checkerboard masks on them).
	Lattice bool
	// Sample names the numeric key that indexes disorder samples
	// ("sample" for a spin glass), or "": tasks that differ only in it
	// are averaged over disorder.
	Sample string
	// New builds the model at one task's values of Keys. An error about a
	// key is a *KeyError.
	New func(p Values) (Instance, error)
}

// Instance is a model at one task's parameters, shared by the task's
// chains (it must not hold per-chain state). Its capabilities are the
// interfaces below.
type Instance interface {
	// Observables names what a chain of the model records, in order.
	Observables() []string
}

// ChainConfig is what a model's chain constructor gets.
type ChainConfig struct {
	Hot     bool    // start from a random configuration (else ordered)
	RNG     *mc.PCG // the chain's stream: its start and all its moves
	Sampler Values  // the [sampler] keys
}

// Metropolis is a model with local Metropolis (or heat-bath, or any
// custom) moves: sampler.kind = "metropolis". Its chain's Observe appends
// the model's Observables.
type Metropolis interface {
	NewMetropolis(c ChainConfig) (mc.Chain, error)
}

// Multispin is a model with a bit-parallel Metropolis engine
// (sampler.engine = "multispin"): each chain is Replicas independent
// replicas, whose observables Observe appends replica by replica.
type Multispin interface {
	NewMultispin(c ChainConfig) (mc.Chain, error)
	Replicas() int
}

// Wolff is a model with single-cluster moves: sampler.kind = "wolff". Its
// chain's Observe appends the model's Observables and the mean cluster
// size of the interval ("cluster"). WolffDomain reports why the
// algorithm does not apply to these parameters (as a *KeyError), or nil.
type Wolff interface {
	NewWolff(c ChainConfig) (mc.Chain, error)
	WolffDomain() error
}

// SwendsenWang is a model with multi-cluster moves (sampler.kind =
// "swendsen-wang"), as Wolff.
type SwendsenWang interface {
	NewSwendsenWang(c ChainConfig) (mc.Chain, error)
	WolffDomain() error
}

// Continuous is a model with a continuous target: HMC, latent HMC,
// flow-MH and flow training sample it. Its observables are measured by
// the target (model.Observer) or by a Measurer.
type Continuous interface {
	Target() model.Target
}

// Measurer is a continuous model whose measurements draw random numbers
// (the Ising spins of a relaxation): NewMeasure returns a chain's
// measurement function, which uses rng (the chain's own stream, saved with
// it) and may keep scratch space.
type Measurer interface {
	NewMeasure(rng *mc.PCG) func(dst, x []float64) []float64
}

// LogZer is a continuous model with an exact ln Z of its target (in the
// target's normalisation), to compare a trained flow's estimate with.
type LogZer interface {
	LogZ() (lnZ float64, source string, err error)
}

// Deriver is a model with derived quantities: functions of the means of
// its observables, each with a jackknife error (stats.JackknifeValue).
// obs[name][chain][draw] holds every recorded series.
type Deriver interface {
	Derived(obs map[string][][]float64) map[string]stats.Value
}

// Exacter is a model with exact references for its observables or
// derived quantities at these parameters ("e", "C", "lnZ", …), and where
// they come from; nil when none applies.
type Exacter interface {
	Exact() (values map[string]float64, source string)
}

// ExactCurve is an Exacter whose references are cheap at any β of its
// other parameters (closed forms such as Kaufman's): the run's figure
// draws them as a curve over the scanned range of β, not only at the
// scanned points. ExactAt returns nil where none applies.
type ExactCurve interface {
	ExactAt(beta float64) map[string]float64
}

// Symmetric is a model with observables odd under a symmetry that local
// samplers need not restore (m below T_c): Odd maps each to its even
// partner ("m" → "absm"), whose use the diagnostics suggest.
type Symmetric interface {
	Odd() map[string]string
}

// Shaper is a model whose configuration has a shape ([L, L]); without
// it a configuration is a flat vector.
type Shaper interface {
	Shape() []int
}

// Quenched is a model with quenched randomness (a spin glass's
// couplings). mcflow calls Quench with the job's seed right after New;
// the model draws its randomness from streams that depend on the seed and
// on the model's own parameters (mc.Disorder), not on the task's id, so
// that a disorder sample is the same instance at every β of a scan or a
// ladder. Disorder returns it as an array, which mcflow writes to
// OUT/disorder/<task>.npy.
type Quenched interface {
	Quench(seed uint64) error
	Disorder() (shape []int, values []float64)
}

// DisorderDeriver is a disordered model with quantities derived from
// disorder averages: f of the averages [⟨O⟩] of its observables' thermal
// means (the spin glass's Binder ratio ½(3 − [⟨q⁴⟩]/[⟨q²⟩]²)), whose
// errors mcflow takes by a jackknife over samples.
type DisorderDeriver interface {
	DisorderDerived(avg map[string]float64) map[string]float64
}

// Equilibrator is a disordered model with an identity between disorder
// averages that holds only in equilibrium (Katzgraber, Palassini and
// Young's test for Gaussian spin glasses): Residual returns, from one
// sample's means of its observables over a stretch of Monte Carlo time,
// the quantity whose disorder average vanishes in equilibrium, and false
// when the test does not apply to these parameters.
type Equilibrator interface {
	Residual(means map[string]float64) (float64, bool)
}

// Histogrammed is a disordered model with observables whose distribution
// matters beyond their moments (a spin glass's P(q)): Histogram returns
// the bin edges of the observable's histogram, or nil. mcflow averages
// each sample's normalised histogram over samples.
type Histogrammed interface {
	Histogram(name string) []float64
}
