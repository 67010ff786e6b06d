package results

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/mcflow/mcflow/io/ckpt"
	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/io/npy"
	"github.com/mcflow/mcflow/job"
)

// arvizStats renames a sampler's bookkeeping series to ArviZ's
// sample_stats names and types; the others keep their names as float64.
var arvizStats = map[string]struct {
	name string
	typ  h5.NCType
}{
	"accept_prob":  {"acceptance_rate", h5.NCDouble},
	"divergent":    {"diverging", h5.NCBool},
	"energy":       {"energy", h5.NCDouble},
	"n_leapfrog":   {"n_steps", h5.NCInt64},
	"tree_depth":   {"tree_depth", h5.NCInt64},
	"at_max_depth": {"reached_max_treedepth", h5.NCBool},
}

// ExportReport is what ExportNetCDF wrote, and the tasks it left out.
type ExportReport struct {
	Files   []string
	Skipped []string // "task: why"
}

// ExportNetCDF writes every task of an output directory that has draws as
// dir/<task>.nc, a netCDF-4 file laid out as ArviZ's InferenceData: the
// model's observables in the group posterior and the sampler's series in
// sample_stats, both over (chain, draw[, rung]); configurations
// (configs_every) in configurations over (chain, snapshot, …); a spin
// glass's couplings in constant_data. A finished task is exported whole,
// one still running or stopped up to its last checkpoint's draws (the
// attribute partial = 1). The job (as TOML) and the task's parameters are
// attributes of the root group.
func ExportNetCDF(out, dir string) (*ExportReport, error) {
	s, err := job.OpenOutput(out)
	if err != nil {
		return nil, err
	}
	if !h5.Available {
		return nil, fmt.Errorf("export --netcdf writes netCDF-4, which is HDF5: %w", h5.ErrUnavailable)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lay := job.Layout{Out: out}
	rep := &ExportReport{}
	for _, t := range s.Tasks() {
		draws, partial, why := exportDraws(s, t, lay)
		if why != "" {
			rep.Skipped = append(rep.Skipped, t.Name()+": "+why)
			continue
		}
		groups, err := taskGroups(s, t, lay, draws)
		if err != nil {
			return rep, fmt.Errorf("task %s: %w", t.Name(), err)
		}
		groups = append([]h5.NCGroup{rootGroup(s, t, lay, draws, partial)}, groups...)
		path := filepath.Join(dir, t.Name()+".nc")
		if err := h5.WriteNetCDF(path, groups); err != nil {
			return rep, fmt.Errorf("could not write %s: %w", path, err)
		}
		rep.Files = append(rep.Files, path)
	}
	return rep, nil
}

// exportDraws returns the draws per chain to export of a task: all of a
// finished one, the last checkpoint's of one that is not; or why it has
// none.
func exportDraws(s *job.Spec, t job.Task, lay job.Layout) (draws int, partial bool, why string) {
	if sum, err := ReadSummary(lay.Summary(t.Name())); err == nil && (len(sum.Observables) > 0 || sum.Ladder != nil) {
		return s.Draws(), false, ""
	}
	c, _, err := ckpt.Load(lay.Ckpt(t.Name()))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return 0, false, "not started in this output directory (a sliced task is exported after `mcflow merge`)"
	case err != nil:
		return 0, false, err.Error()
	case c.Finished:
		return s.Draws(), false, ""
	case c.Draws == 0:
		return 0, false, "no draws yet (its last checkpoint is in warmup)"
	}
	if _, err := os.Stat(lay.NPYDir(t.Name())); err != nil {
		return 0, false, "not finished, and its series are written only at the end (as HDF5: [output] formats has no \"npy\")"
	}
	return c.Draws, true, ""
}

// rootGroup holds the task's description: the job, the parameters, the
// draws exported and whether the task had finished.
func rootGroup(s *job.Spec, t job.Task, lay job.Layout, draws int, partial bool) h5.NCGroup {
	jobTOML, err := os.ReadFile(lay.JobCopy())
	if err != nil {
		jobTOML = s.TOML(lay.Out)
	}
	a := library()
	for _, p := range t.Params {
		if p.Int {
			a[p.Name] = int(p.Value)
		} else {
			a[p.Name] = p.Value
		}
	}
	a["task"], a["job"], a["model"], a["sampler"], a["draws"], a["partial"] =
		t.Name(), string(jobTOML), s.Model.Kind, s.Sampler.Kind, draws, 0
	if partial {
		a["partial"] = 1
	}
	return h5.NCGroup{Attrs: a}
}

// library returns the attributes ArviZ gives every group.
func library() h5.Attrs {
	return h5.Attrs{"inference_library": "mcflow", "inference_library_version": job.Version}
}

// taskGroups returns a task's posterior and sample_stats groups, cut to
// draws, and its configurations and constant_data groups where it has
// them.
func taskGroups(s *job.Spec, t job.Task, lay job.Layout, draws int) ([]h5.NCGroup, error) {
	names, err := recorded(s, t, lay)
	if err != nil {
		return nil, err
	}
	stats := map[string]bool{}
	if s.Sampler.Def != nil {
		for _, n := range s.Sampler.Def.SeriesOf(s.Sampler.Values) {
			stats[n] = true
		}
	}
	src, err := openSeries(t, lay)
	if err != nil {
		return nil, err
	}
	defer src.close()
	post := h5.NCGroup{Path: "posterior", Attrs: library()}
	ss := h5.NCGroup{Path: "sample_stats", Attrs: library()}
	for _, n := range names {
		shape, data, err := src.read(n)
		if err != nil {
			return nil, err
		}
		v, err := drawMajor(n, shape, data, draws)
		if err != nil {
			return nil, err
		}
		g := &post
		if stats[n] {
			g = &ss
			if a, ok := arvizStats[n]; ok {
				v.Name, v.Type = a.name, a.typ
			}
		}
		addVar(g, v)
	}
	if betas := src.ladder(); betas != nil {
		betaCoord(&post, betas)
		betaCoord(&ss, betas)
	}
	groups := []h5.NCGroup{post}
	if len(ss.Vars) > 0 {
		groups = append(groups, ss)
	}
	extra, err := extraGroups(s, t, lay, draws)
	return append(groups, extra...), err
}

// betaCoord adds the ladder's inverse temperatures to a group as the
// coordinate beta along rung.
func betaCoord(g *h5.NCGroup, betas []float64) {
	if !slices.ContainsFunc(g.Dims, func(d h5.NCDim) bool { return d.Name == "rung" && d.Len == len(betas) }) {
		return
	}
	for i, v := range g.Vars {
		if slices.Contains(v.Dims, "rung") {
			g.Vars[i].Attrs = h5.Attrs{"coordinates": "beta"}
		}
	}
	g.Vars = append(g.Vars, h5.NCVar{Name: "beta", Dims: []string{"rung"}, Data: betas, Attrs: h5.Attrs{"long_name": "inverse temperature of the rung"}})
}

// shapedVar is a variable with the lengths of its dimensions.
type shapedVar struct {
	h5.NCVar
	shape []int
}

// addVar adds a variable to a group, and its dimensions when the group
// does not have them yet.
func addVar(g *h5.NCGroup, v shapedVar) {
	for i, d := range v.Dims {
		if !slices.ContainsFunc(g.Dims, func(x h5.NCDim) bool { return x.Name == d }) {
			g.Dims = append(g.Dims, h5.NCDim{Name: d, Len: v.shape[i]})
		}
	}
	g.Vars = append(g.Vars, v.NCVar)
}

// drawMajor cuts a recorded series, (chain, draw) or (chain, rung, draw),
// to its first draws and orders it (chain, draw[, rung]) as ArviZ wants.
func drawMajor(name string, shape []int, data []float64, draws int) (shapedVar, error) {
	if len(shape) < 2 || len(shape) > 3 || shape[len(shape)-1] < draws {
		return shapedVar{}, fmt.Errorf("series %s has shape %v, want (chain, draw) or (chain, rung, draw) with at least %d draws", name, shape, draws)
	}
	chains, n := shape[0], shape[len(shape)-1]
	rungs := 1
	dims := []string{"chain", "draw"}
	if len(shape) == 3 {
		rungs = shape[1]
		dims = append(dims, "rung")
	}
	out := make([]float64, chains*draws*rungs)
	for c := range chains {
		for r := range rungs {
			row := data[(c*rungs+r)*n:]
			for d := range draws {
				out[(c*draws+d)*rungs+r] = row[d]
			}
		}
	}
	sh := []int{chains, draws, rungs}[:len(dims)]
	return shapedVar{h5.NCVar{Name: name, Dims: dims, Data: out}, sh}, nil
}

// extraGroups returns the configurations (configs_every: every k-th draw
// of each chain, cut to draws) and the disorder (constant_data) of a
// task, where it has them.
func extraGroups(s *job.Spec, t job.Task, lay job.Layout, draws int) ([]h5.NCGroup, error) {
	var groups []h5.NCGroup
	if k := s.Output.ConfigsEvery; k > 0 {
		shape, data, err := npy.ReadAny(lay.Configs(t.Name()))
		if err != nil {
			return nil, err
		}
		if len(shape) < 2 {
			return nil, fmt.Errorf("%s has shape %v, want (chain, snapshot, …)", lay.Configs(t.Name()), shape)
		}
		keep := min((draws+k-1)/k, shape[1])
		site := 1
		for _, n := range shape[2:] {
			site *= n
		}
		cut := make([]float64, 0, shape[0]*keep*site)
		for c := range shape[0] {
			cut = append(cut, data[c*shape[1]*site:][:keep*site]...)
		}
		shape = append([]int{shape[0], keep}, shape[2:]...)
		g := h5.NCGroup{Path: "configurations", Attrs: library()}
		g.Attrs["every"] = k
		addVar(&g, named("config", []string{"chain", "snapshot"}, shape, cut))
		groups = append(groups, g)
	}
	shape, data, err := npy.ReadAny(lay.Disorder(t.Name()))
	if errors.Is(err, os.ErrNotExist) {
		return groups, nil
	} else if err != nil {
		return nil, err
	}
	g := h5.NCGroup{Path: "constant_data", Attrs: library()}
	addVar(&g, named("disorder", nil, shape, data))
	return append(groups, g), nil
}

// named returns a variable whose dimensions beyond the given ones are
// called <name>_dim_0, <name>_dim_1, ….
func named(name string, dims []string, shape []int, data []float64) shapedVar {
	given := len(dims)
	dims = slices.Clone(dims)
	for i := given; i < len(shape); i++ {
		dims = append(dims, fmt.Sprintf("%s_dim_%d", name, i-given))
	}
	return shapedVar{h5.NCVar{Name: name, Dims: dims, Data: data}, shape}
}
