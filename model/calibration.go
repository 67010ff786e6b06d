package model

import (
	"fmt"
	"math"
	"strconv"
)

// MVN is a zero-mean multivariate normal in dim dimensions with scales
// σ_i log-spaced from ScaleMin to ScaleMax and AR(1) correlation ρ:
// Σ_ij = σ_i σ_j ρ^|i−j|. Its precision is tridiagonal, so ln p and its
// gradient cost O(dim).
type MVN struct {
	Sigma []float64
	Rho   float64
	names []string
}

// NewMVN returns the target; dim >= 1, 0 < scaleMin <= scaleMax, |ρ| < 1.
func NewMVN(dim int, scaleMin, scaleMax, rho float64) (*MVN, error) {
	if dim < 1 || !(scaleMin > 0) || !(scaleMax >= scaleMin) || math.IsInf(scaleMax, 0) || !(math.Abs(rho) < 1) {
		return nil, fmt.Errorf("mvn: dim = %d, scales %v..%v, rho = %v: want dim >= 1, 0 < scale_min <= scale_max and |rho| < 1", dim, scaleMin, scaleMax, rho)
	}
	m := &MVN{Sigma: make([]float64, dim), Rho: rho}
	for i := range m.Sigma {
		f := 0.0
		if dim > 1 {
			f = float64(i) / float64(dim-1)
		}
		m.Sigma[i] = scaleMin * math.Pow(scaleMax/scaleMin, f)
		m.names = append(m.names, "x"+strconv.Itoa(i+1))
	}
	for i := range dim {
		m.names = append(m.names, "x"+strconv.Itoa(i+1)+"sq")
	}
	return m, nil
}

func (m *MVN) Name() string {
	return fmt.Sprintf("mvn dim=%d scales %g..%g rho=%g", len(m.Sigma), m.Sigma[0], m.Sigma[len(m.Sigma)-1], m.Rho)
}
func (m *MVN) Dim() int { return len(m.Sigma) }

// precision returns (R⁻¹y)_i for y = x/σ, R the AR(1) correlation: the
// tridiagonal (1/(1−ρ²)) [1 or 1 + ρ² on the diagonal, −ρ beside it].
func (m *MVN) precision(x []float64, i int) float64 {
	r, n := m.Rho, len(x)
	y := func(j int) float64 { return x[j] / m.Sigma[j] }
	d := 1 + r*r
	if i == 0 || i == n-1 {
		d = 1
	}
	if n == 1 {
		return y(0)
	}
	v := d * y(i)
	if i > 0 {
		v -= r * y(i-1)
	}
	if i < n-1 {
		v -= r * y(i+1)
	}
	return v / (1 - r*r)
}

func (m *MVN) LogProb(x []float64) float64 {
	var s float64
	for i := range x {
		s += x[i] / m.Sigma[i] * m.precision(x, i)
	}
	return -0.5 * s
}

func (m *MVN) GradLogProb(grad, x []float64) float64 {
	var s float64
	for i := range x {
		p := m.precision(x, i)
		s += x[i] / m.Sigma[i] * p
		grad[i] = -p / m.Sigma[i]
	}
	return -0.5 * s
}

// ObservableNames: x1 … xd, then x1sq … xdsq.
func (m *MVN) ObservableNames() []string { return m.names }

func (m *MVN) Observe(dst, x []float64) []float64 {
	dst = append(dst, x...)
	for _, v := range x {
		dst = append(dst, v*v)
	}
	return dst
}

// Funnel is Neal's funnel in dim dimensions: v ~ N(0, 3²) and, for
// i = 1 … dim − 1, x_i | v ~ N(0, e^v). Centred, the coordinates are
// (v, x); non-centred they are (v, z) with x = z e^{v/2}, z ~ N(0, 1),
// the same law in coordinates without the funnel's neck.
type Funnel struct {
	D        int
	Centered bool
}

// NewFunnel returns the target; dim >= 2.
func NewFunnel(dim int, centered bool) (*Funnel, error) {
	if dim < 2 {
		return nil, fmt.Errorf("funnel: dim = %d, want dim >= 2 (v and at least one x)", dim)
	}
	return &Funnel{D: dim, Centered: centered}, nil
}

func (f *Funnel) Name() string {
	return fmt.Sprintf("funnel dim=%d centered=%v", f.D, f.Centered)
}
func (f *Funnel) Dim() int { return f.D }

func (f *Funnel) LogProb(x []float64) float64 {
	v := x[0]
	lp := -v * v / 18
	var ss float64
	for _, xi := range x[1:] {
		ss += xi * xi
	}
	if !f.Centered {
		return lp - ss/2
	}
	return lp - float64(len(x)-1)*v/2 - ss*math.Exp(-v)/2
}

func (f *Funnel) GradLogProb(grad, x []float64) float64 {
	v := x[0]
	lp := -v * v / 18
	grad[0] = -v / 9
	if !f.Centered {
		for i := 1; i < len(x); i++ {
			lp -= x[i] * x[i] / 2
			grad[i] = -x[i]
		}
		return lp
	}
	ev := math.Exp(-v) // x_i ~ N(0, e^v): −x²e^{−v}/2 − v/2
	n := float64(len(x) - 1)
	lp -= n * v / 2
	grad[0] -= n / 2
	for i := 1; i < len(x); i++ {
		lp -= x[i] * x[i] * ev / 2
		grad[i] = -x[i] * ev
		grad[0] += x[i] * x[i] * ev / 2
	}
	return lp
}

// X1 returns the first x of a point in either parametrisation.
func (f *Funnel) X1(x []float64) float64 {
	if f.Centered {
		return x[1]
	}
	return x[1] * math.Exp(x[0]/2)
}

// ObservableNames: v, v², x₁, the indicators of |x₁| < 0.1, 1, 10 (whose
// means are the probabilities that the exact references give), and logp,
// the centred form's ln p(v, x) = −v²/18 − (d−1)v/2 − Σx_i²e^{−v}/2 in
// either parametrisation (its mean is −d/2).
func (f *Funnel) ObservableNames() []string {
	return []string{"v", "v2", "x1", "x1_lt_0.1", "x1_lt_1", "x1_lt_10", "logp"}
}

func (f *Funnel) Observe(dst, x []float64) []float64 {
	x1 := math.Abs(f.X1(x))
	ind := func(c float64) float64 {
		if x1 < c {
			return 1
		}
		return 0
	}
	v := x[0]
	var ss float64 // Σ x_i² e^{−v} = Σ z_i²
	for _, xi := range x[1:] {
		ss += xi * xi
	}
	if f.Centered {
		ss *= math.Exp(-v)
	}
	lp := -v*v/18 - float64(f.D-1)*v/2 - ss/2
	return append(dst, v, v*v, f.X1(x), ind(0.1), ind(1), ind(10), lp)
}

// FunnelExact returns P(|x₁| < c) = ∫ N(v; 0, 9) erf(c e^{−v/2}/√2) dv by
// the trapezoidal rule over v ∈ [−45, 45] (15σ; the integrand is smooth).
func FunnelExact(c float64) float64 {
	const n = 200000
	lo, hi := -45.0, 45.0
	h := (hi - lo) / n
	var s float64
	for k := 0; k <= n; k++ {
		v := lo + float64(k)*h
		w := math.Exp(-v*v/18) / math.Sqrt(18*math.Pi)
		if k == 0 || k == n {
			w /= 2
		}
		s += w * math.Erf(c*math.Exp(-v/2)/math.Sqrt2)
	}
	return s * h
}
