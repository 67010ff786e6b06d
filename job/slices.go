package job

import (
	"fmt"
	"path/filepath"
)

// Slices: one task's chains split over the indices of a SLURM array.
//
// With K chains per slice a task of C chains has S = ⌈C/K⌉ slices, and the
// array index i runs task ⌊i/S⌋, slice i mod S: chains [sK, min((s+1)K, C))
// with their own RNG streams (seed, task, chain), exactly those chains of a
// one-node run, and with their own files, checkpoint and lock under
// OUT/slices/<task>/<slice>/. `mcflow merge` puts the slices back together.

// Slicing is where one process's chains lie in its task.
type Slicing struct {
	K      int // chains per slice (> 0)
	Slice  int // this slice
	Slices int // slices per task
	Lo, Hi int // its chains [Lo, Hi)
}

// SliceCount returns the number of slices of each task with k chains per
// slice, or an error when k does not divide the chains into whole pool
// units (64 replicas for the multispin engine).
func (s *Spec) SliceCount(k int) (int, error) {
	if k < 1 {
		return 0, fmt.Errorf("--chains-per-task %d: want at least 1", k)
	}
	if d := s.Sampler.Def; d != nil && d.Whole != nil {
		if why := d.Whole(s.Sampler.Values); why != "" {
			return 0, fmt.Errorf("--chains-per-task: %s, so a task cannot be split into slices; run each task whole (one array index per task, or --tasks-per-index)", why)
		}
	}
	if u := s.Sampler.Unit(); k%u != 0 {
		return 0, fmt.Errorf("--chains-per-task %d: the sampler runs chains in units of %d replicas (a multispin engine); want a multiple of %d", k, u, u)
	}
	return (s.Sampler.Chains + k - 1) / k, nil
}

// ArrayTask maps an array index to a task index and, with k > 0 chains per
// slice, its slice (nil without slicing).
func (s *Spec) ArrayTask(index, k int) (task int, sl *Slicing, err error) {
	n := len(s.Tasks())
	if k <= 0 {
		if index < 0 || index >= n {
			return 0, nil, fmt.Errorf("--array-index %d: the job has %d tasks, indices 0..%d (`mcflow tasks` lists them)", index, n, n-1)
		}
		return index, nil, nil
	}
	sc, err := s.SliceCount(k)
	if err != nil {
		return 0, nil, err
	}
	if index < 0 || index >= n*sc {
		return 0, nil, fmt.Errorf("--array-index %d: %d tasks × %d slices of %d chains give indices 0..%d (`mcflow tasks --chains-per-task %d` lists them)", index, n, sc, k, n*sc-1, k)
	}
	sl, _ = s.SliceOf(index%sc, k)
	return index / sc, sl, nil
}

// SliceOf returns slice j of a task with k chains per slice.
func (s *Spec) SliceOf(j, k int) (*Slicing, error) {
	sc, err := s.SliceCount(k)
	if err != nil {
		return nil, err
	}
	if j < 0 || j >= sc {
		return nil, fmt.Errorf("--slice %d: %d chains in slices of %d give slices 0..%d", j, s.Sampler.Chains, k, sc-1)
	}
	return &Slicing{K: k, Slice: j, Slices: sc, Lo: j * k, Hi: min((j+1)*k, s.Sampler.Chains)}, nil
}

// SliceDir is the directory of slice j of a task: a layout of its own.
func (l Layout) SliceDir(task string, j int) string {
	return filepath.Join(l.Out, "slices", task, fmt.Sprintf("%03d", j))
}

// SlicesDir holds the slices of a task.
func (l Layout) SlicesDir(task string) string { return filepath.Join(l.Out, "slices", task) }

// SliceHash is the spec hash of a slice's checkpoint: the task's, with the
// chains it holds.
func SliceHash(taskHash string, sl *Slicing) string {
	if sl == nil {
		return taskHash
	}
	return fmt.Sprintf("%s/chains/%d-%d", taskHash, sl.Lo, sl.Hi)
}

// ArrayTasks returns the tasks of array index i when each index runs k
// whole tasks (--tasks-per-index): tasks i·k … i·k + k − 1, the last
// index fewer.
func (s *Spec) ArrayTasks(index, k int) (first, count int, err error) {
	n := len(s.Tasks())
	if k < 1 {
		return 0, 0, fmt.Errorf("--tasks-per-index %d: want K >= 1", k)
	}
	if idx := (n + k - 1) / k; index < 0 || index >= idx {
		return 0, 0, fmt.Errorf("--array-index %d: %d tasks, %d per index, give indices 0..%d", index, n, k, idx-1)
	}
	return index * k, min(k, n-index*k), nil
}
