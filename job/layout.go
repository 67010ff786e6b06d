package job

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mcflow/mcflow/io/h5"
)

// Divergences is OUT/divergences/<task>.npy: one row per kept divergent
// transition of the recorded steps, (chain, draw, state…).
func (l Layout) Divergences(task string) string {
	return filepath.Join(l.Out, "divergences", task+".npy")
}

// Adapt is OUT/adapt/<task>.json: the adapted step sizes and metrics.
func (l Layout) Adapt(task string) string { return filepath.Join(l.Out, "adapt", task+".json") }

// OpenOutput reads the job file that `mcflow run` keeps in an output
// directory: OUT/job.toml, or the copies that the tasks and slices of an
// array run write (OUT/job/<task>.toml, OUT/slices/<task>/<slice>/job.toml),
// which must all be the same job.
func OpenOutput(out string) (*Spec, error) {
	lay := Layout{Out: out}
	var paths []string
	if _, err := os.Stat(lay.JobCopy()); err == nil {
		paths = append(paths, lay.JobCopy())
	}
	tasks, _ := filepath.Glob(filepath.Join(out, "job", "*.toml"))
	sl, _ := filepath.Glob(filepath.Join(out, "slices", "*", "*", "job.toml"))
	paths = append(append(paths, tasks...), sl...)
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s is not an mcflow output directory: no job.toml (it is written when a run starts; check the path)", out)
	}
	first, err := parseOutput(paths[0])
	if err != nil {
		return nil, err
	}
	for _, p := range paths[1:] {
		other, err := parseOutput(p)
		if err != nil {
			return nil, err
		}
		if !sameJob(first, other) {
			return nil, fmt.Errorf("%s holds the outputs of different jobs: %s and %s differ; give every run of one job its own --out", out, paths[0], p)
		}
	}
	return first, nil
}

// SameJob reports whether two job files compute the same: the same tasks
// with the same hashes, and the same number of draws.
func sameJob(a, b *Spec) bool {
	ta, tb := a.Tasks(), b.Tasks()
	if len(ta) != len(tb) || a.Draws() != b.Draws() {
		return false
	}
	for i := range ta {
		if a.Hash(ta[i]) != b.Hash(tb[i]) {
			return false
		}
	}
	return true
}

// Version is mcflow's version, recorded in checkpoints and summaries.
var Version = "0.1.0"

// ErrStopped is returned by Run when a stop was requested (signal or
// context): every running task was checkpointed at a barrier.
var ErrStopped = errors.New("stopped by request; checkpointed, run the same command again to resume")

// Layout gives the paths of a run's files.
type Layout struct{ Out string }

func (l Layout) NPYDir(task string) string    { return filepath.Join(l.Out, "npy", task) }
func (l Layout) NPY(task, name string) string { return filepath.Join(l.Out, "npy", task, name+".npy") }
func (l Layout) H5(task string) string        { return filepath.Join(l.Out, "h5", task+".h5") }
func (l Layout) Ckpt(task string) string      { return filepath.Join(l.Out, "ckpt", task+".npz") }
func (l Layout) Lock(task string) string      { return filepath.Join(l.Out, "ckpt", task+".lock") }
func (l Layout) Summary(task string) string   { return filepath.Join(l.Out, "summary", task+".json") }
func (l Layout) Results() string              { return filepath.Join(l.Out, "results.h5") }
func (l Layout) SummaryAll() string           { return filepath.Join(l.Out, "summary.json") }
func (l Layout) Plot() string                 { return filepath.Join(l.Out, "plots", "summary.png") }
func (l Layout) JobCopy() string              { return filepath.Join(l.Out, "job.toml") }
func (l Layout) TasksJSON() string            { return filepath.Join(l.Out, "tasks.json") }
func (l Layout) TaskJobCopy(task string) string {
	return filepath.Join(l.Out, "job", task+".toml")
}
func (l Layout) Configs(task string) string { return filepath.Join(l.Out, "configs", task+".npy") }
func (l Layout) AdaptedFlow(task string) string {
	return filepath.Join(l.Out, "flow", task+".adapted.h5")
}
func (l Layout) Disorder(task string) string { return filepath.Join(l.Out, "disorder", task+".npy") }
func (l Layout) Mkdirs(task string) error {
	for _, d := range []string{l.NPYDir(task), filepath.Join(l.Out, "h5"), filepath.Join(l.Out, "ckpt"), filepath.Join(l.Out, "summary"), filepath.Join(l.Out, "configs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// TaskGroup is a task's HDF5 group /<task>/obs with its parameters.
// shape is the arrays' (chain, draw) or (chain, rung, draw).
func TaskGroup(s *Spec, t Task, names []string, obs map[string][][]float64, shape []int) h5.Group {
	draws := shape[len(shape)-1]
	attrs := h5.Attrs{
		"task": t.Index, "model": s.Model.Kind, "sampler": s.Sampler.Kind, "seed": int(s.Seed),
		"chains": s.Sampler.Chains, "thermalize": s.Sampler.Thermalize, "measure_every": s.Sampler.MeasureEvery,
		"draws": draws, "mcflow_version": Version,
	}
	for _, p := range t.Params {
		if p.Int {
			attrs[p.Name] = int(p.Value)
		} else {
			attrs[p.Name] = p.Value
		}
	}
	g := h5.Group{Path: t.Name() + "/obs", Attrs: attrs}
	for _, n := range names {
		a := obs[n]
		cols := 0
		if len(a) > 0 {
			cols = len(a[0])
		}
		axes := "chain, draw"
		if len(shape) == 3 {
			axes = "chain, rung, draw"
		}
		g.Datasets = append(g.Datasets, h5.Dataset{
			Name: n, Rows: len(a), Cols: cols, Shape: shape,
			Row:   func(i int, dst []float64) error { copy(dst, a[i]); return nil },
			Attrs: h5.Attrs{"axes": axes},
		})
	}
	return g
}

// LadderGroup is a tempering task's HDF5 group /<task>/ladder: its
// inverse temperatures, dataset beta.
func LadderGroup(t Task, betas []float64) h5.Group {
	return h5.Group{Path: t.Name() + "/ladder", Datasets: []h5.Dataset{{Name: "beta", Shape: []int{len(betas)}, Data: betas}}}
}

// TaskEntry is one task of OUT/tasks.json: its position in the scan, its
// id and its parameters.
type TaskEntry struct {
	Position int                `json:"position"`
	ID       string             `json:"id"`
	Params   map[string]float64 `json:"params"`
}

// WriteTasks writes OUT/tasks.json, the job's tasks: position ↔ id ↔
// parameters (every run of the job writes the same).
func WriteTasks(lay Layout, s *Spec) error {
	var list []TaskEntry
	for _, t := range s.Tasks() {
		e := TaskEntry{Position: t.Index, ID: t.ID, Params: map[string]float64{}}
		for _, p := range t.Params {
			e.Params[p.Name] = p.Value
		}
		list = append(list, e)
	}
	return WriteJSON(lay.TasksJSON(), list)
}

// WriteJobCopy writes the job that runs in out as the job file path, its
// output directory out and its paths relative to the file's directory.
func WriteJobCopy(path string, s *Spec, out string) error {
	c := *s
	c.Output.Dir = out
	return WriteFileAtomic(path, c.TOML(filepath.Dir(path)))
}

// Paths of a training run's files (beside a sampling run's, in the same
// OUT, so that one job can train a flow and then sample with it).
func (l Layout) Flow(task string) string      { return filepath.Join(l.Out, "flow", task+".h5") }
func (l Layout) Loss(task string) string      { return filepath.Join(l.Out, "loss", task+".npy") }
func (l Layout) TrainCkpt(task string) string { return filepath.Join(l.Out, "ckpt", task+".train.npz") }
func (l Layout) TrainPlot(task string) string {
	return filepath.Join(l.Out, "plots", task+"_train.png")
}

// Stage is the output folder of a multi-stage training's stage k
// (1-based): a layout of its own (flow, loss, ckpt, summary, plots).
func (l Layout) Stage(k int) Layout {
	return Layout{Out: filepath.Join(l.Out, "stages", strconv.Itoa(k))}
}

func (l Layout) MkTrainDirs() error {
	for _, d := range []string{"flow", "loss", "ckpt", "summary", "plots"} {
		if err := os.MkdirAll(filepath.Join(l.Out, d), 0o755); err != nil {
			return fmt.Errorf("could not create output directory: %w", err)
		}
	}
	return nil
}
