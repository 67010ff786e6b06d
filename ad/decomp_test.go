package ad

import (
	"math"
	"math/rand/v2"
	"testing"
)

// decomposition is one implementation of ThinSVD and SymEigen.
type decomposition struct {
	svd func([]float64, int, int) ([]float64, []float64, []float64, bool)
	eig func([]float64, int) ([]float64, []float64, bool)
}

// decompositions are the implementations of this build: gonum's, and
// LAPACK's where cgo links it.
func decompositions() map[string]decomposition {
	return map[string]decomposition{
		"gonum":    {gonumThinSVD, gonumSymEigen},
		LAPACKName: {thinSVD, symEigen},
	}
}

// matrixWithSpectrum returns Q₁·diag(s)·Q₂ᵀ (r×c) for random orthonormal Q's.
func matrixWithSpectrum(rng *rand.Rand, r, c int, s []float64) []float64 {
	orthonormal := func(n, k int) []float64 {
		g := make([]float64, n*k)
		for i := range g {
			g[i] = rng.NormFloat64()
		}
		q, _, _, _ := gonumThinSVD(g, n, k)
		return q
	}
	q := len(s)
	u, v := orthonormal(r, q), orthonormal(c, q)
	a := make([]float64, r*c)
	for i := range r {
		for j := range c {
			for k := range q {
				a[i*c+j] += u[i*q+k] * s[k] * v[j*q+k]
			}
		}
	}
	return a
}

// projector returns Σ_{k in [lo, hi)} x_k x_kᵀ for the columns of the
// row-major n×q matrix x.
func projector(x []float64, n, q, lo, hi int) []float64 {
	p := make([]float64, n*n)
	for i := range n {
		for j := range n {
			for k := lo; k < hi; k++ {
				p[i*n+j] += x[i*q+k] * x[j*q+k]
			}
		}
	}
	return p
}

func maxDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// TestThinSVD: every implementation reconstructs the matrix, finds the
// singular values it was built with to 1e-12 (triplets of equal values
// among them) and the subspaces of each distinct value (projectors to
// 1e-10); LAPACK's and gonum's agree.
func TestThinSVD(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range [][2]int{{5, 8}, {8, 5}, {30, 30}, {49, 200}, {200, 49}} {
		r, c := sh[0], sh[1]
		q := min(r, c)
		s := make([]float64, q)
		for k := range s {
			s[k] = math.Pow(0.7, float64(k/3)) // triplets of equal values
		}
		a := matrixWithSpectrum(rng, r, c, s)
		for name, d := range decompositions() {
			u, got, v, ok := d.svd(a, r, c)
			if !ok {
				t.Fatalf("%s %dx%d: did not converge", name, r, c)
			}
			if e := maxDiff(got, s); e > 1e-12 {
				t.Errorf("%s %dx%d: singular values off by %.1e", name, r, c, e)
			}
			back := make([]float64, r*c)
			for i := range r {
				for j := range c {
					for k := range q {
						back[i*c+j] += u[i*q+k] * got[k] * v[j*q+k]
					}
				}
			}
			if e := maxDiff(back, a); e > 1e-12 {
				t.Errorf("%s %dx%d: U·S·Vᵀ off by %.1e", name, r, c, e)
			}
			for lo := 0; lo < q; lo += 3 {
				hi := min(lo+3, q)
				want := projector(u, r, q, lo, hi)
				gu, _, _, _ := gonumThinSVD(a, r, c)
				if e := maxDiff(want, projector(gu, r, q, lo, hi)); e > 1e-10 {
					t.Errorf("%s %dx%d: subspace of s = %.3g differs from gonum's by %.1e", name, r, c, s[lo], e)
				}
			}
		}
	}
}

// TestSymEigen: the same for symmetric eigendecompositions, pairs of equal
// eigenvalues among them, negative ones included.
func TestSymEigen(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 6, 40, 150} {
		lam := make([]float64, n)
		for k := range lam {
			lam[k] = 2 - 0.1*float64(k/2)
		}
		g := make([]float64, n*n)
		vecs := randomOrthogonal(rng, n)
		for i := range n {
			for j := range n {
				for k := range n {
					g[i*n+j] += vecs[i*n+k] * lam[k] * vecs[j*n+k]
				}
			}
		}
		gu, _, _ := gonumSymEigen(g, n)
		for name, d := range decompositions() {
			u, got, ok := d.eig(g, n)
			if !ok {
				t.Fatalf("%s n=%d: did not converge", name, n)
			}
			if e := maxDiff(got, lam); e > 1e-12 {
				t.Errorf("%s n=%d: eigenvalues off by %.1e", name, n, e)
			}
			for lo := 0; lo < n; lo += 2 {
				hi := min(lo+2, n)
				if e := maxDiff(projector(u, n, n, lo, hi), projector(gu, n, n, lo, hi)); e > 1e-10 {
					t.Errorf("%s n=%d: eigenspace of %.3g differs from gonum's by %.1e", name, n, lam[lo], e)
				}
				if e := maxDiff(projector(u, n, n, lo, hi), projector(vecs, n, n, lo, hi)); e > 1e-10 {
					t.Errorf("%s n=%d: eigenspace of %.3g off by %.1e", name, n, lam[lo], e)
				}
			}
		}
	}
}

// randomOrthogonal returns a random orthogonal n×n matrix.
func randomOrthogonal(rng *rand.Rand, n int) []float64 {
	g := make([]float64, n*n)
	for i := range g {
		g[i] = rng.NormFloat64()
	}
	q, _, _, _ := gonumThinSVD(g, n, n)
	return q
}
