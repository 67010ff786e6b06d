package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/assemble"
	"github.com/mcflow/mcflow/io/ckpt"
	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/io/npy"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/model"
	"github.com/mcflow/mcflow/nf"
	"github.com/mcflow/mcflow/nf/train"
	"github.com/mcflow/mcflow/results"
)

// TrainReport is what Train did.
type TrainReport struct {
	Out      string
	Tasks    []*results.TrainTaskSummary
	Messages []string
}

// target builds a task's Boltzmann target, its lattice side (0 if none)
// and its exact ln Z when known (nil otherwise).
func target(s *job.Spec, t job.Task) (model.Target, int, func() (float64, string, error), error) {
	if s.Model.Def == nil {
		return nil, 0, nil, assemble.ErrUnregistered(s)
	}
	m, err := s.Model.Def.New(s.ModelValues(t))
	if err != nil {
		return nil, 0, nil, assemble.KeyError(s, "model", err)
	}
	c, ok := m.(kind.Continuous)
	if !ok {
		return nil, 0, nil, fmt.Errorf("model.kind = %q has no continuous target to train a flow on (kind.Continuous); the continuous kinds: %s", s.Model.Kind, strings.Join(continuousKinds(), ", "))
	}
	side := 0
	if sh, ok := m.(kind.Shaper); ok {
		if d := sh.Shape(); len(d) == 2 && d[0] == d[1] {
			side = d[0]
		}
	}
	var lnZ func() (float64, string, error)
	if z, ok := m.(kind.LogZer); ok {
		lnZ = z.LogZ
	}
	return c.Target(), side, lnZ, nil
}

// continuousKinds lists the registered model kinds with a continuous
// target at their default parameters.
func continuousKinds() []string {
	var out []string
	for _, n := range kind.ModelNames() {
		def, _ := kind.LookupModel(n)
		v := kind.Values{}
		for _, k := range def.Keys {
			if k.Default != nil {
				v[k.Name] = k.Default
			}
		}
		if m, err := def.New(v); err == nil {
			if _, ok := m.(kind.Continuous); ok {
				out = append(out, n)
			}
		}
	}
	return out
}

// Train trains one flow per task of a spec with a [train] table. It
// returns ErrStopped when ctx was cancelled (every task checkpointed).
func Train(ctx context.Context, s *job.Spec, o Options) (*TrainReport, error) {
	if s.Train == nil {
		return nil, &job.SpecError{File: s.File, Msg: "the job has no [train] table: add one (flow, epochs, batch, lr) to train a flow"}
	}
	if !h5.Available {
		return nil, fmt.Errorf("trained flows are saved as HDF5: %w", h5.ErrUnavailable)
	}
	o, out, tasks, err := prepare(s, o)
	if err != nil {
		return nil, err
	}
	lay := job.Layout{Out: out}
	var data *ad.Tensor
	for _, t := range tasks { // refuse early what would fail later
		if err := checkStages(s, t, lay); err != nil {
			return nil, err
		}
		tg, _, _, _ := target(s, t)
		if s.Train.Data != "" && data == nil {
			if data, err = readConfigs(s.Train.Data, tg.Dim()); err != nil {
				return nil, err
			}
		}
	}
	if err := lay.MkTrainDirs(); err != nil {
		return nil, err
	}
	rep := &TrainReport{Out: out}
	if o.Task < 0 {
		if err := job.WriteJobCopy(lay.JobCopy(), s, out); err != nil {
			return nil, err
		}
		if err := job.WriteTasks(lay, s); err != nil {
			return nil, err
		}
	}
	prog := newProgress(o, tasks, s, true)
	defer prog.wait()
	for _, t := range tasks {
		sum, err := trainStaged(ctx, s, t, lay, o, prog, data)
		if sum != nil {
			rep.Tasks = append(rep.Tasks, sum)
		}
		if err != nil {
			if errors.Is(err, job.ErrStopped) {
				return rep, err
			}
			return rep, fmt.Errorf("task %s: %w", t.Name(), err)
		}
		if sum.AlreadyDone {
			rep.Messages = append(rep.Messages, fmt.Sprintf("task %s was already trained (%s)", t.Name(), lay.Flow(t.Name())))
		}
		for _, w := range sum.Train.Warnings {
			rep.Messages = append(rep.Messages, fmt.Sprintf("warning: task %s: %s", t.Name(), w))
		}
	}
	if o.Task < 0 {
		prog.wait()
		all := struct {
			Name    string                      `json:"name"`
			Version string                      `json:"mcflow_version"`
			Scanned []string                    `json:"scanned"`
			Tasks   []*results.TrainTaskSummary `json:"tasks"`
		}{s.Name, job.Version, s.Scanned(), rep.Tasks}
		if err := job.WriteJSON(lay.SummaryAll(), all); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// readConfigs reads an .npy of configurations (…, dim) as rows.
func readConfigs(path string, dim int) (*ad.Tensor, error) {
	shape, data, err := npy.ReadAny(path)
	if err != nil {
		return nil, fmt.Errorf("train.data: %w", err)
	}
	n := 1
	for _, v := range shape {
		n *= v
	}
	if dim == 0 || n%dim != 0 || n == 0 {
		return nil, fmt.Errorf("train.data: %s has shape %v, which is not a stack of configurations of %d sites", path, shape, dim)
	}
	for i, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("train.data: %s has a non-finite value at flat index %d (an unfinished run's unfilled draws?)", path, i)
		}
	}
	return ad.NewTensor(data, n/dim, dim), nil
}

// trainTask trains one task's flow (one stage of it) in lay, its random
// streams named by stream.
func trainTask(ctx context.Context, s *job.Spec, t job.Task, lay job.Layout, o Options, prog progress, data *ad.Tensor, stream string) (*results.TrainTaskSummary, error) {
	name := t.Name()
	unlock, err := ckpt.Lock(lay.Lock(name), o.BreakLock)
	if err != nil {
		return nil, err
	}
	defer unlock()
	tg, l, lnZ, err := target(s, t)
	if err != nil {
		return nil, err
	}
	streams := mc.Streams{Seed: s.Seed, Task: stream, Purpose: mc.Train}
	m, err := nf.New(s.Train.FlowConfig(tg.Dim(), l), streams.Stream(0))
	if err != nil {
		return nil, err
	}
	if s.Train.Init != "" {
		if m, err = initFlow(s, m, l); err != nil {
			return nil, err
		}
		assemble.Note(o.Stderr, "mcflow: task %s: training starts from the flow %s\n", t.Name(), s.Train.Init)
	}
	topts := train.TrainOptions{Loss: train.Loss(s.Train.Loss), Batch: s.Train.Batch, LR: s.Train.LR, Workers: o.Workers,
		Streams: streams, Data: data, Epochs: s.Train.Epochs, Schedule: s.Train.Schedule, Warmup: s.Train.WarmupEpochs()}
	tr, err := train.NewTrainer(m, tg, topts)
	if err != nil {
		return nil, err
	}
	hash := s.TrainHash(t)
	path := lay.TrainCkpt(name)
	var seconds float64
	finished := false
	c, warn, err := ckpt.Load(path)
	switch {
	case errors.Is(err, ckpt.ErrNone):
	case err != nil:
		return nil, err
	default:
		if warn != "" {
			fmt.Fprintf(o.Stderr, "mcflow: warning: task %s: %s\n", name, warn)
		}
		if err := job.CheckKernels(path, c, job.TrainKernels, o.ForceSpec); err != nil {
			return nil, err
		}
		if c.SpecHash != hash && !o.ForceSpec {
			return nil, fmt.Errorf("%s was written by a different [train] or [model] (or seed): use another --out, or --force-spec to continue it with the new settings", path)
		}
		if err := tr.UnmarshalBinary(c.Blobs["trainer"]); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if tr.Epoch > s.Train.Epochs {
			return nil, fmt.Errorf("%s has trained %d epochs, the job asks for %d: epochs can grow, not shrink (use another --out)", path, tr.Epoch, s.Train.Epochs)
		}
		seconds, _ = strconv.ParseFloat(c.Meta["seconds"], 64)
		finished = c.Finished && tr.Epoch == s.Train.Epochs
	}
	save := func(done bool) error {
		blob, err := tr.MarshalBinary()
		if err != nil {
			return err
		}
		return ckpt.Write(path, &ckpt.Checkpoint{
			Manifest: ckpt.Manifest{Version: job.Version, SpecHash: hash, Task: t.Index, TaskID: t.ID, Draws: tr.Epoch, Finished: done,
				Kernels: job.TrainKernels, GOARCH: runtime.GOARCH,
				Meta: map[string]string{"kind": "train", "flow": s.Train.Flow, "epochs": strconv.Itoa(tr.Epoch),
					"seconds": strconv.FormatFloat(seconds, 'g', -1, 64)}},
			Blobs:  map[string][]byte{"trainer": blob},
			Floats: map[string][]float64{"loss": tr.Losses},
		})
	}
	if finished {
		prog.finish(name, int64(tr.Epoch))
		if sum, err := readTrainSummary(lay.Summary(name)); err == nil && fileExists(lay.Flow(name)) {
			sum.AlreadyDone = true
			return sum, nil
		}
	} else {
		prog.start(name, int64(s.Train.Epochs), int64(tr.Epoch))
		start, last := time.Now(), time.Now()
		lastEpoch := tr.Epoch
		for tr.Epoch < s.Train.Epochs {
			if ctx.Err() != nil {
				seconds += time.Since(start).Seconds()
				if err := save(false); err != nil {
					return nil, fmt.Errorf("stopping: %w", err)
				}
				prog.stop(name)
				return nil, job.ErrStopped
			}
			if _, err := tr.Step(); err != nil {
				return nil, err
			}
			prog.update(name, int64(tr.Epoch))
			cp := s.Checkpoint
			if (cp.Sweeps > 0 && tr.Epoch-lastEpoch >= cp.Sweeps) || (cp.Sweeps == 0 && time.Since(last) >= cp.Interval) {
				seconds += time.Since(start).Seconds()
				start = time.Now()
				if err := save(false); err != nil {
					return nil, err
				}
				last, lastEpoch = time.Now(), tr.Epoch
			}
		}
		seconds += time.Since(start).Seconds()
		if err := save(true); err != nil {
			return nil, err
		}
		prog.finish(name, int64(tr.Epoch))
	}
	return finishTraining(s, t, lay, o, tr, tg, lnZ, seconds, stream)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func readTrainSummary(path string) (*results.TrainTaskSummary, error) {
	var s results.TrainTaskSummary
	if err := job.ReadJSON(path, &s); err != nil {
		return nil, err
	}
	if s.Train == nil {
		return nil, fmt.Errorf("%s has no train section", path)
	}
	return &s, nil
}

// finishTraining evaluates the flow on fresh samples and writes the flow,
// the loss curve, the summary and the figure.
func finishTraining(s *job.Spec, t job.Task, lay job.Layout, o Options, tr *train.Trainer, tg model.Target, lnZ func() (float64, string, error), seconds float64, stream string) (*results.TrainTaskSummary, error) {
	name := t.Name()
	var density *results.F
	var warnings []string
	if c, ok := tr.Model.Flow.(*nf.CNF); ok {
		// The saved map's steps are chosen before the evaluation, which is of that map.
		tol := s.Train.DensityTolerance
		met := c.TuneSteps(tol, 8*s.Train.Steps, assemble.DensitySamples, o.Workers, mc.Streams{Seed: s.Seed, Task: stream + "/density", Purpose: mc.Eval})
		d := results.F(c.DensityError())
		density = &d
		if !met {
			warnings = append(warnings, fmt.Sprintf("density error %.2g nats is above density_tolerance = %g even at %d RK4 steps: flow-MH samples p·e^(−δ) with that spread; train with more steps", d, tol, c.Config().Steps))
		}
	}
	ev, err := train.Evaluate(tr.Model, tg, s.Train.EvalSamples, o.Workers, mc.Streams{Seed: s.Seed, Task: stream, Purpose: mc.Eval})
	if err != nil {
		return nil, err
	}
	ts := &results.TrainSummary{Flow: s.Train.Flow, Loss: s.Train.Loss, Epochs: tr.Epoch, EvalSamples: ev.N,
		Fq: results.F(ev.Fq.Value), FqStderr: results.F(ev.Fq.Stderr), MinusLnZ: results.F(math.NaN()), Gap: results.F(math.NaN()), GapStderr: results.F(math.NaN()),
		ESS: results.F(ev.ESSPerSample.Value), ESSStderr: results.F(ev.ESSPerSample.Stderr),
		LnZIS: results.F(ev.LogZ.Value), LnZISStderr: results.F(ev.LogZ.Stderr), Seconds: results.F(seconds), File: lay.Flow(name), Density: "exact",
		Warnings: warnings}
	if !tr.Model.Flow.Exact() {
		ts.Density = "approximate"
	}
	if density != nil {
		ts.Density, ts.DensityError, ts.RK4Steps = "rk4", density, tr.Model.Flow.Config().Steps
	}
	if len(tr.Losses) > 0 {
		ts.LossFinal = results.F(tr.Losses[len(tr.Losses)-1])
	}
	for _, p := range tr.Model.Flow.Params() {
		ts.Params += p.Value.Size()
	}
	if lnZ != nil {
		z, src, err := lnZ()
		if err != nil {
			return nil, err
		}
		ts.MinusLnZ, ts.LnZSource = results.F(-z), src
		ts.Gap, ts.GapStderr = results.F(ev.Fq.Value+z), results.F(ev.Fq.Stderr)
	}
	sum := &results.TrainTaskSummary{Task: t.Index, Name: name, Model: s.Model.Kind, Target: tg.Name(), Params: map[string]float64{}, Train: ts}
	for _, p := range t.Params {
		sum.Params[p.Name] = p.Value
	}
	attrs := h5.Attrs{"target": tg.Name(), "model": s.Model.Kind, "task": t.Index, "epochs": tr.Epoch,
		"F_q": ev.Fq.Value, "F_q_stderr": ev.Fq.Stderr, "ess_per_sample": ev.ESSPerSample.Value, "mcflow_version": job.Version}
	for _, p := range t.Params {
		attrs["param_"+p.Name] = p.Value
	}
	for k, v := range s.Model.Fixed {
		attrs["param_"+k] = fmt.Sprint(v)
	}
	if !math.IsNaN(float64(ts.MinusLnZ)) {
		attrs["minus_lnZ"] = float64(ts.MinusLnZ)
	}
	if err := nf.Save(lay.Flow(name), tr.Model, attrs); err != nil {
		return nil, err
	}
	if err := npy.WriteVector(lay.Loss(name), tr.Losses); err != nil {
		return nil, err
	}
	if err := job.WriteJSON(lay.Summary(name), sum); err != nil {
		return nil, err
	}
	if err := results.TrainPlot(lay.TrainPlot(name), tr, tg, float64(ts.MinusLnZ), mc.NewStream(s.Seed, stream, mc.Sample, 0)); err != nil {
		return nil, fmt.Errorf("figure: %w", err)
	}
	return sum, nil
}
