package multispin

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/mcflow/mcflow/mc"
)

// AddBits adds the bits of x to the bit-sliced counters planes (bit r of
// plane i is bit i of replica r's count): 64 counters at once, as the
// multispin engines measure.
func AddBits(planes []uint64, x uint64) {
	for i := 0; x != 0; i++ {
		carry := planes[i] & x
		planes[i] ^= x
		x = carry
	}
}

// CountBits returns replica r's count from the planes of AddBits.
func CountBits(planes []uint64, r int) int64 {
	var v int64
	for i, p := range planes {
		v |= int64(p>>uint(r)&1) << uint(i)
	}
	return v
}

// Replica returns replica r's spins (±1) from spin words (bit r of word i
// is replica r's spin at site i, 1 = +1).
func Replica(words []uint64, r int) []int8 {
	out := make([]int8, len(words))
	for i, w := range words {
		out[i] = int8(2*(w>>uint(r)&1)) - 1
	}
	return out
}

// A WordState is the layout of a multispin chain's state of one lattice of
// spin words: the model's four-byte Magic, the kind byte 'X', L as a
// little-endian uint32, the words, and the lanes' streams. Model names the
// package in errors; Corrupt is its error for bytes that are no such
// state.
type WordState struct {
	Model, Magic string
	Corrupt      error
}

// Marshal encodes the words of a lattice of side L and the unit's lanes.
func (f WordState) Marshal(L int, words []uint64, u *Unit) []byte {
	b := make([]byte, 0, len(f.Magic)+5+8*len(words)+StreamsSize)
	b = append(append(b, f.Magic...), 'X')
	b = binary.LittleEndian.AppendUint32(b, uint32(L))
	for _, w := range words {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return u.Lanes.AppendBinary(b)
}

// Unmarshal restores words and the unit's lanes from a state of Marshal
// for the same L.
func (f WordState) Unmarshal(L int, words []uint64, u *Unit, b []byte) error {
	m := len(f.Magic)
	if len(b) < m+5 || string(b[:m]) != f.Magic {
		return f.Corrupt
	}
	if b[m] != 'X' {
		return fmt.Errorf("%s: chain state is of sampler kind %q, want the multispin engine", f.Model, b[m])
	}
	b = b[m+1:]
	if l := int(binary.LittleEndian.Uint32(b)); l != L {
		return fmt.Errorf("%s: chain state has L = %d, want %d", f.Model, l, L)
	}
	b = b[4:]
	n := len(words)
	if len(b) != 8*n+StreamsSize {
		return f.Corrupt
	}
	if err := u.Lanes.UnmarshalBinary(b[8*n:]); err != nil {
		return fmt.Errorf("%s: chain RNG state: %w", f.Model, err)
	}
	for i := range words {
		words[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return nil
}

// NewWords returns the spin words of n sites of 64 replicas started cold
// (all +1) or hot (independent ±1: one rng.Uint64() a word).
func NewWords(n int, hot bool, rng *mc.PCG) []uint64 {
	s := make([]uint64, n)
	for i := range s {
		s[i] = math.MaxUint64
		if hot {
			s[i] = rng.Uint64()
		}
	}
	return s
}

// IsingThresholds returns the Metropolis thresholds of the Ising model on
// a lattice of coordination z by class 2k + sbit (k aligned neighbours,
// sbit the spin bit, 1 = +1): the flip changes the energy by
// 2(J(2k − z) + h·s).
func IsingThresholds(z int, beta, J, h float64) []uint64 {
	thr := make([]uint64, 2*(z+1))
	for k := range z + 1 {
		for sb := range 2 {
			s := float64(2*sb - 1)
			dE := 2 * (J*float64(2*k-z) + h*s)
			thr[2*k+sb] = mc.Threshold(math.Exp(-beta * dE))
		}
	}
	return thr
}
