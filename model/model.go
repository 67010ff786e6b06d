// Package model holds the Boltzmann targets p(x) ∝ exp(−E(x)) on ℝⁿ that
// flows are trained against and gradient-based samplers sample: the 2D toy
// densities, lattice φ⁴ theory and the continuous relaxation of the 2D
// Ising model. Every target gives ln p (up to a constant) and its gradient
// per point, hand-written for speed, and the same ln p on a batch as an ad
// program, so that flows can be trained through it.
//
// It sits just above ad/: both nf/ and mc/ import it.
package model

import (
	"fmt"

	"github.com/mcflow/mcflow/ad"
)

// Target is an unnormalised log-density ln p(x) = −E(x) + const on ℝ^Dim.
type Target interface {
	// Name identifies the target ("ring2d", "phi4 L=8 m2=-4 lam=8").
	Name() string
	// Dim is the dimension of x.
	Dim() int
	// LogProb returns ln p(x) up to the target's constant.
	LogProb(x []float64) float64
	// GradLogProb fills grad with ∇ln p(x) and returns ln p(x).
	GradLogProb(grad, x []float64) float64
	// LogProbVar is LogProb of every row of x (batch, Dim) as an ad
	// program, differentiable in x to any order.
	LogProbVar(x *ad.Var) *ad.Var
}

// Symmetric is implemented by targets with ln p(−x) = ln p(x) when
// Z2 reports true (φ⁴ without a field, the Ising relaxation, Mog2).
type Symmetric interface {
	Z2() bool
}

// IsZ2 reports whether t declares the φ → −φ symmetry.
func IsZ2(t Target) bool {
	s, ok := t.(Symmetric)
	return ok && s.Z2()
}

// Exact is implemented by targets whose normalising constant is known in
// closed form: LogZ returns ln ∫ exp(ln p(x)) dx for the target's ln p.
type Exact interface {
	LogZ() (float64, bool)
}

// Observer is implemented by targets with physical observables: Observe
// appends their values at x to dst. Names lists them in that order.
type Observer interface {
	ObservableNames() []string
	Observe(dst, x []float64) []float64
}

func checkBatch(t Target, x *ad.Var) {
	s := x.Shape()
	if len(s) != 2 || s[1] != t.Dim() {
		panic(fmt.Sprintf("model: %s: LogProbVar of shape %v, want (batch, %d)", t.Name(), s, t.Dim()))
	}
}
