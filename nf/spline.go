package nf

import (
	"math"
	"sort"

	"github.com/mcflow/mcflow/ad"
)

// The rational-quadratic spline transform of a coupling layer (Durkan,
// Bekasov, Murray and Papamakarios, arXiv:1906.04032): on [−B, B] a
// monotone map of K bins, each a ratio of quadratics, determined by K
// widths, K heights and the K − 1 derivatives at the inner knots; outside
// [−B, B] the identity (the derivatives at ±B are 1, so the map is C¹).
// Its inverse solves a quadratic per point, exactly; ln|f′| is the
// log-determinant. Zero raw parameters give the identity: uniform bins and
// unit derivatives.
//
// The raw parameters of one coordinate are 3K − 1 numbers: the widths'
// and the heights' logits (softmax), then the inner derivatives
// (softplus, shifted so that 0 gives 1).
const (
	SplineMinBin   = 1e-3 // the smallest bin, as a fraction of 2B
	SplineMinSlope = 1e-3 // the smallest derivative at a knot
)

// SplineParams returns the number of raw parameters per coordinate.
func SplineParams(bins int) int { return 3*bins - 1 }

// SplineReflect is the permutation R of the raw parameters with
// f_{R·θ}(y) = −f_θ(−y): each group in reverse order.
func SplineReflect(bins int) []int {
	p := make([]int, 0, SplineParams(bins))
	for k := bins - 1; k >= 0; k-- {
		p = append(p, k)
	}
	for k := bins - 1; k >= 0; k-- {
		p = append(p, bins+k)
	}
	for k := bins - 2; k >= 0; k-- {
		p = append(p, 2*bins+k)
	}
	return p
}

// knots holds a batch of splines: per row, the K+1 knots' positions x, y
// (M, K+1) and derivatives d (M, K+1), and their values for the bin search.
type knots struct {
	x, y, d *ad.Var
	bins    int
	bound   float64
}

// newKnots builds the splines of raw parameters p (M, 3K−1) on [−B, B].
func newKnots(p *ad.Var, bins int, bound float64) *knots {
	m := p.Shape()[0]
	// cum (K, K+1): the running sums [0, w0, w0+w1, …, 1] as a product.
	cum := ad.Zeros(bins, bins+1)
	for j := range bins {
		for k := j + 1; k <= bins; k++ {
			cum.Data[j*(bins+1)+k] = 1
		}
	}
	c := ad.Const(cum)
	edge := func(raw *ad.Var) *ad.Var {
		w := ad.AddScalar(ad.Scale(ad.Softmax(raw), 1-SplineMinBin*float64(bins)), SplineMinBin)
		return ad.AddScalar(ad.Scale(ad.MatMul(w, c), 2*bound), -bound)
	}
	shift := math.Log(math.Expm1(1 - SplineMinSlope)) // softplus(shift) + min = 1
	inner := ad.AddScalar(ad.Softplus(ad.AddScalar(ad.Slice(p, 1, 2*bins, 3*bins-1), shift)), SplineMinSlope)
	one := ad.Const(ad.Full(1, m, 1))
	return &knots{
		x:    edge(ad.Slice(p, 1, 0, bins)),
		y:    edge(ad.Slice(p, 1, bins, 2*bins)),
		d:    ad.Concat(1, one, inner, one),
		bins: bins, bound: bound,
	}
}

// bin returns, per row, the bin of v among the knots at (values) and the
// 0/1 mask of the rows inside [−B, B], with v clamped there (constants
// outside, so that no gradient flows through the unused spline branch).
func (k *knots) bin(v *ad.Var, at *ad.Var) (idx []int, inside, vin *ad.Var) {
	m := len(v.Value.Data)
	idx = make([]int, m)
	in, clamped := ad.Zeros(m), ad.Zeros(m)
	n := k.bins + 1
	for i, x := range v.Value.Data {
		row := at.Value.Data[i*n : (i+1)*n]
		if x >= -k.bound && x <= k.bound {
			in.Data[i] = 1
		} else {
			clamped.Data[i] = math.Copysign(k.bound, x)
		}
		xc := math.Max(-k.bound, math.Min(k.bound, x))
		// the last knot with row[j] <= xc, at most K−1
		j := sort.Search(n, func(j int) bool { return row[j] > xc }) - 1
		idx[i] = max(0, min(k.bins-1, j))
	}
	inside = ad.Const(in)
	return idx, inside, ad.Add(ad.Mul(v, inside), ad.Const(clamped))
}

// bins picks the bin idx of every row: left knot (x, y), width, height,
// derivatives at its ends.
func (k *knots) pick(idx []int) (xk, yk, w, h, d0, d1 *ad.Var) {
	next := make([]int, len(idx))
	for i, j := range idx {
		next[i] = j + 1
	}
	xk, yk = ad.TakeLast(k.x, idx), ad.TakeLast(k.y, idx)
	w = ad.Sub(ad.TakeLast(k.x, next), xk)
	h = ad.Sub(ad.TakeLast(k.y, next), yk)
	return xk, yk, w, h, ad.TakeLast(k.d, idx), ad.TakeLast(k.d, next)
}

// splineForward maps x (M) through the splines of p (M, 3K−1): y (M) and
// ln f′(x) (M).
func splineForward(x, p *ad.Var, bins int, bound float64) (y, logDet *ad.Var) {
	k := newKnots(p, bins, bound)
	idx, inside, xin := k.bin(x, k.x)
	xk, yk, w, h, d0, d1 := k.pick(idx)
	s := ad.Div(h, w)
	xi := ad.Div(ad.Sub(xin, xk), w)
	om := ad.AddScalar(ad.Neg(xi), 1) // 1 − ξ
	xo := ad.Mul(xi, om)              // ξ(1 − ξ)
	den := ad.Add(s, ad.Mul(ad.Sub(ad.Add(d0, d1), ad.Scale(s, 2)), xo))
	num := ad.Mul(h, ad.Add(ad.Mul(s, ad.Square(xi)), ad.Mul(d0, xo)))
	ys := ad.Add(yk, ad.Div(num, den))
	slope := ad.Add(ad.Add(ad.Mul(d1, ad.Square(xi)), ad.Scale(ad.Mul(s, xo), 2)), ad.Mul(d0, ad.Square(om)))
	ld := ad.Sub(ad.Add(ad.Scale(ad.Log(s), 2), ad.Log(slope)), ad.Scale(ad.Log(den), 2))
	out := ad.AddScalar(ad.Neg(inside), 1)
	return ad.Add(ad.Mul(ys, inside), ad.Mul(x, out)), ad.Mul(ld, inside)
}

// splineInverse inverts splineForward: x (M) with f(x) = y and ln f′(x).
func splineInverse(y, p *ad.Var, bins int, bound float64) (x, logDet *ad.Var) {
	k := newKnots(p, bins, bound)
	idx, inside, yin := k.bin(y, k.y)
	xk, yk, w, h, d0, d1 := k.pick(idx)
	s := ad.Div(h, w)
	dy := ad.Sub(yin, yk)
	c2 := ad.Sub(ad.Add(d0, d1), ad.Scale(s, 2))
	a := ad.Add(ad.Mul(h, ad.Sub(s, d0)), ad.Mul(dy, c2))
	b := ad.Sub(ad.Mul(h, d0), ad.Mul(dy, c2))
	c := ad.Neg(ad.Mul(s, dy))
	disc := ad.Sub(ad.Square(b), ad.Scale(ad.Mul(a, c), 4))
	// ξ = 2c / (−b − √disc), the root in [0, 1] without cancellation;
	// disc ≥ 0 up to rounding.
	disc = ad.Add(disc, ad.Const(clampNeg(disc.Value)))
	xi := ad.Div(ad.Scale(c, 2), ad.Sub(ad.Neg(b), ad.Sqrt(disc)))
	xs := ad.Add(xk, ad.Mul(xi, w))
	om := ad.AddScalar(ad.Neg(xi), 1)
	xo := ad.Mul(xi, om)
	den := ad.Add(s, ad.Mul(c2, xo))
	slope := ad.Add(ad.Add(ad.Mul(d1, ad.Square(xi)), ad.Scale(ad.Mul(s, xo), 2)), ad.Mul(d0, ad.Square(om)))
	ld := ad.Sub(ad.Add(ad.Scale(ad.Log(s), 2), ad.Log(slope)), ad.Scale(ad.Log(den), 2))
	out := ad.AddScalar(ad.Neg(inside), 1)
	return ad.Add(ad.Mul(xs, inside), ad.Mul(y, out)), ad.Mul(ld, inside)
}

// clampNeg returns, per entry, the amount that lifts a negative rounding
// error of a discriminant to zero (0 elsewhere): a constant shift.
func clampNeg(t *ad.Tensor) *ad.Tensor {
	out := ad.Zeros(t.Shape...)
	for i, v := range t.Data {
		if v < 0 {
			out.Data[i] = -v
		}
	}
	return out
}
