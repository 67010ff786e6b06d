package tn

import (
	"errors"
	"fmt"
	"math"
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

// isingTensor returns the jet in β of T[r,u,l,d] = Σ_s M[s,r]M[s,u]M[s,l]M[s,d]
// with M[s,0] = √cosh K, M[s,1] = s√sinh K, K = βJ, so that
// Σ_b M[s,b]M[s',b] = e^{K s s'}: the contraction of T on every site of a
// square lattice is Z.
func isingTensor(beta, J float64) jet {
	K := mkScalar(beta, 1, 0).Scale(J)
	c, sn := K.Cosh().Sqrt(), K.Sinh().Sqrt()
	M := [2][2]scalar{{c, sn}, {c, sn.Scale(-1)}}
	T := newJet(2, 2, 2, 2)
	for i := range 16 {
		r, u, l, d := i>>3&1, i>>2&1, i>>1&1, i&1
		var t scalar
		for s := range 2 {
			t = t.Add(M[s][r].Mul(M[s][u]).Mul(M[s][l]).Mul(M[s][d]))
		}
		T.v[i], T.d1[i], T.d2[i] = t.V, t.D1, t.D12
	}
	return T
}

// trgStep is one Levin–Nave step on the jet of T[r,u,l,d]: split T two
// ways by truncated SVDs, T = (U√S)(V√S)ᵀ, and contract the four halves
// around a plaquette into the new T[r,u,l,d].
func trgStep(T jet, o TRGOptions) jet {
	D := T.shape[0]
	// Ma[(u,l),(d,r)] and Mb[(d,l),(u,r)].
	ua, va := split(T.permute(1, 2, 3, 0).reshape(D*D, D*D), o)
	ub, vb := split(T.permute(3, 2, 1, 0).reshape(D*D, D*D), o)
	ka, kb := ua.shape[1], ub.shape[1]
	// S1[l,u,m] = (U√S)[(u,l),m], S3[r,d,m] = (V√S)[(d,r),m];
	// S2[l,d,m] = (U√S)[(d,l),m], S4[r,u,m] = (V√S)[(u,r),m].
	S1 := ua.reshape(D, D, ka).permute(1, 0, 2)
	S3 := va.reshape(D, D, ka).permute(1, 0, 2)
	S2 := ub.reshape(D, D, kb).permute(1, 0, 2)
	S4 := vb.reshape(D, D, kb).permute(1, 0, 2)
	// The new tensor sits on a plaquette with A sites at its top-left (TL)
	// and bottom-right (BR) corners and B sites at TR and BL; it is made of
	// the halves pointing into the plaquette: S3 of TL (legs r, d), S2 of TR
	// (l, d), S1 of BR (l, u) and S4 of BL (r, u), bonded TL.r–TR.l,
	// TR.d–BR.u, BR.l–BL.r, BL.u–TL.d. In the frame turned by 45° its
	// legs towards TR, TL, BL, BR are the new r, u, l, d:
	//
	//	T'[r,u,l,d] = Σ_{αβγδ} S2[α,β,r] S3[α,δ,u] S4[γ,δ,l] S1[γ,β,d].
	X1 := tdot(S2, []int{0}, S3, []int{0}) // [β,r,δ,u]
	X2 := tdot(S4, []int{0}, S1, []int{0}) // [δ,l,β,d]
	return tdot(X1, []int{0, 2}, X2, []int{2, 0})
}

// Thermo holds per-site ln Z, energy and specific heat.
type Thermo struct{ LnZ, E, C float64 }

// TRG returns ln Z/N, E/N = −∂(ln Z/N)/∂β and C/N = β²∂²(ln Z/N)/∂β² of
// the 2D Ising model with coupling J. Each step normalises the tensor by
// its Frobenius norm c_s and coarse-grains it; with n steps
//
//	ln Z/N = Σ_{s<n} 2⁻ˢ ln c_s + 2⁻ⁿ ln Tr T_n,
//
// the trace closing the last tensor periodically. The derivatives are
// exact derivatives of this truncated ln Z(β), carried forward through
// every step with the tensor (forward mode: jets of T, T', T”), so the
// memory is that of one step whatever the number of steps.
func TRG(beta, J float64, o TRGOptions) (th Thermo, err error) {
	if !(beta > 0) || math.IsInf(beta, 0) || !(J > 0) {
		return Thermo{}, fmt.Errorf("tn: TRG needs beta > 0 and J > 0, got beta = %v, J = %v", beta, J)
	}
	if err := o.Validate(); err != nil {
		return Thermo{}, err
	}
	if o.Oversample == 0 {
		o.Oversample = o.Dcut
	}
	if o.PowerIters == 0 {
		o.PowerIters = 2
	}
	defer recoverSVD(&err, "TRG", beta)
	T := isingTensor(beta, J)
	var lnZ scalar
	w := 1.0
	for range o.Steps {
		norm := T.sumSquares().Sqrt()
		T = T.scale(norm.Recip())
		lnZ = lnZ.Add(norm.Log().Scale(w))
		T = trgStep(T, o)
		w /= 2
	}
	// Tr T = Σ_{x,y} T[x,y,x,y]: r = l and u = d.
	D := T.shape[0]
	var tr scalar
	for x := range D {
		for y := range D {
			i := ((x*D+y)*D+x)*D + y
			tr = tr.Add(mkScalar(T.v[i], T.d1[i], T.d2[i]))
		}
	}
	return thermo(lnZ.Add(tr.Log().Scale(w)), beta), nil
}

// thermo returns the thermodynamics of the jet of ln Z/N in β.
func thermo(lnZ scalar, beta float64) Thermo {
	return Thermo{LnZ: lnZ.V, E: -lnZ.D1, C: beta * beta * lnZ.D12}
}

// recoverSVD turns the panic of a decomposition that did not converge,
// deep in a coarse-graining step, into the solver's error.
func recoverSVD(err *error, solver string, beta float64) {
	switch e := recover().(type) {
	case nil:
	case svdError:
		*err = fmt.Errorf("tn: %s at beta = %v: %w", solver, beta, e)
	default:
		panic(e)
	}
}
