package lattice

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mcflow/mcflow/mc"
)

// The neighbour table against the coordinates: each neighbour is one
// step along one axis, wrapped, in the order +x, −x, +y, −y, +z, −z.
func TestTorusNeighbours(t *testing.T) {
	for _, tc := range []struct{ L, D int }{{2, 1}, {5, 1}, {3, 2}, {4, 2}, {2, 3}, {3, 3}} {
		tor := NewTorus(tc.L, tc.D)
		if NewTorus(tc.L, tc.D) != tor {
			t.Errorf("L = %d, D = %d: a second torus of the same size is not shared", tc.L, tc.D)
		}
		coord := func(i int) []int {
			c := make([]int, tc.D)
			for a := range c {
				c[a], i = i%tc.L, i/tc.L
			}
			return c
		}
		for i := range tor.N {
			nb := tor.Neighbours(i)
			if len(nb) != 2*tc.D {
				t.Fatalf("site %d has %d neighbours", i, len(nb))
			}
			for a := range tc.D {
				for k, step := range []int{1, tc.L - 1} {
					want := coord(i)
					want[a] = (want[a] + step) % tc.L
					if got := coord(int(nb[2*a+k])); !slices.Equal(got, want) {
						t.Errorf("L = %d, D = %d, site %v: neighbour %d is %v, want %v", tc.L, tc.D, coord(i), 2*a+k, got, want)
					}
				}
			}
		}
	}
}

// With every bond added (thr = 2⁶⁴ − 1) a Wolff cluster is the connected
// region of the seed's state; with none, the seed alone.
func TestFlipCluster(t *testing.T) {
	tor := NewTorus(4, 2)
	s := []int8{
		1, 1, -1, -1,
		1, -1, -1, 1,
		-1, -1, -1, 1,
		1, 1, -1, 1,
	}
	rng := mc.NewStream(1, "", mc.Moves, 0, 0)
	got := slices.Clone(s)
	_, size := FlipCluster(tor, got, 2, -1, 1, ^uint64(0), rng, nil)
	// The −1 region of site 2 (with wrap-around): sites 2, 3, 5, 6, 8, 9, 10, 14.
	want := slices.Clone(s)
	for _, i := range []int{2, 3, 5, 6, 8, 9, 10, 14} {
		want[i] = 1
	}
	if size != 8 || !slices.Equal(got, want) {
		t.Errorf("size %d, spins %v, want 8 and %v", size, got, want)
	}
	got = slices.Clone(s)
	if _, size := FlipCluster(tor, got, 0, 1, -1, 0, rng, nil); size != 1 || got[0] != -1 {
		t.Errorf("no bonds: size %d, seed %d", size, got[0])
	}
}

func TestCounts(t *testing.T) {
	var k Counts
	k.Add(3)
	k.Add(5)
	b := k.AppendBinary(nil)
	var r Counts
	if err := r.UnmarshalBinary(b); err != nil || r != k {
		t.Fatalf("round trip: %v, %+v", err, r)
	}
	if m := k.Mean(); m != 4 || k != (Counts{}) {
		t.Errorf("mean %v, after it %+v", m, k)
	}
	if m := k.Mean(); m == m {
		t.Errorf("mean without moves %v, want NaN", m)
	}
	if r.UnmarshalBinary(b[:15]) == nil {
		t.Error("15 bytes accepted")
	}
}

func TestFormat(t *testing.T) {
	corrupt := errors.New("potts: corrupt chain state")
	f := Format{Model: "potts", Magic: "mcfP", Header: []string{"L", "q"}, Corrupt: corrupt}
	rng := mc.NewStream(2, "", mc.Moves, 0, 0)
	b, err := f.Marshal('W', []int{3, 4}, []byte{0, 1, 2, 3, 0, 1, 2, 3, 0}, rng, []byte{7, 8})
	if err != nil {
		t.Fatal(err)
	}
	r := mc.NewStream(3, "", mc.Moves, 0, 0)
	sites, extra, err := f.Unmarshal('W', []int{3, 4}, 9, r, b)
	if err != nil || !slices.Equal(sites, []byte{0, 1, 2, 3, 0, 1, 2, 3, 0}) || !slices.Equal(extra, []byte{7, 8}) || r.Uint64() != rng.Uint64() {
		t.Fatalf("round trip: %v %v %v", err, sites, extra)
	}
	for _, tc := range []struct {
		kind   byte
		header []int
		b      []byte
		want   string
	}{
		{'M', []int{3, 4}, b, `potts: chain state is of sampler kind 'W', want 'M'`},
		{'W', []int{3, 5}, b, "potts: chain state has L = 3, q = 4, want 3, 5"},
		{'W', []int{3, 4}, b[:20], "potts: corrupt chain state"},
		{'W', []int{3, 4}, append([]byte("mcfI"), b[4:]...), "potts: corrupt chain state"},
	} {
		_, _, err := f.Unmarshal(tc.kind, tc.header, 9, r, tc.b)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

// A Wolff move allocates nothing once its stack has grown.
func TestFlipClusterAllocs(t *testing.T) {
	tor := NewTorus(16, 3)
	s := make([]int8, tor.N)
	for i := range s {
		s[i] = 1
	}
	rng := mc.NewStream(4, "", mc.Moves, 0, 0)
	stack := make([]int32, 0, tor.N)
	thr := mc.Threshold(0.6)
	if n := testing.AllocsPerRun(100, func() {
		seed := int32(mc.Below(rng, uint64(tor.N)))
		stack, _ = FlipCluster(tor, s, seed, s[seed], -s[seed], thr, rng, stack)
	}); n != 0 {
		t.Errorf("%v allocations per move", n)
	}
}
