package nf

import (
	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/mc"
)

// NeuralRG is the hierarchical, MERA-like bijector of Li and Wang
// (arXiv:1802.02840) on an L×L periodic lattice, L a power of two. Scale
// k = 0, 1, … acts on the sublattice of spacing 2ᵏ, cut into 2×2 blocks
// of dilation 2ᵏ: Repeat pairs of layers, the first with the blocks at
// the origin, the second shifted by 2ᵏ along both axes (the
// disentanglers). Each layer maps all its blocks with one RealNVP on 4
// sites (Layers affine couplings of Hidden widths), its own. After scale
// k only the sites of the sublattice of spacing 2ᵏ⁺¹ go on: the others
// are the latent variables of that scale. The map z → x runs from the
// coarsest scale to the finest (generation, the inverse of the RG); its
// log-determinant is the sum of the blocks', and its inverse is exact.
// Depth scales are transformed, from the finest.
type NeuralRG struct {
	cfg    Config
	blocks []*RealNVP // one per layer, finest first
	idx    [][]int    // each layer's sites, four per block
	back   [][]int    // for each site, its column in [blocks' output | x]
}

func newNeuralRG(c Config, rng *mc.PCG) *NeuralRG {
	f := &NeuralRG{cfg: c}
	bc := Config{Kind: "realnvp", Dim: 4, Layers: c.Layers, Hidden: c.Hidden, Mask: "halves", Symmetric: c.Symmetric}
	if bc.Symmetric == Mixture {
		bc.Symmetric = NoSymmetry // the mixture is the Model's, over the whole map
	}
	L := c.L
	for k := range c.Depth {
		d := 1 << k
		for range c.Repeat {
			for _, off := range []int{0, d} {
				idx := blockSites(L, d, off)
				back := make([]int, L*L)
				for i := range back {
					back[i] = len(idx) + i
				}
				for j, site := range idx {
					back[site] = j
				}
				f.idx, f.back = append(f.idx, idx), append(f.back, back)
				f.blocks = append(f.blocks, newRealNVP(bc, rng))
			}
		}
	}
	return f
}

// blockSites lists the sites of the 2×2 blocks of dilation d and stride
// 2d, shifted by off along both axes, block by block, each block's sites
// in the order (0,0), (0,d), (d,0), (d,d).
func blockSites(L, d, off int) []int {
	var idx []int
	for a := 0; a < L; a += 2 * d {
		for b := 0; b < L; b += 2 * d {
			for _, ij := range [4][2]int{{0, 0}, {0, d}, {d, 0}, {d, d}} {
				y, x := (a+off+ij[0])%L, (b+off+ij[1])%L
				idx = append(idx, y*L+x)
			}
		}
	}
	return idx
}

func (f *NeuralRG) Dim() int       { return f.cfg.Dim }
func (f *NeuralRG) Exact() bool    { return true }
func (f *NeuralRG) Config() Config { return f.cfg }
func (f *NeuralRG) Params() []*ad.Var {
	var ps []*ad.Var
	for _, b := range f.blocks {
		ps = append(ps, b.Params()...)
	}
	return ps
}

// layer maps the blocks of layer l of x (b, Dim) forward (or inverse)
// and returns the new x and the log-determinant per row.
func (f *NeuralRG) layer(l int, x *ad.Var, inverse bool) (*ad.Var, *ad.Var) {
	b, n := x.Shape()[0], len(f.idx[l])
	y := ad.Reshape(ad.Index(x, 1, f.idx[l]), b*n/4, 4)
	var ld *ad.Var
	if inverse {
		y, ld = f.blocks[l].Inverse(y)
	} else {
		y, ld = f.blocks[l].Forward(y)
	}
	x = ad.Index(ad.Concat(1, ad.Reshape(y, b, n), x), 1, f.back[l])
	return x, ad.SumAxis(ad.Reshape(ld, b, n/4), 1, false)
}

// Forward maps z to x from the coarsest layer to the finest.
func (f *NeuralRG) Forward(z *ad.Var) (x, logDet *ad.Var) {
	x = z
	for l := len(f.blocks) - 1; l >= 0; l-- {
		var ld *ad.Var
		x, ld = f.layer(l, x, false)
		logDet = addLogDet(logDet, ld)
	}
	return x, logDet
}

// Inverse maps x to z from the finest layer to the coarsest.
func (f *NeuralRG) Inverse(x *ad.Var) (z, logDet *ad.Var) {
	z = x
	for l := range f.blocks {
		var ld *ad.Var
		z, ld = f.layer(l, z, true)
		logDet = addLogDet(logDet, ld)
	}
	return z, logDet
}
