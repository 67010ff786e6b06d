package point

import (
	"math"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/nf"
	"gonum.org/v1/gonum/floats"
)

// Point evaluates a RealNVP model at one point without building an ad
// graph: ln q(x), x = g(z) with ln q, and the gradient of
// ln p(g(z)) + ln|det ∂g/∂z| that latent-space HMC needs, by a hand-written
// backward pass. It is what the samplers call per step; the ad path (Push,
// LogProb) stays the reference it is tested against and what training
// differentiates. It works on a packed copy of the parameters taken by
// New: after the flow is trained further, call Reload. It holds
// scratch space: one per goroutine. No allocation after New.
type Point struct {
	m   *nf.Model
	f   *nf.RealNVP
	n   int
	equ bool

	keep, tr [][]int    // per coupling layer: coordinates kept, transformed
	nets     [][]linear // per coupling layer: the packed net (MLPs), or
	conv     *pointConv // the packed conv nets

	// spline couplings: the spline, per layer the raw parameters of each
	// transformed coordinate (j·C…), the reflection R, ∂/∂θ scratch
	spl     *splineEval
	theta   [][]float64
	reflect []int
	gth     []float64

	// scratch: the input of each coupling layer; per layer, the net's
	// input and hidden activations for +v and (equivariant) −v; tanh of
	// the raw scale and e^s at the transformed coordinates
	xin    [][]float64
	hp, hm [][][]float64
	th, es [][]float64
	u, z   []float64
	gx     []float64
	gp, gm [2][]float64 // backward: ∂/∂(activations) of the ± branches
	s, t   []float64    // raw scale and shift at the transformed coordinates
}

// linear is y = W·x + b with W (out, in) row-major.
type linear struct {
	w, b    []float64
	in, out int
}

// New returns the point evaluator of m, or nil if its flow is not a
// RealNVP with affine couplings or with spline couplings on conv nets
// (callers then use the ad path).
func New(m *nf.Model) *Point {
	f, ok := m.Flow.(*nf.RealNVP)
	if !ok || (f.Cfg.Coupling == "spline" && f.Convs == nil) {
		return nil // the ad path (MLP splines: not graph-free)
	}
	n := f.Cfg.Dim
	p := &Point{m: m, f: f, n: n, equ: f.Cfg.Symmetric == nf.Equivariant,
		u: make([]float64, n), z: make([]float64, n), gx: make([]float64, n),
		s: make([]float64, n), t: make([]float64, n)}
	maxw := n
	for l := range f.Cfg.Layers {
		var keep, tr []int
		for i, v := range f.Masks[l].Value.Data {
			if v == 1 {
				keep = append(keep, i)
			} else {
				tr = append(tr, i)
			}
		}
		p.keep, p.tr = append(p.keep, keep), append(p.tr, tr)
		p.xin = append(p.xin, make([]float64, n))
		p.th = append(p.th, make([]float64, n))
		p.es = append(p.es, make([]float64, n))
		if f.Convs != nil {
			continue
		}
		// activations: [0] the net's input (kept coordinates), then the
		// hidden layers'
		hp, hm := [][]float64{make([]float64, len(keep))}, [][]float64{make([]float64, len(keep))}
		for _, lin := range f.Nets[l].Layers[:len(f.Nets[l].Layers)-1] {
			w := len(lin.B.Value.Data)
			hp, hm = append(hp, make([]float64, w)), append(hm, make([]float64, w))
			maxw = max(maxw, w)
		}
		p.hp, p.hm = append(p.hp, hp), append(p.hm, hm)
	}
	if f.Convs != nil {
		p.conv = newPointConv(f)
	}
	if f.Cfg.Coupling == "spline" {
		C := nf.SplineParams(f.Cfg.Bins)
		p.spl = newSplineEval(f.Cfg.Bins, f.Cfg.Bound)
		p.reflect, p.gth = nf.SplineReflect(f.Cfg.Bins), make([]float64, C)
		for range f.Cfg.Layers {
			p.theta = append(p.theta, make([]float64, C*n))
		}
	}
	p.nets = make([][]linear, len(f.Nets))
	for k := range 2 {
		p.gp[k], p.gm[k] = make([]float64, maxw), make([]float64, maxw)
	}
	p.Reload()
	return p
}

// Reload copies the flow's current parameters: the first layer of each
// net restricted to the kept coordinates (the others are masked to zero),
// the last to the rows of the transformed coordinates' scale, then shift.
func (p *Point) Reload() {
	if p.conv != nil {
		p.conv.reload(p.f)
		return
	}
	n := p.n
	for l, net := range p.f.Nets {
		keep, tr := p.keep[l], p.tr[l]
		lins := p.nets[l][:0]
		for j, lin := range net.Layers {
			W, B := lin.W.Value.Data, lin.B.Value.Data
			in, out := len(W)/len(B), len(B)
			cols := make([]int, in)
			for i := range cols {
				cols[i] = i
			}
			rows := make([]int, out)
			for i := range rows {
				rows[i] = i
			}
			if j == 0 {
				cols = keep
			}
			if j == len(net.Layers)-1 {
				rows = rows[:0]
				for _, r := range tr {
					rows = append(rows, r)
				}
				for _, r := range tr {
					rows = append(rows, n+r)
				}
			}
			pl := linear{w: make([]float64, len(rows)*len(cols)), b: make([]float64, len(rows)), in: len(cols), out: len(rows)}
			for r, row := range rows {
				pl.b[r] = B[row]
				for c, col := range cols {
					pl.w[r*len(cols)+c] = W[row*in+col]
				}
			}
			lins = append(lins, pl)
		}
		p.nets[l] = lins
	}
}

// dot is Σ a_i b_i and axpy is y += a·x (len(x) = len(y)): gonum's
// assembly kernels, 1.6x faster than plain loops at these lengths.
func dot(a, b []float64) float64     { return floats.Dot(a, b) }
func axpy(a float64, x, y []float64) { floats.AddScaled(y, a, x) }

// mlp evaluates layer l's net at the kept coordinates of v and (when
// equivariant) of −v, keeping the activations, and sets the raw scale s
// and shift t at the transformed coordinates.
func (p *Point) mlp(l int, v []float64) {
	hp, hm := p.hp[l], p.hm[l]
	for i, k := range p.keep[l] {
		hp[0][i] = v[k]
		hm[0][i] = -v[k]
	}
	lins := p.nets[l]
	for j, lin := range lins[:len(lins)-1] {
		xp, xm, yp, ym := hp[j], hm[j], hp[j+1], hm[j+1]
		for r := range lin.out {
			row := lin.w[r*lin.in : (r+1)*lin.in]
			if j == 0 && p.equ { // W(−v) = −Wv
				a := dot(row, xp)
				yp[r], ym[r] = math.Tanh(lin.b[r]+a), math.Tanh(lin.b[r]-a)
				continue
			}
			yp[r] = math.Tanh(lin.b[r] + dot(row, xp))
			if p.equ {
				ym[r] = math.Tanh(lin.b[r] + dot(row, xm))
			}
		}
	}
	last := lins[len(lins)-1]
	xp, xm := hp[len(hp)-1], hm[len(hm)-1]
	nt := len(p.tr[l])
	for r, j := range p.tr[l] {
		rs, rt := last.w[r*last.in:(r+1)*last.in], last.w[(nt+r)*last.in:(nt+r+1)*last.in]
		bs, bt := last.b[r], last.b[nt+r]
		if p.equ { // s even, t odd in v
			p.s[j] = 0.5 * ((bs + dot(rs, xp)) + (bs + dot(rs, xm)))
			p.t[j] = 0.5 * ((bt + dot(rt, xp)) - (bt + dot(rt, xm)))
		} else {
			p.s[j] = bs + dot(rs, xp)
			p.t[j] = bt + dot(rt, xp)
		}
	}
}

// st computes layer l's raw shift and tanh(raw scale) at the transformed
// coordinates from v (the layer's input; only kept coordinates are read).
func (p *Point) st(l int, v []float64) {
	if p.conv != nil {
		p.conv.forward(p, l, v)
	} else {
		p.mlp(l, v)
	}
	th := p.th[l]
	for _, j := range p.tr[l] {
		th[j] = math.Tanh(p.s[j])
	}
}

// Forward maps z to x = g(z) (both length Dim; x may alias z) and returns
// ln|det ∂x/∂z|, keeping what the backward pass needs.
func (p *Point) Forward(x, z []float64) float64 {
	copy(x, z)
	var ld float64
	for l := range p.f.Cfg.Layers {
		copy(p.xin[l], x)
		if p.spl != nil {
			p.splineParams(l, x)
			for _, j := range p.tr[l] {
				p.spl.set(p.theta[l][j*len(p.gth):][:len(p.gth)])
				y, d := p.spl.forward(x[j])
				x[j] = y
				ld += d
			}
			continue
		}
		p.st(l, x)
		th, es := p.th[l], p.es[l]
		for _, j := range p.tr[l] {
			es[j] = math.Exp(th[j])
			x[j] = x[j]*es[j] + p.t[j]
			ld += th[j]
		}
	}
	return ld
}

// inverse maps x to z (z may alias x) and returns ln|det ∂z/∂x|.
func (p *Point) inverse(z, x []float64) float64 {
	copy(z, x)
	var ld float64
	for l := p.f.Cfg.Layers - 1; l >= 0; l-- {
		if p.spl != nil {
			p.splineParams(l, z)
			for _, j := range p.tr[l] {
				p.spl.set(p.theta[l][j*len(p.gth):][:len(p.gth)])
				v, d := p.spl.inverse(z[j])
				z[j] = v
				ld -= d
			}
			continue
		}
		p.st(l, z)
		th := p.th[l]
		for _, j := range p.tr[l] {
			z[j] = (z[j] - p.t[j]) * math.Exp(-th[j])
			ld -= th[j]
		}
	}
	return ld
}

// logQ0 is ln q₀(x) of the flow itself.
func (p *Point) logQ0(x []float64) float64 {
	ld := p.inverse(p.z, x)
	return nf.LogNormalRow(p.z) + ld
}

// LogProb returns ln q(x) (the mixture's for symmetric = "mixture").
func (p *Point) LogProb(x []float64) float64 {
	a := p.logQ0(x)
	if p.m.Sym != nf.Mixture {
		return a
	}
	for i, v := range x {
		p.u[i] = -v
	}
	return mix2(a, p.logQ0(p.u))
}

// mix2 is ln(½(e^a + e^b)), stably.
func mix2(a, b float64) float64 {
	mx := max(a, b)
	if math.IsInf(mx, -1) {
		return mx
	}
	return mx + math.Log(math.Exp(a-mx)+math.Exp(b-mx)) - math.Ln2
}

// Sample draws n points as Model.Sample does (the same draws from rng, in
// the same order) into x (n·Dim) and their ln q into lq (length n).
func (p *Point) Sample(rng *mc.PCG, x, lq []float64) {
	d, n := p.n, len(lq)
	for i := range x[:n*d] {
		x[i] = mc.Normal(rng)
	}
	for r := range n {
		row := x[r*d : (r+1)*d]
		lz := nf.LogNormalRow(row)
		lq[r] = lz - p.Forward(row, row)
	}
	if p.m.Sym != nf.Mixture {
		return
	}
	for r := range n {
		row := x[r*d : (r+1)*d]
		for i, v := range row {
			p.u[i] = -v
		}
		lq[r] = mix2(lq[r], p.logQ0(p.u))
	}
	for r := range n {
		if rng.Uint64()&1 == 1 {
			row := x[r*d : (r+1)*d]
			for i := range row {
				row[i] = -row[i]
			}
		}
	}
}

// LatentGrad returns ln p(g(z)) + ln|det ∂g/∂z| and sets grad to its
// gradient in z; gradLogP(gx, x) must set gx = ∇ln p(x) and return ln p(x).
// x receives g(z).
func (p *Point) LatentGrad(grad, x, z []float64, gradLogP func(gx, x []float64) float64) float64 {
	ld := p.Forward(x, z)
	lp := gradLogP(p.gx, x)
	p.backward(grad, p.gx)
	return lp + ld
}

// backward turns gy = ∂F/∂x into ∂F/∂z for F = f(x) + ln|det ∂x/∂z|, with
// the activations of the last forward pass.
func (p *Point) backward(grad, gy []float64) {
	g := grad
	copy(g, gy)
	for l := p.f.Cfg.Layers - 1; l >= 0; l-- {
		if p.spl != nil {
			p.splineBack(l, g)
			continue
		}
		xin, th, es := p.xin[l], p.th[l], p.es[l]
		// ∂F/∂(raw s) and ∂F/∂(raw t) at the transformed coordinates
		for _, j := range p.tr[l] {
			gyj := g[j]
			ds := gyj*xin[j]*es[j] + 1 // +1: the log-determinant's Σ s
			p.s[j] = ds * (1 - th[j]*th[j])
			p.t[j] = gyj
			g[j] = gyj * es[j]
		}
		if p.conv != nil {
			p.conv.backward(p, l, g)
		} else {
			p.mlpBack(l, g)
		}
	}
}

// mlpBack adds to g, at the kept coordinates, the gradient of
// Σ_j ds_j·(raw s_j) + dt_j·(raw t_j) (ds, dt in p.s, p.t) through layer
// l's net, with the activations of the last forward pass.
func (p *Point) mlpBack(l int, g []float64) {
	hp, hm := p.hp[l], p.hm[l]
	lins := p.nets[l]
	last := lins[len(lins)-1]
	nt := len(p.tr[l])
	// ∂/∂(input of the last layer), for the +v and −v evaluations: the
	// raw outputs are s = ½(o₊ + o₋), t = ½(o₊ − o₋) when equivariant
	cs, ct := 1.0, 1.0
	if p.equ {
		cs, ct = 0.5, 0.5
	}
	gp, gm := p.gp[0][:last.in], p.gm[0][:last.in]
	clear(gp)
	clear(gm)
	for r, j := range p.tr[l] {
		rs, rt := last.w[r*last.in:(r+1)*last.in], last.w[(nt+r)*last.in:(nt+r+1)*last.in]
		axpy(cs*p.s[j], rs, gp)
		axpy(ct*p.t[j], rt, gp)
		if p.equ {
			axpy(cs*p.s[j], rs, gm)
			axpy(-ct*p.t[j], rt, gm)
		}
	}
	cur := 0
	for j := len(lins) - 2; j >= 0; j-- {
		lin := lins[j]
		// gp, gm: ∂/∂(activations hp[j+1], hm[j+1]) → ∂/∂(hp[j], hm[j])
		np, nm := p.gp[1-cur][:lin.in], p.gm[1-cur][:lin.in]
		clear(np)
		clear(nm)
		yp, ym := hp[j+1], hm[j+1]
		for r := range lin.out {
			row := lin.w[r*lin.in : (r+1)*lin.in]
			dp := gp[r] * (1 - yp[r]*yp[r])
			if !p.equ {
				axpy(dp, row, np)
				continue
			}
			dm := gm[r] * (1 - ym[r]*ym[r])
			if j == 0 { // the −v branch's input is −v: one pass
				axpy(dp-dm, row, np)
				continue
			}
			axpy(dp, row, np)
			axpy(dm, row, nm)
		}
		gp, gm, cur = np, nm, 1-cur
	}
	for i, k := range p.keep[l] {
		g[k] += gp[i] - gm[i]
	}
}

// LatentLogProb returns ln p(g(z)) + ln|det ∂g/∂z| with logP the target's
// ln p; x receives g(z).
func (p *Point) LatentLogProb(x, z []float64, logP func(x []float64) float64) float64 {
	ld := p.Forward(x, z)
	return logP(x) + ld
}

// splineParams sets layer l's raw spline parameters θ_j (C each) at the
// transformed coordinates from the kept coordinates of v: the net's
// output, or with Equivariant symmetry ½(raw(v) + R·raw(−v)).
func (p *Point) splineParams(l int, v []float64) {
	p.conv.run(p, l, v)
	n, C := p.n, len(p.gth)
	rp, rm, th := p.conv.raw[0], p.conv.raw[1], p.theta[l]
	for _, j := range p.tr[l] {
		for c := range C {
			if p.equ {
				th[j*C+c] = 0.5 * (rp[c*n+j] + rm[p.reflect[c]*n+j])
			} else {
				th[j*C+c] = rp[c*n+j]
			}
		}
	}
}

// splineBack turns g = ∂F/∂(layer l's output) into ∂F/∂(its input) for F
// plus the layer's log-determinant: through the splines at the
// transformed coordinates, then from their parameters through the net to
// the kept coordinates.
func (p *Point) splineBack(l int, g []float64) {
	n, C := p.n, len(p.gth)
	gp, gm := p.conv.graw[0][:C*n], p.conv.graw[1][:C*n]
	clear(gp)
	clear(gm)
	for _, j := range p.tr[l] {
		p.spl.set(p.theta[l][j*C:][:C])
		g[j] = p.spl.grad(p.xin[l][j], g[j], 1, p.gth)
		for c, v := range p.gth {
			if p.equ {
				gp[c*n+j] = 0.5 * v
				gm[p.reflect[c]*n+j] = 0.5 * v
			} else {
				gp[c*n+j] = v
			}
		}
	}
	p.conv.backRaw(p, l, g)
}
