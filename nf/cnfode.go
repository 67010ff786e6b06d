package nf

import (
	"fmt"
	"math"

	"github.com/mcflow/mcflow/ad"
)

// RK4 stages' time indices (in half steps) from the start of a step,
// forwards; backwards they run from the end of the step.
var (
	rk4Forward  = [4]int{0, 1, 1, 2}
	rk4Backward = [4]int{2, 1, 1, 0}
)

// step advances x (b·V) by RK4 step i (dir +1: from t_i to t_{i+1}; −1:
// from t_{i+1} back to t_i) into xn and adds the divergence integral's
// increment to ld (b). sts are the four stages' buffers (they may alias
// when no gradient follows).
func (r *cnfRun) step(sts *[4]*cnfStage, x []float64, i, dir int, xn, ld []float64) {
	h := float64(dir) * r.h
	base, times := 2*i, rk4Forward
	if dir < 0 {
		times = rk4Backward
	}
	copy(xn, x)
	for s := range 4 {
		xs := x
		if s > 0 {
			xs = r.xs
			for k, v := range x {
				xs[k] = v + rk4C[s]*h*r.v[k]
			}
		}
		r.field(sts[s], xs, base+times[s], r.v, r.div)
		for k, v := range r.v {
			xn[k] += rk4B[s] * h * v
		}
		for k, d := range r.div {
			ld[k] += rk4B[s] * h * d
		}
	}
}

// stepVJP propagates the cotangents gX (b·V) of step i's end point and gL
// (b) of its divergence increment back to its start, into gxIn, and adds
// the parameters' gradient to gr. sts hold the step's stages (step was
// just called with them).
func (r *cnfRun) stepVJP(sts *[4]*cnfStage, i int, gX, gL, gxIn []float64, gr *cnfGrad, scratch [4][]float64) {
	gv, gd, carry, gxs := scratch[0], scratch[1][:r.b], scratch[2], scratch[3]
	copy(gxIn, gX)
	clear(carry)
	for s := 3; s >= 0; s-- {
		next := 0.0
		if s < 3 {
			next = rk4C[s+1]
		}
		for k, g := range gX {
			gv[k] = r.h * (rk4B[s]*g + next*carry[k])
		}
		for k, g := range gL {
			gd[k] = r.h * rk4B[s] * g
		}
		clear(gxs)
		r.fieldVJP(sts[s], 2*i+rk4Forward[s], gv, gd, gxs, gr)
		for k, g := range gxs {
			gxIn[k] += g
		}
		carry, gxs = gxs, carry
	}
}

// Forward maps z to x = g(z) with the RK4-integrated divergence, as one
// differentiable operation: its gradient runs the steps backwards,
// recomputing each step's stages from the stored step boundaries (so the
// memory is Steps+1 configurations per row plus one step's stages).
func (f *CNF) Forward(z *ad.Var) (x, logDet *ad.Var) {
	b, V, n := z.Shape()[0], f.cfg.Dim, f.cfg.Steps
	r := f.newRun(b)
	traj := make([][]float64, n+1)
	traj[0] = append([]float64(nil), z.Value.Data...)
	ld := make([]float64, b)
	st := r.newStage()
	one := [4]*cnfStage{st, st, st, st}
	for i := range n {
		traj[i+1] = make([]float64, b*V)
		r.step(&one, traj[i], i, 1, traj[i+1], ld)
	}
	xt, lt := ad.NewTensor(traj[n], b, V), ad.NewTensor(ld, b)
	outs := ad.Custom([]*ad.Tensor{xt, lt}, []*ad.Var{z, f.W, f.F}, func(g, in, out []*ad.Var) []*ad.Var {
		if ad.AnyRequiresGrad(g, in, out) {
			panic("nf: the cnf flow has first derivatives only (it is trained by reverse KL)")
		}
		return f.vjp(r, traj, g)
	})
	return outs[0], outs[1]
}

// vjp is Forward's gradient: the adjoint of the discrete RK4 map.
func (f *CNF) vjp(r *cnfRun, traj [][]float64, g []*ad.Var) []*ad.Var {
	b, V, n := r.b, r.V, r.n
	gX, gL := make([]float64, b*V), make([]float64, b)
	if g[0] != nil {
		copy(gX, g[0].Value.Data)
	}
	if g[1] != nil {
		copy(gL, g[1].Value.Data)
	}
	sts := [4]*cnfStage{r.newStage(), r.newStage(), r.newStage(), r.newStage()}
	var scratch [4][]float64
	for k := range scratch {
		scratch[k] = make([]float64, b*V)
	}
	gr := r.newGrad()
	xn, ld, gxIn := make([]float64, b*V), make([]float64, b), make([]float64, b*V)
	for i := n - 1; i >= 0; i-- {
		r.step(&sts, traj[i], i, 1, xn, ld)
		r.stepVJP(&sts, i, gX, gL, gxIn, gr, scratch)
		gX, gxIn = gxIn, gX
	}
	return []*ad.Var{ad.Const(ad.NewTensor(gX, b, V)),
		ad.Const(ad.NewTensor(gr.W, f.W.Value.Shape...)), ad.Const(ad.NewTensor(gr.F, f.F.Value.Shape...))}
}

// ForwardValues is Forward without a graph: x (b, Dim) and ln|det ∂x/∂z|
// as the RK4-integrated divergence, keeping only two configurations per
// row (what sampling and evaluation use).
func (f *CNF) ForwardValues(z *ad.Tensor) (*ad.Tensor, []float64) {
	b := z.Shape[0]
	r := f.newRun(b)
	x, xn := z.Clone().Data, make([]float64, len(z.Data))
	ld := make([]float64, b)
	st := r.newStage()
	one := [4]*cnfStage{st, st, st, st}
	for i := range r.n {
		r.step(&one, x, i, 1, xn, ld)
		x, xn = xn, x
	}
	return ad.NewTensor(x, b, r.V), ld
}

// cnfInverseIters bounds the fixed-point refinement of one step's inverse.
const cnfInverseIters = 100

// Inverse maps x to z = g⁻¹(x), the inverse of the discrete RK4 map: each
// step is inverted from the backward RK4 step by the fixed-point iteration
// x ← x − (Φ(x) − y), to round-off. Its log-determinant is minus the
// RK4-integrated divergence along the forward trajectory from z, so that
// ln q(x) = ln N(z) + logDet is the flow's density for any x, a draw or a
// state reached by other moves. Rows whose inversion does not converge get
// NaN. The results are constants (no gradient flows through them).
func (f *CNF) Inverse(x *ad.Var) (z, logDet *ad.Var) {
	b := x.Shape()[0]
	r := f.newRun(b)
	zt, ok := r.invert(x.Value.Data)
	_, ld := f.ForwardValues(ad.NewTensor(zt, b, r.V))
	for k := range ld {
		ld[k] = -ld[k]
		if !ok[k] {
			ld[k] = math.NaN()
		}
	}
	return ad.Const(ad.NewTensor(zt, b, r.V)), ad.Const(ad.NewTensor(ld, b))
}

// invert returns g⁻¹(x) (b·V) and which rows converged.
func (r *cnfRun) invert(x []float64) ([]float64, []bool) {
	b, V := r.b, r.V
	y := append([]float64(nil), x...)
	guess, xn, ld := make([]float64, b*V), make([]float64, b*V), make([]float64, b)
	st := r.newStage()
	one := [4]*cnfStage{st, st, st, st}
	ok := make([]bool, b)
	for k := range ok {
		ok[k] = true
	}
	for i := r.n - 1; i >= 0; i-- {
		r.step(&one, y, i, -1, guess, ld)
		for it := 0; ; it++ {
			r.step(&one, guess, i, 1, xn, ld)
			worst := 0.0
			for k := range guess {
				res := xn[k] - y[k]
				worst = math.Max(worst, math.Abs(res)/(1+math.Abs(y[k])))
				guess[k] -= res
			}
			if worst < 1e-14 || it >= cnfInverseIters || math.IsNaN(worst) {
				if !(worst < 1e-12) {
					r.markFailed(ok, xn, y)
				}
				break
			}
		}
		y, guess = guess, y
	}
	return y, ok
}

// markFailed clears ok for the rows whose step residual is not at
// round-off.
func (r *cnfRun) markFailed(ok []bool, xn, y []float64) {
	V := r.V
	for s := range r.b {
		for k := s * V; k < (s+1)*V; k++ {
			if !(math.Abs(xn[k]-y[k]) < 1e-10*(1+math.Abs(y[k]))) {
				ok[s] = false
				break
			}
		}
	}
}

func (f *CNF) String() string {
	return fmt.Sprintf("cnf L=%d features=%d frequencies=%d time_basis=%d steps=%d", f.cfg.L, f.cfg.Features, f.cfg.Frequencies, f.cfg.TimeBasis, f.cfg.Steps)
}
