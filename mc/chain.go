package mc

import "encoding"

// Chain is one Markov chain, owned by one goroutine at a time. Everything it
// needs to continue (state, RNG stream, adaptation, counters) is in the bytes
// of MarshalBinary.
type Chain interface {
	// Step advances the chain by one step: a sweep, a cluster flip, a
	// trajectory or a proposal, as the sampler defines it.
	Step() error
	// Observe appends the chain's observables, in the order the model
	// names them, to dst and returns the extended slice. It also ends a
	// measurement interval: quantities averaged over the steps of an
	// interval (a mean cluster size, an acceptance rate) restart after it.
	Observe(dst []float64) []float64

	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// Thermalizer is a chain that changes when thermalisation ends: an
// adaptive kernel freezes its parameters, diagnostics accumulated over the
// recorded steps restart. The Pool calls EndThermalize once, before the
// first recorded step.
type Thermalizer interface {
	EndThermalize()
}

// Exchanger is a chain whose configuration can be exchanged with that of
// another chain of the same model at other parameters (another inverse
// temperature): the moves of replica exchange (parallel tempering).
type Exchanger interface {
	Chain
	// LogProb returns ln p(x), up to a constant of the chain's own, of the
	// chain's target at the configuration x of the chain `of`: itself, or
	// another chain of the same type and size.
	LogProb(of Chain) float64
	// Exchange swaps the configurations of the chain and other and
	// whatever is a function of the configuration alone; each chain keeps
	// its stream, its parameters and its interval counters.
	Exchange(other Chain)
}
