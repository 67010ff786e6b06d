package hmc

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/mcflow/mcflow/mc"
)

// MaxDenseDim is the largest dimension with a dense metric: its inverse,
// Cholesky factor and window sums are three n×n matrices per chain.
const MaxDenseDim = 2048

// dense is a dense inverse metric M⁻¹ = Σ (row-major n×n) with its
// Cholesky factor L (Σ = LLᵀ, lower triangle), and the current window's
// sums of outer products of deviations (Welford; the mean is the window's).
type dense struct {
	n               int
	sigma, chol, m2 []float64
	v               []float64 // scratch: Σp
}

func newDense(n int) *dense {
	d := &dense{n: n, sigma: make([]float64, n*n), chol: make([]float64, n*n), m2: make([]float64, n*n), v: make([]float64, n)}
	for i := range n {
		d.sigma[i*n+i], d.chol[i*n+i] = 1, 1
	}
	return d
}

// mul sets dst = Σp and returns it.
func (d *dense) mul(dst, p []float64) []float64 {
	n := d.n
	for i := range n {
		row := d.sigma[i*n : i*n+n]
		var s float64
		for j, v := range row {
			s += v * p[j]
		}
		dst[i] = s
	}
	return dst
}

// set makes Σ the inverse metric; it fails (and changes nothing) when Σ
// is not symmetric positive definite.
func (d *dense) set(sigma []float64) error {
	n := d.n
	s := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			if sigma[i*n+j] != sigma[j*n+i] {
				return fmt.Errorf("hmc: dense metric not symmetric at (%d, %d)", i, j)
			}
			s.SetSym(i, j, sigma[i*n+j])
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(s) {
		return fmt.Errorf("hmc: dense metric not positive definite")
	}
	var l mat.TriDense
	ch.LTo(&l)
	copy(d.sigma, sigma)
	for i := range n {
		for j := range n {
			d.chol[i*n+j] = l.At(i, j)
		}
	}
	return nil
}

// sharp sets dst = M⁻¹p.
func (h *HMC) sharp(dst, p []float64) {
	if h.dense != nil {
		h.dense.mul(dst, p)
		return
	}
	for i, v := range p {
		dst[i] = h.invM[i] * v
	}
}

// kinetic returns ½ pᵀM⁻¹p.
func (h *HMC) kinetic(p []float64) float64 {
	if d := h.dense; d != nil {
		return 0.5 * dot(p, d.mul(d.v, p))
	}
	var k float64
	for i, v := range p {
		k += 0.5 * v * v * h.invM[i]
	}
	return k
}

// momenta draws p ~ N(0, M) on the chain's stream and returns the
// kinetic energy ½pᵀM⁻¹p. With a dense metric p = L⁻ᵀz, z ~ N(0, 1):
// its covariance is (LLᵀ)⁻¹ = M.
func (h *HMC) momenta() float64 {
	if d := h.dense; d != nil {
		n := d.n
		for i := range h.p {
			h.p[i] = mc.Normal(h.rng)
		}
		for i := n - 1; i >= 0; i-- { // back substitution: Lᵀp = z
			s := h.p[i]
			for j := i + 1; j < n; j++ {
				s -= d.chol[j*n+i] * h.p[j]
			}
			h.p[i] = s / d.chol[i*n+i]
		}
		return h.kinetic(h.p)
	}
	var k float64
	for i := range h.p {
		h.p[i] = mc.Normal(h.rng) / math.Sqrt(h.invM[i])
		k += 0.5 * h.p[i] * h.p[i] * h.invM[i]
	}
	return k
}

// leapfrogDense is leapfrog with a dense metric (the same steps and
// divergence rule).
func (h *HMC) leapfrogDense(eps float64, steps int, h0 float64) (lp, k float64, diverged bool, n int) {
	d := h.dense
	p, x1, g1 := h.p, h.x1, h.g1
	for i := range p {
		p[i] += 0.5 * eps * g1[i]
	}
	for s := range steps {
		v := d.mul(d.v, p)
		for i := range x1 {
			x1[i] += eps * v[i]
		}
		lp = h.t.GradLogProb(g1, x1)
		if math.IsNaN(lp) || math.IsInf(lp, 0) {
			return math.Inf(-1), 0, true, s + 1
		}
		kick := eps
		if s == steps-1 {
			kick = 0.5 * eps
		}
		for i := range p { // the momentum half a kick on, at x1
			p[i] += 0.5 * eps * g1[i]
		}
		k = h.kinetic(p)
		for i := range p {
			p[i] += (kick - 0.5*eps) * g1[i]
		}
		if !(k-lp-h0 <= Divergence) {
			diverged = true
		}
	}
	return lp, k, diverged, steps
}

// addWindow adds the position to the metric window's sums.
func (h *HMC) addWindow() {
	w := &h.w
	d := h.dense
	if d == nil {
		w.add(h.x)
		return
	}
	w.n++
	n := d.n
	dev := d.v
	for i, v := range h.x {
		dev[i] = v - w.mean[i]
		w.mean[i] += dev[i] / w.n
	}
	for i := range n {
		row := d.m2[i*n : i*n+n]
		for j := range row {
			row[j] += dev[i] * (h.x[j] - w.mean[j])
		}
	}
}

// endWindow sets the metric to the window's regularised covariance
// (Stan's: (c/(c+5))·S + 10⁻³·(5/(c+5))·I) and restarts the window.
func (h *HMC) endWindow() {
	c := h.w.n
	shrink, ridge := c/(c+5), 1e-3*(5/(c+5))
	if d := h.dense; d != nil {
		n := d.n
		s := make([]float64, n*n)
		for i := range n {
			for j := range n {
				// symmetric by construction up to rounding: average
				s[i*n+j] = shrink * 0.5 * (d.m2[i*n+j] + d.m2[j*n+i]) / (c - 1)
			}
			s[i*n+i] += ridge
		}
		_ = d.set(s) // a window too short for a positive-definite estimate keeps the metric
		clear(d.m2)
	} else {
		for k := range h.invM {
			v := h.w.m[k] / (c - 1)
			h.invM[k] = shrink*v + ridge
		}
	}
	h.w = welford{mean: make([]float64, len(h.x)), m: make([]float64, len(h.x))}
}

// Metric returns a copy of the inverse metric M⁻¹: its diagonal, or with
// a dense metric its n×n entries row by row.
func (h *HMC) Metric() (inv []float64, isDense bool) {
	if h.dense != nil {
		return append([]float64(nil), h.dense.sigma...), true
	}
	return append([]float64(nil), h.invM...), false
}

// SetAdapted starts the chain from an adapted step size and inverse
// metric (Metric's layout: n values, or n² with a dense metric). Warmup,
// if any is left, adapts on from them.
func (h *HMC) SetAdapted(eps float64, inv []float64) error {
	n := len(h.x)
	if !(eps > 0) || math.IsInf(eps, 0) {
		return fmt.Errorf("hmc: adapted step size %v, want > 0", eps)
	}
	if h.dense != nil {
		if len(inv) != n*n {
			return fmt.Errorf("hmc: a dense metric of %d values for dimension %d, want %d", len(inv), n, n*n)
		}
		if err := h.dense.set(inv); err != nil {
			return err
		}
	} else {
		if len(inv) != n {
			return fmt.Errorf("hmc: a diagonal metric of %d values for dimension %d, want %d", len(inv), n, n)
		}
		for i, v := range inv {
			if !(v > 0) || math.IsInf(v, 0) {
				return fmt.Errorf("hmc: metric entry %d is %v, want > 0", i, v)
			}
		}
		copy(h.invM, inv)
	}
	h.eps = eps
	h.da.restart(eps)
	return nil
}

// Adaptation is a chain's adapted step size and inverse metric, as
// OUT/adapt/<task>.json holds them: InvMetric is the diagonal, or
// InvMetricDense the dense matrix row by row.
type Adaptation struct {
	Eps            float64     `json:"eps"`
	InvMetric      []float64   `json:"inv_metric,omitempty"`
	InvMetricDense [][]float64 `json:"inv_metric_dense,omitempty"`
}

// Adaptation returns the chain's step size and inverse metric.
func (h *HMC) Adaptation() Adaptation {
	inv, isDense := h.Metric()
	if !isDense {
		return Adaptation{Eps: h.eps, InvMetric: inv}
	}
	n := len(h.x)
	a := Adaptation{Eps: h.eps, InvMetricDense: make([][]float64, n)}
	for i := range n {
		a.InvMetricDense[i] = inv[i*n : i*n+n]
	}
	return a
}

// SetAdaptation starts the chain from a, whose metric must be of the
// chain's kind (dense or diagonal) and dimension.
func (h *HMC) SetAdaptation(a Adaptation) error {
	switch {
	case h.dense != nil && a.InvMetricDense == nil:
		return fmt.Errorf("hmc: the adaptation has a diagonal metric, the chain a dense one")
	case h.dense == nil && a.InvMetricDense != nil:
		return fmt.Errorf("hmc: the adaptation has a dense metric, the chain a diagonal one")
	case h.dense == nil:
		return h.SetAdapted(a.Eps, a.InvMetric)
	}
	n := len(h.x)
	if len(a.InvMetricDense) != n {
		return fmt.Errorf("hmc: a dense metric of %d rows for dimension %d", len(a.InvMetricDense), n)
	}
	flat := make([]float64, 0, n*n)
	for i, row := range a.InvMetricDense {
		if len(row) != n {
			return fmt.Errorf("hmc: row %d of the dense metric has %d values, want %d", i, len(row), n)
		}
		flat = append(flat, row...)
	}
	return h.SetAdapted(a.Eps, flat)
}
