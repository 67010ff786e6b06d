package lattice

import "github.com/mcflow/mcflow/mc"

// NewSpins returns n Ising spins started cold (all +1) or hot
// (independent ±1, one rng.Uint64() each, its top bit: 1 is −1).
func NewSpins(n int, hot bool, rng *mc.PCG) []int8 {
	s := make([]int8, n)
	for i := range s {
		s[i] = 1
		if hot && rng.Uint64()>>63 == 1 {
			s[i] = -1
		}
	}
	return s
}
