package tn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mcflow/mcflow/ad"
)

// TRGOptions set the truncation of TRG.
type TRGOptions struct {
	Dcut  int // bond dimension kept after every step
	Steps int // coarse-graining steps: the lattice has 2^Steps sites
	// Oversample and PowerIters tune the randomized truncated SVD used when
	// a matrix is larger than Dcut+Oversample: Dcut+Oversample random probes
	// and PowerIters subspace iterations (defaults Dcut and 2).
	Oversample, PowerIters int
}

// Validate reports options TRG cannot run with.
func (o TRGOptions) Validate() error {
	switch {
	case o.Dcut < 2:
		return fmt.Errorf("tn: Dcut = %d, want >= 2", o.Dcut)
	case o.Steps < 1 || o.Steps > 60:
		return fmt.Errorf("tn: steps = %d, want 1..60", o.Steps)
	case o.Oversample < 0 || o.PowerIters < 0:
		return errors.New("tn: negative oversampling or power iterations")
	}
	return nil
}

// isingTensor returns T[r,u,l,d] = Σ_s M[s,r]M[s,u]M[s,l]M[s,d] with
// M[s,0] = √cosh K, M[s,1] = s√sinh K, so that Σ_b M[s,b]M[s',b] = e^{K s s'}:
// the contraction of T on every site of a square lattice is Z.
func isingTensor(K *ad.Var) *ad.Var {
	c := ad.Reshape(ad.Sqrt(ad.Cosh(K)), 1)
	s := ad.Reshape(ad.Sqrt(ad.Sinh(K)), 1)
	M := ad.Reshape(ad.Concat(0, c, s, c, ad.Neg(s)), 2, 2)
	a := ad.Reshape(M, 2, 2, 1, 1, 1)
	b := ad.Reshape(M, 2, 1, 2, 1, 1)
	cc := ad.Reshape(M, 2, 1, 1, 2, 1)
	d := ad.Reshape(M, 2, 1, 1, 1, 2)
	return ad.SumAxis(ad.Mul(ad.Mul(a, b), ad.Mul(cc, d)), 0, false)
}

// TRGLnZ returns ln Z/N of the 2D Ising model with coupling J as a
// differentiable function of beta (a scalar Var). Each step normalises the
// tensor by its Frobenius norm c_s and coarse-grains it; with n steps
//
//	ln Z/N = Σ_{s<n} 2⁻ˢ ln c_s + 2⁻ⁿ ln Tr T_n,
//
// the trace closing the last tensor periodically.
func TRGLnZ(beta *ad.Var, J float64, o TRGOptions) (*ad.Var, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Oversample == 0 {
		o.Oversample = o.Dcut
	}
	if o.PowerIters == 0 {
		o.PowerIters = 2
	}
	T := isingTensor(ad.Scale(beta, J))
	var lnZ *ad.Var
	w := 1.0
	for range o.Steps {
		norm := ad.Sqrt(ad.Sum(ad.Square(T)))
		T = ad.Div(T, norm)
		term := ad.Scale(ad.Log(norm), w)
		if lnZ == nil {
			lnZ = term
		} else {
			lnZ = ad.Add(lnZ, term)
		}
		T = trgStep(T, o)
		w /= 2
	}
	D := T.Shape()[0]
	// Tr T = Σ_{x,y} T[x,y,x,y]: r = l and u = d.
	diag := ad.Trace(ad.Reshape(T, D*D, D*D)) // rows (r,u), columns (l,d)
	return ad.Add(lnZ, ad.Scale(ad.Log(diag), w)), nil
}

// trgStep is one Levin–Nave step on T[r,u,l,d]: split T two ways by
// truncated SVDs, T = (U√S)(V√S)ᵀ, and contract the four halves around a
// plaquette into the new T[r,u,l,d].
func trgStep(T *ad.Var, o TRGOptions) *ad.Var {
	D := T.Shape()[0]
	// Ma[(u,l),(d,r)] and Mb[(d,l),(u,r)].
	Ma := ad.Reshape(ad.Permute(T, 1, 2, 3, 0), D*D, D*D)
	Mb := ad.Reshape(ad.Permute(T, 3, 2, 1, 0), D*D, D*D)
	ua, va := split(Ma, o)
	ub, vb := split(Mb, o)
	ka, kb := ua.Shape()[1], ub.Shape()[1]
	// S1[l,u,m] = (U√S)[(u,l),m], S3[r,d,m] = (V√S)[(d,r),m];
	// S2[l,d,m] = (U√S)[(d,l),m], S4[r,u,m] = (V√S)[(u,r),m].
	S1 := ad.Permute(ad.Reshape(ua, D, D, ka), 1, 0, 2)
	S3 := ad.Permute(ad.Reshape(va, D, D, ka), 1, 0, 2)
	S2 := ad.Permute(ad.Reshape(ub, D, D, kb), 1, 0, 2)
	S4 := ad.Permute(ad.Reshape(vb, D, D, kb), 1, 0, 2)
	// The new tensor sits on a plaquette with A sites at its top-left (TL)
	// and bottom-right (BR) corners and B sites at TR and BL; it is made of
	// the halves pointing into the plaquette: S3 of TL (legs r, d), S2 of TR
	// (l, d), S1 of BR (l, u) and S4 of BL (r, u), bonded TL.r–TR.l,
	// TR.d–BR.u, BR.l–BL.r, BL.u–TL.d. In the frame turned by 45° its
	// legs towards TR, TL, BL, BR are the new r, u, l, d:
	//
	//	T'[r,u,l,d] = Σ_{αβγδ} S2[α,β,r] S3[α,δ,u] S4[γ,δ,l] S1[γ,β,d].
	X1 := ad.Tensordot(S2, S3, []int{0}, []int{0}) // [β,r,δ,u]
	X2 := ad.Tensordot(S4, S1, []int{0}, []int{0}) // [δ,l,β,d]
	return ad.Tensordot(X1, X2, []int{0, 2}, []int{2, 0})
}

// split returns U√S and V√S of the leading singular triplets of M: at most
// Dcut of them, none below 1e-12 of the largest (exact zeros of the
// Ising tensors' structure, whose vectors are arbitrary), and never part of
// a multiplet: a cut inside (nearly, 1e-9 relative) degenerate singular
// values would make the result depend on an arbitrary basis of the
// multiplet, and ln Z on β discontinuously. Dcut is thus an upper bound.
func split(M *ad.Var, o TRGOptions) (US, VS *ad.Var) {
	k := min(M.Shape()[0], M.Shape()[1], o.Dcut)
	U, S, V := truncSVD(M, min(k+1, min(M.Shape()[0], M.Shape()[1])), o)
	s := S.Value.Data
	keep := 0
	for keep < k && s[keep] > 1e-12*s[0] {
		keep++
	}
	for keep > 1 && keep < len(s) && s[keep-1]-s[keep] <= 1e-9*s[0] {
		keep--
	}
	U, S, V = ad.Slice(U, 1, 0, keep), ad.Slice(S, 0, 0, keep), ad.Slice(V, 1, 0, keep)
	rs := ad.Reshape(ad.Sqrt(S), 1, keep)
	return ad.Mul(U, rs), ad.Mul(V, rs)
}

// truncSVD returns the k leading singular triplets of M: exactly for small
// matrices, otherwise by a randomized range finder with subspace iteration
// (Halko, Martinsson, Tropp 2011) whose probe matrix is fixed by the shape,
// so that the result is a deterministic, differentiable function of M.
func truncSVD(M *ad.Var, k int, o TRGOptions) (U, S, V *ad.Var) {
	m, n := M.Shape()[0], M.Shape()[1]
	l := k + o.Oversample
	if l >= min(m, n) {
		return ad.TruncSVD(M, k)
	}
	rng := rand.New(rand.NewPCG(uint64(m), uint64(n)<<20|uint64(l)))
	omega := ad.Zeros(n, l)
	for i := range omega.Data {
		omega.Data[i] = rng.NormFloat64()
	}
	orth := func(Y *ad.Var) *ad.Var { u, _, _ := ad.SVD(Y); return u }
	Q := orth(ad.MatMul(M, ad.Const(omega)))
	for range o.PowerIters {
		Z := orth(ad.MatMulT(M, Q, true, false))
		Q = orth(ad.MatMul(M, Z))
	}
	B := ad.MatMulT(Q, M, true, false) // l×n
	ub, s, v := ad.SVD(B)
	U = ad.MatMul(Q, ub)
	return ad.Slice(U, 1, 0, k), ad.Slice(s, 0, 0, k), ad.Slice(v, 1, 0, k)
}

// Thermo holds per-site ln Z, energy and specific heat.
type Thermo struct{ LnZ, E, C float64 }

// TRG returns ln Z/N, E/N = −∂(ln Z/N)/∂β and C/N = β²∂²(ln Z/N)/∂β² of
// the 2D Ising model, the derivatives by reverse-mode AD through TRG.
func TRG(beta, J float64, o TRGOptions) (Thermo, error) {
	if !(beta > 0) || math.IsInf(beta, 0) || !(J > 0) {
		return Thermo{}, fmt.Errorf("tn: TRG needs beta > 0 and J > 0, got beta = %v, J = %v", beta, J)
	}
	b := ad.Param(ad.Scalar(beta))
	lnZ, err := TRGLnZ(b, J, o)
	if err != nil {
		return Thermo{}, err
	}
	g, err := ad.Grad(lnZ, []*ad.Var{b}, ad.CreateGraph())
	if err != nil {
		return Thermo{}, err
	}
	h, err := ad.Grad(g[0], []*ad.Var{b})
	if err != nil {
		return Thermo{}, err
	}
	return Thermo{LnZ: lnZ.Item(), E: -g[0].Item(), C: beta * beta * h[0].Item()}, nil
}
