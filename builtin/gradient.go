package builtin

import (
	"encoding/json"
	"fmt"
	"math"
	"os"

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
	denseKey     = kind.BoolKey("dense_metric", false, "adapt a dense mass matrix (the windows' covariance) instead of a diagonal one; dimension at most 2048")
	jitterKey    = kind.FloatKey("jitter", 0, 0, 0.9, "draw each trajectory's length (or steps) uniformly from (1 ± jitter) times the set one")
	initAdaptKey = kind.Key{Name: "init_adapt", Type: kind.Path,
		Doc: "OUT/adapt/<task>.json of an earlier run: start from its step sizes and metrics (chain c takes its chain c mod their number); with adapt = false they stay"}
	flowKey = kind.Key{Name: "flow", Type: kind.Path, Doc: "a flow written by `mcflow train` (OUT/flow/<task>.h5); absent: the flow the job's [train] table trains"}
)

func init() {
	metricKey := kind.BoolKey("metric", true, "adapt a mass matrix during thermalize (Stan's windows)")
	gradKeys := []kind.Key{epsKey, stepsKey, lengthKey, jitterKey, accKey, metricKey, denseKey, adaptKey, initAdaptKey}
	must(kind.RegisterSampler(kind.Sampler{
		Name: "hmc", Doc: "Hamiltonian Monte Carlo with Stan's warmup (dual averaging, windowed diagonal or dense metric)",
		Version: hmcVersion, Needs: "kind.Continuous", Keys: gradKeys, Configs: true,
		Resolve: resolveHMC, Accepts: continuous, Series: hmcSeries,
		Build: func(e *kind.Env, m kind.Instance) (*kind.Built, error) { return buildHMC(e, m, false, "hmc") },
	}))
	must(kind.RegisterSampler(kind.Sampler{
		Name: "latent-hmc", Doc: "HMC in the latent space of a trained flow (the pulled-back target)",
		Version: hmcVersion, Needs: "kind.Continuous", Keys: append(gradKeys, flowKey), Flow: true, Configs: true,
		Resolve: resolveHMC, Accepts: continuous, Series: hmcSeries,
		Build: func(e *kind.Env, m kind.Instance) (*kind.Built, error) { return buildHMC(e, m, true, "hmc") },
	}))
	// MALA is HMC with one leapfrog step: the proposal x + (ε²/2)M⁻¹∇ln p +
	// ε M^{−1/2}ξ, and the Hamiltonian's acceptance is MALA's
	// Metropolis–Hastings ratio.
	malaKeys := []kind.Key{epsKey, malaAccKey, kind.BoolKey("metric", true, "adapt a preconditioner M⁻¹ during thermalize (Stan's windows)"), denseKey, adaptKey, initAdaptKey}
	must(kind.RegisterSampler(kind.Sampler{
		Name: "mala", Doc: "Metropolis-adjusted Langevin: one leapfrog step of HMC, step size adapted toward acceptance 0.574",
		Version: malaVersion, Needs: "kind.Continuous", Keys: malaKeys, Configs: true,
		Resolve: resolveAdapt, Accepts: continuous, Series: hmcSeries,
		Build: func(e *kind.Env, m kind.Instance) (*kind.Built, error) { return buildHMC(e, m, false, "mala") },
	}))
	must(kind.RegisterSampler(kind.Sampler{
		Name: "latent-mala", Doc: "MALA in the latent space of a trained flow (the pulled-back target)",
		Version: malaVersion, Needs: "kind.Continuous", Keys: append(malaKeys, flowKey), Flow: true, Configs: true,
		Resolve: resolveAdapt, Accepts: continuous, Series: hmcSeries,
		Build: func(e *kind.Env, m kind.Instance) (*kind.Built, error) { return buildHMC(e, m, true, "mala") },
	}))
	nutsKeys := []kind.Key{epsKey, accKey, metricKey, denseKey, adaptKey, initAdaptKey, maxDepthKey}
	must(kind.RegisterSampler(kind.Sampler{
		Name: "nuts", Doc: "The No-U-Turn sampler (multinomial, generalised U-turn criterion, as Stan) with HMC's warmup; records tree_depth and n_leapfrog",
		Version: nutsVersion, Needs: "kind.Continuous", Keys: nutsKeys, Configs: true,
		Resolve: resolveAdapt, Accepts: continuous, Series: func(kind.Values) []string { return hmc.NUTSSeries },
		Build: func(e *kind.Env, m kind.Instance) (*kind.Built, error) { return buildHMC(e, m, false, "nuts") },
	}))
	must(kind.RegisterSampler(kind.Sampler{
		Name: "latent-nuts", Doc: "NUTS in the latent space of a trained flow (the pulled-back target)",
		Version: nutsVersion, Needs: "kind.Continuous", Keys: append(nutsKeys, flowKey), Flow: true, Configs: true,
		Resolve: resolveAdapt, Accepts: continuous, Series: func(kind.Values) []string { return hmc.NUTSSeries },
		Build: func(e *kind.Env, m kind.Instance) (*kind.Built, error) { return buildHMC(e, m, true, "nuts") },
	}))
	must(kind.RegisterSampler(kind.Sampler{
		Name: "flow-mh", Doc: "Independence Metropolis–Hastings with a trained flow's proposals, mixed with local steps",
		Version: 3, Needs: "kind.Continuous", Flow: true, Configs: true,
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
			k := map[string]int{"sampler/flow-mh": 3}
			switch v.String("local_kernel") {
			case "hmc", "mala": // MALA is the HMC kernel's one-step case
				k["sampler/hmc"] = hmcVersion
			case "nuts":
				k["sampler/nuts"] = nutsVersion
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

// The kernel versions of the HMC family (3, 2, 2: n_leapfrog recorded,
// divergent states kept, dense metrics).
const (
	hmcVersion  = 3
	malaVersion = 2
	nutsVersion = 2
)

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

// resolveAdapt drops the adaptation's keys when adapt = false and checks
// the metric's and init_adapt's: the keys of the samplers without a
// trajectory length (MALA, NUTS), and HMC's with it.
func resolveAdapt(v kind.Values, given func(string) bool, _ kind.Plan) error {
	if given("init_adapt") && given("eps") {
		return kind.Errorf("eps", "init_adapt sets the step sizes: drop eps (or init_adapt)")
	}
	if !v.Bool("adapt") {
		for _, k := range []string{"target_accept", "metric"} {
			if given(k) {
				return kind.Errorf("adapt", "= false keeps the step size and metric: drop target_accept and metric, or set adapt = true")
			}
			delete(v, k)
		}
		if v.Bool("dense_metric") && !v.Has("init_adapt") {
			return kind.Errorf("dense_metric", "= true with adapt = false keeps the unit metric: set adapt = true, give init_adapt, or drop dense_metric")
		}
	} else if !v.Bool("metric") && v.Bool("dense_metric") {
		return kind.Errorf("dense_metric", "= true needs metric = true (metric = false keeps the unit metric)")
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
		Target: v.Float("target_accept"), NoMetric: !metric, Dense: v.Bool("dense_metric"), Jitter: v.Float("jitter")}
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
	init, err := readAdaptFile(e.Sampler.String("init_adapt"), tg.Dim(), o.Dense)
	if err != nil {
		return nil, err
	}
	for c := range uint64(e.Plan.Chains) {
		rng := e.Stream(mc.Moves, c)
		x0 := start(e, tg.Dim(), rng)
		cc := newContChain(e, m, c)
		cc.div = &divBuf{every: e.Plan.MeasureEvery, dim: tg.Dim()}
		if q == nil {
			h, err := hmc.New(tg, x0, o, rng)
			if err != nil {
				return nil, err
			}
			if err := setAdaptation(h, init, c); err != nil {
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
		if err := setAdaptation(h, init, c); err != nil {
			return nil, err
		}
		cc.inner, cc.pos = h, func() []float64 { return lt.Push(h.Position()) }
		b.Chains = append(b.Chains, cc)
	}
	return b, nil
}

// readAdaptFile reads init_adapt's file ("": none) for chains of a target
// of dimension dim with a dense or diagonal metric.
func readAdaptFile(path string, dim int, dense bool) (*kind.AdaptFile, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, kind.Errorf("init_adapt", "%v", err)
	}
	var f kind.AdaptFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, kind.Errorf("init_adapt", "%s is not an adaptation file (OUT/adapt/<task>.json): %v", path, err)
	}
	switch {
	case len(f.Chains) == 0:
		return nil, kind.Errorf("init_adapt", "%s holds no chains", path)
	case f.Dim != dim:
		return nil, kind.Errorf("init_adapt", "%s was adapted on a target of dimension %d, this one has %d: use the adaptation of the same model", path, f.Dim, dim)
	case f.Dense != dense:
		want := map[bool]string{true: "true", false: "false"}[f.Dense]
		return nil, kind.Errorf("init_adapt", "%s holds a %s metric: set dense_metric = %s", path, map[bool]string{true: "dense", false: "diagonal"}[f.Dense], want)
	}
	return &f, nil
}

// setAdaptation starts chain c from the file's chain c mod its chains.
func setAdaptation(h *hmc.HMC, f *kind.AdaptFile, c uint64) error {
	if f == nil {
		return nil
	}
	if err := h.SetAdaptation(f.Chains[c%uint64(len(f.Chains))]); err != nil {
		return kind.Errorf("init_adapt", "chain %d of the file: %v", c%uint64(len(f.Chains)), err)
	}
	return nil
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
			cc.div = &divBuf{every: e.Plan.MeasureEvery, dim: tg.Dim()}
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
