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
type RealNVP struct {
	cfg   Config
	nets  []*ad.MLP     // the coupling networks (net = "mlp"), or
	convs []*ad.ConvNet // (net = "conv")
	masks []*ad.Var     // (1, Dim): 1 where the layer keeps x
	inv   []*ad.Var     // 1 − mask
}

func newRealNVP(c Config, rng *mc.PCG) *RealNVP {
	n := c.Dim
	f := &RealNVP{cfg: c}
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
			net := ad.NewConvNet(append(append([]int{1}, c.Hidden...), 2), c.Kernel, ad.Tanh, rand.New(rng))
			f.convs = append(f.convs, net)
			last = net.Layers[len(net.Layers)-1].Params()
		} else {
			widths := append(append([]int{n}, c.Hidden...), 2*n)
			net := ad.NewMLP(widths, ad.Tanh, rand.New(rng))
			f.nets = append(f.nets, net)
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
		f.masks = append(f.masks, ad.Const(m))
		f.inv = append(f.inv, ad.Const(im))
	}
	return f
}

func (f *RealNVP) Dim() int       { return f.cfg.Dim }
func (f *RealNVP) Exact() bool    { return true }
func (f *RealNVP) Config() Config { return f.cfg }
func (f *RealNVP) Params() []*ad.Var {
	if f.convs != nil {
		var ps []*ad.Var
		for _, n := range f.convs {
			ps = append(ps, n.Params()...)
		}
		return ps
	}
	return params(f.nets...)
}

// net evaluates layer l's coupling network on a batch (b, Dim): the MLP,
// or the ConvNet on the batch as (b, 1, L, L) images whose two output
// channels, flattened, are the scale's and the shift's halves.
func (f *RealNVP) net(l int, x *ad.Var) *ad.Var {
	if f.convs == nil {
		return f.nets[l].Forward(x)
	}
	b, L := x.Shape()[0], f.cfg.L
	out := f.convs[l].Forward(ad.Reshape(x, b, 1, L, L))
	return ad.Reshape(out, b, 2*L*L)
}

// st returns the layer's scale and shift (both zero where the mask is 1).
func (f *RealNVP) st(l int, x *ad.Var) (s, t *ad.Var) {
	n := f.cfg.Dim
	xm := ad.Mul(x, f.masks[l])
	var rs, rt *ad.Var
	if f.cfg.Symmetric == Equivariant {
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

func (f *RealNVP) Forward(z *ad.Var) (x, logDet *ad.Var) {
	x = z
	for l := range f.cfg.Layers {
		s, t := f.st(l, x)
		x = ad.Add(ad.Mul(x, ad.Exp(s)), t)
		ls := ad.SumAxis(s, 1, false)
		if logDet == nil {
			logDet = ls
		} else {
			logDet = ad.Add(logDet, ls)
		}
	}
	return x, logDet
}

func (f *RealNVP) Inverse(x *ad.Var) (z, logDet *ad.Var) {
	z = x
	for l := f.cfg.Layers - 1; l >= 0; l-- {
		s, t := f.st(l, z)
		z = ad.Mul(ad.Sub(z, t), ad.Exp(ad.Neg(s)))
		ls := ad.Neg(ad.SumAxis(s, 1, false))
		if logDet == nil {
			logDet = ls
		} else {
			logDet = ad.Add(logDet, ls)
		}
	}
	return z, logDet
}
