package model

import (
	"fmt"
	"math"

	"github.com/mcflow/mcflow/ad"
)

// IsingRelaxed is the continuous relaxation of the 2D Ising model
// (J = 1, no field) on an L×L torus used by NeuralRG (Li and Wang,
// arXiv:1802.02840). With K = β·(adjacency matrix) and A = K + αI,
// α = 1 − λ_min(K) so that A's smallest eigenvalue is 1, the
// Gaussian (Hubbard–Stratonovich) identity
//
//	exp(½ sᵀAs) ∝ ∫ dx exp(−½ xᵀA⁻¹x + s·x)
//
// turns the Ising sum into a density on ℝᴺ:
//
//	ln p(x) = −½ xᵀA⁻¹x + Σ_i ln cosh x_i,
//
// with p(s|x) = Π_i exp(s_i x_i)/(2 cosh x_i), so spins drawn
// independently given x (P(s_i = 1) = 1/(1 + e^{−2x_i})) have exactly the
// Ising distribution at β. Its normalising constant is known from
// Kaufman's ln Z_Ising:
//
//	ln Z_x = ln Z_Ising + (N/2) ln 2π + ½ ln det A + αN/2 − N ln 2.
type IsingRelaxed struct {
	L     int
	Beta  float64
	Alpha float64
	kinv  []float64 // A⁻¹ as a translation-invariant kernel: (A⁻¹)_{ij} = kinv[(i−j) mod torus]
	dense *ad.Tensor
	lnDet float64
}

// NewIsingRelaxed builds the target; A⁻¹ is computed in Fourier space
// (A is circulant on the torus).
func NewIsingRelaxed(L int, beta float64) (*IsingRelaxed, error) {
	if L < 2 || L > 64 {
		return nil, fmt.Errorf("model: ising2d-relaxed with L = %d: want 2 <= L <= 64 (A⁻¹ is held as a dense N×N matrix)", L)
	}
	if !(beta > 0) || math.IsInf(beta, 0) {
		return nil, fmt.Errorf("model: ising2d-relaxed with beta = %v: want a finite beta > 0", beta)
	}
	N := L * L
	// Eigenvalues of the adjacency matrix: 2cos(2πk/L) + 2cos(2πl/L).
	lam := func(k, l int) float64 {
		return 2*math.Cos(2*math.Pi*float64(k)/float64(L)) + 2*math.Cos(2*math.Pi*float64(l)/float64(L))
	}
	minK := math.Inf(1)
	for k := range L {
		for l := range L {
			minK = math.Min(minK, beta*lam(k, l))
		}
	}
	t := &IsingRelaxed{L: L, Beta: beta, Alpha: 1 - minK, kinv: make([]float64, N)}
	for k := range L {
		for l := range L {
			ev := beta*lam(k, l) + t.Alpha
			t.lnDet += math.Log(ev)
			for a := range L {
				for b := range L {
					ph := 2 * math.Pi * float64(k*a+l*b) / float64(L)
					t.kinv[a*L+b] += math.Cos(ph) / ev / float64(N)
				}
			}
		}
	}
	t.dense = ad.Zeros(N, N)
	for i := range N {
		for j := range N {
			t.dense.Data[i*N+j] = t.kinv[t.diff(i, j)]
		}
	}
	return t, nil
}

// diff returns the index of site i − j on the torus.
func (t *IsingRelaxed) diff(i, j int) int {
	L := t.L
	a := ((i/L-j/L)%L + L) % L
	b := ((i%L-j%L)%L + L) % L
	return a*L + b
}

func (t *IsingRelaxed) Name() string { return fmt.Sprintf("ising2d-relaxed L=%d beta=%g", t.L, t.Beta) }
func (t *IsingRelaxed) Dim() int     { return t.L * t.L }
func (t *IsingRelaxed) Z2() bool     { return true }

// lnCosh is ln cosh x, stable for large |x|.
func lnCosh(x float64) float64 {
	a := math.Abs(x)
	return a + math.Log1p(math.Exp(-2*a)) - math.Ln2
}

func (t *IsingRelaxed) LogProb(x []float64) float64 {
	N := t.Dim()
	var q, lc float64
	for i := range N {
		row := t.dense.Data[i*N : (i+1)*N]
		var s float64
		for j, v := range row {
			s += v * x[j]
		}
		q += x[i] * s
		lc += lnCosh(x[i])
	}
	return -0.5*q + lc
}

// GradLogProb: ∇ ln p = −A⁻¹x + tanh x.
func (t *IsingRelaxed) GradLogProb(grad, x []float64) float64 {
	N := t.Dim()
	var q, lc float64
	for i := range N {
		row := t.dense.Data[i*N : (i+1)*N]
		var s float64
		for j, v := range row {
			s += v * x[j]
		}
		q += x[i] * s
		lc += lnCosh(x[i])
		grad[i] = -s + math.Tanh(x[i])
	}
	return -0.5*q + lc
}

func (t *IsingRelaxed) LogProbVar(x *ad.Var) *ad.Var {
	checkBatch(t, x)
	ax := ad.MatMul(x, ad.Const(t.dense))
	q := ad.SumAxis(ad.Mul(x, ax), 1, false)
	return ad.Sub(ad.SumAxis(ad.LogCosh(x), 1, false), ad.Scale(q, 0.5))
}

// LogZFromIsing returns ln Z_x given ln Z_Ising of the L×L torus (from
// exact.Kaufman; model does not import exact/). At L = 2 every bond of
// the torus is doubled, as in Kaufman's and the brute-force sums.
func (t *IsingRelaxed) LogZFromIsing(lnZIsing float64) float64 {
	N := float64(t.Dim())
	return lnZIsing + N/2*math.Log(2*math.Pi) + 0.5*t.lnDet + t.Alpha*N/2 - N*math.Ln2
}

// ERB returns −(1/N) Σ_⟨ij⟩ tanh x_i tanh x_j, the conditional expectation
// of the Ising energy per site given x.
func (t *IsingRelaxed) ERB(x []float64) float64 {
	L := t.L
	var e float64
	for i := range L {
		for j := range L {
			a := math.Tanh(x[i*L+j])
			e += a * (math.Tanh(x[i*L+(j+1)%L]) + math.Tanh(x[((i+1)%L)*L+j]))
		}
	}
	return -e / float64(L*L)
}

// Spins draws s ~ p(s|x) into s (±1) with uniforms u ∈ [0, 1).
func (t *IsingRelaxed) Spins(s []int8, x []float64, uniform func() float64) {
	for i, v := range x {
		if uniform()*(1+math.Exp(-2*v)) < 1 {
			s[i] = 1
		} else {
			s[i] = -1
		}
	}
}
