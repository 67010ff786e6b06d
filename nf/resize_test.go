package nf

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/mc"
)

// tile repeats each (L×L) row of z k times in each direction.
func tile(z *ad.Tensor, L, k int) *ad.Tensor {
	n, M := z.Shape[0], k*L
	out := ad.Zeros(n, M*M)
	for b := range n {
		for y := range M {
			for x := range M {
				out.Data[b*M*M+y*M+x] = z.Data[b*L*L+(y%L)*L+x%L]
			}
		}
	}
	return out
}

// A flow carried over to a lattice k times larger maps a configuration
// tiled k×k from a small one to the tiling of the small flow's image, with
// k² times its log-determinant: the convolutional flows because their
// kernels do not depend on L, cnf because its padded kernel sums, over the
// lifts of each displacement of the small torus, to the small kernel.
func TestResizeTiled(t *testing.T) {
	cases := []struct {
		name string
		m    func() *Model
		k    int
	}{
		{"realnvp-conv 8→16", func() *Model {
			m := mustNew(t, Config{Kind: "realnvp", Dim: 64, Layers: 4, Hidden: []int{4}, Mask: "checkerboard", L: 8, Net: "conv", Kernel: 3, Symmetric: Equivariant}, 2)
			perturb(m.Flow, mc.NewPCG(3, 1), 0.3)
			return m
		}, 2},
		{"monge-ampere-conv 6→12", func() *Model {
			c := Config{Kind: "monge-ampere", Potential: "conv", Hidden: []int{2}, Steps: 4, Eps: 0.2}
			c.Defaults(36, 6)
			m := mustNew(t, c, 2)
			perturb(m.Flow, mc.NewPCG(3, 2), 0.1)
			return m
		}, 2},
		{"cnf 8→16", func() *Model { return &Model{Flow: testCNF(t, 8, 6, 0.3), Sym: Equivariant} }, 2},
		{"cnf 4→12", func() *Model { return &Model{Flow: testCNF(t, 4, 6, 0.3), Sym: Equivariant} }, 3},
		{"cnf 5→10", func() *Model { return &Model{Flow: testCNF(t, 5, 6, 0.3), Sym: Equivariant} }, 2},
	}
	for _, tc := range cases {
		small := tc.m()
		L := small.Flow.Config().L
		big, err := small.Resize(tc.k * L)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		z := ad.NewTensor(normals(2*L*L, 11), 2, L*L)
		x, ld := small.Flow.Forward(ad.Const(z))
		xb, ldb := big.Flow.Forward(ad.Const(tile(z, L, tc.k)))
		want := tile(x.Value, L, tc.k)
		worst := 0.0
		for i, v := range want.Data {
			worst = max(worst, math.Abs(xb.Value.Data[i]-v))
		}
		if worst > 1e-11 {
			t.Errorf("%s: the carried-over map differs from the tiled small one by %.3g", tc.name, worst)
		}
		for b := range 2 {
			if d := ldb.Value.Data[b] - float64(tc.k*tc.k)*ld.Value.Data[b]; math.Abs(d) > 1e-9 {
				t.Errorf("%s: log-determinant %v, want %d × %v", tc.name, ldb.Value.Data[b], tc.k*tc.k, ld.Value.Data[b])
			}
		}
	}
}

// Load carries a saved cnf over to another size; flows whose parameters
// depend on the size, and a cnf asked to shrink, are refused.
func TestLoadResized(t *testing.T) {
	if !h5.Available {
		t.Skip("built without HDF5")
	}
	path := filepath.Join(t.TempDir(), "cnf.h5")
	small := &Model{Flow: testCNF(t, 4, 4, 0.3), Sym: Equivariant}
	small.Flow.(*CNF).SetDensityError(1e-4)
	if err := Save(path, small, nil); err != nil {
		t.Fatal(err)
	}
	big, err := Load(path, 8)
	if err != nil {
		t.Fatal(err)
	}
	if c := big.Flow.Config(); c.L != 8 || c.Dim != 64 || c.DensityError != 0 {
		t.Errorf("loaded at L = 8: L = %d, dim %d, density error %v (want 8, 64, 0: not measured at this size)", c.L, c.Dim, c.DensityError)
	}
	if same, err := Load(path, 4); err != nil || same.Flow.Config().DensityError != 1e-4 {
		t.Errorf("loaded at its own size: %v, density error %v", err, same.Flow.Config().DensityError)
	}
	if _, err := big.Resize(4); err == nil {
		t.Error("a cnf shrank from L = 8 to 4")
	}
	mlp := mustNew(t, Config{Kind: "realnvp", Dim: 16, Layers: 2, Hidden: []int{4}, Mask: "checkerboard", L: 4}, 1)
	if _, err := mlp.Resize(8); err == nil {
		t.Error("a realnvp with dense networks was carried over to another size")
	}
}
