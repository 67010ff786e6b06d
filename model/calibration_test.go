package model

import (
	"math"
	"testing"
)

// The calibration targets' gradients against central differences, and
// the MVN's ln p against its dense quadratic form.
func TestCalibrationTargets(t *testing.T) {
	mvn, err := NewMVN(5, 0.1, 2, 0.7)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := NewFunnel(4, true)
	nc, _ := NewFunnel(4, false)
	x := []float64{0.3, -0.2, 0.5, 0.1, -0.4}
	for _, tg := range []Target{mvn, c, nc} {
		xs := x[:tg.Dim()]
		g := make([]float64, len(xs))
		lp := tg.GradLogProb(g, xs)
		if d := math.Abs(lp - tg.LogProb(xs)); d > 1e-12 {
			t.Errorf("%s: GradLogProb's ln p differs from LogProb by %v", tg.Name(), d)
		}
		for i := range xs {
			h := 1e-6
			xp := append([]float64(nil), xs...)
			xm := append([]float64(nil), xs...)
			xp[i] += h
			xm[i] -= h
			fd := (tg.LogProb(xp) - tg.LogProb(xm)) / (2 * h)
			if math.Abs(fd-g[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
				t.Errorf("%s: ∂_%d ln p = %v, central difference %v", tg.Name(), i, g[i], fd)
			}
		}
	}
	// −½ xᵀ Σ⁻¹ x with Σ_ij = σ_i σ_j ρ^|i−j|, by solving Σ y = x.
	n := mvn.Dim()
	S := make([][]float64, n)
	for i := range S {
		S[i] = make([]float64, n)
		for j := range S[i] {
			S[i][j] = mvn.Sigma[i] * mvn.Sigma[j] * math.Pow(mvn.Rho, math.Abs(float64(i-j)))
		}
	}
	y := solve(S, x[:n])
	var q float64
	for i := range y {
		q += x[i] * y[i]
	}
	if d := math.Abs(-q/2 - mvn.LogProb(x[:n])); d > 1e-10 {
		t.Errorf("mvn ln p = %v, dense form %v", mvn.LogProb(x[:n]), -q/2)
	}
	if s := mvn.Sigma; math.Abs(s[0]-0.1) > 1e-15 || math.Abs(s[n-1]-2) > 1e-15 || math.Abs(s[2]-math.Sqrt(0.2)) > 1e-15 {
		t.Errorf("scales %v, want log-spaced 0.1 … 2", s)
	}
	// The funnel's marginal of x₁ the other way round: P(|x₁| < c) =
	// P(|z| < c e^{−v/2}) = ∫₀^∞ 2φ(z) Φ(2 ln(c/z)/3) dz, integrated over
	// z instead of v.
	for _, c := range []float64{0.1, 1, 10} {
		const n = 400000
		var s float64
		h := 12.0 / n
		for k := 1; k <= n; k++ {
			z := (float64(k) - 0.5) * h // midpoint rule
			s += 2 * math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) * 0.5 * math.Erfc(-2*math.Log(c/z)/3/math.Sqrt2) * h
		}
		if p := FunnelExact(c); math.Abs(p-s) > 1e-6 {
			t.Errorf("P(|x1| < %v) = %v over v, %v over z", c, p, s)
		}
	}
}

// solve returns A⁻¹b by Gaussian elimination (A small and well
// conditioned).
func solve(A [][]float64, b []float64) []float64 {
	n := len(b)
	m := make([][]float64, n)
	for i := range m {
		m[i] = append(append([]float64(nil), A[i]...), b[i])
	}
	for k := range n {
		for i := k + 1; i < n; i++ {
			f := m[i][k] / m[k][k]
			for j := k; j <= n; j++ {
				m[i][j] -= f * m[k][j]
			}
		}
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := m[i][n]
		for j := i + 1; j < n; j++ {
			s -= m[i][j] * x[j]
		}
		x[i] = s / m[i][i]
	}
	return x
}
