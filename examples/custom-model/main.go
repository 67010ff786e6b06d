// Command blume-capel is a complete user program built on mcflow: it
// registers two model kinds mcflow does not have — the Blume–Capel model,
// with its own Metropolis chain, and a "banana" density, of which it
// writes only ln p and its gradient for HMC, latent HMC, flow-MH and
// `train` — and is then the whole mcflow command line with them (run,
// train, tasks, slurm, merge, status, export, summary, keys).
//
//	go build -o blume-capel ./examples/custom-model
//	./blume-capel keys blume-capel
//	./blume-capel run examples/custom-model/job.toml
//
// The model: spins s_i ∈ {−1, 0, +1} on the L×L torus,
//
//	E = −J Σ⟨ij⟩ s_i s_j + D Σ_i s_i² − h Σ_i s_i,
//
// sampled by single-site Metropolis (a new value uniform among the two
// others). On tori of at most 16 sites its Exact reference enumerates
// every state, which the summary prints beside the estimates.
package main

import (
	"encoding/binary"
	"errors"
	"math"
	"os"

	"github.com/mcflow/mcflow/cli"
	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/stats"
	"github.com/mcflow/mcflow/model"
)

func main() {
	kind.RegisterModel(kind.Model{
		Name:    "blume-capel",
		Doc:     "Blume–Capel model on the L×L torus, E = −J Σ⟨ij⟩ s_i s_j + D Σ s_i² − h Σ s_i, s_i ∈ {−1, 0, 1}",
		Version: 1,
		Keys: []kind.Key{
			kind.IntKey("L", 8, 2, 4096, "the linear size of the L×L torus"),
			kind.FloatKey("beta", 0.5, 0, math.Inf(1), "the inverse temperature β"),
			kind.AnyKey("J", 1, "the coupling"),
			kind.AnyKey("D", 0.5, "the crystal field (the cost of a non-zero spin)"),
			kind.AnyKey("h", 0, "the field"),
		},
		New: func(v kind.Values) (kind.Instance, error) {
			p := params{L: v.Int("L"), Beta: v.Float("beta"), J: v.Float("J"), D: v.Float("D"), H: v.Float("h")}
			return blumeCapel{p}, nil
		},
	})
	kind.RegisterModel(kind.Model{
		Name:    "banana",
		Doc:     "A curved 2D density, ln p = −x₁²/(2s²) − (x₂ − b x₁²)²/2, with exact moments",
		Version: 1,
		Keys: []kind.Key{
			kind.AnyKey("b", 0.5, "the curvature"),
			kind.PositiveKey("s", 1, "the width in x₁"),
		},
		New: func(v kind.Values) (kind.Instance, error) { return banana{v.Float("b"), v.Float("s")}, nil },
	})
	os.Exit(cli.Main())
}

// banana is a continuous target: ln p and its gradient are all that the
// samplers and flow training need (mcflow builds the batched program for
// training from them).
type banana struct{ b, s float64 }

func (t banana) Name() string { return "banana" }
func (t banana) Dim() int     { return 2 }

func (t banana) LogProb(x []float64) float64 {
	r := x[1] - t.b*x[0]*x[0]
	return -x[0]*x[0]/(2*t.s*t.s) - r*r/2
}

func (t banana) GradLogProb(grad, x []float64) float64 {
	r := x[1] - t.b*x[0]*x[0]
	grad[0] = -x[0]/(t.s*t.s) + 2*t.b*x[0]*r
	grad[1] = -r
	return t.LogProb(x)
}

// Target makes the model a continuous one (kind.Continuous): the model is
// its own target.
func (t banana) Target() model.Target { return t }

func (t banana) Observables() []string { return []string{"x1", "x2", "x1x1", "x2x2"} }

// Observe is the target's measurement (model.Observer).
func (t banana) ObservableNames() []string { return t.Observables() }
func (t banana) Observe(dst, x []float64) []float64 {
	return append(dst, x[0], x[1], x[0]*x[0], x[1]*x[1])
}

// Exact moments: x₁ ~ N(0, s²), x₂ | x₁ ~ N(b x₁², 1).
func (t banana) Exact() (map[string]float64, string) {
	s2 := t.s * t.s
	return map[string]float64{"x1": 0, "x2": t.b * s2, "x1x1": s2, "x2x2": 1 + 3*t.b*t.b*s2*s2}, "analytic moments"
}

type params struct {
	L             int
	Beta, J, D, H float64
}

// blumeCapel is the Blume–Capel model at one task's parameters.
type blumeCapel struct{ p params }

// Observables: the energy and magnetisation per site, and the density of
// non-zero spins q.
func (m blumeCapel) Observables() []string { return []string{"e", "m", "absm", "m2", "q"} }

// NewMetropolis makes the sampler.kind = "metropolis" chain.
func (m blumeCapel) NewMetropolis(c kind.ChainConfig) (mc.Chain, error) {
	ch := &chain{p: m.p, s: make([]int8, m.p.L*m.p.L), rng: c.RNG}
	for i := range ch.s {
		ch.s[i] = 1
		if c.Hot {
			ch.s[i] = int8(mc.Below(c.RNG, 3)) - 1
		}
	}
	return ch, nil
}

// Derived: the specific heat and susceptibility per site with jackknife
// errors.
func (m blumeCapel) Derived(obs map[string][][]float64) map[string]stats.Value {
	n, b := float64(m.p.L*m.p.L), m.p.Beta
	sq := func(x [][]float64) [][]float64 {
		out := make([][]float64, len(x))
		for c, s := range x {
			for _, v := range s {
				out[c] = append(out[c], v*v)
			}
		}
		return out
	}
	return map[string]stats.Value{
		"C": stats.JackknifeValue([][][]float64{obs["e"], sq(obs["e"])}, func(mu []float64) float64 {
			return b * b * n * (mu[1] - mu[0]*mu[0])
		}),
		"chi": stats.JackknifeValue([][][]float64{obs["m2"], obs["absm"]}, func(mu []float64) float64 {
			return b * n * (mu[0] - mu[1]*mu[1])
		}),
	}
}

// Odd: m changes sign under s → −s (at h = 0), which local moves need
// not restore at low temperature; the diagnostics then point to absm.
func (m blumeCapel) Odd() map[string]string {
	if m.p.H == 0 {
		return map[string]string{"m": "absm"}
	}
	return nil
}

// Exact enumerates the 3^N states of tori of at most 9 sites (3×3).
func (m blumeCapel) Exact() (map[string]float64, string) {
	n := m.p.L * m.p.L
	if n > 9 {
		return nil, ""
	}
	ch := &chain{p: m.p, s: make([]int8, n)}
	for i := range ch.s {
		ch.s[i] = -1
	}
	var z, se, se2, sm2, sq, e0 float64
	first := true
	var o []float64
	for {
		o = ch.Observe(o[:0])
		en := o[0] * float64(n)
		if first {
			e0, first = en, false // weights relative to the first state
		}
		w := math.Exp(-m.p.Beta * (en - e0))
		z += w
		se += w * o[0]
		se2 += w * o[0] * o[0]
		sm2 += w * o[3]
		sq += w * o[4]
		i := 0
		for ; i < n && ch.s[i] == 1; i++ {
			ch.s[i] = -1
		}
		if i == n {
			break
		}
		ch.s[i]++
	}
	e := se / z
	c := m.p.Beta * m.p.Beta * float64(n) * (se2/z - e*e)
	return map[string]float64{"e": e, "C": c, "m2": sm2 / z, "q": sq / z}, "enumeration of the 3^N states"
}

// chain is one Metropolis chain: its spins and its random stream, all of
// which are in its bytes.
type chain struct {
	p   params
	s   []int8
	rng *mc.PCG
}

// Step is one sweep of L² attempted moves in site order.
func (c *chain) Step() error {
	L := c.p.L
	for i := range c.s {
		x, y := i%L, i/L
		nb := int(c.s[y*L+(x+1)%L]) + int(c.s[y*L+(x+L-1)%L]) + int(c.s[((y+1)%L)*L+x]) + int(c.s[((y+L-1)%L)*L+x])
		old := c.s[i]
		nw := (old+1+int8(mc.Below(c.rng, 2))+1)%3 - 1 // uniform among the other two
		ds, ds2 := float64(nw-old), float64(nw*nw-old*old)
		dE := -c.p.J*ds*float64(nb) + c.p.D*ds2 - c.p.H*ds
		if dE <= 0 || mc.Uniform(c.rng) < math.Exp(-c.p.Beta*dE) {
			c.s[i] = nw
		}
	}
	return nil
}

// sums returns Σ⟨ij⟩ s_i s_j, Σ s_i and Σ s_i² of a configuration.
func (p params) sums(s []int8) (bonds, mag, nz float64) {
	L := p.L
	for i, v := range s {
		x, y := i%L, i/L
		bonds += float64(v) * float64(s[y*L+(x+1)%L]+s[((y+1)%L)*L+x])
		mag += float64(v)
		nz += float64(v * v)
	}
	return bonds, mag, nz
}

// Observe appends e, m, |m|, m², q per site.
func (c *chain) Observe(dst []float64) []float64 {
	bonds, mag, nz := c.p.sums(c.s)
	n := float64(len(c.s))
	m := mag / n
	e := (-c.p.J*bonds + c.p.D*nz - c.p.H*mag) / n
	return append(dst, e, m, math.Abs(m), m*m, nz/n)
}

// LogProb and Exchange make the chain an mc.Exchanger, so that replica
// exchange (sampler.kind = "pt") runs it at every rung of a ladder:
// LogProb is −βE, at this chain's parameters, of the configuration of
// `of`; Exchange swaps the configurations.
func (c *chain) LogProb(of mc.Chain) float64 {
	bonds, mag, nz := c.p.sums(of.(*chain).s)
	return -c.p.Beta * (-c.p.J*bonds + c.p.D*nz - c.p.H*mag)
}

func (c *chain) Exchange(other mc.Chain) {
	o := other.(*chain)
	c.s, o.s = o.s, c.s
}

func (c *chain) MarshalBinary() ([]byte, error) {
	r, err := c.rng.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(c.s)))
	for _, v := range c.s {
		b = append(b, byte(v+1))
	}
	return append(b, r...), nil
}

func (c *chain) UnmarshalBinary(b []byte) error {
	if len(b) < 4 || int(binary.LittleEndian.Uint32(b)) != len(c.s) || len(b) < 4+len(c.s) {
		return errors.New("blume-capel: corrupt chain state")
	}
	for i, v := range b[4 : 4+len(c.s)] {
		if v > 2 {
			return errors.New("blume-capel: corrupt chain state")
		}
		c.s[i] = int8(v) - 1
	}
	return c.rng.UnmarshalBinary(b[4+len(c.s):])
}
