package mc

import (
	"encoding/binary"
	"errors"
	"math/bits"
)

// splitmix64 is the finaliser of Vigna's SplitMix64: a bijection of uint64
// that spreads every input bit over the output.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// StreamSeeds returns the two PCG seeds of the stream of chain `chain` of
// task `task` under the job seed `seed`. The mapping is a contract: changing
// it changes every result ever produced (see TestStreamGolden).
func StreamSeeds(seed uint64, task, chain int) (hi, lo uint64) {
	h := splitmix64(seed)
	h = splitmix64(h ^ uint64(task)*0xd1342543de82ef95)
	hi = splitmix64(h ^ 0x5851f42d4c957f2d)
	lo = splitmix64(h ^ uint64(chain)*0xaf251af3b0f025b5 ^ 0x14057b7ef767814f)
	return hi, lo
}

// NewStream returns the RNG stream of a chain.
func NewStream(seed uint64, task, chain int) *PCG {
	hi, lo := StreamSeeds(seed, task, chain)
	return NewPCG(hi, lo)
}

// PCG is math/rand/v2's PCG-DXSM generator (128-bit LCG state, DXSM
// output), reimplemented with its state exported so that hot loops can
// keep the state in registers (see Next). It yields exactly the stream of
// rand.NewPCG(seed1, seed2) and marshals to the same 20 bytes, which
// TestPCGMatchesStdlib holds. It implements rand.Source.
type PCG struct {
	Hi, Lo uint64
}

// NewPCG returns the generator that rand.NewPCG(seed1, seed2) would.
func NewPCG(seed1, seed2 uint64) *PCG { return &PCG{seed1, seed2} }

// Seed resets the generator as rand.PCG.Seed does.
func (p *PCG) Seed(seed1, seed2 uint64) { p.Hi, p.Lo = seed1, seed2 }

// Next advances the state (hi, lo) and returns the next output: the inlinable
// core of Uint64 for loops that keep the state in locals.
func Next(hi, lo uint64) (out, nhi, nlo uint64) {
	const (
		mulHi    = 2549297995355413924
		mulLo    = 4865540595714422341
		incHi    = 6364136223846793005
		incLo    = 1442695040888963407
		cheapMul = 0xda942042e4dd58b5
	)
	h, l := bits.Mul64(lo, mulLo)
	h += hi*mulLo + lo*mulHi
	l, c := bits.Add64(l, incLo, 0)
	h, _ = bits.Add64(h, incHi, c)
	out = h
	out ^= out >> 32
	out *= cheapMul
	out ^= out >> 48
	out *= l | 1
	return out, h, l
}

// Uint64 returns a uniformly distributed 64-bit value.
func (p *PCG) Uint64() uint64 {
	var out uint64
	out, p.Hi, p.Lo = Next(p.Hi, p.Lo)
	return out
}

// MarshalBinary returns "pcg:" and the state, as rand.PCG does.
func (p *PCG) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 20)
	b = append(b, "pcg:"...)
	b = binary.BigEndian.AppendUint64(b, p.Hi)
	return binary.BigEndian.AppendUint64(b, p.Lo), nil
}

// UnmarshalBinary restores a state written by MarshalBinary (or by
// rand.PCG.MarshalBinary).
func (p *PCG) UnmarshalBinary(b []byte) error {
	if len(b) != 20 || string(b[:4]) != "pcg:" {
		return errors.New("mc: invalid PCG state")
	}
	p.Hi = binary.BigEndian.Uint64(b[4:])
	p.Lo = binary.BigEndian.Uint64(b[12:])
	return nil
}
