package jobs

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/stats"
	"github.com/mcflow/mcflow/nf"
)

// built is a task made ready to run: its chains and its model instance
// (what to compute from their observables).
type built struct {
	chains   []mc.Chain
	replicas int   // observation blocks per element of chains: its chains (64 for the multispin engine) or rungs (a ladder)
	cfgShape []int // the shape of one configuration (configs_every)
	names    []string
	inst     kind.Instance
	adapter  kind.Adapter    // adaptive flow-MH, or nil
	ladder   []float64       // a tempering sampler's β of each rung, or nil
	rungs    []kind.Instance // and the model at each
	rungAt   func(beta float64) (kind.Instance, error)
}

// finalLadder returns the ladder the recorded steps used, and the model at
// each rung: the chains' own when the ladder adapted during thermalize.
func (b *built) finalLadder() ([]float64, []kind.Instance, error) {
	l, ok := b.chains[0].(interface{ Betas() []float64 })
	if !ok || slices.Equal(l.Betas(), b.ladder) || b.rungAt == nil {
		return b.ladder, b.rungs, nil
	}
	betas := slices.Clone(l.Betas())
	var rungs []kind.Instance
	for _, beta := range betas {
		m, err := b.rungAt(beta)
		if err != nil {
			return nil, nil, err
		}
		rungs = append(rungs, m)
	}
	return betas, rungs, nil
}

// derived returns the model's derived quantities (none without Deriver).
func (b *built) derived(obs map[string][][]float64) map[string]stats.Value {
	if d, ok := b.inst.(kind.Deriver); ok {
		return d.Derived(obs)
	}
	return map[string]stats.Value{}
}

// exact returns the model's exact references, or nil.
func (b *built) exact() (map[string]float64, string) {
	if e, ok := b.inst.(kind.Exacter); ok {
		return e.Exact()
	}
	return nil, ""
}

// odd maps an observable odd under a symmetry that local samplers need
// not restore (the Ising model's m below T_c) to its even partner.
func (b *built) odd() map[string]string {
	if o, ok := b.inst.(kind.Symmetric); ok {
		return o.Odd()
	}
	return nil
}

// errUnregistered explains a job of kinds this program does not have.
func errUnregistered(s *Spec) error {
	what := fmt.Sprintf("model.kind = %q", s.Model.Kind)
	if s.Model.Def != nil {
		what = fmt.Sprintf("sampler.kind = %q", s.Sampler.Kind)
	}
	return &SpecError{File: s.File, Msg: what + " is not registered in this program: the job was run by another program (a user's program built on mcflow's cli.Main); run this command with that program"}
}

// instance builds a task's model and checks that the sampler applies.
func instance(s *Spec, t Task) (kind.Instance, error) {
	if s.Model.Def == nil || s.Sampler.Def == nil {
		return nil, errUnregistered(s)
	}
	m, err := newModel(s, s.ModelValues(t))
	if err != nil {
		return nil, err
	}
	if err := s.Sampler.Def.Accepts(m, s.Sampler.Values); err != nil {
		var ke *kind.KeyError
		if errors.As(err, &ke) {
			return nil, keyError(s, "", err)
		}
		return nil, &SpecError{File: s.File, Key: "sampler.kind", Msg: fmt.Sprintf("= %q does not apply to model.kind = %q: %v", s.Sampler.Kind, s.Model.Kind, err)}
	}
	return m, nil
}

// keyError makes a kind's *KeyError a SpecError at its key (table ""
// finds the table: the model's keys, else the sampler's).
func keyError(s *Spec, table string, err error) error {
	var ke *kind.KeyError
	if !errors.As(err, &ke) {
		return err
	}
	if table == "" {
		table = "sampler"
		for _, k := range s.Model.Def.Keys {
			if k.Name == ke.Key {
				table = "model"
			}
		}
	}
	return &SpecError{File: s.File, Key: table + "." + ke.Key, Msg: ke.Msg}
}

// observables returns the names of what a task records, or an error if
// the task cannot be built, without allocating any chain.
func observables(s *Spec, t Task) ([]string, error) {
	m, err := instance(s, t)
	if err != nil {
		return nil, err
	}
	obs := m.Observables()
	return append(obs[:len(obs):len(obs)], s.Sampler.Def.SeriesOf(s.Sampler.Values)...), nil
}

// recorded returns the names of a task's recorded series: from its kinds
// when this program has them, else from its summary (the output of
// another program, read by merge and export).
func recorded(s *Spec, t Task, lay Layout) ([]string, error) {
	if s.Model.Def != nil && s.Sampler.Def != nil {
		return observables(s, t)
	}
	sum, err := readSummary(lay.Summary(t.Name()))
	if err != nil || len(sum.Recorded) == 0 {
		return nil, errUnregistered(s)
	}
	return sum.Recorded, nil
}

// build creates the chains of a task, each seeded from (seed, task, chain).
// lay locates a flow trained by the job itself.
func build(s *Spec, t Task, lay Layout, workers int, stderr io.Writer) (*built, error) {
	names, err := observables(s, t)
	if err != nil {
		return nil, err
	}
	m, _ := instance(s, t)
	env := &kind.Env{Seed: s.Seed, Task: t.Name(), Plan: s.Sampler.Plan(), Sampler: s.Sampler.Values,
		Configs: s.Output.ConfigsEvery > 0, Workers: max(workers, 1),
		Flow:    func(dim int) (*nf.Model, error) { return loadFlow(s, t, flowPath(s, t, lay), dim, m, workers, stderr) },
		ModelAt: func(key string, v float64) (kind.Instance, error) { return modelAt(s, t, key, v) }}
	bt, err := s.Sampler.Def.Build(env, m)
	if err != nil {
		return nil, keyError(s, "sampler", err)
	}
	replicas := s.Sampler.Unit()
	if bt.Ladder != nil {
		if replicas != 1 || len(bt.Rungs) != len(bt.Ladder) {
			return nil, fmt.Errorf("sampler %q built a ladder of %d rungs (%d models) with Unit %d, want a model per rung and Unit 1", s.Sampler.Kind, len(bt.Ladder), len(bt.Rungs), replicas)
		}
		replicas = len(bt.Ladder)
	}
	return &built{chains: bt.Chains, replicas: replicas, cfgShape: bt.Config, names: names, inst: m, adapter: bt.Adapter,
		ladder: bt.Ladder, rungs: bt.Rungs, rungAt: bt.Rung}, nil
}

// modelAt builds a task's model with one numeric key set to v.
func modelAt(s *Spec, t Task, key string, v float64) (kind.Instance, error) {
	i := slices.IndexFunc(s.Model.Def.Keys, func(k kind.Key) bool { return k.Name == key })
	if i < 0 || !s.Model.Def.Keys[i].Numeric() {
		return nil, kind.ErrNoKey
	}
	k := s.Model.Def.Keys[i]
	if msg := k.CheckNumber(v); msg != "" {
		return nil, &SpecError{File: s.File, Key: "sampler.betas", Msg: fmt.Sprintf("has %v: model.%s: %s", v, key, msg)}
	}
	vals := s.ModelValues(t)
	vals[key] = v
	if k.Type == kind.Int {
		vals[key] = int(v)
	}
	return newModel(s, vals)
}

// newModel builds the model at these values, its quenched randomness
// drawn (kind.Quenched).
func newModel(s *Spec, vals kind.Values) (kind.Instance, error) {
	m, err := s.Model.Def.New(vals)
	if err != nil {
		return nil, keyError(s, "model", err)
	}
	if q, ok := m.(kind.Quenched); ok {
		if err := q.Quench(s.Seed); err != nil {
			return nil, keyError(s, "model", err)
		}
	}
	return m, nil
}

// flowPath is the sampler's flow: its flow key, or the flow the job's own
// [train] table trained for the task.
func flowPath(s *Spec, t Task, lay Layout) string {
	if p := s.Sampler.Values.String("flow"); p != "" {
		return p
	}
	return lay.Flow(t.Name())
}

// loadFlow reads the sampler's flow and checks it against the target.
// A lattice flow trained on another size is carried over (nf.Resize) and
// a flow trained on another target says so. A flow whose ln q is
// integrated (cnf) is accepted with its measured density error, measured
// again here when it was carried over.
func loadFlow(s *Spec, t Task, path string, dim int, inst kind.Instance, workers int, stderr io.Writer) (*nf.Model, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, &SpecError{File: s.File, Key: "sampler.flow", Msg: fmt.Sprintf("%s does not exist: train one with `mcflow train` (it writes OUT/flow/<task>.h5)", path)}
	}
	side := int(math.Round(math.Sqrt(float64(dim))))
	if side*side != dim {
		side = 0
	}
	m, err := nf.Load(path, 0)
	if err == nil && side > 0 && m.Flow.Config().L > 0 && m.Flow.Config().L != side {
		trained := m.Flow.Config().L
		if m, err = nf.Load(path, side); err == nil {
			note(stderr, "mcflow: task %s: the flow %s was trained on a %d×%d lattice and is carried over to %d×%d\n", t.Name(), path, trained, trained, side, side)
		}
	}
	if err != nil {
		return nil, &SpecError{File: s.File, Key: "sampler.flow", Msg: err.Error()}
	}
	if m.Dim() != dim {
		return nil, &SpecError{File: s.File, Key: "sampler.flow", Msg: fmt.Sprintf("%s is a flow of dimension %d; the target of model.kind = %q has dimension %d", path, m.Dim(), s.Model.Kind, dim)}
	}
	if c, ok := inst.(kind.Continuous); ok {
		if trained, err := flowTarget(path); err == nil && trained != c.Target().Name() {
			note(stderr, "mcflow: task %s: the flow %s was trained on %q and is used on %q\n", t.Name(), path, trained, c.Target().Name())
		}
	}
	// A Monge–Ampère flow is used in exact mode: the same map, with the
	// exact density of the discrete RK4 map.
	m = m.WithExactDensity()
	if c, ok := m.Flow.(*nf.CNF); ok && c.DensityError() == 0 {
		c.SetDensityError(c.MeasureDensityError(densitySamples, workers, mc.Streams{Seed: s.Seed, Task: t.Name() + "/density", Purpose: mc.Eval}))
	}
	if d, ok := m.DensityError(); ok && d > 0 {
		note(stderr, "mcflow: task %s: the %s flow's ln q is its RK4 density: off from its map's by δ(x) with a measured spread of %.2g nats, so the chain samples p·e^(−δ) (docs/flows.md)\n", t.Name(), m.Flow.Config().Kind, d)
	}
	return m, nil
}

// flowTarget is the name of the target a flow file was trained on.
func flowTarget(path string) (string, error) {
	f, err := h5.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return f.AttrString("/", "target")
}

func note(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}
