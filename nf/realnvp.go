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
	nets  []*ad.MLP
	masks []*ad.Var // (1, Dim): 1 where the layer keeps x
	inv   []*ad.Var // 1 − mask
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
		widths := append(append([]int{n}, c.Hidden...), 2*n)
		net := ad.NewMLP(widths, ad.Tanh, rand.New(rng))
		// Start near the identity: a small last layer.
		last := net.Layers[len(net.Layers)-1]
		for _, p := range last.Params() {
			for i := range p.Value.Data {
				p.Value.Data[i] *= 0.01
			}
		}
		f.nets = append(f.nets, net)
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

func (f *RealNVP) Dim() int          { return f.cfg.Dim }
func (f *RealNVP) Exact() bool       { return true }
func (f *RealNVP) Config() Config    { return f.cfg }
func (f *RealNVP) Params() []*ad.Var { return params(f.nets...) }

// st returns the layer's scale and shift (both zero where the mask is 1).
func (f *RealNVP) st(l int, x *ad.Var) (s, t *ad.Var) {
	n := f.cfg.Dim
	xm := ad.Mul(x, f.masks[l])
	var rs, rt *ad.Var
	if f.cfg.Symmetric == Equivariant {
		b := x.Shape()[0]
		out := f.nets[l].Forward(ad.Concat(0, xm, ad.Neg(xm)))
		plus, minus := ad.Slice(out, 0, 0, b), ad.Slice(out, 0, b, 2*b)
		rs = ad.Scale(ad.Add(ad.Slice(plus, 1, 0, n), ad.Slice(minus, 1, 0, n)), 0.5)
		rt = ad.Scale(ad.Sub(ad.Slice(plus, 1, n, 2*n), ad.Slice(minus, 1, n, 2*n)), 0.5)
	} else {
		out := f.nets[l].Forward(xm)
		rs, rt = ad.Slice(out, 1, 0, n), ad.Slice(out, 1, n, 2*n)
	}
	return ad.Mul(ad.Tanh(rs), f.inv[l]), ad.Mul(rt, f.inv[l])
}

func (f *RealNVP) Forward(z *ad.Var) (x, logDet *ad.Var) {
	x = z
	for l := range f.nets {
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
	for l := len(f.nets) - 1; l >= 0; l-- {
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
