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
}

// HMC is one chain.
type HMC struct {
	t   model.Target
	o   Options
	rng *mc.PCG

	x, g []float64 // position, ∇ln p(x)
	lp   float64   // ln p(x)
	invM []float64 // diagonal inverse metric M⁻¹

	eps  float64
	iter int // steps taken (warmup counts from 0)
	da   dualAvg
	w    welford

	// counters of the current measurement interval
	accepted, proposed int
	accSum             float64

	// scratch
	x1, g1, p []float64
}

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
	if !(o.Eps > 0) || math.IsInf(o.Eps, 0) || o.Steps < 0 || (o.Steps == 0 && !(o.Length > 0)) || o.Warmup < 0 {
		return nil, fmt.Errorf("hmc: eps = %v, steps = %d, length = %v, warmup = %d: want eps > 0 and steps >= 1 or length > 0", o.Eps, o.Steps, o.Length, o.Warmup)
	}
	if o.Target == 0 {
		o.Target = 0.8
	}
	if !(o.Target > 0 && o.Target < 1) {
		return nil, fmt.Errorf("hmc: target acceptance %v, want 0 < target < 1", o.Target)
	}
	h := &HMC{t: t, o: o, rng: rng, x: append([]float64(nil), x0...), g: make([]float64, n), invM: make([]float64, n),
		x1: make([]float64, n), g1: make([]float64, n), p: make([]float64, n), eps: o.Eps}
	for i := range h.invM {
		h.invM[i] = 1
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

// momenta draws p ~ N(0, M) by Box–Muller (both outputs of each pair)
// on the chain's stream, and returns the kinetic energy ½pᵀM⁻¹p.
func (h *HMC) momenta() float64 {
	var k float64
	for i := 0; i < len(h.p); i += 2 {
		var u1 float64
		for u1 == 0 {
			u1 = float64(h.rng.Uint64()>>11) / (1 << 53)
		}
		u2 := float64(h.rng.Uint64()>>11) / (1 << 53)
		r := math.Sqrt(-2 * math.Log(u1))
		sn, cs := math.Sincos(2 * math.Pi * u2)
		h.p[i] = r * cs / math.Sqrt(h.invM[i])
		k += 0.5 * h.p[i] * h.p[i] * h.invM[i]
		if i+1 < len(h.p) {
			h.p[i+1] = r * sn / math.Sqrt(h.invM[i+1])
			k += 0.5 * h.p[i+1] * h.p[i+1] * h.invM[i+1]
		}
	}
	return k
}

// Step runs one trajectory (and, during warmup, one adaptation update).
func (h *HMC) Step() error {
	n := len(h.x)
	eps := h.eps
	steps := h.o.Steps
	if steps == 0 {
		steps = max(1, int(math.Ceil(h.o.Length/eps)))
	}
	k0 := h.momenta()
	copy(h.x1, h.x)
	copy(h.g1, h.g)
	lp := h.lp
	// Leapfrog with the half kicks of consecutive steps fused: kick ½ε,
	// then (drift ε, gradient, kick ε) with the last kick ½ε.
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
			lp = math.Inf(-1) // diverged: rejected below
			break
		}
		kick := eps
		if s == steps-1 {
			kick = 0.5 * eps
		}
		for i := range p {
			p[i] += kick * g1[i]
		}
	}
	var k1 float64
	for i, v := range h.p {
		k1 += 0.5 * v * v * h.invM[i]
	}
	logA := (lp - k1) - (h.lp - k0)
	acc := 1.0
	if !(logA >= 0) {
		acc = math.Exp(logA) // NaN (diverged) gives 0 below
		if math.IsNaN(acc) {
			acc = 0
		}
	}
	u := float64(h.rng.Uint64()>>11) / (1 << 53)
	h.proposed++
	h.accSum += acc
	if u < acc {
		h.accepted++
		h.x, h.x1 = h.x1, h.x
		h.g, h.g1 = h.g1, h.g
		h.lp = lp
	}
	if h.iter < h.o.Warmup {
		h.adapt(acc)
	}
	h.iter++
	return nil
}

func (h *HMC) adapt(acc float64) {
	i, n := h.iter, h.o.Warmup
	h.eps = h.da.update(acc, h.o.Target)
	if !h.o.NoMetric && inSlowWindow(i, n) {
		h.w.add(h.x)
		if windowEnd(i, n) {
			c := h.w.n
			for k := range h.invM {
				v := h.w.m[k] / (c - 1)
				h.invM[k] = (c/(c+5))*v + 1e-3*(5/(c+5))
			}
			h.w = welford{mean: make([]float64, len(h.x)), m: make([]float64, len(h.x))}
			h.da.restart(h.eps)
		}
	}
	if i+1 == n {
		h.eps = math.Exp(h.da.logEpsBar)
	}
}

// AcceptRate returns the mean acceptance probability over the current
// measurement interval (NaN if no step).
func (h *HMC) AcceptRate() float64 { return h.accSum / float64(h.proposed) }

// EndInterval starts a new measurement interval.
func (h *HMC) EndInterval() { h.accepted, h.proposed, h.accSum = 0, 0, 0 }

// Observe appends the target's observables (model.Observer) and the
// interval's mean acceptance probability, and ends the interval.
func (h *HMC) Observe(dst []float64) []float64 {
	if o, ok := h.t.(model.Observer); ok {
		dst = o.Observe(dst, h.x)
	}
	dst = append(dst, h.AcceptRate())
	h.EndInterval()
	return dst
}

const stateMagic = "mcfH1"

// MarshalBinary encodes position, step size, metric, adaptation, counters
// and the RNG.
func (h *HMC) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(stateMagic)
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	w(uint32(len(h.x)))
	w(h.x)
	w(h.invM)
	w([]float64{h.eps, h.da.mu, h.da.hbar, h.da.logEpsBar, h.da.t, h.w.n, h.accSum})
	w(h.w.mean)
	w(h.w.m)
	w([]int64{int64(h.iter), int64(h.accepted), int64(h.proposed)})
	r, err := h.rng.MarshalBinary()
	if err != nil {
		return nil, err
	}
	w(uint32(len(r)))
	b.Write(r)
	return b.Bytes(), nil
}

var errState = errors.New("hmc: corrupt chain state")

// UnmarshalBinary restores a state written by MarshalBinary for a target
// of the same dimension.
func (h *HMC) UnmarshalBinary(data []byte) error {
	n := len(h.x)
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
	sc := make([]float64, 7)
	cnt := make([]int64, 3)
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
	h.accSum = sc[6]
	h.iter, h.accepted, h.proposed = int(cnt[0]), int(cnt[1]), int(cnt[2])
	h.lp = h.t.GradLogProb(h.g, h.x)
	return nil
}

var _ mc.Chain = (*HMC)(nil)
