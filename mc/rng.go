package mc

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
)

// Purpose says what a random stream is for. With the job's seed, the
// task's id and an index it determines the stream (NewStream); every
// random number of a job comes from such a stream, so no two purposes or
// indices can share one.
type Purpose uint8

// The purposes of mcflow's streams. The values are part of the stream
// contract (TestStreamGolden): append, never renumber.
const (
	Moves  Purpose = 1 // a chain's moves and start (index: the chain, or the multispin word)
	Spins  Purpose = 2 // the Ising spins drawn at measurements of ising2d-relaxed (index: the chain)
	Local  Purpose = 3 // flow-MH's local HMC kernel (index: the chain)
	Train  Purpose = 4 // flow training: initial parameters (index 0), batches and probes (index: the epoch + 1)
	Eval   Purpose = 5 // the evaluation of a trained flow (index 0)
	Adapt  Purpose = 6 // adaptive flow-MH's training (index 0)
	Sample Purpose = 7 // draws that are not a chain's: plots, references (index: free)
	Swap   Purpose = 8 // replica exchange's swap decisions (index: the ladder); its rungs' chains take their purposes with the rung prepended to the index
	// Disorder draws the quenched couplings of a spin-glass sample (task:
	// the model, dimension, size and distribution, not the task's id;
	// index: the sample), so that a sample is the same at every β.
	Disorder Purpose = 9
)

// NewStream returns the stream of (seed, task, purpose, index…): its two
// PCG seeds are the first 16 bytes of the SHA-256 of the tuple, so that
// distinct tuples give unrelated streams whatever their values (no
// offsets that could collide). index is usually one number: the chain, the
// multispin word, the epoch; training's Hutchinson probes use (epoch,
// shard). The mapping is a contract: changing it changes every result
// ever produced (TestStreamGolden holds it).
func NewStream(seed uint64, task string, purpose Purpose, index ...uint64) *PCG {
	b := make([]byte, 0, 40+len(task)+8*len(index))
	b = append(b, "mcflow/stream/v2"...)
	b = binary.LittleEndian.AppendUint64(b, seed)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(task)))
	b = append(b, task...)
	b = append(b, byte(purpose))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(index)))
	for _, i := range index {
		b = binary.LittleEndian.AppendUint64(b, i)
	}
	sum := sha256.Sum256(b)
	return NewPCG(binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16]))
}

// Streams is the family of streams of one purpose of one task.
type Streams struct {
	Seed    uint64
	Task    string
	Purpose Purpose
}

// Stream returns the family's stream of an index.
func (s Streams) Stream(index ...uint64) *PCG { return NewStream(s.Seed, s.Task, s.Purpose, index...) }

// Below returns a uniform integer in [0, n) (n >= 1) from one draw, by a
// multiply-high: its bias is below n/2⁶⁴.
func Below(r *PCG, n uint64) uint64 {
	hi, _ := bits.Mul64(r.Uint64(), n)
	return hi
}

// Threshold returns the t with P(u < t) = p for a uniform 64-bit u, to
// within 2⁻⁶⁴: an exact Metropolis decision is u < Threshold(p), one
// comparison and no floating point. p >= 1 gives 2⁶⁴ − 1 (P = 1 − 2⁻⁶⁴),
// which the multispin engines read as "always"; p <= 0 (or NaN) gives 0.
func Threshold(p float64) uint64 {
	if p >= 1 {
		return math.MaxUint64
	}
	if !(p > 0) {
		return 0
	}
	return uint64(p * (1 << 64))
}

// Uniform returns a uniform float64 in [0, 1) from the top 53 bits of one
// 64-bit output: every multiple of 2⁻⁵³ equally likely.
func Uniform(r *PCG) float64 { return float64(r.Uint64()>>11) * 0x1p-53 }

// Normal returns a standard normal deviate by Box–Muller from two
// outputs: √(−2 ln u₁) cos 2πu₂ with u₁ in (0, 1] (never 0, so no loop).
func Normal(r *PCG) float64 {
	u1 := float64(r.Uint64()>>11+1) * 0x1p-53
	u2 := Uniform(r)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
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

// The LCG of two steps, s → a²s + c(a + 1), for Next2.
var mul2Hi, mul2Lo, inc2Hi, inc2Lo = func() (uint64, uint64, uint64, uint64) {
	const mulHi, mulLo, incHi, incLo = 2549297995355413924, 4865540595714422341, 6364136223846793005, 1442695040888963407
	mul := func(ah, al, bh, bl uint64) (uint64, uint64) {
		h, l := bits.Mul64(al, bl)
		return h + ah*bl + al*bh, l
	}
	m2h, m2l := mul(mulHi, mulLo, mulHi, mulLo)
	a1l, c := bits.Add64(mulLo, 1, 0)
	a1h, _ := bits.Add64(mulHi, 0, c)
	i2h, i2l := mul(incHi, incLo, a1h, a1l)
	return m2h, m2l, i2h, i2l
}()

// NextNext returns the output after the next one and the state two steps
// on: with Next(hi, lo)'s output, exactly what two calls of Next give.
// The two-step state is computed from the same predecessor
// (s₂ = a²s + c(a + 1)), so a loop that needs two numbers runs both
// multiplications in parallel instead of in sequence; like Next, it
// inlines.
func NextNext(hi, lo uint64) (out, nhi, nlo uint64) {
	h, l := bits.Mul64(lo, mul2Lo)
	h += hi*mul2Lo + lo*mul2Hi
	l, c := bits.Add64(l, inc2Lo, 0)
	h, _ = bits.Add64(h, inc2Hi, c)
	out = h
	out ^= out >> 32
	out *= 0xda942042e4dd58b5
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
