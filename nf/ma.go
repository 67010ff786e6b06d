package nf

import (
	"math"
	"math/rand/v2"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/mc"
	"gonum.org/v1/gonum/mat"
)

// MongeAmpere is the Monge–Ampère flow (Zhang, E and Wang,
// arXiv:1809.10188): the gradient flow of a potential u,
//
//	dx/dt = ∇u(x),   d ln p/dt = −∇²u(x),
//
// integrated with Steps RK4 steps of size Eps from x(0) = z. Forward's
// log-determinant is ∫∇²u dt by the same RK4 rule; Inverse integrates
// backwards. Both are accurate to O(Eps⁴) at fixed Steps·Eps, not exact:
// in Exact mode the log-determinant is that of the discrete RK4 map itself
// (the Jacobian by ad, per row), and Inverse refines the backward RK4
// steps by Newton's method to invert each forward step to round-off, so
// that the density is exact where Monte Carlo corrections need it.
type MongeAmpere struct {
	Cfg Config
	pot potential
}

// potential gives ∇u (batch, Dim) and ∇²u (batch) as ad programs.
type potential interface {
	field(x *ad.Var, probe *mc.PCG) (v, lap *ad.Var)
	params() []*ad.Var
}

func newMongeAmpere(c Config, rng *mc.PCG) *MongeAmpere {
	f := &MongeAmpere{Cfg: c}
	switch c.Potential {
	case "lncosh":
		h, d := c.Hidden[0], c.Dim
		W, w := ad.Zeros(h, d), ad.Zeros(h)
		for i := range W.Data {
			W.Data[i] = 0.1 * mc.Normal(rng)
		}
		for i := range w.Data {
			w.Data[i] = 0.1 * mc.Normal(rng)
		}
		f.pot = &lnCoshPotential{W: ad.Param(W), w: ad.Param(w)}
	case "conv":
		f.pot = newConvPotential(c, rng)
	default:
		widths := append(append([]int{c.Dim}, c.Hidden...), 1)
		net := ad.NewMLP(widths, ad.Tanh, rand.New(rng))
		f.pot = &mlpPotential{net: net, even: c.Symmetric == Equivariant, hutch: c.Hutchinson}
	}
	return f
}

func (f *MongeAmpere) Dim() int          { return f.Cfg.Dim }
func (f *MongeAmpere) Exact() bool       { return f.Cfg.Exact }
func (f *MongeAmpere) Config() Config    { return f.Cfg }
func (f *MongeAmpere) Params() []*ad.Var { return f.pot.params() }

// rk4 integrates n steps of size eps (negative: backwards) from x and
// returns the end point and ∫∇²u dt along the path.
func (f *MongeAmpere) rk4(x *ad.Var, eps float64, n int) (*ad.Var, *ad.Var) {
	return f.rk4Probe(x, eps, n, nil)
}

// ForwardProbe is Forward with Hutchinson's estimator of ∇²u drawing its
// probes from rng (a flow with Config.Hutchinson; others ignore rng). The
// log-determinant is then an unbiased estimate, for training.
func (f *MongeAmpere) ForwardProbe(z *ad.Var, rng *mc.PCG) (x, logDet *ad.Var) {
	if f.Cfg.Exact || !f.Cfg.Hutchinson {
		return f.Forward(z)
	}
	return f.rk4Probe(z, f.Cfg.Eps, f.Cfg.Steps, rng)
}

func (f *MongeAmpere) rk4Probe(x *ad.Var, eps float64, n int, probe *mc.PCG) (*ad.Var, *ad.Var) {
	var acc *ad.Var
	st, fused := f.pot.(interface {
		step(x *ad.Var, eps float64) (*ad.Var, *ad.Var)
	})
	for range n {
		if fused && probe == nil {
			var dl *ad.Var
			x, dl = st.step(x, eps)
			if acc == nil {
				acc = dl
			} else {
				acc = ad.Add(acc, dl)
			}
			continue
		}
		var k [4]*ad.Var
		var l [4]*ad.Var
		xs := x
		for s := range 4 {
			if s > 0 {
				c := 0.5
				if s == 3 {
					c = 1
				}
				xs = ad.Add(x, ad.Scale(k[s-1], c))
			}
			v, lap := f.pot.field(xs, probe)
			k[s], l[s] = ad.Scale(v, eps), ad.Scale(lap, eps)
		}
		dx := ad.Scale(ad.Add(ad.Add(k[0], k[3]), ad.Scale(ad.Add(k[1], k[2]), 2)), 1.0/6)
		dl := ad.Scale(ad.Add(ad.Add(l[0], l[3]), ad.Scale(ad.Add(l[1], l[2]), 2)), 1.0/6)
		x = ad.Add(x, dx)
		if acc == nil {
			acc = dl
		} else {
			acc = ad.Add(acc, dl)
		}
	}
	return x, acc
}

func (f *MongeAmpere) Forward(z *ad.Var) (x, logDet *ad.Var) {
	if !f.Cfg.Exact {
		return f.rk4(z, f.Cfg.Eps, f.Cfg.Steps)
	}
	zl := z
	if !z.RequiresGrad() {
		zl = ad.Param(z.Value)
	}
	x, _ = f.rk4(zl, f.Cfg.Eps, f.Cfg.Steps)
	return x, logAbsDetJacobian(x, zl)
}

// logAbsDetJacobian returns ln|det ∂y/∂x| per row of a row-wise map y(x),
// from Dim reverse passes (differentiable: CreateGraph).
func logAbsDetJacobian(y, x *ad.Var) *ad.Var {
	b, d := y.Shape()[0], y.Shape()[1]
	rows := make([]*ad.Var, d)
	for i := range d {
		g := ad.MustGrad(ad.Sum(ad.Slice(y, 1, i, i+1)), []*ad.Var{x}, ad.CreateGraph())[0]
		rows[i] = ad.Reshape(g, b, 1, d)
	}
	return ad.LogAbsDet(ad.Concat(1, rows...))
}

func (f *MongeAmpere) Inverse(x *ad.Var) (z, logDet *ad.Var) {
	if !f.Cfg.Exact {
		z, acc := f.rk4(x, -f.Cfg.Eps, f.Cfg.Steps)
		return z, acc // ∫ along the backward path: ln|det ∂z/∂x| ≈ −∫∇²u dt forward
	}
	return f.exactInverse(x.Value)
}

// exactInverse inverts each forward RK4 step y = Φ(x) by Newton's method
// from the backward RK4 step, and sums −ln|det ∂Φ/∂x| at the solutions.
// The result is a constant (no gradient flows through it).
func (f *MongeAmpere) exactInverse(xt *ad.Tensor) (*ad.Var, *ad.Var) {
	b, d := xt.Shape[0], xt.Shape[1]
	y := xt.Clone()
	logDet := ad.Zeros(b)
	J := make([]float64, d*d)
	var lu mat.LU
	r := make([]float64, d)
	for range f.Cfg.Steps {
		guess, _ := f.rk4(ad.Const(y), -f.Cfg.Eps, 1)
		x := guess.Value.Clone()
		var ld []float64
		for it := 0; ; it++ {
			xl := ad.Param(x)
			phi, _ := f.rk4(xl, f.Cfg.Eps, 1)
			jac := make([][]float64, d)
			for i := range d {
				jac[i] = ad.MustGrad(ad.Sum(ad.Slice(phi, 1, i, i+1)), []*ad.Var{xl})[0].Value.Data
			}
			worst := 0.0
			next := x.Clone()
			ld = make([]float64, b)
			for row := range b {
				for i := range d {
					r[i] = phi.Value.Data[row*d+i] - y.Data[row*d+i]
					worst = math.Max(worst, math.Abs(r[i])/(1+math.Abs(y.Data[row*d+i])))
					for j := range d {
						J[i*d+j] = jac[i][row*d+j]
					}
				}
				lu.Factorize(mat.NewDense(d, d, J))
				ld[row], _ = lu.LogDet()
				var dx mat.VecDense
				if err := lu.SolveVecTo(&dx, false, mat.NewVecDense(d, r)); err != nil {
					if _, ok := err.(mat.Condition); !ok {
						for i := range d {
							next.Data[row*d+i] = math.NaN()
						}
						continue
					}
				}
				for i := range d {
					next.Data[row*d+i] -= dx.AtVec(i)
				}
			}
			if worst < 1e-15 || it >= 20 {
				break
			}
			x = next
		}
		for row := range b {
			logDet.Data[row] -= ld[row]
		}
		y = x
	}
	return ad.Const(y), ad.Const(logDet)
}

// lnCoshPotential is u(x) = Σ_j w_j ln cosh(W_j·x), with
//
//	∇u = Σ_j w_j tanh(W_j·x) W_j,   ∇²u = Σ_j w_j (1 − tanh²(W_j·x)) |W_j|²,
//
// evaluated by one fused operation with a hand-written vector–Jacobian
// product. u is even, so the flow is equivariant.
type lnCoshPotential struct {
	W *ad.Var // (H, D)
	w *ad.Var // (H)
}

func (p *lnCoshPotential) params() []*ad.Var { return []*ad.Var{p.W, p.w} }

// lcPrep holds Wᵀ (d, h), |W_j|² and w_j|W_j|² for the kernels.
type lcPrep struct {
	b, d, h  int
	w, wt, c []float64
	wc       []float64
}

func (p *lnCoshPotential) prep(b int) *lcPrep {
	W, w := p.W.Value.Data, p.w.Value.Data
	h := len(w)
	d := len(W) / h
	q := &lcPrep{b: b, d: d, h: h, w: w, wt: make([]float64, d*h), c: make([]float64, h), wc: make([]float64, h)}
	for j := range h {
		for k := range d {
			q.wt[k*h+j] = W[j*d+k]
			q.c[j] += W[j*d+k] * W[j*d+k]
		}
		q.wc[j] = w[j] * q.c[j]
	}
	return q
}

// fieldKernel fills t = tanh(xWᵀ) (b, h), v = ∇u (b, d) and l = ∇²u (b).
func (q *lcPrep) fieldKernel(x, t, v, l []float64) {
	if q.d == 2 {
		q.fieldKernel2(x, t, v, l)
		return
	}
	d, h, w := q.d, q.h, q.w[:q.h]
	for r := range q.b {
		xr := x[r*d : (r+1)*d]
		vr := v[r*d : (r+1)*d]
		tr := t[r*h : (r+1)*h]
		for k, xv := range xr {
			row := q.wt[k*h : (k+1)*h]
			row = row[:len(tr)]
			for j := range tr {
				tr[j] += xv * row[j]
			}
		}
		var lr float64
		wc := q.wc[:len(tr)]
		for j, s := range tr {
			th := math.Tanh(s)
			tr[j] = th
			lr += (1 - th*th) * wc[j]
		}
		l[r] = lr
		for k := range vr {
			row := q.wt[k*h : (k+1)*h]
			row = row[:len(tr)]
			w := w[:len(tr)]
			var s float64
			for j, th := range tr {
				s += th * w[j] * row[j]
			}
			vr[k] = s
		}
	}
}

// vjpKernel adds the vector–Jacobian product of the field at x (t from
// fieldKernel) with cotangents gv (b, d) and gl (b), either may be nil:
// into gx (b, d), gwt (d, h) (for Wᵀ, the part not through |W_j|²), gw (h)
// and gc (h) (for |W_j|²).
func (q *lcPrep) vjpKernel(x, t, gv, gl, gx, gwt, gw, gc []float64) {
	if q.d == 2 && gv != nil && gl != nil {
		q.vjpKernel2(x, t, gv, gl, gx, gwt, gw, gc)
		return
	}
	d, h := q.d, q.h
	w, c := q.w[:h], q.c[:h]
	gw, gc = gw[:h], gc[:h]
	ga := make([]float64, h)
	gt := make([]float64, h)
	for r := range q.b {
		xr := x[r*d : (r+1)*d]
		tr := t[r*h : (r+1)*h]
		gxr := gx[r*d : (r+1)*d]
		clear(gt)
		if gv != nil {
			gvr := gv[r*d : (r+1)*d]
			clear(ga)
			for k, gk := range gvr {
				row := q.wt[k*h : (k+1)*h]
				row = row[:len(tr)]
				grow := gwt[k*h : (k+1)*h]
				grow = grow[:len(tr)]
				for j, th := range tr {
					ga[j] += gk * row[j]
					grow[j] += gk * th * w[j]
				}
			}
			for j, th := range tr {
				gt[j] = ga[j] * w[j]
				gw[j] += ga[j] * th
			}
		}
		if gl != nil {
			glr := gl[r]
			for j, th := range tr {
				s := 1 - th*th
				gw[j] += glr * s * c[j]
				gc[j] += glr * s * w[j]
				gt[j] -= 2 * th * glr * w[j] * c[j]
			}
		}
		for j, th := range tr {
			gt[j] *= 1 - th*th // now ∂/∂(xWᵀ)
		}
		for k, xv := range xr {
			row := q.wt[k*h : (k+1)*h]
			row = row[:len(gt)]
			grow := gwt[k*h : (k+1)*h]
			grow = grow[:len(gt)]
			var s float64
			for j, gh := range gt {
				s += gh * row[j]
				grow[j] += gh * xv
			}
			gxr[k] += s
		}
	}
}

// fieldKernel2 is fieldKernel for d = 2, term by term: each term's
// weights stay in registers while it runs over the rows.
func (q *lcPrep) fieldKernel2(x, t, v, l []float64) {
	b, h := q.b, q.h
	x, v, l = x[:2*b], v[:2*b], l[:b]
	clear(v)
	clear(l)
	for j := range h {
		w0, w1, wj, wc := q.wt[j], q.wt[h+j], q.w[j], q.wc[j]
		a0, a1 := wj*w0, wj*w1
		for r := range l {
			s := x[2*r]*w0 + x[2*r+1]*w1
			th := math.Tanh(s)
			t[r*h+j] = th
			l[r] += (1 - th*th) * wc
			v[2*r] += th * a0
			v[2*r+1] += th * a1
		}
	}
}

// vjpKernel2 is vjpKernel for d = 2 with both cotangents, term by term.
func (q *lcPrep) vjpKernel2(x, t, gv, gl, gx, gwt, gw, gc []float64) {
	b, h := q.b, q.h
	x, gv, gx, gl = x[:2*b], gv[:2*b], gx[:2*b], gl[:b]
	for j := range h {
		w0, w1, wj, cj := q.wt[j], q.wt[h+j], q.w[j], q.c[j]
		var g0, g1, gwj, gcj float64
		for r, glr := range gl {
			th := t[r*h+j]
			s := 1 - th*th
			gv0, gv1 := gv[2*r], gv[2*r+1]
			ga := gv0*w0 + gv1*w1
			a := th * wj
			g0 += gv0 * a
			g1 += gv1 * a
			gwj += ga*th + glr*s*cj
			gcj += glr * s * wj
			gh := (ga*wj - 2*th*glr*wj*cj) * s
			gx[2*r] += gh * w0
			gx[2*r+1] += gh * w1
			g0 += gh * x[2*r]
			g1 += gh * x[2*r+1]
		}
		gwt[j] += g0
		gwt[h+j] += g1
		gw[j] += gwj
		gc[j] += gcj
	}
}

// gradW assembles ∂/∂W (h, d) from the kernels' accumulators.
func (q *lcPrep) gradW(gwt, gc []float64) *ad.Tensor {
	gW := ad.Zeros(q.h, q.d)
	for j := range q.h {
		for k := range q.d {
			gW.Data[j*q.d+k] = gwt[k*q.h+j] + 2*q.wt[k*q.h+j]*gc[j]
		}
	}
	return gW
}

func (p *lnCoshPotential) field(x *ad.Var, _ *mc.PCG) (v, lap *ad.Var) {
	b, d := x.Shape()[0], x.Shape()[1]
	q := p.prep(b)
	t := make([]float64, b*q.h)
	vt, lt := ad.Zeros(b, d), ad.Zeros(b)
	q.fieldKernel(x.Value.Data, t, vt.Data, lt.Data)
	outs := ad.Custom([]*ad.Tensor{vt, lt}, []*ad.Var{x, p.W, p.w}, func(g, in, out []*ad.Var) []*ad.Var {
		if ad.AnyRequiresGrad(g, in, out) {
			return lnCoshVJPGraph(g, in)
		}
		var gv, gl []float64
		if g[0] != nil {
			gv = g[0].Value.Data
		}
		if g[1] != nil {
			gl = g[1].Value.Data
		}
		gx, gw := ad.Zeros(b, d), ad.Zeros(q.h)
		gwt, gc := make([]float64, d*q.h), make([]float64, q.h)
		q.vjpKernel(in[0].Value.Data, t, gv, gl, gx.Data, gwt, gw.Data, gc)
		return []*ad.Var{ad.Const(gx), ad.Const(q.gradW(gwt, gc)), ad.Const(gw)}
	})
	return outs[0], outs[1]
}

// RK4 stage weights and stage offsets.
var (
	rk4B = [4]float64{1.0 / 6, 2.0 / 6, 2.0 / 6, 1.0 / 6}
	rk4C = [4]float64{0, 0.5, 0.5, 1}
)

// step is one RK4 step x → x + Σ b_s k_s with its ∫∇²u increment, as one
// fused operation: its vjp runs the four stages backwards with the
// hand-written kernels.
func (p *lnCoshPotential) step(x *ad.Var, eps float64) (xn, dl *ad.Var) {
	b, d := x.Shape()[0], x.Shape()[1]
	q := p.prep(b)
	x0 := x.Value.Data
	var xs, ts [4][]float64
	xnT, dlT := ad.Zeros(b, d), ad.Zeros(b)
	copy(xnT.Data, x0)
	v := make([]float64, b*d)
	l := make([]float64, b)
	for s := range 4 {
		if s == 0 {
			xs[s] = x0
		} else {
			xs[s] = make([]float64, b*d)
			for i, xv := range x0 {
				xs[s][i] = xv + rk4C[s]*eps*v[i]
			}
		}
		ts[s] = make([]float64, b*q.h)
		q.fieldKernel(xs[s], ts[s], v, l)
		for i, vv := range v {
			xnT.Data[i] += rk4B[s] * eps * vv
		}
		for i, lv := range l {
			dlT.Data[i] += rk4B[s] * eps * lv
		}
	}
	outs := ad.Custom([]*ad.Tensor{xnT, dlT}, []*ad.Var{x, p.W, p.w}, func(g, in, out []*ad.Var) []*ad.Var {
		if ad.AnyRequiresGrad(g, in, out) {
			return lnCoshStepVJPGraph(g, in, eps)
		}
		var gX, gL []float64
		if g[0] != nil {
			gX = g[0].Value.Data
		}
		if g[1] != nil {
			gL = g[1].Value.Data
		}
		gxIn, gw := ad.Zeros(b, d), ad.Zeros(q.h)
		if gX != nil {
			copy(gxIn.Data, gX)
		}
		gwt, gc := make([]float64, d*q.h), make([]float64, q.h)
		gv := make([]float64, b*d)
		gl := make([]float64, b)
		carry := make([]float64, b*d) // ∂/∂ of the next stage's input
		gxs := make([]float64, b*d)
		for s := 3; s >= 0; s-- {
			next := 0.0
			if s < 3 {
				next = rk4C[s+1]
			}
			for i := range gv {
				var gk float64
				if gX != nil {
					gk = rk4B[s] * gX[i]
				}
				gv[i] = eps * (gk + next*carry[i])
			}
			var glp []float64
			if gL != nil {
				for i, v := range gL {
					gl[i] = eps * rk4B[s] * v
				}
				glp = gl
			}
			clear(gxs)
			q.vjpKernel(xs[s], ts[s], gv, glp, gxs, gwt, gw.Data, gc)
			for i, v := range gxs {
				gxIn.Data[i] += v
			}
			carry, gxs = gxs, carry
		}
		return []*ad.Var{ad.Const(gxIn), ad.Const(q.gradW(gwt, gc)), ad.Const(gw)}
	})
	return outs[0], outs[1]
}

// lnCoshFieldGraph is the field built from ad operations.
func lnCoshFieldGraph(x, W, w *ad.Var) (v, l *ad.Var) {
	t := ad.Tanh(ad.MatMulT(x, W, false, true))
	v = ad.MatMul(ad.Mul(t, w), W)
	s := ad.AddScalar(ad.Neg(ad.Square(t)), 1)
	l = ad.SumAxis(ad.Mul(s, ad.Mul(w, ad.SumAxis(ad.Square(W), 1, false))), 1, false)
	return v, l
}

// lnCoshStepVJPGraph is step's vjp built from ad operations (for
// CreateGraph): the stages are recomputed as a graph and run backwards.
func lnCoshStepVJPGraph(g, in []*ad.Var, eps float64) []*ad.Var {
	x, W, w := in[0], in[1], in[2]
	var xs [4]*ad.Var
	var k *ad.Var
	for s := range 4 {
		if s == 0 {
			xs[s] = x
		} else {
			xs[s] = ad.Add(x, ad.Scale(k, rk4C[s]))
		}
		v, _ := lnCoshFieldGraph(xs[s], W, w)
		k = ad.Scale(v, eps)
	}
	add := func(a, b *ad.Var) *ad.Var {
		switch {
		case a == nil:
			return b
		case b == nil:
			return a
		}
		return ad.Add(a, b)
	}
	gX, gL := g[0], g[1]
	gxIn := gX
	var gW, gw, carry *ad.Var
	for s := 3; s >= 0; s-- {
		var gk *ad.Var
		if gX != nil {
			gk = ad.Scale(gX, rk4B[s])
		}
		if carry != nil {
			gk = add(gk, ad.Scale(carry, rk4C[s+1]))
		}
		var gv, gl *ad.Var
		if gk != nil {
			gv = ad.Scale(gk, eps)
		}
		if gL != nil {
			gl = ad.Scale(gL, eps*rk4B[s])
		}
		if gv == nil && gl == nil {
			carry = nil
			continue
		}
		r := lnCoshVJPGraph([]*ad.Var{gv, gl}, []*ad.Var{xs[s], W, w})
		gxIn = add(gxIn, r[0])
		gW, gw = add(gW, r[1]), add(gw, r[2])
		carry = r[0]
	}
	return []*ad.Var{gxIn, gW, gw}
}

// lnCoshVJPGraph is the same product built from ad operations, so that it
// can be differentiated again.
func lnCoshVJPGraph(g, in []*ad.Var) []*ad.Var {
	x, W, w := in[0], in[1], in[2]
	t := ad.Tanh(ad.MatMulT(x, W, false, true)) // (B, H)
	s := ad.AddScalar(ad.Neg(ad.Square(t)), 1)
	c := ad.SumAxis(ad.Square(W), 1, false) // (H)
	var gt, gW, gw *ad.Var
	add := func(a, b *ad.Var) *ad.Var {
		if a == nil {
			return b
		}
		return ad.Add(a, b)
	}
	if g[0] != nil {
		ga := ad.MatMulT(g[0], W, false, true) // (B, H)
		gW = ad.MatMulT(ad.Mul(t, w), g[0], true, false)
		gt = ad.Mul(ga, w)
		gw = ad.SumAxis(ad.Mul(ga, t), 0, false)
	}
	if g[1] != nil {
		gl := ad.Reshape(g[1], -1, 1)
		gw = add(gw, ad.SumAxis(ad.Mul(ad.Mul(gl, s), c), 0, false))
		gc := ad.SumAxis(ad.Mul(ad.Mul(gl, s), w), 0, false)
		gW = add(gW, ad.Mul(ad.Scale(W, 2), ad.Reshape(gc, -1, 1)))
		gt = add(gt, ad.Mul(ad.Scale(ad.Mul(t, gl), -2), ad.Mul(w, c)))
	}
	gh := ad.Mul(gt, s)
	gx := ad.MatMul(gh, W)
	gW = add(gW, ad.MatMulT(gh, x, true, false))
	return []*ad.Var{gx, gW, gw}
}

// mlpPotential is u(x) = MLP(x) (tanh, scalar output), made even as
// MLP(x) + MLP(−x) for an equivariant flow; ∇u and ∇²u by ad.
type mlpPotential struct {
	net   *ad.MLP
	even  bool
	hutch bool
}

func (p *mlpPotential) params() []*ad.Var { return p.net.Params() }

func (p *mlpPotential) field(x *ad.Var, probe *mc.PCG) (v, lap *ad.Var) {
	if !x.RequiresGrad() {
		x = ad.Param(x.Value)
	}
	u := ad.Sum(p.net.Forward(x))
	if p.even {
		u = ad.Add(u, ad.Sum(p.net.Forward(ad.Neg(x))))
	}
	v = ad.MustGrad(u, []*ad.Var{x}, ad.CreateGraph())[0]
	b, d := x.Shape()[0], x.Shape()[1]
	if p.hutch && probe != nil {
		e := ad.Zeros(b, d)
		for i := range e.Data {
			e.Data[i] = float64(int(probe.Uint64()&1)*2 - 1)
		}
		ev := ad.Const(e)
		hv := ad.MustGrad(ad.Sum(ad.Mul(v, ev)), []*ad.Var{x}, ad.CreateGraph())[0]
		return v, ad.SumAxis(ad.Mul(hv, ev), 1, false)
	}
	for i := range d {
		col := ad.MustGrad(ad.Sum(ad.Slice(v, 1, i, i+1)), []*ad.Var{x}, ad.CreateGraph())[0]
		term := ad.Reshape(ad.Slice(col, 1, i, i+1), -1)
		if lap == nil {
			lap = term
		} else {
			lap = ad.Add(lap, term)
		}
	}
	return v, lap
}

// ExactMode returns the same flow (sharing its parameters) in exact mode:
// the same map x = g(z), with ln q computed from the discrete RK4 map's
// own Jacobian and a Newton-refined inverse. A flow trained without exact
// mode (faster) is switched on this way where Monte Carlo needs its exact
// density.
func (f *MongeAmpere) ExactMode() *MongeAmpere {
	g := *f
	g.Cfg.Exact = true
	return &g
}
