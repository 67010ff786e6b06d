package hmc

import (
	"fmt"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/model"
	"github.com/mcflow/mcflow/nf"
	"github.com/mcflow/mcflow/nf/point"
)

// Latent is the target of latent-space HMC (NeuralRG, Li and Wang,
// arXiv:1802.02840): the pull-back of p through a flow g,
//
//	ln p_z(z) = ln p(g(z)) + ln|det ∂g/∂z|,   i.e. E_eff(z) = E(g(z)) − ln|det ∂g/∂z|,
//
// so that x = g(z) is distributed exactly as p when z is, whatever the
// flow's quality (a better flow only makes z easier to sample). Gradients
// go through the flow by point.Point's hand-written backward pass for
// RealNVP (by ad for other flows). Its observables are the target's at
// g(z). It holds scratch space: one per chain.
type Latent struct {
	T model.Target
	M *nf.Model

	pt *point.Point // nil: the ad path
	x  []float64    // scratch: g(z)
}

// NewLatent checks that the flow is a bijection with an exact
// log-determinant: RealNVP (plain or equivariant) or a Monge–Ampère flow
// in exact mode.
func NewLatent(t model.Target, m *nf.Model) (*Latent, error) {
	if m.Dim() != t.Dim() {
		return nil, fmt.Errorf("hmc: flow of dimension %d for a target of dimension %d", m.Dim(), t.Dim())
	}
	if m.Sym == nf.Mixture {
		return nil, fmt.Errorf("hmc: latent-space HMC needs a bijection; the symmetrised mixture is not one: use a flow trained with symmetric = \"equivariant\" (or \"none\")")
	}
	if !m.Flow.Exact() {
		return nil, fmt.Errorf("hmc: latent-space HMC needs the flow's exact log-determinant: this %s flow integrates ln q approximately; use realnvp, or a monge-ampere flow in exact mode (exact = true)", m.Flow.Config().Kind)
	}
	return &Latent{T: t, M: m, pt: point.New(m), x: make([]float64, t.Dim())}, nil
}

func (l *Latent) Name() string { return "latent(" + l.T.Name() + ")" }
func (l *Latent) Dim() int     { return l.T.Dim() }

// Push returns x = g(z) (a new slice).
func (l *Latent) Push(z []float64) []float64 {
	if l.pt != nil {
		x := make([]float64, len(z))
		l.pt.Forward(x, z)
		return x
	}
	x, _ := l.M.Flow.Forward(ad.Const(ad.NewTensor(append([]float64(nil), z...), 1, len(z))))
	return x.Value.Data
}

func (l *Latent) LogProb(z []float64) float64 {
	if l.pt != nil {
		return l.pt.LatentLogProb(l.x, z, l.T.LogProb)
	}
	zv := ad.Const(ad.NewTensor(append([]float64(nil), z...), 1, len(z)))
	return l.LogProbVar(zv).Item()
}

func (l *Latent) GradLogProb(grad, z []float64) float64 {
	if l.pt != nil {
		return l.pt.LatentGrad(grad, l.x, z, l.T.GradLogProb)
	}
	zv := ad.Param(ad.NewTensor(append([]float64(nil), z...), 1, len(z)))
	lp := l.LogProbVar(zv)
	g, err := ad.Grad(ad.Sum(lp), []*ad.Var{zv})
	if err != nil {
		panic(err) // a well-formed program: cannot happen
	}
	copy(grad, g[0].Value.Data)
	return lp.Item()
}

// LogProbVar is ln p(g(z)) + ln|det ∂g/∂z| of every row of z.
func (l *Latent) LogProbVar(z *ad.Var) *ad.Var {
	x, ld := l.M.Flow.Forward(z)
	return ad.Add(model.LogProbVar(l.T, x), ld)
}

// ObservableNames are the target's.
func (l *Latent) ObservableNames() []string {
	if o, ok := l.T.(model.Observer); ok {
		return o.ObservableNames()
	}
	return nil
}

// Observe appends the target's observables at x = g(z).
func (l *Latent) Observe(dst, z []float64) []float64 {
	if o, ok := l.T.(model.Observer); ok {
		return o.Observe(dst, l.Push(z))
	}
	return dst
}
