package nf

import (
	"math/rand/v2"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/mc"
)

// RealNVP is a stack of affine coupling layers (Dinh, Sohl-Dickstein and
// Bengio, arXiv:1605.08803): layer i keeps the coordinates where its mask
// is 1 and maps the others as
//
//	y = x·exp(s(x·m)) + t(x·m)   (on 1 − m),   s = tanh(·) ∈ (−1, 1),
//
// with s and t from one MLP of output width 2·Dim; consecutive layers
// alternate the mask and its complement. Its log-determinant is Σ s and
// its inverse is exact, so its density is exact.
//
// With Equivariant symmetry, s is made even and t odd in x·m (the net is
// evaluated at ±x·m), so that g(−z) = −g(z).
//
// With Config.Net "conv" the networks are periodic convolutions of the
// L×L lattice (translation-equivariant under the shifts that keep the
// checkerboard mask); with Config.Coupling "spline" each layer maps the
// transformed coordinates through rational-quadratic splines (spline.go)
// whose parameters the network gives, still exactly invertible.
type RealNVP struct {
	Cfg   Config
	Nets  []*ad.MLP     // the coupling networks (net = "mlp"), or
	Convs []*ad.ConvNet // (net = "conv")
	Masks []*ad.Var     // (1, Dim): 1 where the layer keeps x
	inv   []*ad.Var     // 1 − mask
}

func newRealNVP(c Config, rng *mc.PCG) *RealNVP {
	n := c.Dim
	f := &RealNVP{Cfg: c}
	base := make([]float64, n)
	for i := range n {
		switch c.Mask {
		case "checkerboard":
			if (i/c.L+i%c.L)%2 == 1 {
				base[i] = 1
			}
		default: // halves: the layer keeps the first ⌊n/2⌋ coordinates
			if i < n/2 {
				base[i] = 1
			}
		}
	}
	for l := range c.Layers {
		// Start near the identity: a small last layer.
		var last []*ad.Var
		if c.Net == "conv" {
			net := ad.NewConvNet(append(append([]int{1}, c.Hidden...), f.Channels()), c.Kernel, ad.Tanh, rand.New(rng))
			f.Convs = append(f.Convs, net)
			last = net.Layers[len(net.Layers)-1].Params()
		} else {
			widths := append(append([]int{n}, c.Hidden...), f.Channels()*n)
			net := ad.NewMLP(widths, ad.Tanh, rand.New(rng))
			f.Nets = append(f.Nets, net)
			last = net.Layers[len(net.Layers)-1].Params()
		}
		for _, p := range last {
			for i := range p.Value.Data {
				p.Value.Data[i] *= 0.01
			}
		}
		m, im := ad.Zeros(1, n), ad.Zeros(1, n)
		for i := range n {
			b := base[i]
			if l%2 == 1 {
				b = 1 - b
			}
			m.Data[i], im.Data[i] = b, 1-b
		}
		f.Masks = append(f.Masks, ad.Const(m))
		f.inv = append(f.inv, ad.Const(im))
	}
	return f
}

func (f *RealNVP) Dim() int       { return f.Cfg.Dim }
func (f *RealNVP) Exact() bool    { return true }
func (f *RealNVP) Config() Config { return f.Cfg }
func (f *RealNVP) Params() []*ad.Var {
	if f.Convs != nil {
		var ps []*ad.Var
		for _, n := range f.Convs {
			ps = append(ps, n.Params()...)
		}
		return ps
	}
	return params(f.Nets...)
}

// Channels is the number of raw coupling parameters per coordinate: scale
// and shift, or the spline's 3K − 1.
func (f *RealNVP) Channels() int {
	if f.Cfg.Coupling == "spline" {
		return SplineParams(f.Cfg.Bins)
	}
	return 2
}

// net evaluates layer l's coupling network on a batch (b, Dim): the MLP,
// or the ConvNet on the batch as (b, 1, L, L) images; either way the
// result is (b, C·Dim), channel-major.
func (f *RealNVP) net(l int, x *ad.Var) *ad.Var {
	if f.Convs == nil {
		return f.Nets[l].Forward(x)
	}
	b, L := x.Shape()[0], f.Cfg.L
	out := f.Convs[l].Forward(ad.Reshape(x, b, 1, L, L))
	return ad.Reshape(out, b, f.Channels()*L*L)
}

// st returns the layer's scale and shift (both zero where the mask is 1).
func (f *RealNVP) st(l int, x *ad.Var) (s, t *ad.Var) {
	n := f.Cfg.Dim
	xm := ad.Mul(x, f.Masks[l])
	var rs, rt *ad.Var
	if f.Cfg.Symmetric == Equivariant {
		b := x.Shape()[0]
		out := f.net(l, ad.Concat(0, xm, ad.Neg(xm)))
		plus, minus := ad.Slice(out, 0, 0, b), ad.Slice(out, 0, b, 2*b)
		rs = ad.Scale(ad.Add(ad.Slice(plus, 1, 0, n), ad.Slice(minus, 1, 0, n)), 0.5)
		rt = ad.Scale(ad.Sub(ad.Slice(plus, 1, n, 2*n), ad.Slice(minus, 1, n, 2*n)), 0.5)
	} else {
		out := f.net(l, xm)
		rs, rt = ad.Slice(out, 1, 0, n), ad.Slice(out, 1, n, 2*n)
	}
	return ad.Mul(ad.Tanh(rs), f.inv[l]), ad.Mul(rt, f.inv[l])
}

// SplineParams returns the layer's raw spline parameters as (b·Dim,
// 3K − 1), row i·Dim + j for coordinate j of point i. With Equivariant
// symmetry they are θ(c) = ½(net(c) + R·net(−c)) of the kept coordinates
// c, R reflecting the spline, so that θ(−c) = R·θ(c) and the layer is odd.
func (f *RealNVP) splineParams(l int, x *ad.Var) *ad.Var {
	n, C, b := f.Cfg.Dim, f.Channels(), x.Shape()[0]
	xm := ad.Mul(x, f.Masks[l])
	var p *ad.Var
	if f.Cfg.Symmetric == Equivariant {
		out := ad.Reshape(f.net(l, ad.Concat(0, xm, ad.Neg(xm))), 2*b, C, n)
		plus, minus := ad.Slice(out, 0, 0, b), ad.Slice(out, 0, b, 2*b)
		p = ad.Scale(ad.Add(plus, ad.Index(minus, 1, SplineReflect(f.Cfg.Bins))), 0.5)
	} else {
		p = ad.Reshape(f.net(l, xm), b, C, n)
	}
	return ad.Reshape(ad.Permute(p, 0, 2, 1), b*n, C)
}

// spline maps the transformed coordinates of x through layer l's splines
// (or their inverses): the new points and the log-determinants (b).
func (f *RealNVP) spline(l int, x *ad.Var, inverse bool) (y, logDet *ad.Var) {
	b, n := x.Shape()[0], f.Cfg.Dim
	p := f.splineParams(l, x)
	flat := ad.Reshape(x, b*n)
	var v, ld *ad.Var
	if inverse {
		v, ld = splineInverse(flat, p, f.Cfg.Bins, f.Cfg.Bound)
		ld = ad.Neg(ld)
	} else {
		v, ld = splineForward(flat, p, f.Cfg.Bins, f.Cfg.Bound)
	}
	y = ad.Add(ad.Mul(x, f.Masks[l]), ad.Mul(ad.Reshape(v, b, n), f.inv[l]))
	return y, ad.SumAxis(ad.Mul(ad.Reshape(ld, b, n), f.inv[l]), 1, false)
}

// layer applies coupling layer l (or its inverse) to x.
func (f *RealNVP) layer(l int, x *ad.Var, inverse bool) (y, logDet *ad.Var) {
	if f.Cfg.Coupling == "spline" {
		return f.spline(l, x, inverse)
	}
	s, t := f.st(l, x)
	if inverse {
		return ad.Mul(ad.Sub(x, t), ad.Exp(ad.Neg(s))), ad.Neg(ad.SumAxis(s, 1, false))
	}
	return ad.Add(ad.Mul(x, ad.Exp(s)), t), ad.SumAxis(s, 1, false)
}

func (f *RealNVP) Forward(z *ad.Var) (x, logDet *ad.Var) {
	x = z
	for l := range f.Cfg.Layers {
		var ld *ad.Var
		x, ld = f.layer(l, x, false)
		logDet = addLogDet(logDet, ld)
	}
	return x, logDet
}

func (f *RealNVP) Inverse(x *ad.Var) (z, logDet *ad.Var) {
	z = x
	for l := f.Cfg.Layers - 1; l >= 0; l-- {
		var ld *ad.Var
		z, ld = f.layer(l, z, true)
		logDet = addLogDet(logDet, ld)
	}
	return z, logDet
}

// addLogDet returns sum + ld (ld when sum is nil).
func addLogDet(sum, ld *ad.Var) *ad.Var {
	if sum == nil {
		return ld
	}
	return ad.Add(sum, ld)
}
