// Package tempering is replica exchange (parallel tempering): a ladder of
// chains of one model at inverse temperatures β_0 < β_1 < … < β_{R−1},
// each advanced by its own sampler, whose neighbours exchange
// configurations.
//
// Every Every steps of the ladder comes one round of swaps between
// neighbours, alternately the pairs (0, 1), (2, 3), … and (1, 2), (3, 4),
// …; a pair (i, j) swaps with probability min(1, e^Δ),
//
//	Δ = ln p_i(x_j) + ln p_j(x_i) − ln p_i(x_i) − ln p_j(x_j)
//
// (mc.Exchanger), which is (β_i − β_j)(E_i − E_j) when ln p_k(x) =
// −β_k E(x) + const. Each decision draws
// one uniform from the ladder's own stream, whether or not Δ ≥ 0, so that
// the stream's position depends only on the number of rounds.
//
// A walker is a configuration followed through its swaps; the ladder
// records which walker sits at each rung and counts round trips: a walker
// that visited rung 0, then rung R−1, completes one when it is back at
// rung 0.
package tempering

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/mcflow/mcflow/mc"
)

// Series are the values a ladder appends after each rung's own
// observations: the walker at the rung, the swaps tried and accepted
// between the rung and the next over the measurement interval (0 at the
// last rung), and the round trips completed in the interval (counted at
// rung 0, 0 elsewhere).
var Series = []string{"walker", "swap_tried", "swap_accepted", "trips"}

// walker states for round trips
const (
	fresh = iota // has visited neither end
	up           // visited rung 0 last
	down         // visited rung 0, then rung R−1 last
	top          // visited rung R−1 only
)

// Ladder is one replica-exchange ladder; it is an mc.Chain.
type Ladder struct {
	rungs []mc.Exchanger
	beta  []float64
	every int
	rng   *mc.PCG

	steps  int64 // steps taken
	rounds int64 // swap rounds done (their parity picks the pairs)
	walker []int // walker[r] is the walker at rung r
	state  []int // state[w] of walker w (round trips)

	// counters of the measurement interval
	tried, accepted []int64 // of the pair (r, r+1)
	trips           int64

	// ladder adaptation: the generation of each rung's chain (0: the
	// first), the chains' factory, and the swaps of the current round
	gen                 []uint64
	rebuild             Rebuild
	adaptRound          int64 // -1: not collecting
	adTried, adAccepted []int64
}

// Rebuild makes a rung's chain anew at another β, with streams of its
// own for generation gen (>= 1), for a ladder whose temperatures adapt.
type Rebuild func(rung int, beta float64, gen uint64) (mc.Exchanger, error)

// New returns a ladder of chains (rung r at beta[r], ascending) that swaps
// every `every` steps with the decisions drawn from rng. The chains are the
// ladder's own from now on.
func New(chains []mc.Exchanger, beta []float64, every int, rng *mc.PCG) (*Ladder, error) {
	if len(chains) != len(beta) || len(beta) < 2 {
		return nil, fmt.Errorf("tempering: %d chains for %d rungs, want at least 2 and one per rung", len(chains), len(beta))
	}
	for i, b := range beta {
		if !(b > 0) || math.IsInf(b, 0) || (i > 0 && b <= beta[i-1]) {
			return nil, fmt.Errorf("tempering: betas %v, want finite, positive and ascending", beta)
		}
	}
	if every < 1 {
		return nil, fmt.Errorf("tempering: swap every %d steps, want >= 1", every)
	}
	R := len(beta)
	l := &Ladder{rungs: chains, beta: append([]float64(nil), beta...), every: every, rng: rng,
		walker: make([]int, R), state: make([]int, R), tried: make([]int64, R), accepted: make([]int64, R),
		gen: make([]uint64, R), adaptRound: -1, adTried: make([]int64, R), adAccepted: make([]int64, R)}
	for r := range l.walker {
		l.walker[r] = r
	}
	l.label()
	return l, nil
}

// Rungs returns the number of rungs.
func (l *Ladder) Rungs() int { return len(l.beta) }

// Step advances every rung by one step of its sampler and, every
// `every` steps, does one round of swaps.
func (l *Ladder) Step() error {
	for _, c := range l.rungs {
		if err := c.Step(); err != nil {
			return err
		}
	}
	if l.steps++; l.steps%int64(l.every) == 0 {
		l.swap()
	}
	return nil
}

// swap does one round of neighbour swaps.
func (l *Ladder) swap() {
	for r := int(l.rounds & 1); r+1 < len(l.rungs); r += 2 {
		a, b := l.rungs[r], l.rungs[r+1]
		d := a.LogProb(b) + b.LogProb(a) - a.LogProb(a) - b.LogProb(b)
		u := mc.Uniform(l.rng)
		l.tried[r]++
		l.adTried[r]++
		if d >= 0 || u < math.Exp(d) {
			l.rungs[r].Exchange(l.rungs[r+1])
			l.walker[r], l.walker[r+1] = l.walker[r+1], l.walker[r]
			l.accepted[r]++
			l.adAccepted[r]++
		}
	}
	l.rounds++
	l.label()
}

// label updates the round-trip states of the walkers at the ends.
func (l *Ladder) label() {
	w0, w1 := l.walker[0], l.walker[len(l.walker)-1]
	if l.state[w0] == down {
		l.trips++
	}
	l.state[w0] = up
	switch l.state[w1] {
	case up:
		l.state[w1] = down
	case fresh:
		l.state[w1] = top
	}
}

// Betas returns the ladder's inverse temperatures (not a copy).
func (l *Ladder) Betas() []float64 { return l.beta }

// SetRebuild gives the ladder the factory of its chains, which
// Retemper and UnmarshalBinary (of an adapted ladder) need.
func (l *Ladder) SetRebuild(f Rebuild) { l.rebuild = f }

// BeginAdapt starts collecting the swaps of adaptation round r (a ladder
// already collecting for r keeps its counts: a resumed round).
func (l *Ladder) BeginAdapt(r int) {
	if l.adaptRound != int64(r) {
		l.adaptRound = int64(r)
		clear(l.adTried)
		clear(l.adAccepted)
	}
}

// AdaptCounts returns the swaps tried and accepted of each pair (r, r+1)
// in the current adaptation round.
func (l *Ladder) AdaptCounts() (tried, accepted []int64) { return l.adTried, l.adAccepted }

// Retemper moves the rungs to new inverse temperatures: each rung whose β
// changes gets a chain made anew (generation gen) that takes over the old
// chain's configuration. Walkers and round trips continue.
func (l *Ladder) Retemper(beta []float64, gen uint64) error {
	if len(beta) != len(l.beta) || l.rebuild == nil {
		return fmt.Errorf("tempering: cannot retemper %d rungs to %v (factory set: %v)", len(l.beta), beta, l.rebuild != nil)
	}
	for r, b := range beta {
		if b == l.beta[r] {
			continue
		}
		c, err := l.rebuild(r, b, gen)
		if err != nil {
			return err
		}
		c.Exchange(l.rungs[r])
		l.rungs[r], l.beta[r], l.gen[r] = c, b, gen
	}
	l.adaptRound = -1
	return nil
}

// Observe appends, rung by rung, the rung's observations and Series, and
// starts a new measurement interval.
func (l *Ladder) Observe(dst []float64) []float64 {
	for r, c := range l.rungs {
		dst = c.Observe(dst)
		trips := 0.0
		if r == 0 {
			trips = float64(l.trips)
		}
		dst = append(dst, float64(l.walker[r]), float64(l.tried[r]), float64(l.accepted[r]), trips)
	}
	l.reset()
	return dst
}

func (l *Ladder) reset() {
	clear(l.tried)
	clear(l.accepted)
	l.trips = 0
}

// EndThermalize passes the end of thermalisation to the rungs' chains and
// restarts the counters, so that the recorded ones cover recorded steps.
func (l *Ladder) EndThermalize() {
	for _, c := range l.rungs {
		if t, ok := c.(mc.Thermalizer); ok {
			t.EndThermalize()
		}
	}
	l.reset()
}

// MarshalBinary encodes the rungs' chains, the swap stream and the
// ladder's bookkeeping.
func (l *Ladder) MarshalBinary() ([]byte, error) {
	b := []byte("mcfT")
	for r := range l.rungs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(l.beta[r]))
		b = binary.LittleEndian.AppendUint64(b, l.gen[r])
	}
	for _, c := range l.rungs {
		s, err := c.MarshalBinary()
		if err != nil {
			return nil, err
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
	s, err := l.rng.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
	b = append(b, s...)
	ints := []int64{l.steps, l.rounds, l.trips, l.adaptRound}
	for r := range l.rungs {
		ints = append(ints, int64(l.walker[r]), int64(l.state[r]), l.tried[r], l.accepted[r], l.adTried[r], l.adAccepted[r])
	}
	for _, v := range ints {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	return b, nil
}

var errState = errors.New("tempering: corrupt ladder state")

// restoreRungs reads the rungs' β and generations and makes anew the
// chains of rungs that an adapted ladder moved.
func (l *Ladder) restoreRungs(b []byte) error {
	for r := range l.rungs {
		beta, gen := math.Float64frombits(binary.LittleEndian.Uint64(b[16*r:])), binary.LittleEndian.Uint64(b[16*r+8:])
		if beta == l.beta[r] && gen == l.gen[r] {
			continue
		}
		if l.rebuild == nil || !(beta > 0) {
			return errState
		}
		c, err := l.rebuild(r, beta, gen)
		if err != nil {
			return err
		}
		l.rungs[r], l.beta[r], l.gen[r] = c, beta, gen
	}
	return nil
}

// UnmarshalBinary restores a state written by MarshalBinary for a ladder
// of the same rungs.
func (l *Ladder) UnmarshalBinary(b []byte) error {
	R := len(l.rungs)
	if len(b) < 4+16*R || string(b[:4]) != "mcfT" {
		return errState
	}
	if err := l.restoreRungs(b[4 : 4+16*R]); err != nil {
		return err
	}
	b = b[4+16*R:]
	next := func() ([]byte, error) {
		if len(b) < 8 {
			return nil, errState
		}
		n := binary.LittleEndian.Uint64(b)
		if n > uint64(len(b)-8) {
			return nil, errState
		}
		s := b[8 : 8+n]
		b = b[8+n:]
		return s, nil
	}
	for _, c := range l.rungs {
		s, err := next()
		if err != nil {
			return err
		}
		if err := c.UnmarshalBinary(s); err != nil {
			return err
		}
	}
	s, err := next()
	if err != nil {
		return err
	}
	if err := l.rng.UnmarshalBinary(s); err != nil {
		return err
	}
	if len(b) != 8*(4+6*R) {
		return errState
	}
	get := func() int64 {
		v := int64(binary.LittleEndian.Uint64(b))
		b = b[8:]
		return v
	}
	l.steps, l.rounds, l.trips, l.adaptRound = get(), get(), get(), get()
	seen := make([]bool, R)
	for r := range R {
		w, st := get(), get()
		if w < 0 || w >= int64(R) || seen[w] || st < fresh || st > top {
			return errState
		}
		seen[w] = true
		l.walker[r], l.tried[r], l.accepted[r], l.adTried[r], l.adAccepted[r] = int(w), get(), get(), get(), get()
		l.state[r] = int(st)
	}
	return nil
}

// EqualAcceptance returns a ladder with the same ends whose neighbour
// pairs would swap equally often, from the swaps tried and accepted of
// each pair of beta: the cost −ln A of a pair, spread evenly over its
// interval, is cumulated along β and cut into equal parts (acceptances
// clamped to [0.01, 0.99]); the result is the mean of that and beta, a
// damped step.
func EqualAcceptance(beta []float64, tried, accepted []int64) []float64 {
	R := len(beta)
	cum := make([]float64, R)
	for i := range R - 1 {
		a := 0.5
		if tried[i] > 0 {
			a = float64(accepted[i]) / float64(tried[i])
		}
		cum[i+1] = cum[i] - math.Log(min(max(a, 0.01), 0.99))
	}
	out := make([]float64, R)
	out[0], out[R-1] = beta[0], beta[R-1]
	j := 0
	for k := 1; k < R-1; k++ {
		c := cum[R-1] * float64(k) / float64(R-1)
		for j < R-2 && cum[j+1] < c {
			j++
		}
		f := (c - cum[j]) / (cum[j+1] - cum[j])
		out[k] = 0.5 * (beta[k] + beta[j] + f*(beta[j+1]-beta[j]))
	}
	return out
}
