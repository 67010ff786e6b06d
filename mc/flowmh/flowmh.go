// Package flowmh is flow-proposal Metropolis–Hastings: independence
// proposals x′ ~ q from a trained normalizing flow, accepted with
//
//	min(1, p(x′) q(x) / (p(x) q(x′))),
//
// which leaves p invariant exactly, whatever the flow's quality, provided
// q is the exact density of the proposals (RealNVP; the symmetrised
// mixture of an invertible flow; a Monge–Ampère flow in exact mode). A cnf
// flow's RK4 density differs from its map's by δ(x) with a measured spread
// (nf.Model.DensityError): the chain then samples p·e^{−δ}, which differs
// from p by the spread of δ, far below statistical errors at the defaults.
// Proposals are drawn in batches (one flow evaluation per batch); a local
// kernel (random-walk Metropolis, or any mc.Chain-like kernel on the same
// state) can be mixed in at a chosen fraction of the steps, as flowMC does.
package flowmh

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/model"
	"github.com/mcflow/mcflow/nf"
	"github.com/mcflow/mcflow/nf/point"
)

// Options configure a chain.
type Options struct {
	Batch int // proposals drawn per flow evaluation (default 64)
	// Local is the fraction of steps that are local random-walk
	// Metropolis moves instead of flow proposals (0: none); LocalStep is
	// their Gaussian step size per coordinate.
	Local     float64
	LocalStep float64
	// Kernel, if set, makes the local steps its steps instead of random-
	// walk moves (HMC, as flowMC mixes in MALA or HMC): a kernel on the
	// same target, left invariant by each of its steps, whose state
	// follows the chain's after a flow jump (SetPosition).
	Kernel Kernel
}

// MaxBatch is the largest batch of proposals: a checkpoint holds a
// batch's unused proposals, and a decoder must bound what it allocates.
const MaxBatch = 1 << 24

// Kernel is a local MCMC kernel sharing a flow-MH chain's state.
type Kernel interface {
	Step() error
	Position() []float64
	SetPosition(x []float64)
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// Chain is one flow-MH chain.
type Chain struct {
	t   model.Target
	q   *nf.Model
	pt  *point.Point // graph-free ln q and draws (RealNVP); nil: the ad path
	o   Options
	rng *mc.PCG

	x      []float64
	lp, lq float64 // ln p(x), ln q(x) (NaN: not computed since a local move)

	// buffered proposals: rows of prop with their ln q, next unused index
	prop []float64
	plq  []float64
	next int

	accFlow, propFlow, accLocal, propLocal int
	xl                                     []float64
	diverged                               bool // the last step was a divergent local transition
}

// New starts a chain at x0 (copied). The flow's density must be exact.
func New(t model.Target, q *nf.Model, x0 []float64, o Options, rng *mc.PCG) (*Chain, error) {
	if q.Dim() != t.Dim() || len(x0) != t.Dim() {
		return nil, fmt.Errorf("flowmh: flow of dimension %d, target %d, start %d", q.Dim(), t.Dim(), len(x0))
	}
	if _, ok := q.DensityError(); !ok {
		return nil, fmt.Errorf("flowmh: the %s flow's ln q is not its proposals' exact density (a Monge–Ampère flow integrates it) and carries no measured bound; switch exact mode on (exact = true), use realnvp, or a cnf flow trained by `mcflow train` (which measures its bound)", q.Flow.Config().Kind)
	}
	if o.Batch == 0 {
		o.Batch = 64
	}
	if o.Batch < 1 || o.Batch > MaxBatch || !(o.Local >= 0 && o.Local <= 1) || (o.Local > 0 && o.Kernel == nil && !(o.LocalStep > 0)) {
		return nil, fmt.Errorf("flowmh: batch = %d, local = %v, local step = %v: want batch >= 1, 0 <= local <= 1 and a step > 0 with local moves", o.Batch, o.Local, o.LocalStep)
	}
	c := &Chain{t: t, q: q, pt: point.New(q), o: o, rng: rng, x: append([]float64(nil), x0...), xl: make([]float64, len(x0))}
	if o.Kernel != nil {
		o.Kernel.SetPosition(c.x)
	}
	c.lp = t.LogProb(c.x)
	c.lq = c.logQ(c.x)
	if math.IsNaN(c.lp) || math.IsInf(c.lp, 0) || math.IsNaN(c.lq) {
		return nil, fmt.Errorf("flowmh: ln p = %v, ln q = %v at the start", c.lp, c.lq)
	}
	return c, nil
}

func (c *Chain) logQ(x []float64) float64 {
	if c.pt != nil {
		return c.pt.LogProb(x)
	}
	return c.q.LogProb(ad.Const(ad.NewTensor(append([]float64(nil), x...), 1, len(x)))).Item()
}

// Step is one proposal: from the flow, or (with probability Local) a
// random-walk move.
func (c *Chain) Step() error {
	c.diverged = false
	if c.o.Local > 0 && mc.Uniform(c.rng) < c.o.Local {
		return c.local()
	}
	if c.next == len(c.plq) {
		c.refill()
	}
	d := len(c.x)
	xp := c.prop[c.next*d : (c.next+1)*d]
	lqp := c.plq[c.next]
	c.next++
	lpp := c.t.LogProb(xp)
	c.propFlow++
	if math.IsNaN(c.lq) { // ln q of the state local moves reached, once
		c.lq = c.logQ(c.x)
	}
	logA := (lpp - c.lp) + (c.lq - lqp)
	if mc.Uniform(c.rng) < math.Exp(logA) { // NaN or −Inf: rejected
		copy(c.x, xp)
		c.lp, c.lq = lpp, lqp
		c.accFlow++
		if c.o.Kernel != nil {
			c.o.Kernel.SetPosition(c.x)
		}
	}
	return nil
}

// refill draws the next batch of proposals.
func (c *Chain) refill() {
	if c.pt == nil {
		x, lq := c.q.Sample(c.rng, c.o.Batch)
		c.prop, c.plq, c.next = x.Data, lq, 0
		return
	}
	b, d := c.o.Batch, len(c.x)
	if cap(c.prop) < b*d || cap(c.plq) < b {
		c.prop, c.plq = make([]float64, b*d), make([]float64, b)
	}
	c.prop, c.plq, c.next = c.prop[:b*d], c.plq[:b], 0
	c.pt.Sample(c.rng, c.prop, c.plq)
}

// local is a step of the local kernel, or a random-walk Metropolis move;
// ln q of the new point is computed when the next flow proposal needs it
// (a deterministic function of x, so the chain does not depend on when).
func (c *Chain) local() error {
	c.propLocal++
	if k := c.o.Kernel; k != nil {
		if err := k.Step(); err != nil {
			return err
		}
		if d, ok := k.(interface{ Diverged() bool }); ok {
			c.diverged = d.Diverged()
		}
		if x := k.Position(); !slices.Equal(x, c.x) {
			copy(c.x, x)
			c.lp = c.t.LogProb(c.x)
			c.lq = math.NaN()
			c.accLocal++
		}
		return nil
	}
	for i, v := range c.x {
		c.xl[i] = v + c.o.LocalStep*mc.Normal(c.rng)
	}
	lpp := c.t.LogProb(c.xl)
	if mc.Uniform(c.rng) < math.Exp(lpp-c.lp) {
		copy(c.x, c.xl)
		c.lp = lpp
		c.lq = math.NaN()
		c.accLocal++
	}
	return nil
}

// Diverged reports whether the last step was a local transition of a
// kernel that reports divergences (HMC's family) and diverged.
func (c *Chain) Diverged() bool { return c.diverged }

// Refresh recomputes ln q at the current state and drops the buffered
// proposals: the flow's parameters have changed (adaptive training).
func (c *Chain) Refresh() {
	c.ReloadFlow()
	c.lq = c.logQ(c.x)
	c.prop, c.plq, c.next = nil, nil, 0
}

// ReloadFlow re-reads the flow's parameters after they were restored in
// place (from a checkpoint of adaptive training); the state, its ln q and
// the buffered proposals are kept.
func (c *Chain) ReloadFlow() {
	if c.pt != nil {
		c.pt.Reload()
	}
}

// Position returns the current state (not a copy).
func (c *Chain) Position() []float64 { return c.x }

// AcceptRate returns the fraction of all moves (flow proposals and local
// moves) accepted in the current measurement interval (NaN if none).
func (c *Chain) AcceptRate() float64 {
	return float64(c.accFlow+c.accLocal) / float64(c.propFlow+c.propLocal)
}

// FlowAcceptRate returns the fraction of the flow proposals accepted in
// the current measurement interval (NaN if none).
func (c *Chain) FlowAcceptRate() float64 { return float64(c.accFlow) / float64(c.propFlow) }

// Series names what AppendSeries appends for a chain with (local) or
// without local moves: the fraction of all moves accepted in the
// measurement interval and, with local moves, the interval's counts of
// flow proposals, accepted ones, local moves and accepted ones (counts,
// so that rates over any span are exact and an interval without a move
// of one kind is no NaN).
func Series(local bool) []string {
	if !local {
		return []string{"accept"}
	}
	return []string{"accept", "n_flow", "n_flow_accepted", "n_local", "n_local_accepted"}
}

// AppendSeries appends the interval's Series and ends the interval.
func (c *Chain) AppendSeries(dst []float64) []float64 {
	dst = append(dst, c.AcceptRate())
	if c.o.Local > 0 {
		dst = append(dst, float64(c.propFlow), float64(c.accFlow), float64(c.propLocal), float64(c.accLocal))
	}
	c.accFlow, c.propFlow, c.accLocal, c.propLocal = 0, 0, 0, 0
	return dst
}

// Observe appends the target's observables and the Series, and ends the
// interval.
func (c *Chain) Observe(dst []float64) []float64 {
	if o, ok := c.t.(model.Observer); ok {
		dst = o.Observe(dst, c.x)
	}
	return c.AppendSeries(dst)
}

// EndThermalize freezes the local kernel's adaptation, if it adapts: the
// recorded steps see a fixed kernel.
func (c *Chain) EndThermalize() {
	if k, ok := c.o.Kernel.(mc.Thermalizer); ok {
		k.EndThermalize()
	}
}

const stateMagic = "mcfF2"

// MarshalBinary encodes the state, the unused proposals, the counters and
// the RNG.
func (c *Chain) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(stateMagic)
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	w(uint32(len(c.x)))
	w(c.x)
	w([]float64{c.lp, c.lq})
	rest := len(c.plq) - c.next
	w(uint32(rest))
	d := len(c.x)
	w(c.prop[c.next*d:])
	w(c.plq[c.next:])
	w([]int64{int64(c.accFlow), int64(c.propFlow), int64(c.accLocal), int64(c.propLocal)})
	r, err := c.rng.MarshalBinary()
	if err != nil {
		return nil, err
	}
	w(uint32(len(r)))
	b.Write(r)
	if k := c.o.Kernel; k != nil {
		kb, err := k.MarshalBinary()
		if err != nil {
			return nil, err
		}
		w(uint32(len(kb)))
		b.Write(kb)
	}
	return b.Bytes(), nil
}

var errState = errors.New("flowmh: corrupt chain state")

// UnmarshalBinary restores a state written by MarshalBinary.
func (c *Chain) UnmarshalBinary(data []byte) error {
	d := len(c.x)
	if len(data) < len(stateMagic)+4 || string(data[:len(stateMagic)]) != stateMagic {
		return errState
	}
	r := bytes.NewReader(data[len(stateMagic):])
	rd := func(v any) bool { return binary.Read(r, binary.LittleEndian, v) == nil }
	var dim, rest, nr uint32
	if !rd(&dim) || int(dim) != d {
		return fmt.Errorf("flowmh: chain state of dimension %d, want %d", dim, d)
	}
	x := make([]float64, d)
	lpq := make([]float64, 2)
	if !rd(x) || !rd(lpq) || !rd(&rest) || rest > MaxBatch {
		return errState
	}
	prop, plq := make([]float64, int(rest)*d), make([]float64, rest)
	cnt := make([]int64, 4)
	if !rd(prop) || !rd(plq) || !rd(cnt) || !rd(&nr) || int(nr) > r.Len() {
		return errState
	}
	rb := make([]byte, nr)
	r.Read(rb)
	if err := c.rng.UnmarshalBinary(rb); err != nil {
		return fmt.Errorf("flowmh: chain RNG state: %w", err)
	}
	if k := c.o.Kernel; k != nil {
		var nk uint32
		if !rd(&nk) || int(nk) != r.Len() {
			return errState
		}
		kb := make([]byte, nk)
		r.Read(kb)
		if err := k.UnmarshalBinary(kb); err != nil {
			return fmt.Errorf("flowmh: local kernel state: %w", err)
		}
	}
	if r.Len() != 0 {
		return errState
	}
	copy(c.x, x)
	c.lp, c.lq = lpq[0], lpq[1]
	c.prop, c.plq, c.next = prop, plq, 0
	c.accFlow, c.propFlow, c.accLocal, c.propLocal = int(cnt[0]), int(cnt[1]), int(cnt[2]), int(cnt[3])
	return nil
}

var (
	_ mc.Chain       = (*Chain)(nil)
	_ mc.Thermalizer = (*Chain)(nil)
)

// LogProb returns ln p of the current state.
func (c *Chain) LogProb() float64 { return c.lp }

// Exchange swaps the states of c and o (replica exchange): each
// re-evaluates ln p at its own target, ln q when it next needs it, and
// moves its local kernel to its new state; buffered proposals, which do
// not depend on the state, are kept.
func (c *Chain) Exchange(o *Chain) {
	c.x, o.x = o.x, c.x
	for _, h := range []*Chain{c, o} {
		h.lp, h.lq = h.t.LogProb(h.x), math.NaN()
		if h.o.Kernel != nil {
			h.o.Kernel.SetPosition(h.x)
		}
	}
}
