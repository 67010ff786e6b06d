package builtin

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/stats"
	"github.com/mcflow/mcflow/mc/tempering"
	"github.com/mcflow/mcflow/model"
	"github.com/mcflow/mcflow/nf"
)

func init() {
	must(kind.RegisterSampler(kind.Sampler{
		Name: "pt",
		Doc: "Replica exchange (parallel tempering): a ladder of inverse temperatures, each rung advanced by the base sampler, " +
			"neighbour swaps every swap_every steps; models with a beta key are tempered in it, others as p^β",
		Version:   1,
		Needs:     "the base sampler's, and chains that exchange configurations (mc.Exchanger)",
		Wraps:     true,
		Overrides: []string{"beta"},
		Keys: []kind.Key{
			{Name: "base", Type: kind.String, Default: "metropolis", Doc: "the sampler run at every rung (its keys sit in this table)"},
			{Name: "betas", Type: kind.Floats, Min: 0, Max: math.Inf(1), MinOpen: true,
				Doc: "the ladder's inverse temperatures, ascending (or beta_min, beta_max, rungs)"},
			{Name: "beta_min", Type: kind.Float, Min: 0, Max: math.Inf(1), MinOpen: true, Doc: "a geometric ladder's smallest β (with beta_max and rungs)"},
			{Name: "beta_max", Type: kind.Float, Min: 0, Max: math.Inf(1), MinOpen: true, Doc: "a geometric ladder's largest β"},
			{Name: "rungs", Type: kind.Int, Min: 2, Max: 4096, Doc: "a geometric ladder's number of rungs"},
			kind.IntKey("swap_every", 1, 1, math.MaxInt32, "steps of every rung between swap rounds"),
			kind.IntKey("ladder_rounds", 0, 0, 1000, "rounds of thermalize after each of which the inner betas move toward equal swap acceptance, from all of the task's ladders (0: a fixed ladder); frozen for the recorded steps"),
		},
		Whole: func(v kind.Values) string {
			if v.Int("ladder_rounds") > 0 {
				return "an adaptive ladder (ladder_rounds) is adapted from all of a task's chains"
			}
			if b, err := ptBase(v); err == nil && b.Whole != nil {
				return b.Whole(v)
			}
			return ""
		},
		Resolve: resolvePT,
		Accepts: func(m kind.Instance, v kind.Values) error {
			b, err := ptBase(v)
			if err != nil {
				return err
			}
			if _, ok := m.(kind.Quenched); ok && v.Int("ladder_rounds") > 0 {
				return kind.Errorf("ladder_rounds", "= %d adapts each task's ladder, but the samples of a disorder scan must share one ladder: give the betas and ladder_rounds = 0", v.Int("ladder_rounds"))
			}
			return b.Accepts(m, v)
		},
		Series: func(v kind.Values) []string {
			b, _ := ptBase(v)
			return append(slices.Clone(b.SeriesOf(v)), tempering.Series...)
		},
		Kernels: func(v kind.Values) map[string]int {
			b, _ := ptBase(v)
			k := b.KernelVersions(v)
			k["sampler/pt"] = 1
			return k
		},
		Describe: func(v kind.Values) string {
			if b, err := ptBase(v); err == nil {
				return b.Description(v)
			}
			return ""
		},
		Build: buildPT,
	}))
}

// ptBase is the registered base sampler of a pt table.
func ptBase(v kind.Values) (*kind.Sampler, error) {
	b, ok := kind.LookupSampler(v.String("base"))
	if !ok || b.Wraps {
		return nil, kind.Errorf("base", "= %q: want a registered sampler that does not wrap another (%v)", v.String("base"), kind.SamplerNames())
	}
	return b, nil
}

// resolvePT makes the ladder explicit: betas, from the geometric keys
// if those are given.
func resolvePT(v kind.Values, given func(string) bool, _ kind.Plan) error {
	b, err := ptBase(v)
	if err != nil {
		return err
	}
	if b.UnitOf(v) != 1 {
		return kind.Errorf("base", "= %q with these keys runs %d replicas per chain; tempering needs one configuration per chain (engine = \"plain\")", v.String("base"), b.UnitOf(v))
	}
	geo := given("beta_min") || given("beta_max") || given("rungs")
	switch {
	case given("betas") && geo:
		return kind.Errorf("betas", "and beta_min, beta_max, rungs both give the ladder: keep one")
	case geo:
		lo, hi, n := v.Float("beta_min"), v.Float("beta_max"), v.Int("rungs")
		if !given("beta_min") || !given("beta_max") || !given("rungs") {
			return kind.Errorf("rungs", "a geometric ladder needs beta_min, beta_max and rungs")
		}
		if !(hi > lo) {
			return kind.Errorf("beta_max", "= %v, want more than beta_min = %v", hi, lo)
		}
		v["betas"] = Geometric(lo, hi, n)
		delete(v, "beta_min")
		delete(v, "beta_max")
		delete(v, "rungs")
	case !given("betas"):
		return kind.Errorf("betas", "is missing: give the ladder as betas = [...] (ascending) or beta_min, beta_max and rungs")
	}
	bs := v.Floats("betas")
	if len(bs) < 2 {
		return kind.Errorf("betas", "= %v: a ladder needs at least 2 rungs", bs)
	}
	for i := 1; i < len(bs); i++ {
		if bs[i] <= bs[i-1] {
			return kind.Errorf("betas", "= %v: want strictly ascending values (rung %d is not above rung %d)", bs, i, i-1)
		}
	}
	return nil
}

// Geometric returns n inverse temperatures from lo to hi in a geometric
// progression (the ends exact).
func Geometric(lo, hi float64, n int) []float64 {
	b := make([]float64, n)
	for i := range b {
		b[i] = lo * math.Pow(hi/lo, float64(i)/float64(n-1))
	}
	b[0], b[n-1] = lo, hi
	return b
}

// buildPT makes one ladder per chain: the base sampler's chains at every
// rung (rung r's streams prefixed by r), joined by tempering.Ladder with
// the swap stream (seed, task, mc.Swap, chain).
func buildPT(e *kind.Env, m kind.Instance) (*kind.Built, error) {
	base, err := ptBase(e.Sampler)
	if err != nil {
		return nil, err
	}
	pb := &ptBuilder{e: e, m: m, base: base}
	betas := e.Sampler.Floats("betas")
	out := &kind.Built{Ladder: betas, Rung: func(beta float64) (kind.Instance, error) { return rungModel(e, m, beta) }}
	rungs := make([][]mc.Chain, len(betas))
	for r, beta := range betas {
		chains, inst, err := pb.rung(r, beta, 0, e.Plan.Chains)
		if err != nil {
			return nil, err
		}
		out.Rungs = append(out.Rungs, inst)
		rungs[r] = chains
	}
	var ladders []*tempering.Ladder
	for c := range e.Plan.Chains {
		ex := make([]mc.Exchanger, len(betas))
		for r := range betas {
			x, ok := rungs[r][c].(mc.Exchanger)
			if !ok {
				return nil, kind.Errorf("base", "= %q: its chains on this model cannot exchange configurations (mc.Exchanger); tempering needs them", base.Name)
			}
			ex[r] = x
		}
		l, err := tempering.New(ex, betas, e.Sampler.Int("swap_every"), e.Stream(mc.Swap, uint64(c)))
		if err != nil {
			return nil, err
		}
		l.SetRebuild(func(r int, beta float64, gen uint64) (mc.Exchanger, error) {
			chains, _, err := pb.rung(r, beta, gen, c+1) // chain c's streams: index c
			if err != nil {
				return nil, err
			}
			return chains[c].(mc.Exchanger), nil
		})
		ladders = append(ladders, l)
		out.Chains = append(out.Chains, l)
	}
	if n := e.Sampler.Int("ladder_rounds"); n > 0 {
		out.Adapter = &ladderAdapter{ladders: ladders, rounds: n}
	}
	return out, nil
}

// ptBuilder builds the rungs of a task's ladders.
type ptBuilder struct {
	e    *kind.Env
	m    kind.Instance
	base *kind.Sampler
}

// rung builds the first `chains` chains of rung r at beta: the base
// sampler's, with the streams of (r) or, made anew at an adapted β, of
// (r, gen).
func (pb *ptBuilder) rung(r int, beta float64, gen uint64, chains int) ([]mc.Chain, kind.Instance, error) {
	inst, err := rungModel(pb.e, pb.m, beta)
	if err != nil {
		return nil, nil, err
	}
	if err := pb.base.Accepts(inst, pb.e.Sampler); err != nil {
		return nil, nil, err
	}
	sub := pb.e.Sub(uint64(r))
	if gen > 0 {
		sub = pb.e.Sub(uint64(r), gen)
	}
	sub.Configs, sub.Plan.Chains = false, chains
	bt, err := pb.base.Build(sub, inst)
	if err != nil {
		return nil, nil, err
	}
	if bt.Adapter != nil || bt.Ladder != nil {
		return nil, nil, kind.Errorf("base", "= %q with these keys adapts across chains (adapt_rounds); tempering cannot run it", pb.base.Name)
	}
	return bt.Chains, inst, nil
}

// ladderAdapter adapts a task's ladder during thermalize: after each
// round, the swaps of all its ladders give one new ladder
// (tempering.EqualAcceptance) that every ladder takes. Its state is in
// the ladders' bytes.
type ladderAdapter struct {
	ladders []*tempering.Ladder
	rounds  int
}

func (a *ladderAdapter) Rounds() int { return a.rounds }

func (a *ladderAdapter) Begin(r, _ int) {
	for _, l := range a.ladders {
		l.BeginAdapt(r)
	}
}

func (a *ladderAdapter) Train(r int) error {
	R := len(a.ladders[0].Betas())
	tried, accepted := make([]int64, R), make([]int64, R)
	for _, l := range a.ladders {
		t, acc := l.AdaptCounts()
		for i := range R {
			tried[i] += t[i]
			accepted[i] += acc[i]
		}
	}
	next := tempering.EqualAcceptance(a.ladders[0].Betas(), tried, accepted)
	for _, l := range a.ladders {
		if err := l.Retemper(next, uint64(r)+1); err != nil {
			return err
		}
	}
	return nil
}

func (a *ladderAdapter) Flow() *nf.Model                { return nil }
func (a *ladderAdapter) Reload()                        {}
func (a *ladderAdapter) MarshalBinary() ([]byte, error) { return []byte{}, nil }
func (a *ladderAdapter) UnmarshalBinary(b []byte) error {
	if len(b) != 0 {
		return fmt.Errorf("tempering: adapter state of %d bytes, want none", len(b))
	}
	return nil
}

// rungModel is the model at one rung: with its beta key set to beta, or,
// for a continuous model without one, its target raised to the power
// beta.
func rungModel(e *kind.Env, m kind.Instance, beta float64) (kind.Instance, error) {
	inst, err := e.ModelAt("beta", beta)
	if !errors.Is(err, kind.ErrNoKey) {
		return inst, err
	}
	c, ok := m.(kind.Continuous)
	if !ok {
		return nil, fmt.Errorf("the model has no beta key and no continuous target to temper")
	}
	return tempered{m, beta, temperedTarget{c.Target(), beta}}, nil
}

// tempered is a continuous model at p^β. It keeps the model's derived
// quantities and symmetries, not its exact references (those are at
// β = 1).
type tempered struct {
	kind.Instance
	beta float64
	tg   temperedTarget
}

func (t tempered) Target() model.Target { return t.tg }

func (t tempered) Derived(obs map[string][][]float64) map[string]stats.Value {
	if d, ok := t.Instance.(kind.Deriver); ok {
		return d.Derived(obs)
	}
	return map[string]stats.Value{}
}

func (t tempered) Odd() map[string]string {
	if s, ok := t.Instance.(kind.Symmetric); ok {
		return s.Odd()
	}
	return nil
}

func (t tempered) Shape() []int { return shapeOf(t.Instance) }

// temperedTarget is ln p_β = β ln p; it measures what the target measures.
type temperedTarget struct {
	model.Target
	beta float64
}

func (t temperedTarget) Name() string                { return fmt.Sprintf("(%s)^%g", t.Target.Name(), t.beta) }
func (t temperedTarget) LogProb(x []float64) float64 { return t.beta * t.Target.LogProb(x) }

func (t temperedTarget) GradLogProb(g, x []float64) float64 {
	lp := t.Target.GradLogProb(g, x)
	for i := range g {
		g[i] *= t.beta
	}
	return t.beta * lp
}

func (t temperedTarget) ObservableNames() []string {
	if o, ok := t.Target.(model.Observer); ok {
		return o.ObservableNames()
	}
	return nil
}

func (t temperedTarget) Observe(dst, x []float64) []float64 {
	if o, ok := t.Target.(model.Observer); ok {
		return o.Observe(dst, x)
	}
	return dst
}
