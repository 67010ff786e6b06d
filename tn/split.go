package tn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/mcflow/mcflow/ad"
)

// split returns the jets of U√S and V√S of the leading singular triplets
// of the jet of a square matrix M: at most Dcut of them, none below 1e-12
// of the largest (exact zeros of the Ising tensors' structure, whose
// vectors are arbitrary), and never part of a multiplet: a cut inside
// (nearly, 1e-9 relative) degenerate singular values would make the
// result depend on an arbitrary basis of the multiplet, and ln Z on β
// discontinuously. Dcut is thus an upper bound.
//
// Small matrices are decomposed exactly; larger ones are first projected
// on an orthonormal basis Q of their leading range, found by a randomized
// range finder with subspace iteration (Halko, Martinsson, Tropp 2011)
// whose probe matrix is fixed by the shape: B = QᵀM, so that M ≈ Q·B
// and the triplets of M are Q·U_B, S, V_B. Both routes are deterministic,
// smooth functions of M, differentiated exactly: see leading and orth.
func split(M jet, o TRGOptions) (US, VS jet) {
	m, n := M.shape[0], M.shape[1]
	k := min(m, n, o.Dcut)
	kk := min(k+1, m, n)
	Q, B, Bt, projected := rangeFinder(M, kk, o)
	p := B.shape[0]
	u, s, v := thinSVD(B.v, p, n)
	top := s[:min(kk, p)]
	keep := 0
	for keep < min(k, len(top)) && top[keep] > 1e-12*top[0] {
		keep++
	}
	for keep > 1 && keep < len(top) && top[keep-1]-top[keep] <= 1e-9*top[0] {
		keep--
	}
	Ub, S := leading(B, u, s, v, keep)
	root, invRoot := make([]scalar, keep), make([]scalar, keep)
	for j, sj := range S {
		root[j] = sj.Sqrt()
		invRoot[j] = root[j].Recip()
	}
	// V√S = BᵀU S^(-1/2): its derivatives from those of B and U; its value
	// straight from V, which is more accurate for small singular values.
	VS = mm(Bt, false, Ub, false).scaleCols(invRoot)
	for i := range n {
		for j := range keep {
			VS.v[i*keep+j] = v[i*p+j] * math.Sqrt(s[j])
		}
	}
	if projected {
		Ub = mm(Q, false, Ub, false)
	}
	return Ub.scaleCols(root), VS
}

// rangeFinder returns an orthonormal basis Q of M's leading range
// (m × at most kk + Oversample), B = QᵀM and Bᵀ, or, when that would not
// be smaller than M, B = M itself. Products with Mᵀ go through a copy of
// it, so that every product's left factor is a jet stacked in one buffer.
func rangeFinder(M jet, kk int, o TRGOptions) (Q, B, Bt jet, projected bool) {
	m, n := M.shape[0], M.shape[1]
	l := kk + o.Oversample
	Mt := M.permute(1, 0)
	if l >= min(m, n) {
		return jet{}, M, Mt, false
	}
	rng := rand.New(rand.NewPCG(uint64(m), uint64(n)<<20|uint64(l)))
	omega := jet{shape: []int{n, l}, v: make([]float64, n*l)}
	for i := range omega.v {
		omega.v[i] = rng.NormFloat64()
	}
	Q = orth(mm(M, false, omega, false))
	for range o.PowerIters {
		Z := orth(mm(Mt, false, Q, false))
		Q = orth(mm(M, false, Z, false))
	}
	Bt = mm(Mt, false, Q, false)
	return Q, Bt.permute(1, 0), Bt, true
}

// orth returns the jet of an orthonormal basis Q of the range of Y
// (m×l, m ≥ l): its value the left singular vectors of singular values
// above 1e-13 of the largest (the rank r of Y; Y's range has that
// dimension for every β near this one), its derivatives those of the
// frame that turns with the range and not within it (QᵀQ' = 0). With
// Y = QC, C = QᵀY (r×l, right inverse C⁺ = WΣ⁻¹):
//
//	Q'  = (1 − QQᵀ)Y'C⁺,
//	Q'' = −QQ'ᵀQ' + ((1 − QQᵀ)Y'' − 2Q'QᵀY')C⁺.
func orth(Y jet) jet {
	m, l := Y.shape[0], Y.shape[1]
	u, s, w := thinSVD(Y.v, m, l)
	r := 0
	for r < len(s) && s[r] > 1e-13*s[0] {
		r++
	}
	Q := newJet(m, r)
	cp := make([]float64, l*r) // C⁺ = W_r Σ_r⁻¹
	for i := range m {
		copy(Q.v[i*r:(i+1)*r], u[i*l:i*l+r])
	}
	for i := range l {
		for j := range r {
			cp[i*r+j] = w[i*l+j] / s[j]
		}
	}
	k1 := mul(Q.v, m, r, true, Y.d1, m, l, false) // QᵀY'
	k2 := mul(Q.v, m, r, true, Y.d2, m, l, false)
	p1 := axpy(-1, mul(Q.v, m, r, false, k1, r, l, false), slices.Clone(Y.d1)) // (1 − QQᵀ)Y'
	copy(Q.d1, mul(p1, m, l, false, cp, l, r, false))
	p2 := axpy(-1, mul(Q.v, m, r, false, k2, r, l, false), slices.Clone(Y.d2))
	axpy(-2, mul(Q.d1, m, r, false, k1, r, l, false), p2)
	copy(Q.d2, mul(p2, m, l, false, cp, l, r, false))
	axpy(-1, mul(Q.v, m, r, false, mul(Q.d1, m, r, true, Q.d1, m, r, false), r, r, false), Q.d2)
	return Q
}

// leading returns the jets of the first keep left singular vectors (p ×
// keep) and singular values of B (p×n, p ≤ n), given the thin SVD of its
// value (U p×p, s, V n×p): the eigenvectors and the square roots of the
// eigenvalues λ = s² of G = BBᵀ, with G' = B'Bᵀ + BB'ᵀ and
// G” = B”Bᵀ + 2B'B'ᵀ + BB”ᵀ projected on U without forming G (so
// without squaring B's condition number): UᵀG'U = H'S + SH'ᵀ with
// H' = UᵀB'V, likewise for G”.
func leading(B jet, u, s, v []float64, keep int) (U jet, S []scalar) {
	p, n := B.shape[0], B.shape[1]
	e1 := mul(u, p, p, true, B.d1, p, n, false) // UᵀB'
	e2 := mul(u, p, p, true, B.d2, p, n, false)
	h1, h2 := mul(e1, p, n, false, v, n, p, false), mul(e2, p, n, false, v, n, p, false)
	ee := mul(e1, p, n, false, e1, p, n, true)
	lam := make([]float64, p)
	for i, si := range s {
		lam[i] = si * si
	}
	X, Y := make([]float64, p*p), make([]float64, p*p)
	for i := range p {
		for j := range p {
			X[i*p+j] = h1[i*p+j]*s[j] + s[i]*h1[j*p+i]
			Y[i*p+j] = h2[i*p+j]*s[j] + s[i]*h2[j*p+i] + 2*ee[i*p+j]
		}
	}
	U, lam1, lam2 := eigenJet(u, lam, X, Y, keep)
	S = make([]scalar, keep)
	for j := range S {
		S[j] = mkScalar(lam[j], lam1[j], lam2[j]).Sqrt()
	}
	return U, S
}

// eigenJet returns the jets of the first keep eigenvectors (p × keep) and
// eigenvalues of G = BBᵀ (p×p), given its eigendecomposition G = UΛUᵀ
// (u p×p, λ descending) and X = UᵀG'U, Y = UᵀG”U. Perturbation theory in
// the full eigenbasis is closed: with F_ij = 1/(λ_j − λ_i),
//
//	λ' = diag X,  U' = UΩ,  Ω = F∘X,
//	λ'' = diag Z,  U'' = U(F∘Z + Ω²),
//	Z = Y − Ω²Λ − ΛΩ² − 2(ΩΛ' − ΩΛΩ − Λ'Ω),
//
// from UᵀU = 1 and G = UΛUᵀ differentiated twice. F_ij is zero within a
// multiplet, singular values √λ within 1e-9 of the largest (split's own
// threshold: it never cuts one): there U√S and V√S turn together, a gauge
// of the new bond, and the basis LAPACK or gonum picks within a pair split
// by rounding must not bring its 1/(λ_i − λ_j) of 10¹² into the jets.
func eigenJet(u, lam, X, Y []float64, keep int) (U jet, lam1, lam2 []float64) {
	p := len(lam)
	s0 := math.Sqrt(lam[0])
	F := make([]float64, p*p)
	omega := make([]float64, p*p)
	for i := range p {
		for j := range p {
			if math.Abs(math.Sqrt(max(lam[i], 0))-math.Sqrt(max(lam[j], 0))) > 1e-9*s0 {
				F[i*p+j] = 1 / (lam[j] - lam[i])
				omega[i*p+j] = F[i*p+j] * X[i*p+j]
			}
		}
	}
	n2 := mul(omega, p, p, false, omega, p, p, false) // Ω²
	ol := slices.Clone(omega)                         // ΩΛ
	for i := range p {
		for j := range p {
			ol[i*p+j] *= lam[j]
		}
	}
	olo := mul(ol, p, p, false, omega, p, p, false) // ΩΛΩ
	A := make([]float64, p*p)
	lam1, lam2 = make([]float64, p), make([]float64, p)
	for i := range p {
		lam1[i] = X[i*p+i]
	}
	for i := range p {
		for j := range p {
			z := Y[i*p+j] - n2[i*p+j]*(lam[j]+lam[i]) - 2*(omega[i*p+j]*(lam1[j]-lam1[i])-olo[i*p+j])
			if i == j {
				lam2[i] = z
			}
			A[i*p+j] = F[i*p+j]*z + n2[i*p+j]
		}
	}
	U = newJet(p, keep)
	for i := range p {
		copy(U.v[i*keep:(i+1)*keep], u[i*p:i*p+keep])
	}
	copy(U.d1, mul(u, p, p, false, leftCols(omega, p, p, keep), p, keep, false))
	copy(U.d2, mul(u, p, p, false, leftCols(A, p, p, keep), p, keep, false))
	return U, lam1[:keep], lam2[:keep]
}

// mul returns op(a)·op(b) for row-major a (ar×ac as stored) and b (br×bc),
// transposed when ta or tb is set.
func mul(a []float64, ar, ac int, ta bool, b []float64, br, bc int, tb bool) []float64 {
	m, k, n := ar, ac, bc
	if ta {
		m, k = ac, ar
	}
	if tb {
		n = br
	}
	c := make([]float64, m*n)
	ad.Gemm(ta, tb, m, n, k, a, ac, b, bc, 0, c)
	return c
}

// axpy sets y += alpha·x and returns y.
func axpy(alpha float64, x, y []float64) []float64 {
	for i, xi := range x {
		y[i] += alpha * xi
	}
	return y
}

// leftCols returns columns [0, k) of the row-major r×c matrix a.
func leftCols(a []float64, r, c, k int) []float64 {
	out := make([]float64, r*k)
	for i := range r {
		copy(out[i*k:(i+1)*k], a[i*c:i*c+k])
	}
	return out
}

// thinSVD is ad.ThinSVD, panicking with an svdError that TRG and HOTRG
// recover when it does not converge.
func thinSVD(a []float64, r, c int) (u, s, v []float64) {
	u, s, v, ok := ad.ThinSVD(a, r, c)
	if !ok {
		panic(svdError{r, c})
	}
	return u, s, v
}

// svdError is an SVD that did not converge: raised deep in a TRG step,
// recovered and returned by TRG.
type svdError struct{ r, c int }

func (e svdError) Error() string {
	return fmt.Sprintf("the SVD of a %d×%d matrix did not converge", e.r, e.c)
}
