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

var (
	_ Target    = (*Toy2D)(nil)
	_ Target    = (*Phi4)(nil)
	_ Target    = (*IsingRelaxed)(nil)
	_ Symmetric = (*Phi4)(nil)
	_ Observer  = (*Phi4)(nil)
	_ Observer  = (*Toy2D)(nil)
)
