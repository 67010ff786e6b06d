package point

import (
	"math"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/nf"
)

// The graph-free evaluation of convolutional coupling nets (net = "conv")
// for Point: periodic convolutions of one L×L image as one matrix product
// with the image's shifted copies (gathered through a table per kernel
// offset); the backward pass is the transposed product, then a scatter.

// convLayer is one packed convolution: kernels w (out, in, k·k) and
// biases b (out).
type convLayer struct {
	w, b    []float64
	in, out int
}

// pointConv holds the packed conv nets of a RealNVP and their scratch.
type pointConv struct {
	n, kk  int
	shift  [][]int32     // per kernel offset (u, v): site p reads site shift[uv][p]
	layers [][]convLayer // per coupling layer
	ap, am [][][]float64 // per coupling layer and conv layer: the input activations (in·n), +v and −v
	raw    [2][]float64  // the last layer's output (out·n), +v and −v
	cols   []float64     // the shifted copies of a layer input (in·k² × n)
	gp     [2][]float64  // backward: ∂/∂(activations), ping-pong
	graw   [2][]float64  // backward: ∂/∂(raw outputs) of the +v and −v branches
	widest int
}

func newPointConv(f *nf.RealNVP) *pointConv {
	L, k := f.Cfg.L, f.Cfg.Kernel
	n := L * L
	c := &pointConv{n: n, kk: k * k}
	tab := ad.ConvShifts(L, L, k, k)
	for uv := range k * k {
		c.shift = append(c.shift, tab[uv*n:(uv+1)*n])
	}
	c.widest = 1
	for _, net := range f.Convs {
		var ap, am [][]float64
		for _, lay := range net.Layers {
			in := lay.K.Value.Shape[1]
			ap, am = append(ap, make([]float64, in*n)), append(am, make([]float64, in*n))
			c.widest = max(c.widest, in, lay.K.Value.Shape[0])
		}
		c.ap, c.am = append(c.ap, ap), append(c.am, am)
	}
	c.cols = make([]float64, c.widest*c.kk*n)
	for k := range 2 {
		c.raw[k] = make([]float64, c.widest*n)
		c.gp[k] = make([]float64, c.widest*n)
		c.graw[k] = make([]float64, c.widest*n)
	}
	c.layers = make([][]convLayer, len(f.Convs))
	return c
}

// reload copies the nets' current parameters.
func (c *pointConv) reload(f *nf.RealNVP) {
	for l, net := range f.Convs {
		c.layers[l] = c.layers[l][:0]
		for _, lay := range net.Layers {
			sh := lay.K.Value.Shape
			c.layers[l] = append(c.layers[l], convLayer{
				w: append([]float64(nil), lay.K.Value.Data...), b: append([]float64(nil), lay.B.Value.Data...),
				in: sh[1], out: sh[0]})
		}
	}
}

// conv sets y (out·n) to the layer's convolution of x (in·n) plus biases:
// y = W·cols with W (out × in·k²) and cols[(c, uv), p] = x_c[shift[uv][p]].
func (c *pointConv) conv(y, x []float64, cl convLayer) {
	n, kd := c.n, cl.in*c.kk
	cols := c.cols[:kd*n]
	for ci := range cl.in {
		xc := x[ci*n : (ci+1)*n]
		for uv, t := range c.shift {
			row := cols[(ci*c.kk+uv)*n:][:n]
			for p, q := range t {
				row[p] = xc[q]
			}
		}
	}
	for o := range cl.out {
		yo := y[o*n : (o+1)*n]
		for i := range yo {
			yo[i] = cl.b[o]
		}
	}
	ad.Gemm(false, false, cl.out, n, kd, cl.w, kd, cols, n, 1, y[:cl.out*n])
}

// convT adds to gx (in·n) the transposed convolution of gy (out·n): the
// gradient of Σ gy·y with respect to x, Wᵀ·gy scattered back through the
// shifts.
func (c *pointConv) convT(gx, gy []float64, cl convLayer) {
	n, kd := c.n, cl.in*c.kk
	cols := c.cols[:kd*n]
	ad.Gemm(true, false, kd, n, cl.out, cl.w, kd, gy[:cl.out*n], n, 0, cols)
	for ci := range cl.in {
		gc := gx[ci*n : (ci+1)*n]
		for uv, t := range c.shift {
			row := cols[(ci*c.kk+uv)*n:][:n]
			for p, q := range t {
				gc[q] += row[p]
			}
		}
	}
}

// net runs coupling layer l's net on the image a[0] (already filled),
// keeping the activations, and leaves the raw output in out.
func (c *pointConv) net(l int, a [][]float64, out []float64) {
	lays := c.layers[l]
	for j, cl := range lays {
		if j == len(lays)-1 {
			c.conv(out[:cl.out*c.n], a[j], cl)
			break
		}
		y := a[j+1]
		c.conv(y, a[j], cl)
		for i, v := range y {
			y[i] = math.Tanh(v)
		}
	}
}

// run evaluates layer l's net on the kept coordinates of v, and (when
// equivariant) on their negatives, leaving the raw outputs in raw[0] and
// raw[1] (channel-major, channels·n).
func (c *pointConv) run(p *Point, l int, v []float64) {
	n := c.n
	ap, am := c.ap[l], c.am[l]
	clear(ap[0][:n])
	for _, k := range p.keep[l] {
		ap[0][k] = v[k]
	}
	c.net(l, ap, c.raw[0])
	if p.equ {
		for i, x := range ap[0][:n] {
			am[0][i] = -x
		}
		c.net(l, am, c.raw[1])
	}
}

// forward sets p.s and p.t, the raw scale and shift at layer l's
// transformed coordinates, from the kept coordinates of v; with
// Equivariant symmetry s is even and t odd in v (the net at ±v).
func (c *pointConv) forward(p *Point, l int, v []float64) {
	n := c.n
	c.run(p, l, v)
	rp, rm := c.raw[0], c.raw[1]
	for _, j := range p.tr[l] {
		if p.equ {
			p.s[j] = 0.5 * (rp[j] + rm[j])
			p.t[j] = 0.5 * (rp[n+j] - rm[n+j])
		} else {
			p.s[j], p.t[j] = rp[j], rp[n+j]
		}
	}
}

// backward adds to g, at the kept coordinates, the gradient of
// Σ_j ds_j·(raw s_j) + dt_j·(raw t_j) (ds, dt in p.s, p.t) through layer
// l's net, with the activations of the last forward pass.
func (c *pointConv) backward(p *Point, l int, g []float64) {
	n := c.n
	for br := range c.branches(p) {
		gy := c.graw[br][:2*n]
		clear(gy)
		for _, j := range p.tr[l] {
			switch {
			case !p.equ:
				gy[j], gy[n+j] = p.s[j], p.t[j]
			case br == 0:
				gy[j], gy[n+j] = 0.5*p.s[j], 0.5*p.t[j]
			default:
				gy[j], gy[n+j] = 0.5*p.s[j], -0.5*p.t[j]
			}
		}
	}
	c.backRaw(p, l, g)
}

func (c *pointConv) branches(p *Point) int {
	if p.equ {
		return 2
	}
	return 1
}

// backRaw adds to g, at the kept coordinates, the gradient through layer
// l's net of Σ graw[br]·raw[br] over the branches, with the activations of
// the last forward pass.
func (c *pointConv) backRaw(p *Point, l int, g []float64) {
	for br := range c.branches(p) {
		a := c.ap[l]
		if br == 1 {
			a = c.am[l]
		}
		lays, cur := c.layers[l], 0
		gy := c.graw[br][:lays[len(lays)-1].out*c.n]
		for j := len(lays) - 1; j >= 0; j-- {
			cl := lays[j]
			gx := c.gp[cur][:cl.in*c.n]
			clear(gx)
			c.convT(gx, gy, cl)
			if j > 0 { // through the tanh that made a[j]
				for i, y := range a[j] {
					gx[i] *= 1 - y*y
				}
			}
			gy, cur = gx, 1-cur
		}
		sign := 1.0
		if br == 1 { // the − branch's input is −v
			sign = -1
		}
		for _, k := range p.keep[l] {
			g[k] += sign * gy[k]
		}
	}
}
