package runner

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/nf"
	"github.com/mcflow/mcflow/results"
)

// stageSpec is the spec and task of stage k (1-based) of s's training:
// the stage's model values set, its epochs, the earlier stages (which
// its hash sees) and the flow it starts from; k = len(Stages)+1 is the
// final stage (s's own model and epochs).
func stageSpec(s *job.Spec, t job.Task, lay job.Layout, k int) (*job.Spec, job.Task) {
	n := len(s.Train.Stages)
	if n == 0 {
		return s, t
	}
	ss, tr := *s, *s.Train
	ss.Train = &tr
	tr.Stages = s.Train.Stages[:k-1]
	if k > 1 {
		tr.Init = lay.Stage(k - 1).Flow(t.Name())
		tr.InitSum = fmt.Sprintf("stage %d, from %q", k-1, s.Train.InitSum)
	}
	if k > n { // the final stage: the job's own model and epochs
		return &ss, t
	}
	st := s.Train.Stages[k-1]
	tr.Epochs = st.Epochs
	if st.LR != 0 {
		tr.LR = st.LR
	}
	ss.Model.Fixed = maps.Clone(s.Model.Fixed)
	st2 := job.Task{Index: t.Index, ID: t.ID, Params: slices.Clone(t.Params)}
	for name, v := range st.Values {
		if i := slices.IndexFunc(st2.Params, func(p job.NamedValue) bool { return p.Name == name }); i >= 0 {
			st2.Params[i].Value = kind.Values{name: v}.Float(name)
		} else {
			ss.Model.Fixed[name] = v
		}
	}
	return &ss, st2
}

// stageProgress shows a stage's epochs as part of its task's whole
// training: offset epochs of earlier stages, total of all stages.
type stageProgress struct {
	progress
	offset, total int64
	final         bool
}

func (p stageProgress) start(task string, _, done int64) {
	p.progress.start(task, p.total, p.offset+done)
}
func (p stageProgress) update(task string, done int64) { p.progress.update(task, p.offset+done) }
func (p stageProgress) finish(task string, done int64) {
	if p.final {
		p.progress.finish(task, p.offset+done)
		return
	}
	p.progress.update(task, p.offset+done)
}

// trainStaged trains a task through its stages: each earlier stage under
// OUT/stages/<k>/ (a finished stage is kept, an interrupted one resumes
// from its checkpoint), then the final stage in OUT.
func trainStaged(ctx context.Context, s *job.Spec, t job.Task, lay job.Layout, o Options, prog progress, data *ad.Tensor) (*results.TrainTaskSummary, error) {
	n := len(s.Train.Stages)
	if n == 0 {
		return trainTask(ctx, s, t, lay, o, prog, data, t.Name())
	}
	total := int64(s.Train.Epochs)
	for _, st := range s.Train.Stages {
		total += int64(st.Epochs)
	}
	var offset int64
	for k := 1; k <= n; k++ {
		ss, st := stageSpec(s, t, lay, k)
		sl := lay.Stage(k)
		if err := sl.MkTrainDirs(); err != nil {
			return nil, err
		}
		sp := stageProgress{progress: prog, offset: offset, total: total}
		if _, err := trainTask(ctx, ss, st, sl, o, sp, data, fmt.Sprintf("%s/stage%d", t.Name(), k)); err != nil {
			return nil, fmt.Errorf("stage %d of %d: %w", k, n+1, err)
		}
		offset += int64(ss.Train.Epochs)
	}
	fs, ft := stageSpec(s, t, lay, n+1)
	return trainTask(ctx, fs, ft, lay, o, stageProgress{progress: prog, offset: offset, total: total, final: true}, data, t.Name())
}

// initFlow reads train.init for a target of side l (0: not a lattice),
// carried over to that side, and checks that its architecture is the one
// [train] asks for.
func initFlow(s *job.Spec, want *nf.Model, l int) (*nf.Model, error) {
	path := s.Train.Init
	m, err := nf.Load(path, l)
	if err != nil {
		return nil, &job.SpecError{File: s.File, Key: "train.init", Msg: err.Error()}
	}
	a, b := m.Flow.Config(), want.Flow.Config()
	if a.TrainSteps > 0 { // a cnf sampled with more steps than it was trained with
		a.Steps = a.TrainSteps
	}
	a.DensityError, a.TrainSteps = 0, 0
	if diff := configDiff(a, b); len(diff) > 0 || m.Sym != want.Sym {
		return nil, &job.SpecError{File: s.File, Key: "train.init", Msg: fmt.Sprintf("%s has another architecture than [train] asks for (%v; symmetric %q, want %q): set [train]'s architecture keys to the flow's", path, diff, m.Sym, want.Sym)}
	}
	if err := want.LoadParams(m); err != nil {
		return nil, &job.SpecError{File: s.File, Key: "train.init", Msg: err.Error()}
	}
	return want, nil
}

// configDiff lists the fields in which two flow architectures differ, as
// "Field = a, want b".
func configDiff(got, want nf.Config) []string {
	var out []string
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range g.NumField() {
		if !reflect.DeepEqual(g.Field(i).Interface(), w.Field(i).Interface()) {
			out = append(out, fmt.Sprintf("%s = %v, want %v", g.Type().Field(i).Name, g.Field(i).Interface(), w.Field(i).Interface()))
		}
	}
	return out
}

// checkStages refuses early what a task's training would fail on: a
// stage's model values, the flow's architecture at each stage's size, and
// an init flow of another architecture.
func checkStages(s *job.Spec, t job.Task, lay job.Layout) error {
	for k := 1; k <= len(s.Train.Stages)+1; k++ {
		ss, st := stageSpec(s, t, lay, k)
		key := "model"
		if k <= len(s.Train.Stages) {
			key = fmt.Sprintf("train.stage[%d]", k)
		}
		tg, l, _, err := target(ss, st)
		if err != nil {
			return &job.SpecError{File: s.File, Key: key, Msg: fmt.Sprintf("task %s: %v", t.Name(), err)}
		}
		c := ss.Train.FlowConfig(tg.Dim(), l)
		if err := c.Validate(); err != nil {
			return &job.SpecError{File: s.File, Key: "train", Msg: fmt.Sprintf("task %s: %v", t.Name(), err)}
		}
		if k == 1 && ss.Train.Init != "" {
			m, err := nf.New(c, mc.NewPCG(0, 0))
			if err != nil {
				return err
			}
			if _, err := initFlow(ss, m, l); err != nil {
				return err
			}
		}
	}
	return nil
}
