package tn

import (
	"fmt"
	"math"
	"slices"

	"github.com/mcflow/mcflow/ad"
)

// HOTRGOptions set the lattice and the truncation of HOTRG.
type HOTRGOptions struct {
	Dim   int // 2 (square lattice) or 3 (simple cubic)
	Dcut  int // bond dimension kept after every coarse-graining
	Steps int // each step coarse-grains every axis once: 2^(Dim·Steps) sites
}

// Validate reports options HOTRG cannot run with.
func (o HOTRGOptions) Validate() error {
	switch {
	case o.Dim != 2 && o.Dim != 3:
		return fmt.Errorf("tn: dim = %d, want 2 or 3", o.Dim)
	case o.Dcut < 2:
		return fmt.Errorf("tn: Dcut = %d, want >= 2", o.Dcut)
	case o.Steps < 1 || o.Dim*o.Steps > 60:
		return fmt.Errorf("tn: steps = %d, want 1..%d in %d dimensions", o.Steps, 60/o.Dim, o.Dim)
	}
	return nil
}

// HOTRG returns ln Z/N, E/N and C/N of the Ising model with coupling J on
// the square (Dim 2) or simple cubic (Dim 3) lattice by the higher-order
// tensor renormalization group of Xie et al., PRB 86, 045139 (2012). The
// site tensor T has two legs per axis, T[x⁻,x⁺,y⁻,y⁺(,z⁻,z⁺)]. A
// coarse-graining along axis a contracts two neighbouring tensors (the
// first's a⁺ with the second's a⁻) and fuses the pairs of legs of every
// other axis b by one isometry U_b: the leading eigenvectors of the Gram
// matrix of the pair's unfolding (the higher-order SVD), from whichever of
// the b⁻ and b⁺ sides discards less weight, at most Dcut of them and never
// a part of a multiplet. The tensor is normalised by its Frobenius norm
// c_j before the j-th coarse-graining (of Dim·Steps), so that
//
//	ln Z/N = Σ_j 2⁻ʲ ln c_j + 2⁻ⁿ ln Tr T_n,
//
// the trace closing the last tensor periodically along every axis. E and
// C are the exact derivatives of this ln Z(β), by forward-mode jets as in
// TRG.
func HOTRG(beta, J float64, o HOTRGOptions) (th Thermo, err error) {
	if !(beta > 0) || math.IsInf(beta, 0) || !(J > 0) {
		return Thermo{}, fmt.Errorf("tn: HOTRG needs beta > 0 and J > 0, got beta = %v, J = %v", beta, J)
	}
	if err := o.Validate(); err != nil {
		return Thermo{}, err
	}
	defer recoverSVD(&err, "HOTRG", beta)
	axes := make([]int, 0, o.Dim*o.Steps)
	for range o.Steps {
		for a := range o.Dim {
			axes = append(axes, a)
		}
	}
	return hotrg(beta, J, o.Dim, o.Dcut, axes), nil
}

// hotrg coarse-grains along the given axes in turn (a torus of side
// 2^(times an axis is named)) and closes the last tensor.
func hotrg(beta, J float64, dim, dcut int, axes []int) Thermo {
	T := isingSiteTensor(beta, J, dim)
	var lnZ scalar
	w := 1.0
	for _, a := range axes {
		norm := T.sumSquares().Sqrt()
		T = T.scale(norm.Recip())
		lnZ = lnZ.Add(norm.Log().Scale(w))
		T = hotrgAxis(T, a, dcut)
		w /= 2
	}
	return thermo(lnZ.Add(traceAll(T).Log().Scale(w)), beta)
}

// isingSiteTensor returns the jet of T[x⁻,x⁺,…] = Σ_s Π_legs M[s,leg] with
// M[s,0] = √cosh K, M[s,1] = s√sinh K, K = βJ: each bond's two half-legs
// give Σ_b M[s,b]M[s',b] = e^{K s s'}.
func isingSiteTensor(beta, J float64, dim int) jet {
	K := mkScalar(beta, 1, 0).Scale(J)
	c, sn := K.Cosh().Sqrt(), K.Sinh().Sqrt()
	M := [2][2]scalar{{c, sn}, {c, sn.Scale(-1)}}
	legs := 2 * dim
	shape := make([]int, legs)
	for i := range shape {
		shape[i] = 2
	}
	T := newJet(shape...)
	for i := range T.v {
		var t scalar
		for s := range 2 {
			p := mkScalar(1, 0, 0)
			for l := range legs {
				p = p.Mul(M[s][i>>(legs-1-l)&1])
			}
			t = t.Add(p)
		}
		T.v[i], T.d1[i], T.d2[i] = t.V, t.D1, t.D12
	}
	return T
}

// traceAll returns Σ T[i,i,j,j,…]: the tensor closed on itself along every
// axis.
func traceAll(T jet) scalar {
	var tr scalar
	n := len(T.shape) / 2
	idx := make([]int, n)
	for {
		off := 0
		for ax, i := range idx {
			d := T.shape[2*ax]
			off = (off*d+i)*T.shape[2*ax+1] + i
		}
		tr = tr.Add(mkScalar(T.v[off], T.d1[off], T.d2[off]))
		ax := n - 1
		for ; ax >= 0; ax-- {
			if idx[ax]++; idx[ax] < T.shape[2*ax] {
				break
			}
			idx[ax] = 0
		}
		if ax < 0 {
			return tr
		}
	}
}

// A labelled jet names its axes, so that a sequence of contractions can
// say which legs meet without counting positions.
type labelled struct {
	t    jet
	legs []string
}

// contract contracts the legs of a named in pairs with those of b, in
// order; the result has a's remaining legs, then b's.
func contract(a labelled, al []string, b labelled, bl []string) labelled {
	ax, bx := positions(a.legs, al), positions(b.legs, bl)
	var legs []string
	for i, l := range a.legs {
		if !slices.Contains(ax, i) {
			legs = append(legs, l)
		}
	}
	for i, l := range b.legs {
		if !slices.Contains(bx, i) {
			legs = append(legs, l)
		}
	}
	return labelled{tdot(a.t, ax, b.t, bx), legs}
}

// order returns the jet with its legs in the given order.
func (a labelled) order(legs ...string) jet { return a.t.permute(positions(a.legs, legs)...) }

func positions(legs, names []string) []int {
	out := make([]int, len(names))
	for i, n := range names {
		out[i] = slices.Index(legs, n)
		if out[i] < 0 {
			panic(fmt.Sprintf("tn: no leg %q among %v", n, legs))
		}
	}
	return out
}

// siteLegs names a site tensor's legs with a prefix: p+"x-", p+"x+", ….
func siteLegs(p string, dim int) []string {
	var out []string
	for a := range dim {
		out = append(out, p+axisName(a)+"-", p+axisName(a)+"+")
	}
	return out
}

func axisName(a int) string { return string(rune('x' + a)) }

// hotrgAxis coarse-grains T along axis a: the tensor at r (legs "1…") and
// the one at r + e_a ("2…") contracted over 1a⁺ = 2a⁻, the pairs of legs
// of every other axis fused by its isometry. In 3D the contraction's
// intermediates hold D⁸ entries (three times over, with the derivatives:
// 400 MB each at D = 8), so it runs in slices, one per index of the first
// fused axis's new b⁻ leg: D' contractions of D⁷-entry intermediates.
func hotrgAxis(T jet, a, dcut int) jet {
	dim := len(T.shape) / 2
	iso := make([]jet, dim)
	first := -1
	for b := range dim {
		if b != a {
			iso[b] = isometry(T, a, b, dcut)
			if first < 0 {
				first = b
			}
		}
	}
	if dim < 3 {
		return fuse(T, a, iso, iso)
	}
	U := iso[first]
	var out jet
	minus := slices.Clone(iso)
	for j := range U.shape[2] {
		minus[first] = U.take(2, j)
		part := fuse(T, a, minus, iso)
		if j == 0 {
			shape := slices.Clone(part.shape)
			shape[2*first] = U.shape[2]
			out = newJet(shape...)
		}
		out.put(2*first, j, part)
	}
	return out
}

// fuse contracts the two tensors of a coarse-graining along axis a, the
// b⁻ pairs fused by minus[b] and the b⁺ pairs by plus[b].
func fuse(T jet, a int, minus, plus []jet) jet {
	dim := len(T.shape) / 2
	A, B := labelled{T, siteLegs("1", dim)}, labelled{T, siteLegs("2", dim)}
	an := axisName(a)
	W := A
	var iso []labelled
	for b := range dim {
		if b == a {
			continue
		}
		bn := axisName(b)
		// The b⁻ pair: its first half now, its second with the other tensor.
		W = contract(W, []string{"1" + bn + "-"}, labelled{minus[b], []string{"1" + bn + "-", "2" + bn + "-", bn + "-"}}, []string{"1" + bn + "-"})
		iso = append(iso, labelled{plus[b], []string{"1" + bn + "+", "2" + bn + "+", bn + "+"}})
	}
	shared := []string{"1" + an + "+"}
	other := []string{"2" + an + "-"}
	for b := range dim {
		if b != a {
			shared = append(shared, "2"+axisName(b)+"-")
			other = append(other, "2"+axisName(b)+"-")
		}
	}
	W = contract(W, shared, B, other)
	for _, U := range iso {
		W = contract(W, U.legs[:2], U, U.legs[:2])
	}
	var out []string
	for b := range dim {
		bn := axisName(b)
		if b == a {
			out = append(out, "1"+bn+"-", "2"+bn+"+")
		} else {
			out = append(out, bn+"-", bn+"+")
		}
	}
	return W.order(out...)
}

// isometry returns the jet of U_b (D_b × D_b × D') for the coarse-graining
// of T along axis a: the leading eigenvectors of the Gram matrix
// G[(i₁i₂),(j₁j₂)] of the fused pair of b-legs on the b⁻ or the b⁺ side,
// whichever discards the smaller weight Σ_{dropped} λ. G is contracted
// without forming the pair: G = Σ_{k,k'} A[i₁,k,j₁,k'] B[i₂,k,j₂,k'] with
// A the first tensor contracted with itself over every leg but b and a⁺,
// B the second over every leg but b and a⁻.
func isometry(T jet, a, b, dcut int) jet {
	dim := len(T.shape) / 2
	var best jet
	bestErr := math.Inf(1)
	for _, side := range []int{2 * b, 2*b + 1} {
		d := T.shape[side]
		G := gram(T, dim, 2*a+1, side).reshape(d*d, d*d)
		u, lam := symEigen(G.v, d*d)
		keep := truncation(lam, dcut)
		var dropped float64
		for _, l := range lam[keep:] {
			dropped += max(l, 0)
		}
		if dropped < bestErr {
			bestErr = dropped
			X := sandwich(u, G.d1, d*d)
			Y := sandwich(u, G.d2, d*d)
			U := keptJet(u, lam, X, Y, keep)
			best = U.reshape(d, d, keep)
		}
	}
	return best
}

// gram returns the jet of G[i₁,i₂,j₁,j₂] for the pair of legs leg (b⁻ or
// b⁺) of two tensors joined by the first's leg up and the second's leg
// up−1 (a⁺ and a⁻).
func gram(T jet, dim, up, leg int) jet {
	all := make([]int, 2*dim)
	for i := range all {
		all[i] = i
	}
	rest := func(skip int) []int {
		return slices.DeleteFunc(slices.Clone(all), func(i int) bool { return i == leg || i == skip })
	}
	r1, r2 := rest(up), rest(up-1)
	A := tdot(T, r1, T, r1) // [i₁, k, j₁, k'] or [k, i₁, k', j₁] by leg order
	B := tdot(T, r2, T, r2)
	if up < leg {
		A = A.permute(1, 0, 3, 2)
	}
	if up-1 < leg {
		B = B.permute(1, 0, 3, 2)
	}
	G := tdot(A, []int{1, 3}, B, []int{1, 3}) // [i₁, j₁, i₂, j₂]
	return G.permute(0, 2, 1, 3)
}

// truncation returns how many of the descending eigenvalues lam to keep:
// at most dcut, none below 1e-13 of the largest (the Gram matrix's zeros
// are zeros to rounding), and no part of a multiplet (1e-9 relative).
func truncation(lam []float64, dcut int) int {
	keep := 0
	for keep < min(dcut, len(lam)) && lam[keep] > 1e-13*lam[0] {
		keep++
	}
	for keep > 1 && keep < len(lam) && lam[keep-1]-lam[keep] <= 1e-9*lam[0] {
		keep--
	}
	return keep
}

// symEigen returns the eigenvectors (columns of the row-major u) and the
// eigenvalues, descending, of the symmetric n×n matrix g, symmetrised
// first (its derivative parts are computed unsymmetrically).
func symEigen(g []float64, n int) (u, lam []float64) {
	sym := make([]float64, n*n)
	for i := range n {
		for j := range n {
			sym[i*n+j] = (g[i*n+j] + g[j*n+i]) / 2
		}
	}
	u, lam, ok := ad.SymEigen(sym, n)
	if !ok {
		panic(svdError{n, n})
	}
	return u, lam
}

// sandwich returns UᵀGU for the row-major n×n matrices u and g.
func sandwich(u, g []float64, n int) []float64 {
	return mul(mul(u, n, n, true, g, n, n, false), n, n, false, u, n, n, false)
}

// keptJet returns the jet of a frame U_K (p × keep) of the leading
// eigenspace of the symmetric p×p G, given its eigendecomposition (u,
// λ descending) and X = UᵀG'U, Y = UᵀG”U. An isometry stands on both
// sides of its bond, so a rotation of U_K within the kept space changes
// nothing; the frame is taken to turn only out of it (U_KᵀU_K' = 0), and
// only the gaps between kept (k) and dropped (d) eigenvalues appear, with
// F_dk = 1/(λ_k − λ_d). From GU_K = U_K H differentiated twice (H = U_KᵀGU_K):
//
//	U_K'  = U_D Ω,  Ω = F∘X_DK,
//	U_K'' = U_D F∘(Y_DK + 2X_DDΩ − 2ΩX_KK) − U_K ΩᵀΩ.
//
// Near-degenerate kept eigenvalues, such as the two of a broken symmetry,
// would otherwise bring 1/(λ_i − λ_j) factors of 10¹¹ into a frame whose
// turning is a gauge.
func keptJet(u, lam, X, Y []float64, k int) jet {
	p := len(lam)
	d := p - k
	uK, uD := leftCols(u, p, p, k), make([]float64, p*d)
	for i := range p {
		copy(uD[i*d:(i+1)*d], u[i*p+k:(i+1)*p])
	}
	block := func(m []float64, r0, r1, c0, c1 int) []float64 {
		out := make([]float64, 0, (r1-r0)*(c1-c0))
		for i := r0; i < r1; i++ {
			out = append(out, m[i*p+c0:i*p+c1]...)
		}
		return out
	}
	F := make([]float64, d*k)
	eps := 1e-30 * lam[0] * lam[0]
	for i := range d {
		for j := range k {
			g := lam[j] - lam[k+i]
			F[i*k+j] = g / (g*g + eps)
		}
	}
	omega := block(X, k, p, 0, k)
	for i := range omega {
		omega[i] *= F[i]
	}
	b := block(Y, k, p, 0, k)
	axpy(2, mul(block(X, k, p, k, p), d, d, false, omega, d, k, false), b)
	axpy(-2, mul(omega, d, k, false, block(X, 0, k, 0, k), k, k, false), b)
	for i := range b {
		b[i] *= F[i]
	}
	U := newJet(p, k)
	copy(U.v, uK)
	if d == 0 {
		return U
	}
	copy(U.d1, mul(uD, p, d, false, omega, d, k, false))
	copy(U.d2, mul(uD, p, d, false, b, d, k, false))
	axpy(-1, mul(uK, p, k, false, mul(omega, d, k, true, omega, d, k, false), k, k, false), U.d2)
	return U
}
