package mc_test

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mcflow/mcflow/mc"
)

func TestPCGMatchesStdlib(t *testing.T) {
	for _, s := range [][2]uint64{{1, 2}, {0, 0}, {math.MaxUint64, 12345}} {
		ours, std := mc.NewPCG(s[0], s[1]), rand.NewPCG(s[0], s[1])
		for i := range 1000 {
			if a, b := ours.Uint64(), std.Uint64(); a != b {
				t.Fatalf("seed %v draw %d: %x, math/rand/v2 %x", s, i, a, b)
			}
		}
		a, _ := ours.MarshalBinary()
		b, _ := std.MarshalBinary()
		if string(a) != string(b) {
			t.Fatalf("state bytes %x, math/rand/v2 %x", a, b)
		}
		var back mc.PCG
		if err := back.UnmarshalBinary(b); err != nil || back.Uint64() != std.Uint64() {
			t.Fatalf("restore from math/rand/v2 state: %v", err)
		}
	}
}

// TestStreamGolden pins the (seed, task, purpose, index…) -> stream
// mapping and the uniform and normal deviates: a change here changes every
// result mcflow ever produced, and must come with a kernel version bump.
func TestStreamGolden(t *testing.T) {
	for _, c := range []struct {
		seed    uint64
		task    string
		purpose mc.Purpose
		index   []uint64
		want    uint64
	}{
		{1, "", mc.Moves, []uint64{0}, 0x4f41c991b103bed4},
		{1, "", mc.Moves, []uint64{1}, 0x79fd1c2b2f66aa45},
		{1, "L=16", mc.Moves, []uint64{0}, 0x4ba9c9a361f19f79},
		{2, "", mc.Moves, []uint64{0}, 0xb45c4fe16018cf5c},
		{1, "", mc.Spins, []uint64{0}, 0xaa8734c978d28f29},
		{1, "", mc.Train, []uint64{3, 1}, 0x5e8c0928f918be3},
	} {
		if got := mc.NewStream(c.seed, c.task, c.purpose, c.index...).Uint64(); got != c.want {
			t.Errorf("stream (%d, %q, %d, %v): first draw %#x, golden %#x", c.seed, c.task, c.purpose, c.index, got, c.want)
		}
	}
	r := mc.NewPCG(1, 2)
	if u, n1, n2 := mc.Uniform(r), mc.Normal(r), mc.Normal(r); u != 0.7693732693650721 || n1 != 0.21112880491746508 || n2 != 0.06651897229164003 {
		t.Errorf("Uniform, Normal, Normal of PCG(1, 2) = %v, %v, %v; golden 0.7693732693650721, 0.21112880491746508, 0.06651897229164003", u, n1, n2)
	}
	// No collisions among many (purpose, index) pairs, including the
	// offsets that collided before (chain 2²⁴ vs the spins' stream).
	seen := map[uint64]bool{}
	for _, p := range []mc.Purpose{mc.Moves, mc.Spins, mc.Local} {
		for _, i := range []uint64{0, 1, 2, 1 << 24, 1<<24 + 1, 1 << 26, 1 << 28, 1 << 30} {
			for _, task := range []string{"", "0000", "L=8"} {
				v := mc.NewStream(7, task, p, i).Uint64()
				if seen[v] {
					t.Fatalf("stream (7, %q, %d, %d) collides", task, p, i)
				}
				seen[v] = true
			}
		}
	}
}

// counter is a toy chain: a random walk whose observable is its position.
type counter struct {
	rng *mc.PCG
	x   float64
	n   int
}

func (c *counter) Step() error {
	c.x += float64(c.rng.Uint64()>>11) / (1 << 53)
	c.n++
	if c.n == -1 {
		return errors.New("never")
	}
	return nil
}
func (c *counter) Observe(dst []float64) []float64 { return append(dst, c.x, float64(c.n)) }
func (c *counter) MarshalBinary() ([]byte, error) {
	r, _ := c.rng.MarshalBinary()
	b := binary.LittleEndian.AppendUint64(r, math.Float64bits(c.x))
	return binary.LittleEndian.AppendUint64(b, uint64(c.n)), nil
}
func (c *counter) UnmarshalBinary(b []byte) error {
	if err := c.rng.UnmarshalBinary(b[:20]); err != nil {
		return err
	}
	c.x = math.Float64frombits(binary.LittleEndian.Uint64(b[20:]))
	c.n = int(binary.LittleEndian.Uint64(b[28:]))
	return nil
}

func runPool(t *testing.T, workers int, plan mc.Plan, stopAfter int) ([][]float64, mc.Progress, []mc.Chain) {
	chains := make([]mc.Chain, 5)
	for i := range chains {
		chains[i] = &counter{rng: mc.NewStream(3, "", mc.Moves, uint64(0), uint64(i))}
	}
	out := make([][]float64, len(chains))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &mc.Pool{Chains: chains, Workers: workers, NObs: 2}
	blocks := 0
	prog, err := p.Run(ctx, plan, mc.Progress{}, func(pr mc.Progress, b mc.Block) error {
		for c := range b.Obs {
			for r := range b.Rounds {
				out[c] = append(out[c], b.Obs[c][r*2])
			}
		}
		blocks++
		if blocks == stopAfter {
			cancel()
		}
		return nil
	})
	if stopAfter > 0 && !errors.Is(err, mc.ErrStopped) {
		t.Fatalf("cancelled run: err %v, want ErrStopped", err)
	}
	if stopAfter == 0 && err != nil {
		t.Fatal(err)
	}
	return out, prog, chains
}

func TestPoolWorkersIdentical(t *testing.T) {
	plan := mc.Plan{Thermalize: 7, Draws: 300, MeasureEvery: 3}
	ref, prog, chains := runPool(t, 1, plan, 0)
	if prog.Draws != 300 || prog.Thermalized != 7 {
		t.Fatalf("progress %+v", prog)
	}
	if n := chains[0].(*counter).n; n != 7+300*3 {
		t.Fatalf("chain took %d steps, want %d", n, 7+900)
	}
	for _, w := range []int{2, 3, 8} {
		got, _, _ := runPool(t, w, plan, 0)
		for c := range ref {
			for i := range ref[c] {
				if got[c][i] != ref[c][i] {
					t.Fatalf("workers=%d chain %d draw %d: %v, workers=1 %v", w, c, i, got[c][i], ref[c][i])
				}
			}
		}
	}
}

func TestPoolStopsAtBarrier(t *testing.T) {
	plan := mc.Plan{Thermalize: 0, Draws: 1000, MeasureEvery: 1}
	out, prog, chains := runPool(t, 2, plan, 1)
	if prog.Draws == 0 || prog.Draws >= 1000 {
		t.Skipf("first block took all draws (%d): nothing to stop", prog.Draws)
	}
	for c, ch := range chains {
		if n := ch.(*counter).n; n != prog.Draws || len(out[c]) != prog.Draws {
			t.Fatalf("chain %d: %d steps and %d draws at a barrier of %d draws", c, n, len(out[c]), prog.Draws)
		}
	}
}

// goldenValues are the first draws of streams (1,0,0), (1,0,1), (1,1,0) and
// (2,0,0), recorded when the mapping was introduced.
var goldenValues = [4]uint64{0x4a37a365fb59c38b, 0x228a1bba1ad5aa8e, 0x6e0a30c8af965dea, 0xd3e31f7aac3de8d6}

// Next and NextNext from one state are two calls of Next.
func TestNextNext(t *testing.T) {
	hi, lo := uint64(0x0123456789abcdef), uint64(0xfedcba9876543210)
	h2, l2 := hi, lo
	for i := range 1000 {
		var a, b, x, y uint64
		a, hi, lo = mc.Next(hi, lo)
		b, hi, lo = mc.Next(hi, lo)
		x, _, _ = mc.Next(h2, l2)
		y, h2, l2 = mc.NextNext(h2, l2)
		if a != x || b != y || hi != h2 || lo != l2 {
			t.Fatalf("step %d: Next and NextNext differ from two Nexts", i)
		}
	}
}
