package nf

import (
	"math"
	"testing"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/mc"
)

func testNeuralRG(t *testing.T, L, depth int, sym Symmetry, seed uint64) *Model {
	t.Helper()
	c := Config{Kind: "neuralrg", Layers: 2, Hidden: []int{6}, Depth: depth, Symmetric: sym}
	c.Defaults(L*L, L)
	m := mustNew(t, c, seed)
	perturb(m.Flow, mc.NewPCG(seed, 9), 0.3)
	return m
}

// NeuralRG's log-determinant is that of its map (a brute-force Jacobian)
// and its inverse inverts it to round-off, at every depth.
func TestNeuralRGExact(t *testing.T) {
	for _, tc := range []struct {
		L, depth int
		sym      Symmetry
	}{{4, 2, NoSymmetry}, {8, 3, NoSymmetry}, {8, 1, Equivariant}} {
		m := testNeuralRG(t, tc.L, tc.depth, tc.sym, 4)
		z := ad.NewTensor(normals(3*tc.L*tc.L, 5), 3, tc.L*tc.L)
		x, ld := m.Flow.Forward(ad.Const(z))
		back, ild := m.Flow.Inverse(ad.Const(x.Value))
		for i, v := range z.Data {
			if math.Abs(back.Value.Data[i]-v) > 1e-10 {
				t.Fatalf("L=%d depth %d: inverse∘forward off by %.3g at %d", tc.L, tc.depth, back.Value.Data[i]-v, i)
			}
		}
		for b := range 3 {
			want := bruteLogDet(t, m.Flow, z.Data[b*tc.L*tc.L:(b+1)*tc.L*tc.L])
			if math.Abs(ld.Value.Data[b]-want) > 1e-9 || math.Abs(ild.Value.Data[b]+want) > 1e-9 {
				t.Errorf("L=%d depth %d row %d: log-det %v, inverse %v, brute force %v", tc.L, tc.depth, b, ld.Value.Data[b], ild.Value.Data[b], want)
			}
		}
		if tc.sym == Equivariant {
			xn, _ := m.Flow.Forward(ad.Const(randNeg(z)))
			for i := range z.Shape[1] {
				if math.Abs(xn.Value.Data[i]+x.Value.Data[i]) > 1e-12 {
					t.Fatalf("equivariant: g(−z) ≠ −g(z)")
				}
			}
		}
	}
}

// After scale 0 only the sublattice of spacing 2 goes on: two flows that
// differ only in their coarser scales' blocks map a configuration to
// latent variables that differ only on that sublattice, and layer 0's
// blocks cover every site once.
func TestNeuralRGScales(t *testing.T) {
	const L = 8
	a := testNeuralRG(t, L, 3, NoSymmetry, 1).Flow.(*NeuralRG)
	b := testNeuralRG(t, L, 3, NoSymmetry, 1).Flow.(*NeuralRG)
	for l := 2 * a.cfg.Repeat; l < len(b.blocks); l++ { // scales 1 and 2
		perturb(b.blocks[l], mc.NewPCG(7, uint64(l)), 0.3)
	}
	x := ad.NewTensor(normals(L*L, 6), 1, L*L)
	za, _ := a.Inverse(ad.Const(x))
	zb, _ := b.Inverse(ad.Const(x))
	moved := 0
	for i := range L * L {
		even := (i/L)%2 == 0 && (i%L)%2 == 0
		d := math.Abs(za.Value.Data[i] - zb.Value.Data[i])
		if !even && d != 0 {
			t.Errorf("site (%d, %d) is a latent variable of scale 0 but changed with the coarser scales", i/L, i%L)
		}
		if even && d > 0 {
			moved++
		}
	}
	if moved != L*L/4 {
		t.Errorf("%d of the %d sites of the coarser sublattice changed", moved, L*L/4)
	}
	for l, idx := range a.idx { // scale k's layers: blocks at the origin, then shifted by 2ᵏ
		d := 1 << (l / (2 * a.cfg.Repeat))
		off := d * (l % 2)
		if want := []int{off*L + off, off*L + (off+d)%L, ((off+d)%L)*L + off}; idx[0] != want[0] || idx[1] != want[1] || idx[2] != want[2] || len(idx) != 4*(L/(2*d))*(L/(2*d)) {
			t.Errorf("layer %d: first block at %v, %d sites; want %v, %d", l, idx[:3], len(idx), want, 4*(L/(2*d))*(L/(2*d)))
		}
	}
	seen := make([]int, L*L)
	for _, s := range a.idx[0] {
		seen[s]++
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("layer 0 covers site %d %d times", i, n)
		}
	}
}
