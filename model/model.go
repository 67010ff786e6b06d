package model

import (
	"fmt"

	"github.com/mcflow/mcflow/ad"
)

// Target is an unnormalised log-density ln p(x) = −E(x) + const on ℝ^Dim:
// all that HMC, latent HMC, flow-MH and flow training need.
type Target interface {
	// Name identifies the target ("ring2d", "phi4 L=8 m2=-4 lam=8").
	Name() string
	// Dim is the dimension of x.
	Dim() int
	// LogProb returns ln p(x) up to the target's constant.
	LogProb(x []float64) float64
	// GradLogProb fills grad with ∇ln p(x) and returns ln p(x).
	GradLogProb(grad, x []float64) float64
}

// Planar is a two-dimensional target that can be drawn: the training
// plot shows its density's contours, within PlotBounds (x1 from, x1 to, x2
// from, x2 to), under samples of the flow.
type Planar interface {
	Target
	PlotBounds() [4]float64
}

// Batched is a target with ln p of a batch as an ad program,
// differentiable in x to any order (the built-in targets have one). Without
// it, LogProbVar builds the batch from LogProb and GradLogProb.
type Batched interface {
	LogProbVar(x *ad.Var) *ad.Var
}

// LogProbVar returns ln p of every row of x (batch, Dim) as an ad value:
// the target's own program (Batched), or one operation whose value is
// LogProb of each row and whose gradient is GradLogProb's, which supports
// first derivatives (all that training a flow on the target and
// latent-space HMC take).
func LogProbVar(t Target, x *ad.Var) *ad.Var {
	if b, ok := t.(Batched); ok {
		return b.LogProbVar(x)
	}
	checkBatch(t, x)
	rows, d := x.Shape()[0], t.Dim()
	vals := ad.Zeros(rows)
	for i := range rows {
		vals.Data[i] = t.LogProb(x.Value.Data[i*d : (i+1)*d])
	}
	return ad.Custom([]*ad.Tensor{vals}, []*ad.Var{x}, func(g, in, _ []*ad.Var) []*ad.Var {
		if g[0] == nil {
			return []*ad.Var{nil}
		}
		if ad.AnyRequiresGrad(g, in) {
			panic(fmt.Sprintf("model: a second derivative of %s, which has only a gradient: implement model.Batched (LogProbVar) for it", t.Name()))
		}
		grad := ad.Zeros(rows, d)
		for i := range rows {
			t.GradLogProb(grad.Data[i*d:(i+1)*d], in[0].Value.Data[i*d:(i+1)*d])
			for j := range d {
				grad.Data[i*d+j] *= g[0].Value.Data[i]
			}
		}
		return []*ad.Var{ad.Const(grad)}
	})[0]
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
	_ Batched   = (*Toy2D)(nil)
	_ Batched   = (*Phi4)(nil)
	_ Batched   = (*IsingRelaxed)(nil)
	_ Target    = (*Toy2D)(nil)
	_ Target    = (*Phi4)(nil)
	_ Target    = (*IsingRelaxed)(nil)
	_ Symmetric = (*Phi4)(nil)
	_ Observer  = (*Phi4)(nil)
	_ Observer  = (*Toy2D)(nil)
)
