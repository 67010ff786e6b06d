package point

import (
	"math"
	"sort"

	"github.com/mcflow/mcflow/nf"
)

// splineEval is one rational-quadratic spline (spline.go) evaluated
// without a graph, for Point: the same knots and formulas as the ad path,
// with a hand-written reverse pass. Scratch for one spline at a time.
type splineEval struct {
	bins  int
	bound float64
	sw    []float64 // softmax of the widths' logits
	sh    []float64 // and of the heights'
	sg    []float64 // sigmoid of the inner derivatives' raw values (+ shift)
	xk    []float64 // the K+1 knots
	yk    []float64
	d     []float64 // the K+1 derivatives
	gw    []float64 // backward: ∂F/∂(normalised widths), heights
	gh    []float64
}

func newSplineEval(bins int, bound float64) *splineEval {
	k := bins
	return &splineEval{bins: k, bound: bound, sw: make([]float64, k), sh: make([]float64, k), sg: make([]float64, k),
		xk: make([]float64, k+1), yk: make([]float64, k+1), d: make([]float64, k+1), gw: make([]float64, k), gh: make([]float64, k)}
}

var splineShift = math.Log(math.Expm1(1 - nf.SplineMinSlope))

// softmaxInto sets p to the softmax of a, as ad.Softmax computes it.
func softmaxInto(p, a []float64) {
	mx := math.Inf(-1)
	for _, v := range a {
		mx = max(mx, v)
	}
	var s float64
	for i, v := range a {
		p[i] = math.Exp(v - mx)
		s += p[i]
	}
	ls := math.Log(s)
	for i, v := range a {
		p[i] = math.Exp(v - mx - ls)
	}
}

// set builds the spline of raw parameters theta (3K − 1).
func (e *splineEval) set(theta []float64) {
	k, b := e.bins, e.bound
	softmaxInto(e.sw, theta[:k])
	softmaxInto(e.sh, theta[k:2*k])
	e.d[0], e.d[k] = 1, 1
	for i := 1; i < k; i++ {
		r := theta[2*k+i-1] + splineShift
		e.d[i] = softplus(r) + nf.SplineMinSlope
		e.sg[i-1] = 1 / (1 + math.Exp(-r))
	}
	norm := 1 - nf.SplineMinBin*float64(k)
	var cw, ch float64
	e.xk[0], e.yk[0] = -b, -b
	for i := range k {
		cw += e.sw[i]*norm + nf.SplineMinBin
		ch += e.sh[i]*norm + nf.SplineMinBin
		e.xk[i+1], e.yk[i+1] = cw*2*b-b, ch*2*b-b
	}
}

func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// bin returns the bin of v among knots (v inside [−B, B]).
func (e *splineEval) bin(v float64, knots []float64) int {
	j := sort.Search(len(knots), func(j int) bool { return knots[j] > v }) - 1
	return max(0, min(e.bins-1, j))
}

// local returns the bin's quantities: left knot (x, y), width, height,
// slope ratio s = h/w and the end derivatives.
func (e *splineEval) local(k int) (xk, yk, w, h, s, d0, d1 float64) {
	xk, yk = e.xk[k], e.yk[k]
	w, h = e.xk[k+1]-xk, e.yk[k+1]-yk
	return xk, yk, w, h, h / w, e.d[k], e.d[k+1]
}

// logSlope is ln f′ at ξ in a bin.
func logSlope(xi, s, d0, d1 float64) float64 {
	om := 1 - xi
	xo := xi * om
	den := s + (d0+d1-2*s)*xo
	return 2*math.Log(s) + math.Log(d1*xi*xi+2*s*xo+d0*om*om) - 2*math.Log(den)
}

// forward returns f(x) and ln f′(x).
func (e *splineEval) forward(x float64) (y, ld float64) {
	if !(x >= -e.bound && x <= e.bound) {
		return x, 0
	}
	xk, yk, w, h, s, d0, d1 := e.local(e.bin(x, e.xk))
	xi := (x - xk) / w
	xo := xi * (1 - xi)
	den := s + (d0+d1-2*s)*xo
	return yk + h*(s*xi*xi+d0*xo)/den, logSlope(xi, s, d0, d1)
}

// inverse returns x with f(x) = y, and ln f′(x).
func (e *splineEval) inverse(y float64) (x, ld float64) {
	if !(y >= -e.bound && y <= e.bound) {
		return y, 0
	}
	xk, yk, w, h, s, d0, d1 := e.local(e.bin(y, e.yk))
	dy := y - yk
	c2 := d0 + d1 - 2*s
	a := h*(s-d0) + dy*c2
	b := h*d0 - dy*c2
	c := -s * dy
	disc := max(0, b*b-4*a*c)
	xi := 2 * c / (-b - math.Sqrt(disc))
	return xk + xi*w, logSlope(xi, s, d0, d1)
}

// grad returns ∂F/∂x for F = gy·f(x) + gl·ln f′(x) and sets gtheta
// (3K − 1) to ∂F/∂θ, by a reverse pass through set and forward.
func (e *splineEval) grad(x, gy, gl float64, gtheta []float64) float64 {
	clear(gtheta)
	if !(x >= -e.bound && x <= e.bound) {
		return gy
	}
	k := e.bin(x, e.xk)
	xk, _, w, h, s, d0, d1 := e.local(k)
	xi := (x - xk) / w
	om := 1 - xi
	xo := xi * om
	den := s + (d0+d1-2*s)*xo
	num := h * (s*xi*xi + d0*xo)
	slope := d1*xi*xi + 2*s*xo + d0*om*om
	gNum, gDen := gy/den, -gy*num/(den*den)
	gS, gSlope := 2*gl/s, gl/slope
	gDen -= 2 * gl / den
	// slope = d1ξ² + 2s·xo + d0·om²
	gD1 := gSlope * xi * xi
	gXi := gSlope * 2 * d1 * xi
	gS += gSlope * 2 * xo
	gXo := gSlope * 2 * s
	gD0 := gSlope * om * om
	gOm := gSlope * 2 * d0 * om
	// num = h(sξ² + d0·xo)
	gH := gNum * (s*xi*xi + d0*xo)
	gS += gNum * h * xi * xi
	gXi += gNum * h * s * 2 * xi
	gD0 += gNum * h * xo
	gXo += gNum * h * d0
	// den = s + (d0 + d1 − 2s)·xo
	gS += gDen * (1 - 2*xo)
	gD0 += gDen * xo
	gD1 += gDen * xo
	gXo += gDen * (d0 + d1 - 2*s)
	gXi += gXo * om // xo = ξ·om
	gOm += gXo * xi
	gXi -= gOm   // om = 1 − ξ
	gH += gS / w // s = h/w
	gW := -gS * h / (w * w)
	gX := gXi / w // ξ = (x − xk)/w
	gXk := -gXi / w
	gW -= gXi * xi / w
	gYk := gy
	// knots: xk = −B + 2B Σ_{i<k} wn_i, w = 2B·wn_k (and heights alike)
	for i := range e.bins {
		gx, gh := 0.0, 0.0
		if i < k {
			gx, gh = gXk, gYk
		} else if i == k {
			gx, gh = gW, gH
		}
		e.gw[i], e.gh[i] = 2*e.bound*gx, 2*e.bound*gh
	}
	norm := 1 - nf.SplineMinBin*float64(e.bins)
	softmaxBack(gtheta[:e.bins], e.sw, e.gw, norm)
	softmaxBack(gtheta[e.bins:2*e.bins], e.sh, e.gh, norm)
	if k >= 1 {
		gtheta[2*e.bins+k-1] += gD0 * e.sg[k-1]
	}
	if k+1 <= e.bins-1 {
		gtheta[2*e.bins+k] += gD1 * e.sg[k]
	}
	return gX
}

// softmaxBack sets ga to the gradient through wn = norm·softmax(a) + min
// given the gradient gw with respect to wn.
func softmaxBack(ga, p, gw []float64, norm float64) {
	var dot float64
	for i, v := range p {
		dot += v * gw[i]
	}
	for i, v := range p {
		ga[i] = norm * v * (gw[i] - dot)
	}
}
