package jobs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/flowmh"
	"github.com/mcflow/mcflow/mc/hmc"
	"github.com/mcflow/mcflow/mc/ising"
	"github.com/mcflow/mcflow/mc/stats"
	"github.com/mcflow/mcflow/model"
	"github.com/mcflow/mcflow/nf"
)

// contObservables names what a chain of a continuous target records: the
// model's observables, then the sampler's bookkeeping series.
func contObservables(s *Spec) []string {
	var names []string
	switch s.Model.Kind {
	case "toy2d":
		names = []string{"x1", "x2"}
	case "phi4":
		names = []string{"m", "absm", "m2", "s"}
	case "ising2d-relaxed":
		names = []string{"e", "m", "absm", "m2", "e_rb"}
	}
	return append(names, samplerSeries(s)...)
}

// samplerSeries names the bookkeeping series of a continuous sampler.
func samplerSeries(s *Spec) []string {
	if s.Sampler.Kind == "flow-mh" {
		return flowmh.Series(s.Sampler.Cont.Local > 0)
	}
	return hmc.Series
}

// contChain wraps an HMC or flow-MH chain with the task's observables.
type contChain struct {
	inner interface {
		mc.Chain
		AppendSeries(dst []float64) []float64
	}
	pos     func() []float64 // the state in the target's space
	tg      model.Target
	relaxed *model.IsingRelaxed
	spins   []int8
	rng     *mc.PCG // spins at measurements (ising2d-relaxed)
	config  bool    // append the configuration after the observables
	adapt   *adaptBuf
}

// adaptBuf collects a chain's states for adaptive training: every
// every-th step of a round while on.
type adaptBuf struct {
	on    bool
	every int
	count int
	buf   []float64
}

func (c *contChain) Step() error {
	if err := c.inner.Step(); err != nil {
		return err
	}
	if a := c.adapt; a != nil && a.on {
		if a.count++; a.count%a.every == 0 {
			a.buf = append(a.buf, c.pos()...)
		}
	}
	return nil
}

func (c *contChain) Observe(dst []float64) []float64 {
	x := c.pos()
	if c.relaxed != nil {
		c.relaxed.Spins(c.spins, x, func() float64 { return mc.Uniform(c.rng) })
		lat := ising.Lattice{L: c.relaxed.L, Spin: c.spins}
		bonds, mag := lat.Sums()
		n := float64(len(x))
		m := float64(mag) / n
		dst = append(dst, -float64(bonds)/n, m, math.Abs(m), m*m, c.relaxed.ERB(x))
	} else if o, ok := c.tg.(model.Observer); ok {
		dst = o.Observe(dst, x)
	}
	dst = c.inner.AppendSeries(dst)
	if c.config {
		dst = append(dst, x...)
	}
	return dst
}

// EndThermalize passes the end of thermalisation on to the sampler.
func (c *contChain) EndThermalize() {
	if t, ok := c.inner.(mc.Thermalizer); ok {
		t.EndThermalize()
	}
}

func (c *contChain) MarshalBinary() ([]byte, error) {
	b, err := c.inner.MarshalBinary()
	if err != nil {
		return nil, err
	}
	out := binary.LittleEndian.AppendUint32(nil, uint32(len(b)))
	out = append(out, b...)
	if c.rng != nil {
		r, err := c.rng.MarshalBinary()
		if err != nil {
			return nil, err
		}
		out = append(out, r...)
	}
	if a := c.adapt; a != nil {
		on := byte(0)
		if a.on {
			on = 1
		}
		out = append(out, on)
		out = binary.LittleEndian.AppendUint64(out, uint64(a.count))
		out = binary.LittleEndian.AppendUint64(out, uint64(len(a.buf)))
		for _, v := range a.buf {
			out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
		}
	}
	return out, nil
}

func (c *contChain) UnmarshalBinary(b []byte) error {
	bad := errors.New("jobs: corrupt chain state")
	if len(b) < 4 {
		return bad
	}
	n := int(binary.LittleEndian.Uint32(b))
	if len(b) < 4+n {
		return bad
	}
	if err := c.inner.UnmarshalBinary(b[4 : 4+n]); err != nil {
		return err
	}
	b = b[4+n:]
	if c.rng != nil {
		const rngSize = 20
		if len(b) < rngSize {
			return bad
		}
		if err := c.rng.UnmarshalBinary(b[:rngSize]); err != nil {
			return err
		}
		b = b[rngSize:]
	}
	if a := c.adapt; a != nil {
		if len(b) < 17 {
			return bad
		}
		a.on = b[0] == 1
		a.count = int(binary.LittleEndian.Uint64(b[1:]))
		m := binary.LittleEndian.Uint64(b[9:])
		b = b[17:]
		if m > uint64(len(b))/8 || uint64(len(b)) != 8*m {
			return bad
		}
		a.buf = make([]float64, m, max(int(m), cap(a.buf)))
		for i := range a.buf {
			a.buf[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		b = b[8*m:]
	}
	if len(b) != 0 {
		return bad
	}
	return nil
}

// flowPath is the sampler's flow: its flow key, or the flow the job's own
// [train] table trained for the task.
func flowPath(s *Spec, t Task, lay Layout) string {
	if s.Sampler.Cont.Flow != "" {
		return s.Sampler.Cont.Flow
	}
	return lay.Flow(t.Name())
}

// loadFlow reads the sampler's flow and checks it against the target.
func loadFlow(s *Spec, path string, tg model.Target) (*nf.Model, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, &SpecError{File: s.File, Key: "sampler.flow", Msg: fmt.Sprintf("%s does not exist: train one with `mcflow train` (it writes OUT/flow/<task>.h5)", path)}
	}
	m, err := nf.Load(path)
	if err != nil {
		return nil, &SpecError{File: s.File, Key: "sampler.flow", Msg: err.Error()}
	}
	if m.Dim() != tg.Dim() {
		return nil, &SpecError{File: s.File, Key: "sampler.flow", Msg: fmt.Sprintf("%s is a flow of dimension %d; the target %s has dimension %d", path, m.Dim(), tg.Name(), tg.Dim())}
	}
	// A Monge–Ampère flow is used in exact mode: the same map, with the
	// exact density of the discrete RK4 map.
	return m.WithExactDensity(), nil
}

// buildCont creates the chains of a task of a continuous target.
func buildCont(s *Spec, t Task, lay Layout) (*built, error) {
	tg, _, _, err := target(s, t)
	if err != nil {
		return nil, err
	}
	cs := s.Sampler.Cont
	b := &built{names: contObservables(s), replicas: 1, target: tg}
	if s.Model.Kind == "phi4" || s.Model.Kind == "ising2d-relaxed" {
		b.odd = map[string]string{"m": "absm"}
	}
	var q *nf.Model
	if s.Sampler.Kind != "hmc" {
		if q, err = loadFlow(s, flowPath(s, t, lay), tg); err != nil {
			return nil, err
		}
		b.flow = q
	}
	relaxed, _ := tg.(*model.IsingRelaxed)
	n := tg.Dim()
	b.cfgShape = []int{n}
	if L, ok := lattice(tg); ok {
		b.cfgShape = []int{L, L}
	}
	for c := range uint64(s.Sampler.Chains) {
		rng := mc.NewStream(s.Seed, t.Name(), mc.Moves, c)
		x0 := make([]float64, n)
		if s.Sampler.Start == "hot" {
			for i := range x0 {
				x0[i] = mc.Normal(rng)
			}
		}
		cc := &contChain{tg: tg, relaxed: relaxed, config: s.Output.ConfigsEvery > 0}
		if relaxed != nil {
			cc.spins = make([]int8, n)
			cc.rng = mc.NewStream(s.Seed, t.Name(), mc.Spins, c)
		}
		o := hmc.Options{Eps: cs.Eps, Steps: cs.Steps, Length: cs.Length, Warmup: s.Sampler.Thermalize, Target: cs.TargetAccept, NoMetric: !cs.Metric}
		if cs.NoAdapt {
			o.Warmup, o.NoMetric = 0, true
		}
		switch s.Sampler.Kind {
		case "hmc":
			h, err := hmc.New(tg, x0, o, rng)
			if err != nil {
				return nil, err
			}
			cc.inner, cc.pos = h, h.Position
		case "latent-hmc":
			lt, err := hmc.NewLatent(tg, q) // one per chain: it holds scratch space
			if err != nil {
				return nil, &SpecError{File: s.File, Key: "sampler.flow", Msg: err.Error()}
			}
			h, err := hmc.New(lt, x0, o, rng)
			if err != nil {
				return nil, err
			}
			cc.inner, cc.pos = h, func() []float64 { return lt.Push(h.Position()) }
		case "flow-mh":
			fo := flowmh.Options{Batch: cs.Batch, Local: cs.Local, LocalStep: cs.LocalStep}
			if cs.LocalKernel == "hmc" {
				// Its own stream. Its step size adapts during thermalize
				// (at most thermalize of its trajectories; no metric, whose
				// windows need their number) and freezes when the chain's
				// thermalisation ends (EndThermalize).
				ko := hmc.Options{Eps: cs.Eps, Steps: cs.Steps, Length: cs.Length, NoMetric: true, Warmup: s.Sampler.Thermalize, Target: cs.TargetAccept}
				if cs.NoAdapt {
					ko.Warmup = 0
				}
				k, err := hmc.New(tg, x0, ko, mc.NewStream(s.Seed, t.Name(), mc.Local, c))
				if err != nil {
					return nil, err
				}
				fo.Kernel = k
			}
			ch, err := flowmh.New(tg, q, x0, fo, rng)
			if err != nil {
				return nil, err
			}
			cc.inner, cc.pos = ch, ch.Position
			if cs.Adaptive() {
				cc.adapt = &adaptBuf{every: s.Sampler.MeasureEvery}
			}
		}
		b.chains = append(b.chains, cc)
	}
	b.derived = func(obs map[string][][]float64) map[string]stats.Value {
		switch s.Model.Kind {
		case "ising2d-relaxed":
			return ising.Derived(ising.Params{L: int(t.Get("L")), Beta: t.Get("beta"), J: 1}, obs)
		case "phi4":
			d := ising.Derived(ising.Params{L: int(t.Get("L")), Beta: 1, J: 1}, obs) // chi = V(⟨m2⟩ − ⟨|m|⟩²), U4
			delete(d, "C")
			return d
		}
		return map[string]stats.Value{}
	}
	switch s.Model.Kind {
	case "ising2d-relaxed":
		L, beta := int(t.Get("L")), t.Get("beta")
		b.exact = func() (map[string]float64, string) {
			k, err := exact.Kaufman(L, beta, 1)
			if err != nil {
				return nil, ""
			}
			return map[string]float64{"lnZ": k.LnZ, "e": k.E, "C": k.C}, "Kaufman (finite L×L torus, h = 0)"
		}
	case "toy2d":
		t2 := tg.(*model.Toy2D)
		b.exact = func() (map[string]float64, string) {
			m, err := exact.Toy2D(t2, 0.25)
			if err != nil {
				return nil, ""
			}
			return map[string]float64{"x1": m.Mean[0], "x2": m.Mean[1], "x1x1": m.Second[0], "x2x2": m.Second[1]}, "2D Gauss–Legendre quadrature"
		}
	}
	return b, nil
}

// lattice returns the side of a lattice target.
func lattice(tg model.Target) (int, bool) {
	switch t := tg.(type) {
	case *model.Phi4:
		return t.L, true
	case *model.IsingRelaxed:
		return t.L, true
	}
	return 0, false
}
