package nf

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/mcflow/mcflow/ad"
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
	cfg Config
	pot potential
	// Probe draws Hutchinson probes (Config.Hutchinson); nil uses the
	// exact trace. Set it before use from one goroutine only.
	Probe *rand.Rand
}

// potential gives ∇u (batch, Dim) and ∇²u (batch) as ad programs.
type potential interface {
	field(x *ad.Var, probe *rand.Rand) (v, lap *ad.Var)
	params() []*ad.Var
}

func newMongeAmpere(c Config, rng *rand.Rand) *MongeAmpere {
	f := &MongeAmpere{cfg: c}
	switch c.Potential {
	case "lncosh":
		h, d := c.Hidden[0], c.Dim
		W, w := ad.Zeros(h, d), ad.Zeros(h)
		for i := range W.Data {
			W.Data[i] = 0.1 * rng.NormFloat64()
		}
		for i := range w.Data {
			w.Data[i] = 0.1 * rng.NormFloat64()
		}
		f.pot = &lnCoshPotential{W: ad.Param(W), w: ad.Param(w)}
	default:
		widths := append(append([]int{c.Dim}, c.Hidden...), 1)
		net := ad.NewMLP(widths, ad.Tanh, rng)
		f.pot = &mlpPotential{net: net, even: c.Symmetric == Equivariant, hutch: c.Hutchinson}
	}
	return f
}

func (f *MongeAmpere) Dim() int          { return f.cfg.Dim }
func (f *MongeAmpere) Exact() bool       { return f.cfg.Exact }
func (f *MongeAmpere) Config() Config    { return f.cfg }
func (f *MongeAmpere) Params() []*ad.Var { return f.pot.params() }

// rk4 integrates n steps of size eps (negative: backwards) from x and
// returns the end point and ∫∇²u dt along the path.
func (f *MongeAmpere) rk4(x *ad.Var, eps float64, n int) (*ad.Var, *ad.Var) {
	var acc *ad.Var
	for range n {
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
			v, lap := f.pot.field(xs, f.Probe)
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
	if !f.cfg.Exact {
		return f.rk4(z, f.cfg.Eps, f.cfg.Steps)
	}
	zl := z
	if !z.RequiresGrad() {
		zl = ad.Param(z.Value)
	}
	x, _ = f.rk4(zl, f.cfg.Eps, f.cfg.Steps)
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
	if !f.cfg.Exact {
		z, acc := f.rk4(x, -f.cfg.Eps, f.cfg.Steps)
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
	for range f.cfg.Steps {
		guess, _ := f.rk4(ad.Const(y), -f.cfg.Eps, 1)
		x := guess.Value.Clone()
		var ld []float64
		for it := 0; ; it++ {
			xl := ad.Param(x)
			phi, _ := f.rk4(xl, f.cfg.Eps, 1)
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

func (p *lnCoshPotential) field(x *ad.Var, _ *rand.Rand) (v, lap *ad.Var) {
	b, d := x.Shape()[0], x.Shape()[1]
	W, w := p.W.Value.Data, p.w.Value.Data
	h := len(w)
	t := make([]float64, b*h)
	c := make([]float64, h)
	for j := range h {
		for k := range d {
			c[j] += W[j*d+k] * W[j*d+k]
		}
	}
	vt, lt := ad.Zeros(b, d), ad.Zeros(b)
	xd := x.Value.Data
	for r := range b {
		xr := xd[r*d : (r+1)*d]
		vr := vt.Data[r*d : (r+1)*d]
		tr := t[r*h : (r+1)*h]
		var l float64
		for j := range h {
			Wj := W[j*d : (j+1)*d]
			var s float64
			for k, xv := range xr {
				s += Wj[k] * xv
			}
			th := math.Tanh(s)
			tr[j] = th
			a := th * w[j]
			for k := range vr {
				vr[k] += a * Wj[k]
			}
			l += (1 - th*th) * w[j] * c[j]
		}
		lt.Data[r] = l
	}
	outs := ad.Custom([]*ad.Tensor{vt, lt}, []*ad.Var{x, p.W, p.w}, func(g, in, out []*ad.Var) []*ad.Var {
		if ad.AnyRequiresGrad(g, in, out) {
			return lnCoshVJPGraph(g, in)
		}
		return lnCoshVJP(g, in, t, c)
	})
	return outs[0], outs[1]
}

// lnCoshVJP is the vector–Jacobian product with plain loops.
func lnCoshVJP(g, in []*ad.Var, t, c []float64) []*ad.Var {
	x, Wv, wv := in[0].Value, in[1].Value, in[2].Value
	b, d := x.Shape[0], x.Shape[1]
	h := len(wv.Data)
	W, w := Wv.Data, wv.Data
	gx, gW, gw := ad.Zeros(b, d), ad.Zeros(h, d), ad.Zeros(h)
	gc := make([]float64, h)
	var gv, gl []float64
	if g[0] != nil {
		gv = g[0].Value.Data
	}
	if g[1] != nil {
		gl = g[1].Value.Data
	}
	for r := range b {
		xr := x.Data[r*d : (r+1)*d]
		tr := t[r*h : (r+1)*h]
		gxr := gx.Data[r*d : (r+1)*d]
		for j := range h {
			Wj := W[j*d : (j+1)*d]
			gWj := gW.Data[j*d : (j+1)*d]
			th := tr[j]
			s := 1 - th*th
			var gt float64
			if gv != nil {
				gvr := gv[r*d : (r+1)*d]
				var ga float64 // (gv·Wⱼ)
				a := th * w[j]
				for k, gk := range gvr {
					ga += gk * Wj[k]
					gWj[k] += a * gk
				}
				gt = ga * w[j]
				gw.Data[j] += ga * th
			}
			if gl != nil {
				glr := gl[r]
				gw.Data[j] += glr * s * c[j]
				gc[j] += glr * s * w[j]
				gt += -2 * th * glr * w[j] * c[j]
			}
			gh := gt * s
			for k := range d {
				gxr[k] += gh * Wj[k]
				gWj[k] += gh * xr[k]
			}
		}
	}
	for j := range h {
		for k := range d {
			gW.Data[j*d+k] += 2 * W[j*d+k] * gc[j]
		}
	}
	return []*ad.Var{ad.Const(gx), ad.Const(gW), ad.Const(gw)}
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

func (p *mlpPotential) field(x *ad.Var, probe *rand.Rand) (v, lap *ad.Var) {
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
