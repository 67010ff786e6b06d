package nf

import (
	"slices"

	"github.com/mcflow/mcflow/mc"
)

// resizer is what a lattice flow implements when its parameters carry
// over to another lattice size: carry sets the receiver's parameters
// (a flow of the same architecture on the new lattice) from src's.
type resizer interface {
	carry(src Flow) error
}

// Resize returns the model laid out on an L×L lattice with its parameters
// carried over, for the flows whose parameters do not depend on the
// lattice size: the convolutional RealNVP and Monge–Ampère flows (the
// same kernels) and cnf (its kernel, indexed by orbits of displacements,
// is padded: displacements the smaller lattice cannot reach start at
// zero). On a configuration that repeats the smaller lattice's, the
// resized flow reproduces the original map site by site. A cnf's measured
// DensityError does not carry over (it is extensive): it is reset to 0.
func (m *Model) Resize(L int) (*Model, error) {
	c := m.Flow.Config()
	if c.L == L && c.Dim == L*L {
		return m, nil
	}
	if _, ok := m.Flow.(resizer); !ok || c.L == 0 {
		return nil, errorf("a %s flow of dimension %d does not carry over to another size (%d×%d): its parameters depend on the dimension; the convolutional flows (realnvp with net = \"conv\", monge-ampere with potential = \"conv\") and cnf do", c.Kind, c.Dim, L, L)
	}
	c.L, c.Dim, c.DensityError = L, L*L, 0
	c.Symmetric = m.Sym
	n, err := New(c, mc.NewPCG(0, 0))
	if err != nil {
		return nil, err
	}
	if err := n.Flow.(resizer).carry(m.Flow); err != nil {
		return nil, err
	}
	return n, nil
}

// LoadParams sets the model's parameters to src's, a flow of the same
// architecture (the same parameter shapes).
func (m *Model) LoadParams(src *Model) error { return copyParams(m.Flow, src.Flow) }

// copyParams copies src's parameters into f's, which must have the same
// shapes.
func copyParams(f, src Flow) error {
	dst, from := f.Params(), src.Params()
	if len(dst) != len(from) {
		return errorf("%d parameter tensors, want %d", len(from), len(dst))
	}
	for i, p := range dst {
		if !slices.Equal(p.Value.Shape, from[i].Value.Shape) {
			return errorf("parameter %d has shape %v, want %v", i, from[i].Value.Shape, p.Value.Shape)
		}
		copy(p.Value.Data, from[i].Value.Data)
	}
	return nil
}

func (f *RealNVP) carry(src Flow) error {
	if f.Cfg.Net != "conv" {
		return errorf("a realnvp flow with net = %q depends on the lattice size; net = \"conv\" carries over", f.Cfg.Net)
	}
	return copyParams(f, src)
}

func (f *MongeAmpere) carry(src Flow) error {
	if f.Cfg.Potential != "conv" {
		return errorf("a monge-ampere flow with potential = %q depends on the dimension; potential = \"conv\" carries over", f.Cfg.Potential)
	}
	return copyParams(f, src)
}

// carry pads src's kernel to f's larger lattice (the reference's
// pad_kernel_weights). Orbits are numbered independently of L, so an
// orbit keeps its number. On an even lattice of side Ls a displacement
// with a component Ls/2 stands for the two displacements ±Ls/2 of a
// larger torus: its weight is split between them (halved per such
// component), so that the sum over the lifts of every displacement of
// the small torus, which is what a configuration tiled from it sees, is
// unchanged.
func (f *CNF) carry(src Flow) error {
	s, ok := src.(*CNF)
	if !ok {
		return errorf("cannot carry a %s flow into a cnf", src.Config().Kind)
	}
	sg, g := s.geom, f.geom
	if g.L < sg.L {
		return errorf("a cnf kernel covers the whole torus: it carries over to larger lattices, not from L = %d to %d", sg.L, g.L)
	}
	if sg.A != g.A || sg.J1 != g.J1 || sg.Nb != g.Nb {
		return errorf("cnf architectures differ")
	}
	copy(f.F.Value.Data, s.F.Value.Data)
	row := g.A * g.Nb
	w := f.W.Value.Data
	clear(w)
	m := sg.L / 2
	for b := 0; b <= m; b++ {
		for a := 0; a <= b; a++ {
			scale := 1.0
			if g.L != sg.L && sg.L%2 == 0 {
				for _, c := range []int{a, b} {
					if c == m {
						scale /= 2
					}
				}
			}
			o := b*(b+1)/2 + a
			for i, v := range s.W.Value.Data[o*row : (o+1)*row] {
				w[o*row+i] = scale * v
			}
		}
	}
	return nil
}
