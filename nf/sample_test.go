package nf

import (
	"path/filepath"
	"testing"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/mc"
)

// TestSampleBlocks: Sample pushes a chunk through the flow in blocks of
// pushBlock rows; the draws and ln q are bit for bit those of one push of
// all rows.
func TestSampleBlocks(t *testing.T) {
	if !h5.Available {
		t.Skip("built without HDF5")
	}
	m, err := Load(filepath.Join("..", "testdata", "flows", "phi4-L8-conv.h5"), 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 2*pushBlock(m.Dim()) + 5
	x, lq := m.Sample(mc.Streams{Seed: 7, Purpose: mc.Eval}.Stream(0), n)
	rng := mc.Streams{Seed: 7, Purpose: mc.Eval}.Stream(0)
	z := ad.Zeros(n, m.Dim())
	for i := range z.Data {
		z.Data[i] = mc.Normal(rng)
	}
	xv, lv := m.Push(ad.Const(z))
	d := m.Dim()
	for i := range n {
		if m.Sym == Mixture && rng.Uint64()&1 == 1 { // Sample's sign flips
			for j := range d {
				xv.Value.Data[i*d+j] = -xv.Value.Data[i*d+j]
			}
		}
	}
	for i := range lq {
		if lq[i] != lv.Value.Data[i] {
			t.Fatalf("row %d of %d: ln q %v in blocks, %v in one push", i, n, lq[i], lv.Value.Data[i])
		}
	}
	for i := range x.Data {
		if x.Data[i] != xv.Value.Data[i] {
			t.Fatalf("entry %d: x %v in blocks, %v in one push", i, x.Data[i], xv.Value.Data[i])
		}
	}
}
