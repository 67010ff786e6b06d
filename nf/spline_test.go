package nf

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/mc"
)

// The spline transform and its inverse against central differences, at
// first and second order, in the points and the raw parameters: points
// inside and outside [−B, B], none within the differences' reach of a knot
// (the spline is only C¹ there).
func TestSplineGradients(t *testing.T) {
	const bins, bound = 5, 2.0
	rng := mc.NewPCG(11, 12)
	x := ad.NewTensor([]float64{-2.7, -1.3, -0.4, 0.05, 0.8, 1.9, 3.1}, 7)
	p := randn(rng, 0.8, 7, SplineParams(bins))
	for _, inverse := range []bool{false, true} {
		f := func(v []*ad.Var) *ad.Var {
			var y, ld *ad.Var
			if inverse {
				y, ld = splineInverse(v[0], v[1], bins, bound)
			} else {
				y, ld = splineForward(v[0], v[1], bins, bound)
			}
			return ad.Add(ad.Sum(ad.Sin(y)), ad.Sum(ad.Mul(ld, ad.AddScalar(y, 0.5))))
		}
		if err := ad.GradCheck(f, []*ad.Tensor{x, p}, 1e-7); err != nil {
			t.Errorf("inverse = %v: %v", inverse, err)
		}
		if err := ad.GradCheck2(f, []*ad.Tensor{x, p}, 1e-5, 3, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Errorf("inverse = %v, second order: %v", inverse, err)
		}
	}
}

// Zero raw parameters are the identity; the reflection R gives
// f_{Rθ}(y) = −f_θ(−y); the map is monotone and continuous across knots
// and at ±B, and ln f′ matches a difference quotient.
func TestSplineMap(t *testing.T) {
	const bins, bound = 6, 1.5
	rng := mc.NewPCG(13, 14)
	const n = 2001
	xs := ad.Zeros(n)
	for i := range n {
		xs.Data[i] = -2 + 4*float64(i)/(n-1)
	}
	zero := ad.Zeros(n, SplineParams(bins))
	y0, ld0 := splineForward(ad.Const(xs), ad.Const(zero), bins, bound)
	for i := range n {
		if math.Abs(y0.Value.Data[i]-xs.Data[i]) > 1e-12 || math.Abs(ld0.Value.Data[i]) > 1e-12 {
			t.Fatalf("zero parameters: f(%v) = %v, ln f' = %v", xs.Data[i], y0.Value.Data[i], ld0.Value.Data[i])
		}
	}
	row := randn(rng, 1, SplineParams(bins))
	p, rp := ad.Zeros(n, len(row.Data)), ad.Zeros(n, len(row.Data))
	refl := SplineReflect(bins)
	for i := range n {
		copy(p.Data[i*len(row.Data):], row.Data)
		for j, k := range refl {
			rp.Data[i*len(row.Data)+j] = row.Data[k]
		}
	}
	y, ld := splineForward(ad.Const(xs), ad.Const(p), bins, bound)
	neg := randNeg(xs)
	yr, _ := splineForward(ad.Const(neg), ad.Const(rp), bins, bound)
	h := xs.Data[1] - xs.Data[0]
	for i := range n {
		if math.Abs(yr.Value.Data[i]+y.Value.Data[i]) > 1e-12 {
			t.Fatalf("reflection: f_Rθ(−x) = %v, −f_θ(x) = %v", yr.Value.Data[i], -y.Value.Data[i])
		}
		if i == 0 {
			continue
		}
		dy := y.Value.Data[i] - y.Value.Data[i-1]
		if !(dy > 0) {
			t.Fatalf("not increasing at x = %v", xs.Data[i])
		}
		// the mean slope over [x_{i−1}, x_i] lies between the end slopes
		lo := math.Min(ld.Value.Data[i-1], ld.Value.Data[i])
		hi := math.Max(ld.Value.Data[i-1], ld.Value.Data[i])
		if q := math.Log(dy / h); q < lo-0.05 || q > hi+0.05 {
			t.Fatalf("ln of the difference quotient %v at x = %v outside [%v, %v]", q, xs.Data[i], lo, hi)
		}
	}
}
