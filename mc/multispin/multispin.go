// Package multispin holds the Metropolis decisions the multi-spin coded
// engines (2D and 3D Ising, the ±J spin glass) share: 64 replicas per machine word, each
// accepted exactly (flip iff u < t for a uniform 64-bit u and the
// threshold t = ⌊p·2⁶⁴⌋ of mc.Threshold), with u compared bit-serially
// against t, most significant bit first, one random word per level for
// the 64 replicas of a site.
//
// # Lanes
//
// A unit's sites are dealt to Lanes random streams: the k-th site of a
// row in a checkerboard half-sweep is on lane k mod Lanes, and a lane
// draws a random word only for a site with an undecided replica, in the
// order of its sites. Each lane is a xoshiro256++ generator (Blackman and
// Vigna: additions, shifts, rotations and exclusive ors, all of which
// vector units do on eight 64-bit words at once; PCG's 128-bit multiply
// would take 20 vector instructions), seeded with four numbers of the
// unit's stream (seed, task, mc.Moves, unit). With that rule the portable
// path (one site after another) and the vector kernels (eight sites at
// once, lane j in vector lane j) take identical decisions, bit for bit: a
// kernel is chosen for speed only, and a checkpoint written on one
// resumes on any other.
//
// # Kernels
//
// "avx512" (AVX-512 F and DQ: eight lanes in a 512-bit register) and
// "avx2" (four lanes, run twice) are Go assembly for amd64, chosen at
// start-up by CPU feature detection; "portable" is Go. The environment
// variable MCFLOW_KERNEL = portable | avx2 | avx512 forces one (EnvError
// reports a value that is unknown or unsupported here).
package multispin

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"os"

	"github.com/mcflow/mcflow/mc"
)

// Lanes is the number of random streams of a unit, and the width of the
// widest kernel.
const Lanes = 8

// Streams are the Lanes xoshiro256++ generators of a unit, in the
// kernels' layout: S[i][j] is word i of lane j's state.
type Streams struct {
	S [4][Lanes]uint64
}

// NewStreams seeds the lanes from rng's stream: lane j's state is the
// outputs 4j, …, 4j + 3 (never all zero: an all-zero draw, probability
// 2⁻²⁵⁶, would be replaced by one).
func NewStreams(rng *mc.PCG) Streams {
	var s Streams
	for j := range Lanes {
		for i := range 4 {
			s.S[i][j] = rng.Uint64()
		}
		if s.S[0][j]|s.S[1][j]|s.S[2][j]|s.S[3][j] == 0 {
			s.S[0][j] = 1
		}
	}
	return s
}

// next advances lane j and returns its output.
func (s *Streams) next(j int) uint64 {
	var out uint64
	out, s.S[0][j], s.S[1][j], s.S[2][j], s.S[3][j] = xoshiro(s.S[0][j], s.S[1][j], s.S[2][j], s.S[3][j])
	return out
}

// xoshiro is one step of xoshiro256++ on the state (s0, s1, s2, s3): its
// output and the next state (inlined in the portable kernel's loop).
func xoshiro(s0, s1, s2, s3 uint64) (out, n0, n1, n2, n3 uint64) {
	out = bits.RotateLeft64(s0+s3, 23) + s0
	t := s1 << 17
	s2 ^= s0
	s3 ^= s1
	s1 ^= s2
	s0 ^= s3
	s2 ^= t
	return out, s0, s1, s2, bits.RotateLeft64(s3, 45)
}

// streamsTag marks an encoding of Streams.
const streamsTag = "xoshiro8:"

// AppendBinary appends the lanes' states.
func (s *Streams) AppendBinary(b []byte) []byte {
	b = append(b, streamsTag...)
	for i := range 4 {
		for j := range Lanes {
			b = binary.LittleEndian.AppendUint64(b, s.S[i][j])
		}
	}
	return b
}

// StreamsSize is the length of an encoding of Streams.
const StreamsSize = len(streamsTag) + 32*Lanes

// UnmarshalBinary restores the lanes from an encoding of AppendBinary.
func (s *Streams) UnmarshalBinary(b []byte) error {
	if len(b) != StreamsSize || string(b[:len(streamsTag)]) != streamsTag {
		return errors.New("multispin: not the state of a unit's lanes (written by an older multispin engine? restart the task)")
	}
	b = b[len(streamsTag):]
	for i := range 4 {
		for j := range Lanes {
			s.S[i][j] = binary.LittleEndian.Uint64(b[8*(i*Lanes+j):])
		}
	}
	return nil
}

// Levels are the thresholds of a move's replica groups, laid out for the
// bit-serial comparison: level l (bit 63 − l) of group g is all ones when
// bit 63 − l of the group's threshold is 1, repeated for each lane.
type Levels struct {
	thr []uint64
	tab []uint64     // [64][len(thr)][Lanes]
	bit [64][]uint64 // bit[l][g] = tab[l][g][0]
}

// MaxGroups is the most threshold groups Levels takes: the 3D model's
// fourteen classes.
const MaxGroups = 16

// NewLevels returns the levels of thresholds thr (one per group; 0 <
// t < 2⁶⁴ − 1, the decisions that need random bits).
func NewLevels(thr ...uint64) *Levels {
	if len(thr) > MaxGroups {
		panic(fmt.Sprintf("multispin: %d threshold groups, at most %d", len(thr), MaxGroups))
	}
	lv := &Levels{thr: thr, tab: make([]uint64, 64*len(thr)*Lanes)}
	for l := range 64 {
		lv.bit[l] = make([]uint64, len(thr))
		for g, t := range thr {
			for j := range Lanes {
				lv.tab[(l*len(thr)+g)*Lanes+j] = -(t >> uint(63-l) & 1)
			}
			lv.bit[l][g] = -(t >> uint(63-l) & 1)
		}
	}
	return lv
}

// Groups returns the number of threshold groups.
func (lv *Levels) Groups() int { return len(lv.thr) }

// Decide settles the sites [0, n) of a row (n a multiple of Lanes; site k
// on lane k mod Lanes). planes holds len(thr)+1 planes of stride words:
// on entry plane 0 has the replicas that flip without a random decision
// and plane 1+g those of site k in group g (disjoint); on return plane 0
// has every replica that flips. A site without undecided replicas draws
// no random word.
func (lv *Levels) Decide(planes []uint64, stride, n int, st *Streams) {
	if n%Lanes != 0 || len(planes) < len(lv.thr)*stride+n || n > stride {
		panic(fmt.Sprintf("multispin: Decide of %d sites in planes of %d words and stride %d", n, len(planes), stride))
	}
	if n == 0 || len(lv.thr) == 0 {
		return
	}
	decide[active](lv, planes, stride, n, st)
}

// decidePortable is Decide one site after another: the reference of the
// vector kernels.
func decidePortable(lv *Levels, planes []uint64, stride, n int, st *Streams) {
	lv.decideCounting(planes, stride, n, st)
}

// decideCounting is decidePortable, returning the levels a vector kernel
// runs for these sites: for each group of Lanes sites, the most levels
// any of them needs.
func (lv *Levels) decideCounting(planes []uint64, stride, n int, st *Streams) (trips int) {
	G := len(lv.thr)
	var gm [MaxGroups]uint64
	most := 0
	for k := range n {
		if k%Lanes == 0 {
			trips += most
			most = 0
		}
		var und uint64
		for g := range G {
			gm[g] = planes[(1+g)*stride+k]
			und |= gm[g]
		}
		if und == 0 {
			continue
		}
		j := k % Lanes
		flip := planes[k]
		s0, s1, s2, s3 := st.S[0][j], st.S[1][j], st.S[2][j], st.S[3][j]
		l := 0
		for ; und != 0 && l < 64; l++ {
			var r uint64
			r, s0, s1, s2, s3 = xoshiro(s0, s1, s2, s3)
			var t uint64 // bit 63 − l of each replica's threshold
			for g, m := range lv.bit[l] {
				t |= gm[g] & m
			}
			flip |= und & t &^ r // u's bit 0 where t's is 1: u < t
			und &^= r ^ t        // settled where the bits differ
		}
		most = max(most, l)
		planes[k] = flip
		st.S[0][j], st.S[1][j], st.S[2][j], st.S[3][j] = s0, s1, s2, s3
	}
	return trips + most
}

// Kernel names a Decide implementation.
type Kernel int

const (
	Portable Kernel = iota
	AVX2
	AVX512
	nKernels
)

var kernelNames = [nKernels]string{"portable", "avx2", "avx512"}

func (k Kernel) String() string { return kernelNames[k] }

// decideFunc is a kernel's Decide.
type decideFunc func(lv *Levels, planes []uint64, stride, n int, st *Streams)

// decide and supported are the kernels of this build and which of them
// this CPU runs (kernels_amd64.go, kernels_other.go).
var decide, supported = kernels()

var active, envErr = fromEnv()

func fromEnv() (Kernel, error) {
	best := Portable
	for k := range nKernels {
		if supported[k] {
			best = k
		}
	}
	v := os.Getenv("MCFLOW_KERNEL")
	if v == "" {
		return best, nil
	}
	for k, name := range kernelNames {
		if name == v {
			if !supported[k] {
				return best, fmt.Errorf("MCFLOW_KERNEL = %q: this CPU (or build) does not run it; use one of %v, or unset it", v, Supported())
			}
			return Kernel(k), nil
		}
	}
	return best, fmt.Errorf("MCFLOW_KERNEL = %q is not a kernel: use one of %v, or unset it", v, Supported())
}

// EnvError reports an MCFLOW_KERNEL that names no kernel, or one this CPU
// does not run (the best supported kernel is used instead).
func EnvError() error { return envErr }

// Active returns the kernel Decide runs.
func Active() Kernel { return active }

// Supported returns the kernels this machine runs, slowest first.
func Supported() []Kernel {
	var ks []Kernel
	for k := range nKernels {
		if supported[k] {
			ks = append(ks, k)
		}
	}
	return ks
}

// Use makes Decide run kernel k until the next Use, and returns the
// previous one: tests and benchmarks compare kernels with it, never while
// chains run.
func Use(k Kernel) (Kernel, error) {
	if k < 0 || k >= nKernels || !supported[k] {
		return active, fmt.Errorf("multispin: kernel %v is not supported here", k)
	}
	prev := active
	active = k
	return prev, nil
}
