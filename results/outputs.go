package results

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mcflow/mcflow/assemble"
	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/io/npy"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/plot"
)

// RunSummary is OUT/summary.json.
type RunSummary struct {
	Name    string   `json:"name"`
	Version string   `json:"mcflow_version"`
	Scanned []string `json:"scanned"`
	// Warnings are all tasks' warnings, "task <id>: " before each.
	Warnings []string       `json:"warnings"`
	Tasks    []*TaskSummary `json:"tasks"`
	// Disorder holds the disorder averages of a scan over samples (a
	// model with kind.Model.Sample), or nothing.
	Disorder []*DisorderGroup `json:"disorder,omitempty"`
}

// WriteRunOutputs writes the files of a run of all tasks: results.h5,
// summary.json and plots/summary.png.
func WriteRunOutputs(s *job.Spec, lay job.Layout, rep *Report) ([]string, error) {
	var arts []string
	sums := rep.Tasks
	groups, err := disorderAverages(s, lay, sums)
	if err != nil {
		return arts, fmt.Errorf("disorder averages: %w", err)
	}
	rep.Disorder = groups
	warnings := RunWarnings(sums)
	for _, g := range groups {
		for _, w := range g.Warnings {
			warnings = append(warnings, "disorder average at "+strings.Join(sortedParams(g.Params), " ")+": "+w)
		}
	}
	if err := job.WriteJSON(lay.SummaryAll(), RunSummary{Name: s.Name, Version: job.Version, Scanned: s.Scanned(), Warnings: warnings, Tasks: sums, Disorder: groups}); err != nil {
		return arts, err
	}
	arts = append(arts, lay.SummaryAll())
	if s.HDF5() {
		var groups []h5.Group
		for _, t := range s.Tasks() {
			names, err := recorded(s, t, lay)
			if err != nil {
				return arts, err
			}
			shape := []int{s.Sampler.Chains, s.Draws()}
			if i := slices.IndexFunc(sums, func(x *TaskSummary) bool { return x.Task == t.Index }); i >= 0 && sums[i].Ladder != nil {
				betas := make([]float64, len(sums[i].Ladder.Betas))
				for j, b := range sums[i].Ladder.Betas {
					betas[j] = float64(b)
				}
				shape = []int{s.Sampler.Chains, len(betas), s.Draws()}
				groups = append(groups, job.LadderGroup(t, betas))
			}
			g := job.TaskGroup(s, t, names, nil, shape)
			for i := range g.Datasets {
				// Read each array when HDF5 asks for its first row and drop it
				// after its last: one array in memory at a time.
				path := lay.NPY(t.Name(), names[i])
				rows := 1 // chains, or chains · rungs
				for _, d := range shape[:len(shape)-1] {
					rows *= d
				}
				var a [][]float64
				g.Datasets[i].Rows, g.Datasets[i].Cols = rows, s.Draws()
				g.Datasets[i].Row = func(r int, dst []float64) error {
					if a == nil {
						var err error
						if a, err = npy.Read(path); err != nil {
							return err
						}
						if len(a) != rows || len(a[0]) != len(dst) {
							return fmt.Errorf("%s: shape (%d, %d), want (%d, %d)", path, len(a), len(a[0]), rows, len(dst))
						}
					}
					copy(dst, a[r])
					if r == rows-1 {
						a = nil
					}
					return nil
				}
			}
			groups = append(groups, g)
		}
		if err := h5.WriteFile(lay.Results(), groups); err != nil {
			return arts, err
		}
		arts = append(arts, lay.Results())
	}
	if err := os.MkdirAll(filepath.Dir(lay.Plot()), 0o755); err != nil {
		return arts, err
	}
	if err := plot.Grid(lay.Plot(), runPanels(s, sums), 4); err != nil {
		return arts, err
	}
	arts = append(arts, lay.Plot())
	return arts, nil
}

// runPanels are the run's summary figure: the quantities against the
// first scanned parameter, or against β for tempering ladders (a series
// per task), with their swap acceptance per pair.
func runPanels(s *job.Spec, sums []*TaskSummary) []plot.Panel {
	rungs, ladders := expandLadders(sums)
	if !ladders {
		return panels(s.Scanned(), sums, exactCurve(s))
	}
	out := panels(append([]string{"beta"}, s.Scanned()...), rungs, exactCurve(s))
	swap := plot.Panel{Title: "swap acceptance", XLabel: "beta (pair midpoint)"}
	for _, t := range sums {
		if t.Ladder == nil || len(sums) > 8 { // a legible figure: at most 8 ladders
			continue
		}
		ser := plot.Series{Label: t.Name}
		for i, a := range t.Ladder.SwapAccept {
			ser.X = append(ser.X, float64(t.Ladder.Betas[i]+t.Ladder.Betas[i+1])/2)
			ser.Y = append(ser.Y, float64(a))
		}
		swap.Series = append(swap.Series, ser)
	}
	return append(out, swap)
}

// panels plots every observable and derived quantity against the first
// scanned parameter (the task index when nothing is scanned), one series
// per combination of the other scanned parameters, with the exact
// reference as a dashed line where one exists: curve's, over the range of
// β, where it gives one.
func panels(scanned []string, sums []*TaskSummary, curve func(t *TaskSummary, betas []float64, q string) (xs, ys []float64)) []plot.Panel {
	if len(sums) == 0 {
		return nil
	}
	xname := "task"
	if len(scanned) > 0 {
		xname = scanned[0]
	}
	xOf := func(t *TaskSummary) float64 {
		if xname == "task" {
			return float64(t.Task)
		}
		return t.Params[xname]
	}
	groupOf := func(t *TaskSummary) string {
		var parts []string
		for _, p := range scanned[min(1, len(scanned)):] {
			parts = append(parts, fmt.Sprintf("%s=%g", p, t.Params[p]))
		}
		return strings.Join(parts, " ")
	}
	var groups []string
	for _, t := range sums {
		if g := groupOf(t); !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	type q struct {
		name  string
		get   func(*TaskSummary) (float64, float64)
		exact string
	}
	var qs []q
	for _, n := range sortedNames(sums[0].Observables) {
		if slices.Contains(ladderSeries, n) { // the ladder's own panel
			continue
		}
		qs = append(qs, q{n, func(t *TaskSummary) (float64, float64) {
			e := t.Observables[n]
			return float64(e.Mean), float64(e.Stderr)
		}, map[string]string{"e": "e"}[n]})
	}
	for _, n := range sortedNames(sums[0].Derived) {
		qs = append(qs, q{n, func(t *TaskSummary) (float64, float64) {
			d := t.Derived[n]
			return float64(d.Value), float64(d.Stderr)
		}, map[string]string{"C": "C"}[n]})
	}
	var out []plot.Panel
	for _, qq := range qs {
		pn := plot.Panel{Title: qq.name, XLabel: xname}
		for _, g := range groups {
			ser := plot.Series{Label: g}
			ex := plot.Series{Label: "exact", Line: true}
			var rep *TaskSummary
			for _, t := range sums {
				if groupOf(t) != g {
					continue
				}
				rep = t
				v, e := qq.get(t)
				ser.X = append(ser.X, xOf(t))
				ser.Y = append(ser.Y, v)
				ser.Err = append(ser.Err, e)
				if qq.exact != "" && t.Exact != nil {
					ex.X = append(ex.X, xOf(t))
					ex.Y = append(ex.Y, float64(t.Exact.Values[qq.exact]))
				}
			}
			if len(ex.X) > 1 && xname == "beta" {
				if xs, ys := curve(rep, ser.X, qq.exact); len(xs) > 1 {
					ex.X, ex.Y = xs, ys
				}
			}
			sortSeries(&ser)
			pn.Series = append(pn.Series, ser)
			if len(ex.X) > 1 {
				sortSeries(&ex)
				if len(groups) > 1 {
					ex.Label = ""
				}
				pn.Series = append(pn.Series, ex)
			}
		}
		out = append(out, pn)
	}
	return out
}

func sortSeries(s *plot.Series) {
	idx := make([]int, len(s.X))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if s.X[a] < s.X[b] {
			return -1
		}
		if s.X[a] > s.X[b] {
			return 1
		}
		return 0
	})
	perm := func(v []float64) []float64 {
		if v == nil {
			return nil
		}
		out := make([]float64, len(v))
		for i, j := range idx {
			out[i] = v[j]
		}
		return out
	}
	s.X, s.Y, s.Err = perm(s.X), perm(s.Y), perm(s.Err)
}

// exactCurve returns the exact references of a task's model
// (kind.ExactCurve) on 200 points spanning the scanned betas, or nothing
// when the model has no such curve (or this program lacks its kind).
func exactCurve(s *job.Spec) func(t *TaskSummary, betas []float64, q string) (xs, ys []float64) {
	return func(t *TaskSummary, betas []float64, q string) (xs, ys []float64) {
		tasks := s.Tasks()
		if t.Task < 0 || t.Task >= len(tasks) || s.Model.Def == nil {
			return nil, nil
		}
		inst, err := assemble.Instance(s, tasks[t.Task])
		if err != nil {
			return nil, nil
		}
		ec, ok := inst.(kind.ExactCurve)
		if !ok {
			return nil, nil
		}
		lo, hi := slices.Min(betas), slices.Max(betas)
		const n = 200
		for i := range n {
			b := lo + (hi-lo)*float64(i)/(n-1)
			v, ok := ec.ExactAt(b)[q]
			if !ok {
				return nil, nil
			}
			xs, ys = append(xs, b), append(ys, v)
		}
		return xs, ys
	}
}
