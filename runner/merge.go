package runner

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mcflow/mcflow/assemble"
	"github.com/mcflow/mcflow/io/ckpt"
	"github.com/mcflow/mcflow/io/npy"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/results"
)

// errUnfinished marks a task (or slice) that has not finished yet.
var errUnfinished = errors.New("not finished")

// Merge assembles the output of an array run (tasks run one per array
// index, or split into slices of chains) into the files of a one-node
// run: for every sliced task npy/<task>/, configs/<task>.npy, a finished
// checkpoint, summary/<task>.json and h5/<task>.h5; then results.h5,
// summary.json and the plot. The arrays equal a one-node run's bit for bit.
// Merging again redoes the same.
func Merge(out string) (*results.Report, error) {
	s, err := job.OpenOutput(out)
	if err != nil {
		return nil, err
	}
	lay := job.Layout{Out: out}
	rep := &results.Report{Out: out, AllTasks: true}
	if err := job.WriteTasks(lay, s); err != nil {
		return nil, err
	}
	var waiting []string
	for _, t := range s.Tasks() {
		sum, err := mergeTask(s, t, lay)
		if errors.Is(err, errUnfinished) {
			waiting = append(waiting, fmt.Sprintf("%s (%v)", t.Name(), err))
			continue
		}
		if err != nil {
			return rep, fmt.Errorf("task %s: %w", t.Name(), err)
		}
		rep.Tasks = append(rep.Tasks, sum)
	}
	if len(waiting) > 0 {
		return rep, fmt.Errorf("%d of %d tasks are not finished: %s; `mcflow status %s` shows where each stands, and merging again once they are finishes the job",
			len(waiting), len(s.Tasks()), strings.Join(waiting, ", "), out)
	}
	arts, err := results.WriteRunOutputs(s, lay, rep)
	rep.Artifacts = arts
	rep.Finished = err == nil
	return rep, err
}

// finishedCkpt loads a finished checkpoint written for hash, or says why
// there is none.
func finishedCkpt(path, hash string, draws int) (*ckpt.Checkpoint, error) {
	c, _, err := ckpt.Load(path)
	if errors.Is(err, ckpt.ErrNone) {
		return nil, fmt.Errorf("%w: not started", errUnfinished)
	}
	if err != nil {
		return nil, err
	}
	if c.SpecHash != hash {
		return nil, fmt.Errorf("%s was written by a different job than the one recorded beside the results (job.toml): merge each job's output directory on its own", path)
	}
	if !c.Finished || c.Draws != draws {
		return nil, fmt.Errorf("%w: %d of %d draws", errUnfinished, c.Draws, draws)
	}
	return c, nil
}

func mergeTask(s *job.Spec, t job.Task, lay job.Layout) (*results.TaskSummary, error) {
	name := t.Name()
	dirs, _ := filepath.Glob(filepath.Join(lay.SlicesDir(name), "[0-9][0-9][0-9]"))
	slices.Sort(dirs)
	if len(dirs) == 0 { // run whole, by its array index
		if _, err := finishedCkpt(lay.Ckpt(name), s.Hash(t), s.Draws()); err != nil {
			return nil, err
		}
		sum, err := results.ReadSummary(lay.Summary(name))
		if err != nil {
			return nil, fmt.Errorf("finished, but its summary is unreadable (%v): run `mcflow run --task %d` on this output to write it again", err, t.Index)
		}
		return sum, nil
	}
	// Slices 000, 001, … cover chains 0..chains-1 in order.
	type part struct {
		lay job.Layout
		c   *ckpt.Checkpoint
	}
	var parts []part
	next := 0
	for j, d := range dirs {
		if filepath.Base(d) != fmt.Sprintf("%03d", j) {
			return nil, fmt.Errorf("%w: slice %03d is missing (%s has %s)", errUnfinished, j, lay.SlicesDir(name), filepath.Base(d))
		}
		sl := job.Layout{Out: d}
		c, _, err := ckpt.Load(sl.Ckpt(name))
		if errors.Is(err, ckpt.ErrNone) {
			return nil, fmt.Errorf("%w: slice %03d not started", errUnfinished, j)
		}
		if err != nil {
			return nil, fmt.Errorf("slice %03d: %w", j, err)
		}
		lo, err1 := strconv.Atoi(c.Meta["chain_lo"])
		hi, err2 := strconv.Atoi(c.Meta["chain_hi"])
		if err1 != nil || err2 != nil || lo != next || hi <= lo {
			return nil, fmt.Errorf("slice %03d holds chains %q..%q, want chains from %d: the slices come from different --chains-per-task; remove %s and run them again",
				j, c.Meta["chain_lo"], c.Meta["chain_hi"], next, lay.SlicesDir(name))
		}
		if _, err := finishedCkpt(sl.Ckpt(name), job.SliceHash(s.Hash(t), &job.Slicing{Lo: lo, Hi: hi}), s.Draws()); err != nil {
			return nil, fmt.Errorf("slice %03d: %w", j, err)
		}
		if j > 0 && !maps.Equal(c.Kernels, parts[0].c.Kernels) {
			return nil, fmt.Errorf("slice %03d was run by other kernels (%s) than slice 000 (%s): run it again with the same mcflow", j, job.FormatKernels(c.Kernels), job.FormatKernels(parts[0].c.Kernels))
		}
		next = hi
		parts = append(parts, part{sl, c})
	}
	if next != s.Sampler.Chains {
		return nil, fmt.Errorf("%w: the slices hold chains 0..%d of %d", errUnfinished, next-1, s.Sampler.Chains)
	}
	// The task's observables, derived quantities and exact references; a
	// flow the job trained is the one in slice 000 (all slices trained the
	// same bits).
	b, err := assemble.New(s, t, parts[0].lay, 1, nil)
	if err != nil {
		return nil, err
	}
	if err := lay.Mkdirs(name); err != nil {
		return nil, err
	}
	obs := map[string][][]float64{}
	for _, o := range b.Names {
		var all [][]float64
		for _, p := range parts {
			a, err := npy.Read(p.lay.NPY(name, o))
			if err != nil {
				return nil, err
			}
			all = append(all, a...)
		}
		if err := results.WriteRows(lay.NPY(name, o), all, seriesShape(len(b.Chains), b.Replicas, b.Ladder != nil, s.Draws())); err != nil {
			return nil, err
		}
		obs[o] = all
	}
	if s.Output.ConfigsEvery > 0 {
		if err := mergeConfigs(lay.Configs(name), len(b.Chains)*b.Replicas, func(yield func(string) error) error {
			for _, p := range parts {
				if err := yield(p.lay.Configs(name)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	// The flow and training record of a job that trained one.
	if s.Train != nil {
		for _, f := range [][2]string{{parts[0].lay.Flow(name), lay.Flow(name)}, {parts[0].lay.Loss(name), lay.Loss(name)}, {parts[0].lay.Summary(name), lay.Summary(name)}} {
			if err := copyFile(f[0], f[1]); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
		}
	}
	// A finished checkpoint of the whole task, as a one-node run leaves:
	// `mcflow run` on the merged output finds the task done, and more
	// sweeps extend every chain.
	var seconds float64
	c := &ckpt.Checkpoint{Manifest: ckpt.Manifest{
		Version: job.Version, SpecHash: s.Hash(t), Task: t.Index, TaskID: t.ID, Chains: s.Sampler.Chains / s.Sampler.Unit(),
		Kernels: parts[0].c.Kernels, GOARCH: parts[0].c.GOARCH, // the versions of the runs merged
		Thermalized: parts[0].c.Thermalized, Draws: parts[0].c.Draws, Finished: true,
		Meta: map[string]string{"sampler": s.Sampler.Kind, "model": s.Model.Kind, "draws_total": strconv.Itoa(s.Draws()),
			"merged_slices": strconv.Itoa(len(parts))},
	}, Blobs: map[string][]byte{}}
	unit := 0
	for _, p := range parts {
		sec, _ := strconv.ParseFloat(p.c.Meta["seconds"], 64)
		seconds += sec
		for i := range p.c.Chains {
			blob, ok := p.c.Blobs[chainKey(i)]
			if !ok {
				return nil, fmt.Errorf("%s has no state for chain %d", p.lay.Ckpt(name), i)
			}
			c.Blobs[chainKey(unit)] = blob
			unit++
		}
	}
	c.Meta["seconds"] = strconv.FormatFloat(seconds, 'g', -1, 64)
	if err := ckpt.Write(lay.Ckpt(name), c); err != nil {
		return nil, err
	}
	for i, ch := range b.Chains { // the final states, for what finish writes from them
		if err := ch.UnmarshalBinary(c.Blobs[chainKey(i)]); err != nil {
			return nil, fmt.Errorf("%s, chain %d: %w", lay.Ckpt(name), i, err)
		}
	}
	r := &taskRun{s: s, t: t, lay: lay, b: b, hash: s.Hash(t), seconds: seconds,
		plan: mc.Plan{Thermalize: s.Sampler.Thermalize, Draws: s.Draws(), MeasureEvery: s.Sampler.MeasureEvery}}
	return r.finish(mc.Progress{Thermalized: c.Thermalized, Draws: c.Draws})
}

// mergeConfigs concatenates configuration files (chain, snapshot, site…)
// along the chain axis.
func mergeConfigs(path string, chains int, each func(yield func(string) error) error) error {
	var shape []int
	var data []float64
	err := each(func(p string) error {
		sh, d, err := npy.ReadAny(p)
		if err != nil {
			return err
		}
		if shape == nil {
			shape = slices.Clone(sh)
			shape[0] = 0
		} else if !slices.Equal(sh[1:], shape[1:]) {
			return fmt.Errorf("%s has shape %v, the first slice's is %v", p, sh, shape)
		}
		shape[0] += sh[0]
		data = append(data, d...)
		return nil
	})
	if err != nil {
		return err
	}
	if shape[0] != chains {
		return fmt.Errorf("configurations of %d chains, the task has %d", shape[0], chains)
	}
	f, err := npy.CreateShape(path, shape)
	if err != nil {
		return err
	}
	per := len(data) / chains
	for c := range chains {
		if err := f.WriteRow(c, 0, data[c*per:(c+1)*per]); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// copyFile copies src to dst atomically.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	b, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	return job.WriteFileAtomic(dst, b)
}
