package assemble

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/stats"
	"github.com/mcflow/mcflow/nf"
)

// Task is a task made ready to run: its chains and its model instance
// (what to compute from their observables).
type Task struct {
	Chains   []mc.Chain
	Replicas int   // observation blocks per element of chains: its chains (64 for the multispin engine) or rungs (a ladder)
	CfgShape []int // the shape of one configuration (configs_every)
	Names    []string
	Inst     kind.Instance
	Adapter  kind.Adapter    // adaptive flow-MH, or nil
	Ladder   []float64       // a tempering sampler's β of each rung, or nil
	Rungs    []kind.Instance // and the model at each
	rungAt   func(beta float64) (kind.Instance, error)
}

// FinalLadder returns the ladder the recorded steps used, and the model at
// each rung: the chains' own when the ladder adapted during thermalize.
func (b *Task) FinalLadder() ([]float64, []kind.Instance, error) {
	l, ok := b.Chains[0].(interface{ Betas() []float64 })
	if !ok || slices.Equal(l.Betas(), b.Ladder) || b.rungAt == nil {
		return b.Ladder, b.Rungs, nil
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

// Derived returns the model's derived quantities (none without Deriver).
func (b *Task) Derived(obs map[string][][]float64) map[string]stats.Value {
	if d, ok := b.Inst.(kind.Deriver); ok {
		return d.Derived(obs)
	}
	return map[string]stats.Value{}
}

// Exact returns the model's exact references, or nil.
func (b *Task) Exact() (map[string]float64, string) {
	if e, ok := b.Inst.(kind.Exacter); ok {
		return e.Exact()
	}
	return nil, ""
}

// Odd maps an observable odd under a symmetry that local samplers need
// not restore (the Ising model's m below T_c) to its even partner.
func (b *Task) Odd() map[string]string {
	if o, ok := b.Inst.(kind.Symmetric); ok {
		return o.Odd()
	}
	return nil
}

// ErrUnregistered explains a job of kinds this program does not have.
func ErrUnregistered(s *job.Spec) error {
	what := fmt.Sprintf("model.kind = %q", s.Model.Kind)
	if s.Model.Def != nil {
		what = fmt.Sprintf("sampler.kind = %q", s.Sampler.Kind)
	}
	return &job.SpecError{File: s.File, Msg: what + " is not registered in this program: the job was run by another program (a user's program built on mcflow's cli.Main); run this command with that program"}
}

// Instance builds a task's model and checks that the sampler applies.
func Instance(s *job.Spec, t job.Task) (kind.Instance, error) {
	if s.Model.Def == nil || s.Sampler.Def == nil {
		return nil, ErrUnregistered(s)
	}
	m, err := newModel(s, s.ModelValues(t))
	if err != nil {
		return nil, err
	}
	if err := s.Sampler.Def.Accepts(m, s.Sampler.Values); err != nil {
		var ke *kind.KeyError
		if errors.As(err, &ke) {
			return nil, KeyError(s, "", err)
		}
		return nil, &job.SpecError{File: s.File, Key: "sampler.kind", Msg: fmt.Sprintf("= %q does not apply to model.kind = %q: %v", s.Sampler.Kind, s.Model.Kind, err)}
	}
	return m, nil
}

// KeyError makes a kind's *KeyError a SpecError at its key (table ""
// finds the table: the model's keys, else the sampler's).
func KeyError(s *job.Spec, table string, err error) error {
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
	return &job.SpecError{File: s.File, Key: table + "." + ke.Key, Msg: ke.Msg}
}

// Observables returns the names of what a task records, or an error if
// the task cannot be built, without allocating any chain.
func Observables(s *job.Spec, t job.Task) ([]string, error) {
	m, err := Instance(s, t)
	if err != nil {
		return nil, err
	}
	obs := m.Observables()
	return append(obs[:len(obs):len(obs)], s.Sampler.Def.SeriesOf(s.Sampler.Values)...), nil
}

// New creates the chains of a task, each seeded from (seed, task, chain).
// lay locates a flow trained by the job itself.
func New(s *job.Spec, t job.Task, lay job.Layout, workers int, stderr io.Writer) (*Task, error) {
	names, err := Observables(s, t)
	if err != nil {
		return nil, err
	}
	m, _ := Instance(s, t)
	env := &kind.Env{Seed: s.Seed, Task: t.Name(), Plan: s.Sampler.Plan(), Sampler: s.Sampler.Values,
		Configs: s.Output.ConfigsEvery > 0, Workers: max(workers, 1),
		Flow:    func(dim int) (*nf.Model, error) { return loadFlow(s, t, flowPath(s, t, lay), dim, m, workers, stderr) },
		ModelAt: func(key string, v float64) (kind.Instance, error) { return ModelAt(s, t, key, v) }}
	bt, err := s.Sampler.Def.Build(env, m)
	if err != nil {
		return nil, KeyError(s, "sampler", err)
	}
	replicas := s.Sampler.Unit()
	if bt.Ladder != nil {
		if replicas != 1 || len(bt.Rungs) != len(bt.Ladder) {
			return nil, fmt.Errorf("sampler %q built a ladder of %d rungs (%d models) with Unit %d, want a model per rung and Unit 1", s.Sampler.Kind, len(bt.Ladder), len(bt.Rungs), replicas)
		}
		replicas = len(bt.Ladder)
	}
	return &Task{Chains: bt.Chains, Replicas: replicas, CfgShape: bt.Config, Names: names, Inst: m, Adapter: bt.Adapter,
		Ladder: bt.Ladder, Rungs: bt.Rungs, rungAt: bt.Rung}, nil
}

// ModelAt builds a task's model with one numeric key set to v.
func ModelAt(s *job.Spec, t job.Task, key string, v float64) (kind.Instance, error) {
	i := slices.IndexFunc(s.Model.Def.Keys, func(k kind.Key) bool { return k.Name == key })
	if i < 0 || !s.Model.Def.Keys[i].Numeric() {
		return nil, kind.ErrNoKey
	}
	k := s.Model.Def.Keys[i]
	if msg := k.CheckNumber(v); msg != "" {
		return nil, &job.SpecError{File: s.File, Key: "sampler.betas", Msg: fmt.Sprintf("has %v: model.%s: %s", v, key, msg)}
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
func newModel(s *job.Spec, vals kind.Values) (kind.Instance, error) {
	m, err := s.Model.Def.New(vals)
	if err != nil {
		return nil, KeyError(s, "model", err)
	}
	if q, ok := m.(kind.Quenched); ok {
		if err := q.Quench(s.Seed); err != nil {
			return nil, KeyError(s, "model", err)
		}
	}
	return m, nil
}

// flowPath is the sampler's flow: its flow key, or the flow the job's own
// [train] table trained for the task.
func flowPath(s *job.Spec, t job.Task, lay job.Layout) string {
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
func loadFlow(s *job.Spec, t job.Task, path string, dim int, inst kind.Instance, workers int, stderr io.Writer) (*nf.Model, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, &job.SpecError{File: s.File, Key: "sampler.flow", Msg: fmt.Sprintf("%s does not exist: train one with `mcflow train` (it writes OUT/flow/<task>.h5)", path)}
	}
	side := int(math.Round(math.Sqrt(float64(dim))))
	if side*side != dim {
		side = 0
	}
	m, err := nf.Load(path, 0)
	if err == nil && side > 0 && m.Flow.Config().L > 0 && m.Flow.Config().L != side {
		trained := m.Flow.Config().L
		if m, err = nf.Load(path, side); err == nil {
			Note(stderr, "mcflow: task %s: the flow %s was trained on a %d×%d lattice and is carried over to %d×%d\n", t.Name(), path, trained, trained, side, side)
		}
	}
	if err != nil {
		return nil, &job.SpecError{File: s.File, Key: "sampler.flow", Msg: err.Error()}
	}
	if m.Dim() != dim {
		return nil, &job.SpecError{File: s.File, Key: "sampler.flow", Msg: fmt.Sprintf("%s is a flow of dimension %d; the target of model.kind = %q has dimension %d", path, m.Dim(), s.Model.Kind, dim)}
	}
	if c, ok := inst.(kind.Continuous); ok {
		if trained, err := flowTarget(path); err == nil && trained != c.Target().Name() {
			Note(stderr, "mcflow: task %s: the flow %s was trained on %q and is used on %q\n", t.Name(), path, trained, c.Target().Name())
		}
	}
	// A Monge–Ampère flow is used in exact mode: the same map, with the
	// exact density of the discrete RK4 map.
	m = m.WithExactDensity()
	if c, ok := m.Flow.(*nf.CNF); ok && c.DensityError() == 0 {
		c.SetDensityError(c.MeasureDensityError(DensitySamples, workers, mc.Streams{Seed: s.Seed, Task: t.Name() + "/density", Purpose: mc.Eval}))
	}
	if d, ok := m.DensityError(); ok && d > 0 {
		Note(stderr, "mcflow: task %s: the %s flow's ln q is its RK4 density: off from its map's by δ(x) with a measured spread of %.2g nats, so the chain samples p·e^(−δ) (docs/flows.md)\n", t.Name(), m.Flow.Config().Kind, d)
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

func Note(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}

// DensitySamples is the number of draws on which a cnf flow's density
// error is measured.
const DensitySamples = 1000
