package multispin

import (
	"fmt"
	"maps"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/mcflow/mcflow/mc"
)

// planesFor fills planes for n sites: G disjoint groups and an "always"
// plane 0, from a generator; some sites have no undecided replica, some
// all undecided.
func planesFor(r *mc.PCG, G, stride, n int) []uint64 {
	p := make([]uint64, (G+1)*stride)
	for k := range n {
		switch mc.Below(r, 8) {
		case 0: // nothing undecided: no random word may be drawn
			p[k] = r.Uint64()
			continue
		case 1: // everything undecided, in group 0
			p[stride+k] = math.MaxUint64
			continue
		}
		free := ^uint64(0)
		p[k] = r.Uint64() & r.Uint64() & free
		free &^= p[k]
		for g := range G {
			m := r.Uint64() & free
			if g == G-1 {
				m = free &^ (r.Uint64() & r.Uint64())
			}
			p[(1+g)*stride+k] = m
			free &^= m
		}
	}
	return p
}

// Every kernel this machine runs takes the portable kernel's decisions
// and leaves the lanes in the same states, for 1 to 5 groups, thresholds
// from tiny to nearly one, and rows of 8 to 64 sites.
func TestKernelsIdentical(t *testing.T) {
	for _, k := range Supported() {
		if k == Portable {
			continue
		}
		for _, G := range []int{1, 2, 3, 5} {
			t.Run(fmt.Sprintf("%v/G=%d", k, G), func(t *testing.T) {
				r := mc.NewPCG(uint64(G), uint64(k))
				thr := make([]uint64, G)
				for g := range thr {
					thr[g] = r.Uint64() >> mc.Below(r, 40)
				}
				if G > 1 {
					thr[0] = math.MaxUint64 - 1 // nearly always: every level until the last has bit 1
				}
				lv := NewLevels(thr...)
				st := NewStreams(mc.NewPCG(7, uint64(G)))
				want := st
				for row := range 200 {
					n := Lanes * (1 + int(mc.Below(r, 8)))
					stride := n + Lanes*int(mc.Below(r, 2))
					p := planesFor(r, G, stride, n)
					q := append([]uint64(nil), p...)
					decidePortable(lv, q, stride, n, &want)
					prev, _ := Use(k)
					lv.Decide(p, stride, n, &st)
					Use(prev)
					for i := range q {
						if p[i] != q[i] {
							t.Fatalf("row %d: word %d = %x, portable %x", row, i, p[i], q[i])
						}
					}
					if st != want {
						t.Fatalf("row %d: lanes %+v, portable %+v", row, st, want)
					}
				}
			})
		}
	}
}

// A lane draws only for its sites with undecided replicas, from its own
// generator: one site on lane 3 with a threshold of ½ and all 64 replicas
// undecided flips exactly the replicas whose first word from lane 3 has
// bit 63 clear, and the other lanes neither move nor flip. The lanes are
// seeded with the unit stream's first 32 numbers, four per lane.
func TestLaneStreams(t *testing.T) {
	unit := mc.NewPCG(11, 12)
	st := NewStreams(unit)
	seed := mc.NewPCG(11, 12)
	for j := range Lanes {
		for i := range 4 {
			if v := seed.Uint64(); st.S[i][j] != v {
				t.Fatalf("lane %d word %d = %x, want the unit stream's %x", j, i, st.S[i][j], v)
			}
		}
	}
	lv := NewLevels(1 << 63)
	for _, k := range Supported() {
		s := st
		p := make([]uint64, 2*Lanes)
		p[Lanes+3] = math.MaxUint64
		prev, _ := Use(k)
		lv.Decide(p, Lanes, Lanes, &s)
		Use(prev)
		ref := st
		flip := ^ref.next(3) // bit 63 of t is 1: u < t where u's bit 63 is 0; the rest settle later, unflipped
		if p[3] != flip {
			t.Errorf("%v: first level flips %x, want %x", k, p[3], flip)
		}
		for j := range Lanes {
			for i := range 4 {
				if j != 3 && s.S[i][j] != st.S[i][j] || p[j] != 0 && j != 3 {
					t.Errorf("%v: lane %d moved or flipped without undecided replicas", k, j)
				}
			}
		}
	}
}

// The lanes' generator is xoshiro256++: its reference output for the
// state (1, 2, 3, 4).
func TestXoshiroReference(t *testing.T) {
	var s Streams
	s.S[0][0], s.S[1][0], s.S[2][0], s.S[3][0] = 1, 2, 3, 4
	want := []uint64{41943041, 58720359, 3588806011781223, 3591011842654386}
	for i, w := range want {
		if v := s.next(0); v != w {
			t.Fatalf("output %d = %d, want %d", i, v, w)
		}
	}
}

func TestStreamsRoundTrip(t *testing.T) {
	st := NewStreams(mc.NewPCG(1, 2))
	b := st.AppendBinary(nil)
	var back Streams
	if err := back.UnmarshalBinary(b); err != nil || back != st || len(b) != StreamsSize {
		t.Fatalf("round trip: %v", err)
	}
	if err := back.UnmarshalBinary(b[:20]); err == nil {
		t.Error("a short state was accepted")
	}
}

// BenchmarkDecide decides rows of 128 sites whose replicas fall in the
// classes of the 2D Ising model at β_c in equilibrium (k = 3 aligned
// neighbours for 37 %, k = 4 for 52 %), on each kernel: sites/ns.
func BenchmarkDecide(b *testing.B) {
	const n = 128
	r := mc.NewPCG(1, 2)
	t3, t4 := mc.Threshold(math.Exp(-4*0.4406868)), mc.Threshold(math.Exp(-8*0.4406868))
	rows := make([][]uint64, 64)
	for i := range rows {
		p := make([]uint64, 3*n)
		for k := range n {
			for bit := range 64 {
				switch u := mc.Uniform(r); {
				case u < 0.37:
					p[n+k] |= 1 << bit
				case u < 0.89:
					p[2*n+k] |= 1 << bit
				default:
					p[k] |= 1 << bit
				}
			}
		}
		rows[i] = p
	}
	lv := NewLevels(t3, t4)
	work := make([]uint64, 3*n)
	for _, k := range Supported() {
		b.Run(k.String(), func(b *testing.B) {
			prev, _ := Use(k)
			defer Use(prev)
			st := NewStreams(mc.NewPCG(3, 4))
			i := 0
			for b.Loop() {
				copy(work, rows[i%len(rows)])
				lv.Decide(work, n, n, &st)
				i++
			}
			b.ReportMetric(float64(b.N*n)/float64(b.Elapsed().Nanoseconds()), "sites/ns")
		})
	}
}

// The block sizes of avx512Groups that Instructions counts with: a change
// of the kernel must change them there too.
func TestInstructionCounts(t *testing.T) {
	src, err := os.ReadFile("kernels_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string]int{}
	in, blk := false, ""
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "TEXT ·avx512Groups"):
			in, blk = true, "entry"
		case !in || line == "" || strings.HasPrefix(line, "//"):
		case strings.HasSuffix(line, ":"):
			blk = strings.TrimSuffix(line, ":")
		default:
			blocks[blk]++
			if line == "RET" {
				in = false
			}
		}
	}
	want := map[string]int{"entry": 10, "group512": 8, "und512": 6, "level512": 20, "thr512": 11, "done512": 10}
	if !maps.Equal(blocks, want) {
		t.Errorf("avx512Groups' blocks have %v instructions, Instructions counts with %v", blocks, want)
	}
	if got := Instructions(Count{Groups: 1, Levels: 1}, 2); got != 17+8+25+12 {
		t.Errorf("Instructions(1 group, 1 level, G = 2) = %d", got)
	}
}
