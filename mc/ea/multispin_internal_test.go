package ea

import (
	"bytes"
	"testing"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/multispin"
)

// The usual grouping's planes (fast) are the general ones, and every
// vector kernel sweeps bit-identically to the portable one, in 2D and 3D,
// for odd and even L.
func TestMultispinKernelsIdentical(t *testing.T) {
	defer multispin.Use(multispin.Active())
	for _, g := range []struct {
		dim, L int
		beta   float64
	}{{2, 3, 0.7}, {2, 6, 1.2}, {2, 20, 0.4}, {3, 3, 0.5}, {3, 4, 1}, {3, 5, 0.3}} {
		lat, err := NewLattice(g.dim, g.L, Draw(2, g.dim, g.L, false, 1))
		if err != nil {
			t.Fatal(err)
		}
		var ref []byte
		for _, k := range multispin.Supported() {
			for _, fast := range []bool{true, false} {
				multispin.Use(k)
				c, err := NewMultispin(lat, g.beta, true, mc.NewStream(3, "", mc.Moves, uint64(g.L)))
				if err != nil {
					t.Fatal(err)
				}
				if !c.fast {
					t.Fatalf("dim %d, β %v: the usual grouping is not taken", g.dim, g.beta)
				}
				c.fast = fast
				for range 20 {
					c.Step()
				}
				b, _ := c.MarshalBinary()
				if ref == nil {
					ref = b
				} else if !bytes.Equal(b, ref) {
					t.Errorf("dim %d, L %d: kernel %v (fast planes %v) differs", g.dim, g.L, k, fast)
				}
			}
		}
	}
}
