package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/mcflow/mcflow/assemble"
	"github.com/mcflow/mcflow/internal/crash"
	"github.com/mcflow/mcflow/io/ckpt"
	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/io/npy"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/results"
)

// Options are the run-time settings that do not change results.
type Options struct {
	Out       string // output directory ("" = the spec's)
	Workers   int    // < 1: DefaultWorkers()
	Task      int    // run only this task; < 0: all
	TaskCount int    // with Task >= 0: run this many tasks from Task on (0 and 1: one)
	ForceSpec bool   // accept a checkpoint written for a different spec
	BreakLock bool   // take the task's lock whoever holds it
	// Slice runs only these chains of task Task (an array index of
	// `mcflow slurm --chains-per-task`), in OUT/slices/<task>/<slice>/.
	Slice *job.Slicing

	Stdout io.Writer // summary table and messages
	Stderr io.Writer // progress and warnings
	// Progress: "auto" (bars on a terminal, plain lines otherwise),
	// "bar", "plain" or "none". PlainEvery is the plain line interval.
	Progress   string
	PlainEvery time.Duration
	// BlockTarget is the wall time of one block between barriers (how soon
	// a stop request is honoured); 0 means 100ms.
	BlockTarget time.Duration
}

// DefaultWorkers is the number of CPUs this process may use: the
// affinity mask, or SLURM_CPUS_PER_TASK under SLURM.
func DefaultWorkers() int {
	if v, err := strconv.Atoi(os.Getenv("SLURM_CPUS_PER_TASK")); err == nil && v > 0 {
		return v
	}
	return numCPU()
}

// Run runs the tasks of a spec. It returns ErrStopped when ctx was
// cancelled (every task checkpointed).
func Run(ctx context.Context, s *job.Spec, o Options) (*results.Report, error) {
	o, out, tasks, err := prepare(s, o)
	if err != nil {
		return nil, err
	}
	lay := job.Layout{Out: out}
	// Refuse early what would fail later: models that cannot be built.
	for _, t := range tasks {
		if _, err := assemble.Observables(s, t); err != nil {
			return nil, fmt.Errorf("task %s: %w", t.Name(), err)
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("could not create output directory: %w", err)
	}
	rep := &results.Report{Out: out, AllTasks: o.Task < 0}
	// The job file beside the results, for merge, status and export; a task
	// or slice of an array writes its own copy (touching only its files).
	jobCopy := lay.JobCopy()
	switch {
	case o.Slice != nil:
		jobCopy = job.Layout{Out: lay.SliceDir(tasks[0].Name(), o.Slice.Slice)}.JobCopy()
	case o.Task >= 0:
		jobCopy = lay.TaskJobCopy(tasks[0].Name())
	}
	if err := job.WriteJobCopy(jobCopy, s, out); err != nil {
		return nil, err
	}
	if o.Task < 0 { // an array task touches only its own files; merge writes it
		if err := job.WriteTasks(lay, s); err != nil {
			return nil, err
		}
	}
	// A job with a [train] table and a flow sampler without a flow file
	// trains its flows first (OUT/flow/<task>.h5), then samples with them.
	// A slice trains its own copy (the same bits) in its directory.
	if s.TrainsFlow() {
		to := o
		if o.Slice != nil {
			to.Out = lay.SliceDir(tasks[0].Name(), o.Slice.Slice)
		}
		trep, err := Train(ctx, s, to)
		if trep != nil {
			rep.Messages = append(rep.Messages, trep.Messages...)
		}
		if err != nil {
			return rep, err
		}
	}
	prog := newProgress(o, tasks, s, false)
	defer prog.wait()
	for _, t := range tasks {
		sum, err := runTask(ctx, s, t, lay, o, prog)
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
			rep.Messages = append(rep.Messages, fmt.Sprintf("task %s was already finished (%s)", t.Name(), lay.Summary(t.Name())))
		}
	}
	rep.Finished = true
	if rep.AllTasks {
		prog.wait()
		arts, err := results.WriteRunOutputs(s, lay, rep)
		rep.Artifacts = arts
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// blockMean is the mean of observable j over a block's chains and rounds
// (NaN values skipped).
func blockMean(blk mc.Block, per, j int) float64 {
	var sum float64
	var n int
	for _, buf := range blk.Obs {
		for i := range blk.Rounds {
			if v := buf[i*per+j]; !math.IsNaN(v) {
				sum += v
				n++
			}
		}
	}
	return sum / float64(n)
}

// prepare fills the options' defaults and returns the output directory
// and the tasks to run (all, or the one of --task).
func prepare(s *job.Spec, o Options) (Options, string, []job.Task, error) {
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if o.Workers < 1 {
		o.Workers = DefaultWorkers()
	}
	out := s.Output.Dir
	if o.Out != "" {
		out = o.Out
	}
	tasks := s.Tasks()
	if o.Slice != nil && o.Task < 0 {
		return o, "", nil, errors.New("a slice of chains needs its task (--array-index, or --task with --slice)")
	}
	if o.Task >= len(tasks) {
		return o, "", nil, &job.SpecError{File: s.File, Msg: fmt.Sprintf("--task %d: the job has %d tasks (0..%d); `mcflow tasks` lists them", o.Task, len(tasks), len(tasks)-1)}
	}
	if o.Task >= 0 {
		tasks = tasks[o.Task:min(o.Task+max(o.TaskCount, 1), len(tasks))]
	}
	return o, out, tasks, nil
}

// taskRun is the state of one task being run.
type taskRun struct {
	s     *job.Spec
	t     job.Task
	lay   job.Layout
	o     Options
	b     *assemble.Task
	plan  mc.Plan
	files []*npy.File
	hash  string
	slice *job.Slicing // nil: the whole task
	adapt *adaptState  // adaptive flow-MH, or nil

	seconds   float64 // compute time of earlier segments
	lastCkpt  time.Time
	lastSteps int64
}

func runTask(ctx context.Context, s *job.Spec, t job.Task, lay job.Layout, o Options, prog progress) (*results.TaskSummary, error) {
	name := t.Name()
	if o.Slice != nil {
		lay = job.Layout{Out: lay.SliceDir(name, o.Slice.Slice)}
	}
	if err := lay.Mkdirs(name); err != nil {
		return nil, fmt.Errorf("could not create output directories: %w", err)
	}
	unlock, err := ckpt.Lock(lay.Lock(name), o.BreakLock)
	if err != nil {
		return nil, err
	}
	defer unlock()

	b, err := assemble.New(s, t, lay, o.Workers, o.Stderr)
	if err != nil {
		return nil, err
	}
	if sl := o.Slice; sl != nil {
		u := s.Sampler.Unit()
		b.Chains = b.Chains[sl.Lo/u : sl.Hi/u]
	}
	r := &taskRun{s: s, t: t, lay: lay, o: o, b: b, hash: job.SliceHash(s.Hash(t), o.Slice), slice: o.Slice,
		plan: mc.Plan{Thermalize: s.Sampler.Thermalize, Draws: s.Draws(), MeasureEvery: s.Sampler.MeasureEvery}}
	r.adapt = newAdapt(b)
	from, done, err := r.resume()
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, f := range r.files {
			f.Close()
		}
	}()
	if done {
		prog.finish(name, from.Steps(r.plan))
		sum, err := results.ReadSummary(lay.Summary(name))
		if _, h5err := os.Stat(lay.H5(name)); err != nil || (s.HDF5() && o.Slice == nil && h5err != nil) {
			// Finished, but the summary or the HDF5 file is missing
			// (deleted, or HDF5 asked for only now): write them.
			sum, err = r.finish(from)
			if err != nil {
				return nil, err
			}
		}
		sum.AlreadyDone = true
		return sum, nil
	}

	start := time.Now()
	r.lastCkpt, r.lastSteps = start, from.Steps(r.plan)
	prog.start(name, mc.Progress{Thermalized: r.plan.Thermalize, Draws: r.plan.Draws}.Steps(r.plan), from.Steps(r.plan))
	// A pool chain is a unit of b.replicas chains (64 for the multispin
	// engine) whose observables come replica by replica.
	nobs := len(b.Names)
	// With configs_every = k, a chain's observations end with its
	// configuration (ncfg values), saved for draws 0, k, 2k, … .
	k, ncfg := s.Output.ConfigsEvery, r.configSize()
	per := nobs*b.Replicas + ncfg
	pool := &mc.Pool{Chains: b.Chains, Workers: o.Workers, NObs: per, Target: o.BlockTarget}
	column := make([]float64, 0, 1024)
	barrier := func(p mc.Progress, blk mc.Block) error {
		for c, buf := range blk.Obs {
			for rep := range b.Replicas {
				for j := range nobs {
					column = column[:0]
					for i := range blk.Rounds {
						column = append(column, buf[i*per+rep*nobs+j])
					}
					if err := r.files[j].WriteRow(c*b.Replicas+rep, blk.From, column); err != nil {
						return fmt.Errorf("could not write %s: %w", lay.NPY(name, b.Names[j]), err)
					}
				}
			}
			for i := range blk.Rounds {
				if d := blk.From + i; ncfg > 0 && d%k == 0 {
					if err := r.files[nobs].WriteRow(c, d/k*ncfg, buf[i*per+nobs:i*per+nobs+ncfg]); err != nil {
						return fmt.Errorf("could not write %s: %w", lay.Configs(name), err)
					}
				}
			}
		}
		if acc := slices.Index(b.Names, "accept"); acc >= 0 {
			prog.annotate(name, fmt.Sprintf("accept %.3f", blockMean(blk, per, acc)))
		}
		steps := p.Steps(r.plan)
		prog.update(name, steps)
		if r.checkpointDue(steps) && !p.Done(r.plan) {
			r.seconds += time.Since(start).Seconds()
			start = time.Now()
			return r.checkpoint(p, false)
		}
		return nil
	}
	final := from
	if r.adapt != nil {
		final, err = r.adapt.thermalize(ctx, r, pool, from, barrier)
	}
	if err == nil {
		final, err = pool.Run(ctx, r.plan, final, barrier)
	}
	r.seconds += time.Since(start).Seconds()
	if errors.Is(err, mc.ErrStopped) {
		if cerr := r.checkpoint(final, false); cerr != nil {
			return nil, fmt.Errorf("stopping: %w", cerr)
		}
		prog.stop(name)
		return nil, job.ErrStopped
	}
	if err != nil {
		return nil, err
	}
	if err := r.checkpoint(final, true); err != nil {
		return nil, err
	}
	crash.Point("task-finished", nil)
	prog.finish(name, final.Steps(r.plan))
	return r.finish(final)
}

func (r *taskRun) checkpointDue(steps int64) bool {
	if c := r.s.Checkpoint; c.Sweeps > 0 {
		return steps-r.lastSteps >= int64(c.Sweeps)
	}
	return time.Since(r.lastCkpt) >= r.s.Checkpoint.Interval
}

// resume loads the task's checkpoint, if any, restores the chains and opens
// the result files cut back to the checkpoint's offsets; without one it
// creates fresh files.
func (r *taskRun) resume() (from mc.Progress, done bool, err error) {
	name := r.t.Name()
	path := r.lay.Ckpt(name)
	c, warn, err := ckpt.Load(path)
	if errors.Is(err, ckpt.ErrNone) {
		return mc.Progress{}, false, r.createFiles()
	}
	if err != nil {
		return from, false, err
	}
	if warn != "" {
		fmt.Fprintf(r.o.Stderr, "mcflow: warning: task %s: %s\n", name, warn)
	}
	if err := job.CheckKernels(path, c, r.s.Kernels(), r.o.ForceSpec); err != nil {
		return from, false, err
	}
	if c.SpecHash != r.hash && !r.o.ForceSpec {
		return from, false, fmt.Errorf("%s was written by a different job (seed, model, sampler, chains, thermalize, measure_every or start differ): "+
			"use another --out, or --force-spec to continue this checkpoint with the new settings", path)
	}
	if c.Chains != len(r.b.Chains) {
		return from, false, fmt.Errorf("%s holds %d chains, the job's task %s has %d; use another --out", path, c.Chains, name, len(r.b.Chains))
	}
	if c.Draws > 0 && c.Thermalized != r.plan.Thermalize {
		return from, false, fmt.Errorf("%s recorded draws after %d thermalisation steps; thermalize = %d cannot apply any more (use another --out)", path, c.Thermalized, r.plan.Thermalize)
	}
	if c.Draws > r.plan.Draws {
		return from, false, fmt.Errorf("%s has %d draws per chain, the job asks for %d: sweeps can grow, not shrink (use another --out)", path, c.Draws, r.plan.Draws)
	}
	for i, ch := range r.b.Chains {
		blob, ok := c.Blobs[chainKey(i)]
		if !ok {
			return from, false, fmt.Errorf("%s has no state for chain %d", path, i)
		}
		if err := ch.UnmarshalBinary(blob); err != nil {
			return from, false, fmt.Errorf("%s, chain %d: %w", path, i, err)
		}
	}
	if r.adapt != nil {
		if err := r.adapt.load(c.Blobs, c.Meta); err != nil {
			return from, false, fmt.Errorf("%s: %w", path, err)
		}
		r.adapt.Reload()
	}
	r.seconds, _ = strconv.ParseFloat(c.Meta["seconds"], 64)
	oldDraws, _ := strconv.Atoi(c.Meta["draws_total"])
	from = mc.Progress{Thermalized: c.Thermalized, Draws: c.Draws}
	if err := r.openFiles(oldDraws, c.Draws); err != nil {
		return from, false, err
	}
	done = c.Finished && c.Draws == r.plan.Draws
	return from, done, nil
}

func chainKey(i int) string { return fmt.Sprintf("chain/%04d", i) }

func (r *taskRun) createFiles() error {
	name := r.t.Name()
	for _, o := range r.b.Names {
		f, err := npy.CreateShape(r.lay.NPY(name, o), r.seriesShape(r.plan.Draws))
		if err == nil {
			err = f.Regroup(len(r.b.Chains)*r.b.Replicas, r.plan.Draws)
		}
		if err != nil {
			return fmt.Errorf("could not create result file: %w", err)
		}
		r.files = append(r.files, f)
	}
	if r.configSize() > 0 {
		f, err := npy.CreateShape(r.lay.Configs(name), r.configShape(r.plan.Draws))
		if err != nil {
			return fmt.Errorf("could not create configuration file: %w", err)
		}
		r.files = append(r.files, f)
	}
	return nil
}

// configSize is the number of values of one saved configuration (0 when
// none are saved).
func (r *taskRun) configSize() int {
	if r.s.Output.ConfigsEvery == 0 {
		return 0
	}
	n := 1
	for _, d := range r.b.CfgShape {
		n *= d
	}
	return n
}

// seriesShape is the shape of OUT/npy/<task>/<series>.npy for a number
// of draws: (chain, draw), or (chain, rung, draw) for a ladder; a row of
// the file is a chain's (or a chain's rung's) draws.
func (r *taskRun) seriesShape(draws int) []int {
	return seriesShape(len(r.b.Chains), r.b.Replicas, r.b.Ladder != nil, draws)
}

func seriesShape(chains, replicas int, ladder bool, draws int) []int {
	if ladder {
		return []int{chains, replicas, draws}
	}
	return []int{chains * replicas, draws}
}

// configShape is the shape of OUT/configs/<task>.npy for a number of
// draws: (chain, snapshot, site…), a snapshot every configs_every draws.
func (r *taskRun) configShape(draws int) []int {
	k := r.s.Output.ConfigsEvery
	return append([]int{len(r.b.Chains), (draws + k - 1) / k}, r.b.CfgShape...)
}

// openFiles opens the result files at the plan's size, extending files of
// an earlier, shorter plan, and cuts them back to the checkpoint's draws.
func (r *taskRun) openFiles(oldDraws, draws int) error {
	name := r.t.Name()
	rows := len(r.b.Chains) * r.b.Replicas
	for _, o := range r.b.Names {
		path := r.lay.NPY(name, o)
		f, err := npy.OpenShape(path, r.seriesShape(r.plan.Draws))
		if err != nil && oldDraws > 0 && oldDraws < r.plan.Draws {
			if xerr := npy.ExtendShape(path, r.seriesShape(oldDraws), r.seriesShape(r.plan.Draws)); xerr == nil {
				f, err = npy.OpenShape(path, r.seriesShape(r.plan.Draws))
			}
		}
		if err == nil {
			err = f.Regroup(rows, r.plan.Draws)
		}
		if err != nil {
			return fmt.Errorf("result file does not match the checkpoint (%w); move %s away to start afresh", err, r.lay.Out)
		}
		r.files = append(r.files, f)
		if draws < r.plan.Draws {
			if err := f.Reset(draws); err != nil {
				return fmt.Errorf("could not cut %s back to the checkpoint: %w", path, err)
			}
		}
	}
	if n := r.configSize(); n > 0 {
		path := r.lay.Configs(name)
		f, err := npy.OpenShape(path, r.configShape(r.plan.Draws))
		if err != nil && oldDraws > 0 && oldDraws < r.plan.Draws {
			if xerr := npy.ExtendShape(path, r.configShape(oldDraws), r.configShape(r.plan.Draws)); xerr == nil {
				f, err = npy.OpenShape(path, r.configShape(r.plan.Draws))
			}
		}
		if err != nil {
			return fmt.Errorf("configuration file does not match the checkpoint (%w); move %s away to start afresh", err, r.lay.Out)
		}
		r.files = append(r.files, f)
		k := r.s.Output.ConfigsEvery
		if err := f.Reset((draws + k - 1) / k * n); err != nil {
			return fmt.Errorf("could not cut %s back to the checkpoint: %w", path, err)
		}
	}
	return nil
}

// checkpoint makes the result files durable, then saves every chain.
func (r *taskRun) checkpoint(p mc.Progress, finished bool) error {
	for _, f := range r.files {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("could not flush results: %w", err)
		}
	}
	c := &ckpt.Checkpoint{
		Manifest: ckpt.Manifest{
			Version: job.Version, SpecHash: r.hash, Task: r.t.Index, TaskID: r.t.ID, Chains: len(r.b.Chains),
			Kernels: r.s.Kernels(), GOARCH: runtime.GOARCH,
			Thermalized: p.Thermalized, Draws: p.Draws, Finished: finished,
			Meta: map[string]string{
				"sampler":     r.s.Sampler.Kind,
				"model":       r.s.Model.Kind,
				"draws_total": strconv.Itoa(r.plan.Draws),
				"seconds":     strconv.FormatFloat(r.seconds, 'g', -1, 64),
			},
		},
		Blobs: map[string][]byte{},
	}
	if sl := r.slice; sl != nil {
		c.Meta["chain_lo"], c.Meta["chain_hi"] = strconv.Itoa(sl.Lo), strconv.Itoa(sl.Hi)
	}
	if r.adapt != nil {
		if err := r.adapt.save(c.Blobs, c.Meta); err != nil {
			return err
		}
	}
	for i, ch := range r.b.Chains {
		b, err := ch.MarshalBinary()
		if err != nil {
			return fmt.Errorf("chain %d: %w", i, err)
		}
		c.Blobs[chainKey(i)] = b
	}
	if err := ckpt.Write(r.lay.Ckpt(r.t.Name()), c); err != nil {
		return err
	}
	r.lastCkpt, r.lastSteps = time.Now(), p.Steps(r.plan)
	return nil
}

// finish reads the task's arrays back, writes its summary and HDF5 file.
func (r *taskRun) finish(p mc.Progress) (*results.TaskSummary, error) {
	name := r.t.Name()
	obs := map[string][][]float64{}
	for _, o := range r.b.Names {
		a, err := npy.Read(r.lay.NPY(name, o))
		if err != nil {
			return nil, err
		}
		obs[o] = a
	}
	if r.b.Ladder != nil { // the ladder of the recorded steps
		var err error
		if r.b.Ladder, r.b.Rungs, err = r.b.FinalLadder(); err != nil {
			return nil, err
		}
		if err := npy.WriteVector(r.lay.NPY(name, "beta"), r.b.Ladder); err != nil {
			return nil, err
		}
	}
	sum := results.Summarize(r.s, r.t, r.b, obs, r.seconds)
	if r.slice != nil {
		// A slice's own statistics; merge writes the task's HDF5 file.
		sum.Chains = r.slice.Hi - r.slice.Lo
		return sum, job.WriteJSON(r.lay.Summary(name), sum)
	}
	if err := r.writeChainOutputs(); err != nil {
		return nil, err
	}
	if q, ok := r.b.Inst.(kind.Quenched); ok { // written once per task, by the process that finishes it
		shape, values := q.Disorder()
		if err := os.MkdirAll(filepath.Dir(r.lay.Disorder(name)), 0o755); err != nil {
			return nil, err
		}
		if err := npy.WriteArray(r.lay.Disorder(name), shape, values); err != nil {
			return nil, err
		}
	}
	if r.s.Train != nil {
		if ts, err := readTrainSummary(r.lay.Summary(name)); err == nil {
			sum.Train = ts.Train // the flow this job trained, kept beside the sampling results
		}
	}
	if err := job.WriteJSON(r.lay.Summary(name), sum); err != nil {
		return nil, err
	}
	if r.s.HDF5() {
		g := []h5.Group{job.TaskGroup(r.s, r.t, r.b.Names, obs, r.seriesShape(p.Draws))}
		if r.b.Ladder != nil {
			g = append(g, job.LadderGroup(r.t, r.b.Ladder))
		}
		if err := h5.WriteFile(r.lay.H5(name), g); err != nil {
			return nil, err
		}
	}
	return sum, nil
}
