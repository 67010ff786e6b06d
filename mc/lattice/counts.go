package lattice

import (
	"encoding/binary"
	"math"
)

// Counts are a cluster chain's moves and the sites they moved (or the
// clusters they built) since its last Observe: the interval's mean
// cluster size, which the chain records.
type Counts struct{ Moves, Sites int64 }

// Add counts one move of n sites.
func (k *Counts) Add(n int64) {
	k.Moves++
	k.Sites += n
}

// Mean returns Sites/Moves (NaN without moves) and starts a new interval.
func (k *Counts) Mean() float64 {
	m := math.NaN()
	if k.Moves > 0 {
		m = float64(k.Sites) / float64(k.Moves)
	}
	*k = Counts{}
	return m
}

// AppendBinary appends the counts as two little-endian 64-bit integers.
func (k *Counts) AppendBinary(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(k.Moves))
	return binary.LittleEndian.AppendUint64(b, uint64(k.Sites))
}

// UnmarshalBinary restores counts written by AppendBinary: b must be
// exactly their 16 bytes.
func (k *Counts) UnmarshalBinary(b []byte) error {
	if len(b) != 16 {
		return errCounts
	}
	k.Moves, k.Sites = int64(binary.LittleEndian.Uint64(b)), int64(binary.LittleEndian.Uint64(b[8:]))
	return nil
}
