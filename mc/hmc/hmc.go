package hmc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/model"
)

// Options configure a chain.
type Options struct {
	Eps    float64 // initial step size (> 0)
	Steps  int     // leapfrog steps per trajectory; 0: ⌈Length/ε⌉
	Length float64 // trajectory length when Steps = 0
	Warmup int     // adaptation steps (0: no adaptation)
	Target float64 // target acceptance probability (default 0.8)
	// NoMetric keeps the unit mass matrix during warmup (step size only).
	NoMetric bool
	// NUTS makes each step a No-U-Turn trajectory of at most 2^MaxDepth
	// leapfrog steps (default 10) in place of Steps or Length.
	NUTS     bool
	MaxDepth int
	// Dense adapts a dense inverse metric (the windows' covariance) in
	// place of the diagonal one (dimension at most MaxDenseDim).
	Dense bool
	// Jitter draws each trajectory's length (or number of steps) uniformly
	// from (1 ± Jitter) times the set one (0 ≤ Jitter < 1; 0: fixed).
	Jitter float64
}

// HMC is one chain.
type HMC struct {
	t   model.Target
	o   Options
	rng *mc.PCG

	x, g  []float64 // position, ∇ln p(x)
	lp    float64   // ln p(x)
	invM  []float64 // diagonal inverse metric M⁻¹
	dense *dense    // or a dense one (Options.Dense)

	eps    float64
	iter   int // steps taken (warmup counts from 0)
	warmup int // adaptation ends after this many steps (EndThermalize may cut it short)
	da     dualAvg
	w      welford

	// counters of the current measurement interval
	accepted, proposed, divergent, leapfrogs int
	accSum                                   float64
	energy                                   float64 // H after the last transition
	lastDivergent                            bool    // of the last transition

	bfmi ebfmiSums // since thermalisation ended

	// scratch
	x1, g1, p []float64
	nuts      *nuts // NUTS's trees and counters, or nil
}

// ebfmiSums accumulates E-BFMI over consecutive transitions: the number
// of energies, the previous one, the sum of squared differences, and the
// energies' Welford mean and sum of squared deviations.
type ebfmiSums struct{ n, prev, dsq, mean, m2 float64 }

// dualAvg is Stan's dual averaging state.
type dualAvg struct {
	mu, hbar, logEpsBar float64
	t                   float64
}

// welford accumulates the mean and variance of x over a window.
type welford struct {
	n       float64
	mean, m []float64
}

// New starts a chain at x0 (copied) with rng's stream.
func New(t model.Target, x0 []float64, o Options, rng *mc.PCG) (*HMC, error) {
	n := t.Dim()
	if len(x0) != n {
		return nil, fmt.Errorf("hmc: start of length %d for a target of dimension %d", len(x0), n)
	}
	if o.NUTS && o.MaxDepth == 0 {
		o.MaxDepth = 10
	}
	if !(o.Eps > 0) || math.IsInf(o.Eps, 0) || o.Steps < 0 || (o.Steps == 0 && !(o.Length > 0) && !o.NUTS) || o.Warmup < 0 || o.MaxDepth < 0 || o.MaxDepth > 30 {
		return nil, fmt.Errorf("hmc: eps = %v, steps = %d, length = %v, warmup = %d: want eps > 0 and steps >= 1 or length > 0", o.Eps, o.Steps, o.Length, o.Warmup)
	}
	if !(o.Jitter >= 0 && o.Jitter < 1) {
		return nil, fmt.Errorf("hmc: jitter %v, want 0 <= jitter < 1", o.Jitter)
	}
	if o.Dense && n > MaxDenseDim {
		return nil, fmt.Errorf("hmc: a dense metric for dimension %d (at most %d: it holds three %d×%d matrices per chain); use the diagonal metric", n, MaxDenseDim, n, n)
	}
	if o.Target == 0 {
		o.Target = 0.8
	}
	if !(o.Target > 0 && o.Target < 1) {
		return nil, fmt.Errorf("hmc: target acceptance %v, want 0 < target < 1", o.Target)
	}
	h := &HMC{t: t, o: o, rng: rng, x: append([]float64(nil), x0...), g: make([]float64, n), invM: make([]float64, n),
		x1: make([]float64, n), g1: make([]float64, n), p: make([]float64, n), eps: o.Eps, warmup: o.Warmup}
	for i := range h.invM {
		h.invM[i] = 1
	}
	if o.NUTS {
		h.nuts = newNUTS(n, o.MaxDepth)
	}
	if o.Dense {
		h.dense = newDense(n)
	}
	h.lp = t.GradLogProb(h.g, h.x)
	if math.IsNaN(h.lp) || math.IsInf(h.lp, 0) {
		return nil, fmt.Errorf("hmc: ln p = %v at the start", h.lp)
	}
	h.da.restart(h.eps)
	h.w = welford{mean: make([]float64, n), m: make([]float64, n)}
	return h, nil
}

func (d *dualAvg) restart(eps float64) {
	*d = dualAvg{mu: math.Log(10 * eps)}
}

// update moves the step size towards the target acceptance and returns
// the new ε.
func (d *dualAvg) update(accept, target float64) float64 {
	const gamma, t0, kappa = 0.05, 10.0, 0.75
	d.t++
	eta := 1 / (d.t + t0)
	d.hbar = (1-eta)*d.hbar + eta*(target-accept)
	logEps := d.mu - math.Sqrt(d.t)/gamma*d.hbar
	xeta := math.Pow(d.t, -kappa)
	d.logEpsBar = xeta*logEps + (1-xeta)*d.logEpsBar
	return math.Exp(logEps)
}

func (w *welford) add(x []float64) {
	w.n++
	for i, v := range x {
		d := v - w.mean[i]
		w.mean[i] += d / w.n
		w.m[i] += d * (v - w.mean[i])
	}
}

// Stan's windows: an initial buffer, slow windows doubling from 25, a
// terminal buffer.
const (
	initBuf = 75
	termBuf = 50
	baseWin = 25
)

// windowEnd reports whether warmup step i (0-based, completed) ends a
// slow window, for a warmup of n steps.
func windowEnd(i, n int) bool {
	if n < initBuf+termBuf+baseWin {
		return false // too short for metric adaptation: step size only
	}
	end, win := initBuf, baseWin
	for {
		next := end + win
		// the last window absorbs what would be too short a next one
		if next+2*win > n-termBuf {
			next = n - termBuf
		}
		if i+1 == next {
			return true
		}
		if next >= n-termBuf {
			return false
		}
		end, win = next, 2*win
	}
}

func inSlowWindow(i, n int) bool {
	return n >= initBuf+termBuf+baseWin && i >= initBuf && i < n-termBuf
}

// Eps returns the current step size.
func (h *HMC) Eps() float64 { return h.eps }

// InvMetric returns the diagonal inverse mass matrix (not a copy).
func (h *HMC) InvMetric() []float64 { return h.invM }

// SetPosition moves the chain to x (copied): another kernel sharing the
// state (flow-MH's independence proposals) moved it.
func (h *HMC) SetPosition(x []float64) {
	copy(h.x, x)
	h.lp = h.t.GradLogProb(h.g, h.x)
}

// Position returns the current state (not a copy).
func (h *HMC) Position() []float64 { return h.x }

// LogProb returns ln p at the current state.
func (h *HMC) LogProb() float64 { return h.lp }

// Divergence is the energy error beyond which a trajectory counts as
// divergent (Stan's rule): H − H₀ > Divergence, or H not finite, at any
// leapfrog step. Divergent trajectories are counted, not changed.
const Divergence = 1000

// Step runs one trajectory (and, during warmup, one adaptation update).
func (h *HMC) Step() error {
	if h.nuts != nil {
		return h.stepNUTS()
	}
	eps := h.eps
	steps := h.trajectory()
	h0 := h.momenta() - h.lp
	copy(h.x1, h.x)
	copy(h.g1, h.g)
	var lp, k1 float64
	var diverged bool
	var done int
	if h.dense != nil {
		lp, k1, diverged, done = h.leapfrogDense(eps, steps, h0)
	} else {
		lp, k1, diverged, done = h.leapfrog(eps, steps, h0)
	}
	h.leapfrogs += done
	h1 := k1 - lp
	acc := 1.0
	if logA := h0 - h1; !(logA >= 0) {
		acc = math.Exp(logA) // NaN (diverged) gives 0 below
		if math.IsNaN(acc) {
			acc = 0
		}
	}
	u := mc.Uniform(h.rng)
	h.proposed++
	h.accSum += acc
	h.energy = h0
	h.lastDivergent = diverged
	if diverged {
		h.divergent++
	}
	if u < acc {
		h.accepted++
		h.x, h.x1 = h.x1, h.x
		h.g, h.g1 = h.g1, h.g
		h.lp = lp
		h.energy = h1
	}
	h.addEnergy(h.energy)
	if h.iter < h.warmup {
		h.adapt(acc)
	}
	h.iter++
	return nil
}

// trajectory returns the number of leapfrog steps of the next trajectory:
// Steps, or ⌈Length/ε⌉, each scaled by a uniform draw from 1 ± Jitter.
func (h *HMC) trajectory() int {
	f := 1.0
	if h.o.Jitter > 0 {
		f += h.o.Jitter * (2*mc.Uniform(h.rng) - 1)
	}
	if h.o.Steps > 0 {
		if f == 1 {
			return h.o.Steps
		}
		return max(1, int(math.Round(f*float64(h.o.Steps))))
	}
	return max(1, int(math.Ceil(f*h.o.Length/h.eps)))
}

// leapfrog integrates from (x1, p) with gradient g1 for `steps` steps of
// size eps, the half kicks of consecutive steps fused: kick ½ε, then
// (drift ε, gradient, kick ε) with the last kick ½ε. It returns ln p and
// the kinetic energy at the end, and whether H − h0 exceeded Divergence
// (or was not finite) at the end of any step, and the number of steps
// taken. A non-finite ln p ends the trajectory (ln p = −∞: rejected).
func (h *HMC) leapfrog(eps float64, steps int, h0 float64) (lp, k float64, diverged bool, taken int) {
	n := len(h.x)
	p, x1, g1, invM := h.p[:n], h.x1[:n], h.g1[:n], h.invM[:n]
	for i := range p {
		p[i] += 0.5 * eps * g1[i]
	}
	for s := range steps {
		for i := range x1 {
			x1[i] += eps * invM[i] * p[i]
		}
		lp = h.t.GradLogProb(g1, x1)
		if math.IsNaN(lp) || math.IsInf(lp, 0) {
			return math.Inf(-1), 0, true, s + 1
		}
		kick := eps
		if s == steps-1 {
			kick = 0.5 * eps
		}
		k = 0 // at x1: the momentum half a kick on
		for i := range p {
			ps := p[i] + 0.5*eps*g1[i]
			k += 0.5 * ps * ps * invM[i]
			p[i] += kick * g1[i]
		}
		if !(k-lp-h0 <= Divergence) {
			diverged = true
		}
	}
	return lp, k, diverged, steps
}

// addEnergy adds a transition's energy to the E-BFMI sums.
func (h *HMC) addEnergy(e float64) {
	b := &h.bfmi
	if b.n > 0 {
		b.dsq += (e - b.prev) * (e - b.prev)
	}
	b.n++
	b.prev = e
	d := e - b.mean
	b.mean += d / b.n
	b.m2 += d * (e - b.mean)
}

// EBFMI returns the energy Bayesian fraction of missing information of
// the transitions since thermalisation ended (Betancourt 2016):
// Σ(E_n − E_{n−1})² / Σ(E_n − Ē)². Values below 0.3 mean that the momenta
// explore the energy levels poorly. NaN with fewer than 2 transitions.
func (h *HMC) EBFMI() float64 {
	if h.bfmi.n < 2 {
		return math.NaN()
	}
	return h.bfmi.dsq / h.bfmi.m2
}

// EndThermalize ends adaptation if it is still on (the step size becomes
// its dual-averaging mean) and restarts the E-BFMI sums: what follows is
// recorded.
func (h *HMC) EndThermalize() {
	if h.iter < h.warmup {
		if h.da.t > 0 {
			h.eps = math.Exp(h.da.logEpsBar)
		}
		h.warmup = h.iter
	}
	h.bfmi = ebfmiSums{}
}

func (h *HMC) adapt(acc float64) {
	i, n := h.iter, h.warmup
	h.eps = h.da.update(acc, h.o.Target)
	if !h.o.NoMetric && inSlowWindow(i, n) {
		h.addWindow()
		if windowEnd(i, n) {
			h.endWindow()
			h.da.restart(h.eps)
		}
	}
	if i+1 == n {
		h.eps = math.Exp(h.da.logEpsBar)
	}
}

// Series names what AppendSeries appends: per measurement interval the
// fraction of trajectories accepted, their mean acceptance probability,
// the number of divergent ones, the Hamiltonian after the last, the
// chain's E-BFMI since thermalisation ended, and the number of leapfrog
// steps (gradient evaluations).
var Series = []string{"accept", "accept_prob", "divergent", "energy", "ebfmi", "n_leapfrog"}

// AcceptRate returns the fraction of trajectories accepted in the current
// measurement interval (NaN if none).
func (h *HMC) AcceptRate() float64 { return float64(h.accepted) / float64(h.proposed) }

// AppendSeries appends the interval's Series and ends the interval.
func (h *HMC) AppendSeries(dst []float64) []float64 {
	dst = append(dst, h.AcceptRate(), h.accSum/float64(h.proposed), float64(h.divergent), h.energy, h.EBFMI(), float64(h.leapfrogs))
	if h.nuts != nil {
		dst = h.nuts.appendSeries(dst, h.proposed)
	}
	h.accepted, h.proposed, h.divergent, h.leapfrogs, h.accSum = 0, 0, 0, 0, 0
	return dst
}

// Observe appends the target's observables (model.Observer) and the
// Series, and ends the interval.
func (h *HMC) Observe(dst []float64) []float64 {
	if o, ok := h.t.(model.Observer); ok {
		dst = o.Observe(dst, h.x)
	}
	return h.AppendSeries(dst)
}

const stateMagic = "mcfH3"

// MarshalBinary encodes position, step size, metric, adaptation, counters
// and the RNG.
func (h *HMC) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(stateMagic)
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	w(uint32(len(h.x)))
	w(h.x)
	w(h.invM)
	w([]float64{h.eps, h.da.mu, h.da.hbar, h.da.logEpsBar, h.da.t, h.w.n, h.accSum, h.energy,
		h.bfmi.n, h.bfmi.prev, h.bfmi.dsq, h.bfmi.mean, h.bfmi.m2})
	w(h.w.mean)
	w(h.w.m)
	w([]int64{int64(h.iter), int64(h.warmup), int64(h.accepted), int64(h.proposed), int64(h.divergent), int64(h.leapfrogs)})
	r, err := h.rng.MarshalBinary()
	if err != nil {
		return nil, err
	}
	w(uint32(len(r)))
	b.Write(r)
	if h.dense != nil {
		w(h.dense.sigma)
		w(h.dense.m2)
	}
	if h.nuts != nil {
		return h.nuts.marshal(b.Bytes()), nil
	}
	return b.Bytes(), nil
}

var errState = errors.New("hmc: corrupt chain state")

// UnmarshalBinary restores a state written by MarshalBinary for a target
// of the same dimension.
func (h *HMC) UnmarshalBinary(data []byte) error {
	n := len(h.x)
	if h.nuts != nil {
		var ok bool
		if data, ok = h.nuts.unmarshal(data); !ok {
			return errState
		}
	}
	var sigma, m2 []float64
	if h.dense != nil {
		nn := n * n
		if len(data) < 16*nn {
			return errState
		}
		tail := data[len(data)-16*nn:]
		data = data[:len(data)-16*nn]
		sigma, m2 = make([]float64, nn), make([]float64, nn)
		binary.Read(bytes.NewReader(tail), binary.LittleEndian, sigma)
		binary.Read(bytes.NewReader(tail[8*nn:]), binary.LittleEndian, m2)
		if err := h.dense.set(sigma); err != nil {
			return errState
		}
		copy(h.dense.m2, m2)
	}
	if len(data) < len(stateMagic)+4 || string(data[:len(stateMagic)]) != stateMagic {
		return errState
	}
	r := bytes.NewReader(data[len(stateMagic):])
	rd := func(v any) bool { return binary.Read(r, binary.LittleEndian, v) == nil }
	var dim uint32
	if !rd(&dim) || int(dim) != n {
		return fmt.Errorf("hmc: chain state of dimension %d, want %d", dim, n)
	}
	x, invM, mean, m := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	sc := make([]float64, 13)
	cnt := make([]int64, 6)
	var nr uint32
	if !rd(x) || !rd(invM) || !rd(sc) || !rd(mean) || !rd(m) || !rd(cnt) || !rd(&nr) || int(nr) != r.Len() {
		return errState
	}
	rb := make([]byte, nr)
	r.Read(rb)
	if err := h.rng.UnmarshalBinary(rb); err != nil {
		return fmt.Errorf("hmc: chain RNG state: %w", err)
	}
	copy(h.x, x)
	copy(h.invM, invM)
	h.eps, h.da = sc[0], dualAvg{mu: sc[1], hbar: sc[2], logEpsBar: sc[3], t: sc[4]}
	h.w = welford{n: sc[5], mean: mean, m: m}
	h.accSum, h.energy = sc[6], sc[7]
	h.bfmi.n, h.bfmi.prev, h.bfmi.dsq, h.bfmi.mean, h.bfmi.m2 = sc[8], sc[9], sc[10], sc[11], sc[12]
	h.iter, h.warmup, h.accepted, h.proposed, h.divergent, h.leapfrogs = int(cnt[0]), int(cnt[1]), int(cnt[2]), int(cnt[3]), int(cnt[4]), int(cnt[5])
	h.lp = h.t.GradLogProb(h.g, h.x)
	return nil
}

var (
	_ mc.Chain       = (*HMC)(nil)
	_ mc.Thermalizer = (*HMC)(nil)
)

// Diverged reports whether the last transition was divergent.
func (h *HMC) Diverged() bool { return h.lastDivergent }

// Exchange swaps the positions of h and o (replica exchange) and
// re-evaluates ln p and its gradient at each chain's own target; step
// sizes, metrics and streams stay with their chains.
func (h *HMC) Exchange(o *HMC) {
	h.x, o.x = o.x, h.x
	h.lp = h.t.GradLogProb(h.g, h.x)
	o.lp = o.t.GradLogProb(o.g, o.x)
}
