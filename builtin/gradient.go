package builtin

import (
	"fmt"
	"math"

	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/flowmh"
	"github.com/mcflow/mcflow/mc/hmc"
	"github.com/mcflow/mcflow/model"
	"github.com/mcflow/mcflow/nf"
)

// The keys of HMC trajectories (hmc, latent-hmc, flow-mh's local kernel).
var (
	epsKey    = kind.PositiveKey("eps", 0.1, "the initial leapfrog step size")
	stepsKey  = kind.IntKey("steps", 10, 0, math.MaxInt32, "leapfrog steps per trajectory (0: ⌈length/eps⌉)")
	lengthKey = kind.Key{Name: "length", Type: kind.Float, Min: 0, Max: math.Inf(1), MinOpen: true, Doc: "the trajectory length when steps = 0"}
	accKey    = kind.Key{Name: "target_accept", Type: kind.Float, Default: 0.8, Min: 0, Max: 1, MinOpen: true,
		Doc: "the acceptance that step-size adaptation aims at during thermalize (below 1)"}
	adaptKey    = kind.BoolKey("adapt", true, "adapt the step size (and metric) during thermalize; false keeps eps and the unit metric")
	malaAcc     = 0.574 // MALA's optimal acceptance (Roberts and Rosenthal 1998)
	maxDepthKey = kind.IntKey("max_depth", 10, 1, 30, "NUTS: at most 2^max_depth leapfrog steps a transition")
	malaAccKey  = kind.Key{Name: "target_accept", Type: kind.Float, Default: malaAcc, Min: 0, Max: 1, MinOpen: true,
		Doc: "the acceptance that step-size adaptation aims at during thermalize (below 1)"}
	flowKey = kind.Key{Name: "flow", Type: kind.Path, Doc: "a flow written by `mcflow train` (OUT/flow/<task>.h5); absent: the flow the job's [train] table trains"}
)

func init() {
	gradKeys := []kind.Key{epsKey, stepsKey, lengthKey, accKey,
		kind.BoolKey("metric", true, "adapt a diagonal mass matrix during thermalize (Stan's windows)"), adaptKey}
	must(kind.RegisterSampler(kind.Sampler{
		Name: "hmc", Doc: "Hamiltonian Monte Carlo with Stan's warmup (dual averaging, windowed diagonal metric)",
		Version: 2, Needs: "kind.Continuous", Keys: gradKeys, Configs: true,
		Resolve: resolveHMC, Accepts: continuous, Series: hmcSeries,
		Build: func(e *kind.Env, m kind.Instance) (*kind.Built, error) { return buildHMC(e, m, false, "hmc") },
	}))
	must(kind.RegisterSampler(kind.Sampler{
		Name: "latent-hmc", Doc: "HMC in the latent space of a trained flow (the pulled-back target)",
		Version: 2, Needs: "kind.Continuous", Keys: append(gradKeys, flowKey), Flow: true, Configs: true,
		Resolve: resolveHMC, Accepts: continuous, Series: hmcSeries,
		Build: func(e *kind.Env, m kind.Instance) (*kind.Built, error) { return buildHMC(e, m, true, "hmc") },
	}))
	// MALA is HMC with one leapfrog step: the proposal x + (ε²/2)M⁻¹∇ln p +
	// ε M^{−1/2}ξ, and the Hamiltonian's acceptance is MALA's
	// Metropolis–Hastings ratio.
	malaKeys := []kind.Key{epsKey, malaAccKey, kind.BoolKey("metric", true, "adapt a diagonal preconditioner M⁻¹ during thermalize (Stan's windows)"), adaptKey}
	must(kind.RegisterSampler(kind.Sampler{
		Name: "mala", Doc: "Metropolis-adjusted Langevin: one leapfrog step of HMC, step size adapted toward acceptance 0.574",
		Version: 1, Needs: "kind.Continuous", Keys: malaKeys, Configs: true,
		Resolve: resolveAdapt, Accepts: continuous, Series: hmcSeries,
		Build: func(e *kind.Env, m kind.Instance) (*kind.Built, error) { return buildHMC(e, m, false, "mala") },
	}))
	must(kind.RegisterSampler(kind.Sampler{
		Name: "latent-mala", Doc: "MALA in the latent space of a trained flow (the pulled-back target)",
		Version: 1, Needs: "kind.Continuous", Keys: append(malaKeys, flowKey), Flow: true, Configs: true,
		Resolve: resolveAdapt, Accepts: continuous, Series: hmcSeries,
		Build: func(e *kind.Env, m kind.Instance) (*kind.Built, error) { return buildHMC(e, m, true, "mala") },
	}))
	nutsKeys := []kind.Key{epsKey, accKey, kind.BoolKey("metric", true, "adapt a diagonal mass matrix during thermalize (Stan's windows)"), adaptKey, maxDepthKey}
	must(kind.RegisterSampler(kind.Sampler{
		Name: "nuts", Doc: "The No-U-Turn sampler (multinomial, generalised U-turn criterion, as Stan) with HMC's warmup; records tree_depth and n_leapfrog",
		Version: 1, Needs: "kind.Continuous", Keys: nutsKeys, Configs: true,
		Resolve: resolveAdapt, Accepts: continuous, Series: func(kind.Values) []string { return hmc.NUTSSeries },
		Build: func(e *kind.Env, m kind.Instance) (*kind.Built, error) { return buildHMC(e, m, false, "nuts") },
	}))
	must(kind.RegisterSampler(kind.Sampler{
		Name: "latent-nuts", Doc: "NUTS in the latent space of a trained flow (the pulled-back target)",
		Version: 1, Needs: "kind.Continuous", Keys: append(nutsKeys, flowKey), Flow: true, Configs: true,
		Resolve: resolveAdapt, Accepts: continuous, Series: func(kind.Values) []string { return hmc.NUTSSeries },
		Build: func(e *kind.Env, m kind.Instance) (*kind.Built, error) { return buildHMC(e, m, true, "nuts") },
	}))
	must(kind.RegisterSampler(kind.Sampler{
		Name: "flow-mh", Doc: "Independence Metropolis–Hastings with a trained flow's proposals, mixed with local steps",
		Version: 2, Needs: "kind.Continuous", Flow: true, Configs: true,
		Keys: []kind.Key{flowKey,
			kind.IntKey("batch", 64, 1, flowmh.MaxBatch, "flow proposals per batch"),
			kind.FloatKey("local", 0.5, 0, 1, "the fraction of steps that are local steps"),
			kind.ChoiceKey("local_kernel", "the local steps: one HMC trajectory, one MALA step or one NUTS transition (step size adapted during thermalize), or random-walk Metropolis", "hmc", "rw", "mala", "nuts"),
			{Name: "max_depth", Type: kind.Int, Min: 1, Max: 30, Doc: "local_kernel = \"nuts\": at most 2^max_depth leapfrog steps (default 10)"},
			{Name: "local_step", Type: kind.Float, Min: 0, Max: math.Inf(1), MinOpen: true, Doc: "local_kernel = \"rw\": the Gaussian step size (default 0.1)"},
			epsKey, stepsKey, lengthKey, accKey, adaptKey,
			kind.IntKey("adapt_rounds", 0, 0, math.MaxInt32, "rounds of forward-KL training of the flow on the chains during thermalize (0: none)"),
			kind.IntKey("adapt_epochs", 100, 1, math.MaxInt32, "adapt_rounds >= 1: training epochs after each round"),
			kind.IntKey("adapt_batch", 256, 1, math.MaxInt32, "adapt_rounds >= 1: rows per training epoch"),
			{Name: "adapt_lr", Type: kind.Float, Default: 1e-3, Min: 0, Max: math.Inf(1), MinOpen: true, Doc: "adapt_rounds >= 1: Adam's learning rate"},
		},
		Resolve: resolveFlowMH, Accepts: continuous, Series: func(v kind.Values) []string { return flowmh.Series(v.Float("local") > 0) },
		Whole: func(v kind.Values) string {
			if v.Int("adapt_rounds") > 0 {
				return "adaptive flow-MH (adapt_rounds) trains one flow on all of a task's chains"
			}
			return ""
		},
		Kernels: func(v kind.Values) map[string]int {
			k := map[string]int{"sampler/flow-mh": 2}
			switch v.String("local_kernel") {
			case "hmc", "mala": // MALA is the HMC kernel's one-step case
				k["sampler/hmc"] = 2
			case "nuts":
				k["sampler/nuts"] = 1
			}
			if v.Int("adapt_rounds") > 0 {
				k["train"] = TrainVersion
			}
			return k
		},
		Build: buildFlowMH,
	}))
}

// TrainVersion is the kernel version of flow training and evaluation.
const TrainVersion = 3

func continuous(m kind.Instance, _ kind.Values) error {
	if _, ok := m.(kind.Continuous); !ok {
		return fmt.Errorf("it samples continuous targets (kind.Continuous: phi4, ising2d-relaxed, toy2d, …)")
	}
	return nil
}

func hmcSeries(kind.Values) []string { return hmc.Series }

func resolveHMC(v kind.Values, given func(string) bool, p kind.Plan) error {
	if err := resolveAdapt(v, given, p); err != nil {
		return err
	}
	return checkTrajectory(v)
}

// resolveAdapt drops the adaptation's keys when adapt = false: the keys of
// the samplers without a trajectory length (MALA, NUTS), and HMC's with it.
func resolveAdapt(v kind.Values, given func(string) bool, _ kind.Plan) error {
	if !v.Bool("adapt") {
		for _, k := range []string{"target_accept", "metric"} {
			if given(k) {
				return kind.Errorf("adapt", "= false keeps eps and the unit metric: drop target_accept and metric, or set adapt = true")
			}
			delete(v, k)
		}
	}
	return nil
}

func checkTrajectory(v kind.Values) error {
	if v.Int("steps") == 0 && !v.Has("length") {
		return kind.Errorf("steps", "= 0 needs a trajectory length: set length (or steps >= 1)")
	}
	return nil
}

func resolveFlowMH(v kind.Values, given func(string) bool, p kind.Plan) error {
	hmcKeys := []string{"eps", "steps", "length", "target_accept", "adapt"}
	drop := func(keys []string, why string) error {
		for _, k := range keys {
			if given(k) {
				return kind.Errorf(k, "%s", why)
			}
			delete(v, k)
		}
		return nil
	}
	switch {
	case v.Float("local") == 0:
		if err := drop(append([]string{"local_kernel", "local_step", "max_depth"}, hmcKeys...), "does not apply: local = 0 takes no local steps (set local > 0)"); err != nil {
			return err
		}
	case v.String("local_kernel") == "rw":
		if err := drop(append([]string{"max_depth"}, hmcKeys...), "applies to local_kernel = \"hmc\" (the local kernel is \"rw\")"); err != nil {
			return err
		}
		if !v.Has("local_step") {
			v["local_step"] = 0.1
		}
	default: // hmc, mala, nuts
		lk := v.String("local_kernel")
		if lk != "nuts" {
			if err := drop([]string{"max_depth"}, "applies to local_kernel = \"nuts\""); err != nil {
				return err
			}
		} else if !v.Has("max_depth") {
			v["max_depth"] = 10
		}
		if err := drop([]string{"local_step"}, fmt.Sprintf("is the step of local_kernel = \"rw\"; the local kernel is %q", lk)); err != nil {
			return err
		}
		if !v.Bool("adapt") {
			if err := drop([]string{"target_accept"}, "does not apply: adapt = false keeps eps"); err != nil {
				return err
			}
		} else if lk == "mala" && !given("target_accept") {
			v["target_accept"] = malaAcc
		}
		if lk != "hmc" {
			return dropAdaptKeys(v, drop, []string{"steps", "length"}, fmt.Sprintf("applies to local_kernel = \"hmc\" (local_kernel = %q sets its own trajectories: one MALA step is one leapfrog step)", lk), p)
		}
		if err := checkTrajectory(v); err != nil {
			return err
		}
	}
	return dropAdaptKeys(v, drop, nil, "", p)
}

// dropAdaptKeys drops keys (with why) and checks adaptive flow-MH's keys.
func dropAdaptKeys(v kind.Values, drop func([]string, string) error, keys []string, why string, p kind.Plan) error {
	if err := drop(keys, why); err != nil {
		return err
	}
	if v.Int("adapt_rounds") == 0 {
		return drop([]string{"adapt_epochs", "adapt_batch", "adapt_lr"}, "applies with adapt_rounds >= 1 only")
	}
	if r := v.Int("adapt_rounds"); p.Thermalize < r*p.MeasureEvery {
		return kind.Errorf("adapt_rounds", "= %d rounds of thermalize = %d steps leave fewer than measure_every = %d steps per round: raise thermalize or lower adapt_rounds", r, p.Thermalize, p.MeasureEvery)
	}
	return nil
}

// hmcOptions are the options of an HMC-family kernel ("hmc", "mala": one
// leapfrog step, "nuts") from the keys; warmup is the adaptation's length
// when adapt is on.
func hmcOptions(v kind.Values, warmup int, metric bool, kernel string) hmc.Options {
	o := hmc.Options{Eps: v.Float("eps"), Steps: v.Int("steps"), Length: v.Float("length"), Warmup: warmup,
		Target: v.Float("target_accept"), NoMetric: !metric}
	switch kernel {
	case "mala":
		o.Steps, o.Length = 1, 0
	case "nuts":
		o.Steps, o.Length, o.NUTS, o.MaxDepth = 0, 0, true, v.Int("max_depth")
	}
	if !v.Bool("adapt") {
		o.Warmup, o.NoMetric = 0, true
	}
	return o
}

// start draws chain c's starting point: hot N(0, 1) from its stream, or 0.
func start(e *kind.Env, n int, rng *mc.PCG) []float64 {
	x0 := make([]float64, n)
	if e.Plan.Hot {
		for i := range x0 {
			x0[i] = mc.Normal(rng)
		}
	}
	return x0
}

// newContChain makes chain c's wrapper with the model's measurements.
func newContChain(e *kind.Env, m kind.Instance, c uint64) *contChain {
	cc := &contChain{config: e.Configs}
	if ms, ok := m.(kind.Measurer); ok {
		cc.rng = e.Stream(mc.Spins, c)
		cc.observe = ms.NewMeasure(cc.rng)
	} else if o, ok := m.(kind.Continuous).Target().(model.Observer); ok {
		cc.observe = o.Observe
	}
	return cc
}

func shapeOf(m kind.Instance) []int {
	if s, ok := m.(kind.Shaper); ok {
		return s.Shape()
	}
	return []int{m.(kind.Continuous).Target().Dim()}
}

// buildHMC makes HMC chains on the target, or in the latent space of the
// sampler's flow.
func buildHMC(e *kind.Env, m kind.Instance, latent bool, kernel string) (*kind.Built, error) {
	tg := m.(kind.Continuous).Target()
	var q *nf.Model
	if latent {
		var err error
		if q, err = e.Flow(tg.Dim()); err != nil {
			return nil, err
		}
	}
	b := &kind.Built{Config: shapeOf(m)}
	o := hmcOptions(e.Sampler, e.Plan.Thermalize, e.Sampler.Bool("metric"), kernel)
	for c := range uint64(e.Plan.Chains) {
		rng := e.Stream(mc.Moves, c)
		x0 := start(e, tg.Dim(), rng)
		cc := newContChain(e, m, c)
		if q == nil {
			h, err := hmc.New(tg, x0, o, rng)
			if err != nil {
				return nil, err
			}
			cc.inner, cc.pos = h, h.Position
			b.Chains = append(b.Chains, &exchChain[*hmc.HMC]{cc, h, tg})
			continue
		}
		lt, err := hmc.NewLatent(tg, q) // one per chain: it holds scratch space
		if err != nil {
			return nil, kind.Errorf("flow", "%v", err)
		}
		h, err := hmc.New(lt, x0, o, rng)
		if err != nil {
			return nil, err
		}
		cc.inner, cc.pos = h, func() []float64 { return lt.Push(h.Position()) }
		b.Chains = append(b.Chains, cc)
	}
	return b, nil
}

func buildFlowMH(e *kind.Env, m kind.Instance) (*kind.Built, error) {
	tg := m.(kind.Continuous).Target()
	q, err := e.Flow(tg.Dim())
	if err != nil {
		return nil, err
	}
	v := e.Sampler
	b := &kind.Built{Config: shapeOf(m)}
	var chains []*contChain
	for c := range uint64(e.Plan.Chains) {
		rng := e.Stream(mc.Moves, c)
		x0 := start(e, tg.Dim(), rng)
		cc := newContChain(e, m, c)
		fo := flowmh.Options{Batch: v.Int("batch"), Local: v.Float("local"), LocalStep: v.Float("local_step")}
		if lk := v.String("local_kernel"); lk == "hmc" || lk == "mala" || lk == "nuts" { // absent when local = 0
			// HMC, MALA or NUTS, its own stream. Its step size adapts during thermalize (at
			// most thermalize of its trajectories; no metric, whose windows
			// need their number) and freezes when the chain's
			// thermalisation ends (EndThermalize).
			k, err := hmc.New(tg, x0, hmcOptions(v, e.Plan.Thermalize, false, v.String("local_kernel")), e.Stream(mc.Local, c))
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
		chains = append(chains, cc)
		if v.Int("adapt_rounds") > 0 {
			cc.adapt = &adaptBuf{every: e.Plan.MeasureEvery}
			b.Chains = append(b.Chains, cc)
			continue
		}
		b.Chains = append(b.Chains, &exchChain[*flowmh.Chain]{cc, ch, tg})
	}
	if v.Int("adapt_rounds") > 0 {
		a, err := newAdapter(e, tg, q, chains)
		if err != nil {
			return nil, err
		}
		b.Adapter = a
	}
	return b, nil
}

// exchChain is a chain on the target itself (HMC, flow-MH) that can
// exchange states with another of its kind (replica exchange).
type exchChain[T interface {
	Position() []float64
	LogProb() float64
	Exchange(T)
}] struct {
	*contChain
	in T
	tg model.Target
}

// LogProb returns ln p of the chain's target at the state of `of`, a
// chain of the same kind and dimension (mc.Exchanger).
func (c *exchChain[T]) LogProb(of mc.Chain) float64 {
	if o := of.(*exchChain[T]); o != c {
		return c.tg.LogProb(o.in.Position())
	}
	return c.in.LogProb()
}

// Exchange swaps states with other, a chain of the same kind
// (mc.Exchanger).
func (c *exchChain[T]) Exchange(other mc.Chain) { c.in.Exchange(other.(*exchChain[T]).in) }
