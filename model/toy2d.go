package model

import (
	"fmt"
	"math"
	"slices"

	"github.com/mcflow/mcflow/ad"
)

// Toy2DNames lists the 2D toy densities, in the order of the tutorial.
var Toy2DNames = []string{"ring2d", "ring5", "wave", "gaussian", "mog2"}

// Toy2D is one of the classic 2D test densities of the normalizing-flow
// literature (ln p up to a constant):
//
//	ring2d    −(|x|−2)²/0.32
//	ring5     −min_k (|x|−k)²/0.04, k = 1..5
//	wave      −½((x₂ − sin(πx₁/2))/0.4)² − x₁²/32
//	gaussian  −(x₁² + 2x₂² + 2x₁x₂)
//	mog2      ln[exp(−|x−μ|²/2σ²) + exp(−|x+μ|²/2σ²)], μ = (0.8, 0.8), σ = 0.5
//
// The classic Wave density is periodic in x₁ and has no normalising
// constant on the plane, so neither −ln Z nor a variational gap would
// exist; mcflow multiplies it by the broad envelope exp(−x₁²/32) (σ = 4),
// which keeps several periods of the wave and makes it normalisable.
type Toy2D struct {
	kind string
}

// NewToy2D returns the named toy density.
func NewToy2D(name string) (*Toy2D, error) {
	if !slices.Contains(Toy2DNames, name) {
		return nil, fmt.Errorf("model: unknown 2D toy density %q; known: %v", name, Toy2DNames)
	}
	return &Toy2D{kind: name}, nil
}

const (
	ring2dW  = 0.32
	ring5W   = 0.04
	waveSig  = 0.4
	waveEnv  = 32.0
	mogSigma = 0.5
	mogMu    = 0.8
)

func (t *Toy2D) Name() string { return t.kind }
func (t *Toy2D) Dim() int     { return 2 }

// Z2 reports the x → −x symmetry (ring2d, ring5, wave, gaussian and mog2
// all have it).
func (t *Toy2D) Z2() bool { return true }

func (t *Toy2D) LogProb(x []float64) float64 {
	var g [2]float64
	return t.GradLogProb(g[:], x)
}

func ring5K(r float64) float64 {
	return math.Max(1, math.Min(5, math.Round(r)))
}

func (t *Toy2D) GradLogProb(grad, x []float64) float64 {
	x1, x2 := x[0], x[1]
	switch t.kind {
	case "ring2d", "ring5":
		r := math.Hypot(x1, x2)
		k, w := 2.0, ring2dW
		if t.kind == "ring5" {
			k, w = ring5K(r), ring5W
		}
		d := r - k
		if r > 0 {
			c := -2 * d / w / r
			grad[0], grad[1] = c*x1, c*x2
		} else {
			grad[0], grad[1] = 0, 0
		}
		return -d * d / w
	case "wave":
		s, c := math.Sincos(math.Pi * x1 / 2)
		u := (x2 - s) / waveSig
		du := u / waveSig // ∂(½u²)/∂x₂
		grad[0] = du*c*math.Pi/2 - 2*x1/waveEnv
		grad[1] = -du
		return -0.5*u*u - x1*x1/waveEnv
	case "gaussian":
		grad[0] = -(2*x1 + 2*x2)
		grad[1] = -(4*x2 + 2*x1)
		return -(x1*x1 + 2*x2*x2 + 2*x1*x2)
	default: // mog2
		s2 := 2 * mogSigma * mogSigma
		a := -((x1-mogMu)*(x1-mogMu) + (x2-mogMu)*(x2-mogMu)) / s2
		b := -((x1+mogMu)*(x1+mogMu) + (x2+mogMu)*(x2+mogMu)) / s2
		m := math.Max(a, b)
		ea, eb := math.Exp(a-m), math.Exp(b-m)
		wa, wb := ea/(ea+eb), eb/(ea+eb)
		grad[0] = -2 * (wa*(x1-mogMu) + wb*(x1+mogMu)) / s2
		grad[1] = -2 * (wa*(x2-mogMu) + wb*(x2+mogMu)) / s2
		return m + math.Log(ea+eb)
	}
}

func (t *Toy2D) LogProbVar(x *ad.Var) *ad.Var {
	checkBatch(t, x)
	x1, x2 := ad.Slice(x, 1, 0, 1), ad.Slice(x, 1, 1, 2)
	var lp *ad.Var
	switch t.kind {
	case "ring2d":
		r := ad.Sqrt(ad.Add(ad.Square(x1), ad.Square(x2)))
		lp = ad.Scale(ad.Square(ad.AddScalar(r, -2)), -1/ring2dW)
	case "ring5":
		r := ad.Sqrt(ad.Add(ad.Square(x1), ad.Square(x2)))
		terms := make([]*ad.Var, 5)
		for k := range terms {
			terms[k] = ad.Scale(ad.Square(ad.AddScalar(r, -float64(k+1))), -1/ring5W)
		}
		lp = ad.MaxAxis(ad.Concat(1, terms...), 1, true)
	case "wave":
		u := ad.Scale(ad.Sub(x2, ad.Sin(ad.Scale(x1, math.Pi/2))), 1/waveSig)
		lp = ad.Sub(ad.Scale(ad.Square(u), -0.5), ad.Scale(ad.Square(x1), 1/waveEnv))
	case "gaussian":
		lp = ad.Neg(ad.Add(ad.Add(ad.Square(x1), ad.Scale(ad.Square(x2), 2)), ad.Scale(ad.Mul(x1, x2), 2)))
	default:
		s2 := 2 * mogSigma * mogSigma
		a := ad.Scale(ad.SumAxis(ad.Square(ad.AddScalar(x, -mogMu)), 1, true), -1/s2)
		b := ad.Scale(ad.SumAxis(ad.Square(ad.AddScalar(x, mogMu)), 1, true), -1/s2)
		lp = LogSumExp(ad.Concat(1, a, b), 1)
	}
	return ad.Reshape(lp, -1)
}

// LogSumExp returns ln Σ exp(x) along axis (kept as a length-1 axis),
// computed stably.
func LogSumExp(x *ad.Var, axis int) *ad.Var {
	m := ad.MaxAxis(x, axis, true).Value
	mc := ad.Const(m)
	return ad.Add(ad.Log(ad.SumAxis(ad.Exp(ad.Sub(x, mc)), axis, true)), mc)
}

// Bounds returns a box [x1lo, x1hi] × [x2lo, x2hi] outside of which the
// density is below e⁻⁶⁰ of its maximum, for quadrature and plots.
func (t *Toy2D) Bounds() [4]float64 {
	var b, b2 float64
	switch t.kind {
	case "ring2d":
		b = 2 + math.Sqrt(60*ring2dW) + 0.5
	case "ring5":
		b = 5 + math.Sqrt(60*ring5W) + 0.5
	case "wave":
		b, b2 = math.Sqrt(60*waveEnv), 1+waveSig*math.Sqrt(120)+0.5
		return [4]float64{-b, b, -b2, b2}
	case "gaussian":
		b = 12
	default:
		b = mogMu + mogSigma*math.Sqrt(120) + 0.5
	}
	return [4]float64{-b, b, -b, b}
}

// PlotBounds is a box holding nearly all of the mass, for figures.
func (t *Toy2D) PlotBounds() [4]float64 {
	switch t.kind {
	case "ring2d":
		return [4]float64{-4, 4, -4, 4}
	case "ring5":
		return [4]float64{-6, 6, -6, 6}
	case "wave":
		return [4]float64{-12, 12, -3, 3}
	default:
		return [4]float64{-3.5, 3.5, -3.5, 3.5}
	}
}

// ObservableNames of a toy density: its two coordinates.
func (t *Toy2D) ObservableNames() []string { return []string{"x1", "x2"} }

// Observe appends x₁ and x₂.
func (t *Toy2D) Observe(dst, x []float64) []float64 { return append(dst, x[0], x[1]) }

// Radial reports whether the density depends on |x| only (ring2d, ring5),
// and its radial profile: ln p at radius r.
func (t *Toy2D) Radial() (func(r float64) float64, bool) {
	switch t.kind {
	case "ring2d":
		return func(r float64) float64 { return -(r - 2) * (r - 2) / ring2dW }, true
	case "ring5":
		return func(r float64) float64 { k := ring5K(r); return -(r - k) * (r - k) / ring5W }, true
	}
	return nil, false
}
