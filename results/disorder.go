package results

import (
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/mcflow/mcflow/assemble"
	"github.com/mcflow/mcflow/io/npy"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/kind"
)

// DisorderGroup is the disorder average over the tasks that differ only
// in the model's sample key (kind.Model.Sample), at one point of the
// other parameters (and one β of a ladder).
type DisorderGroup struct {
	Params  map[string]float64 `json:"params"`
	Samples []int              `json:"samples"`
	// Observables are [⟨O⟩], the average over samples of the thermal
	// means, with the standard error over samples.
	Observables map[string]DisorderValue `json:"observables"`
	// Derived are the model's functions of disorder averages
	// (kind.DisorderDeriver) with jackknife errors over samples.
	Derived map[string]DisorderValue `json:"derived"`
	// PerSample holds each sample's thermal mean, in the order of
	// Samples: the sample-to-sample distribution.
	PerSample map[string][]F `json:"per_sample"`
	// Histograms are the disorder averages of each sample's normalised
	// histogram of an observable (kind.Histogrammed: a spin glass's P(q)).
	Histograms map[string]*Histogram `json:"histograms,omitempty"`
	// Equilibration is the model's equilibrium identity
	// (kind.Equilibrator) per log₂ bin of Monte Carlo time.
	Equilibration *Equilibration `json:"equilibration,omitempty"`
	Warnings      []string       `json:"warnings"`
}

// Histogram is a disorder-averaged distribution: the fraction of the
// recorded draws in each bin [Edges[i], Edges[i+1]), averaged over
// samples.
type Histogram struct {
	Edges []float64 `json:"edges"`
	P     []float64 `json:"p"`
}

// DisorderValue is a disorder average and its error over samples.
type DisorderValue struct {
	Value  F `json:"value"`
	Stderr F `json:"stderr"`
}

// Equilibration is the disorder average of an identity's residual over
// log₂ bins of Monte Carlo time [from, to) (steps since the start,
// thermalisation included; bins before the first recorded draw are
// absent), and the first time from which every bin agrees with zero
// within 3 standard errors (null when the last does not).
type Equilibration struct {
	Bins      []EquilibrationBin `json:"bins"`
	AgreeFrom F                  `json:"agree_from"`
}

// EquilibrationBin is one log₂ bin's disorder-averaged residual.
type EquilibrationBin struct {
	From     int `json:"from"`
	To       int `json:"to"`
	Residual F   `json:"residual"`
	Stderr   F   `json:"stderr"`
}

// disorderUnit is one sample at one point: a task, or a rung of a ladder.
type disorderUnit struct {
	params map[string]float64 // without the sample key
	sample int
	est    map[string]Est
	inst   kind.Instance
	task   job.Task
	rung   int // -1: not a ladder
	rungs  int
}

// disorderAverages averages the tasks' results over disorder samples:
// one group per point of the other parameters with at least two samples.
func disorderAverages(s *job.Spec, lay job.Layout, sums []*TaskSummary) ([]*DisorderGroup, error) {
	if s.Model.Def == nil || s.Model.Def.Sample == "" {
		return nil, nil
	}
	units, err := disorderUnits(s, sums)
	if err != nil {
		return nil, err
	}
	byPoint := map[string][]disorderUnit{}
	var order []string
	for _, u := range units {
		k := fmt.Sprint(sortedParams(u.params))
		if _, ok := byPoint[k]; !ok {
			order = append(order, k)
		}
		byPoint[k] = append(byPoint[k], u)
	}
	var groups []*DisorderGroup
	for _, k := range order {
		us := byPoint[k]
		if len(us) < 2 {
			continue
		}
		g, err := averageGroup(s, lay, us)
		if err != nil {
			return nil, err
		}
		groups = append(groups, g)
	}
	return groups, nil
}

func sortedParams(p map[string]float64) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		out = append(out, fmt.Sprintf("%s=%v", k, p[k]))
	}
	return out
}

// disorderUnits lists every (task or rung, sample) with its model.
func disorderUnits(s *job.Spec, sums []*TaskSummary) ([]disorderUnit, error) {
	key := s.Model.Def.Sample
	tasks := s.Tasks()
	var units []disorderUnit
	for _, sum := range sums {
		t := tasks[sum.Task]
		params := maps.Clone(sum.Params)
		sample := int(params[key])
		delete(params, key)
		if sum.Ladder == nil {
			m, err := assemble.Instance(s, t)
			if err != nil {
				return nil, err
			}
			units = append(units, disorderUnit{params, sample, sum.Observables, m, t, -1, 0})
			continue
		}
		for r, rs := range sum.Ladder.Rungs {
			beta := float64(sum.Ladder.Betas[r])
			m, err := assemble.ModelAt(s, t, "beta", beta)
			if err != nil {
				return nil, err
			}
			p := maps.Clone(params)
			p["beta"] = beta
			units = append(units, disorderUnit{p, sample, rs.Observables, m, t, r, len(sum.Ladder.Rungs)})
		}
	}
	return units, nil
}

// averageGroup averages one point's samples.
func averageGroup(s *job.Spec, lay job.Layout, us []disorderUnit) (*DisorderGroup, error) {
	g := &DisorderGroup{Params: us[0].params, Derived: map[string]DisorderValue{}, Warnings: []string{}}
	for _, u := range us {
		g.Samples = append(g.Samples, u.sample)
	}
	avg, loo := averageObservables(g, us)
	if d, ok := us[0].inst.(kind.DisorderDeriver); ok {
		g.Derived = jackknifeDerived(d, avg, loo)
	}
	if h, ok := us[0].inst.(kind.Histogrammed); ok {
		hs, err := histograms(lay, us, h)
		if err != nil {
			return nil, err
		}
		g.Histograms = hs
	}
	if eq, ok := us[0].inst.(kind.Equilibrator); ok {
		if _, applies := eq.Residual(avg); applies {
			e, err := equilibration(s, lay, us)
			if err != nil {
				return nil, err
			}
			g.Equilibration = e
			if math.IsNaN(float64(e.AgreeFrom)) {
				g.Warnings = append(g.Warnings, "equilibration: the equilibrium identity's disorder average is not zero within 3 standard errors in the last log2 bin of Monte Carlo time: the samples are not equilibrated; run longer")
			}
		}
	}
	return g, nil
}

// averageObservables fills the group's averages over samples, their
// errors and the per-sample means, and returns the averages and the
// leave-one-sample-out averages.
func averageObservables(g *DisorderGroup, us []disorderUnit) (avg map[string]float64, loo []map[string]float64) {
	g.Observables, g.PerSample = map[string]DisorderValue{}, map[string][]F{}
	S := float64(len(us))
	avg = map[string]float64{}
	loo = make([]map[string]float64, len(us))
	for i := range loo {
		loo[i] = map[string]float64{}
	}
	for _, n := range slices.Sorted(maps.Keys(us[0].est)) {
		if isBookkeeping(n) {
			continue
		}
		var sum, sq float64
		for _, u := range us {
			v := float64(u.est[n].Mean)
			g.PerSample[n] = append(g.PerSample[n], F(v))
			sum += v
			sq += v * v
		}
		mean := sum / S
		sd := math.Sqrt(math.Max(sq/S-mean*mean, 0) * S / (S - 1))
		g.Observables[n] = DisorderValue{F(mean), F(sd / math.Sqrt(S))}
		avg[n] = mean
		for i, u := range us {
			loo[i][n] = (sum - float64(u.est[n].Mean)) / (S - 1)
		}
	}
	return avg, loo
}

// jackknifeDerived returns the model's functions of the disorder averages
// with their jackknife errors over samples (from the leave-one-out
// averages).
func jackknifeDerived(d kind.DisorderDeriver, avg map[string]float64, loo []map[string]float64) map[string]DisorderValue {
	S := float64(len(loo))
	parts := make([]map[string]float64, len(loo))
	for i := range loo {
		parts[i] = d.DisorderDerived(loo[i])
	}
	out := map[string]DisorderValue{}
	for n, v := range d.DisorderDerived(avg) {
		var m, ss float64
		for _, p := range parts {
			m += p[n]
		}
		m /= S
		for _, p := range parts {
			ss += (p[n] - m) * (p[n] - m)
		}
		out[n] = DisorderValue{F(v), F(math.Sqrt((S - 1) / S * ss))}
	}
	return out
}

// equilibration bins each sample's recorded series by log₂ of Monte Carlo
// time, takes the model's residual of each bin's means, and averages it
// over samples.
func equilibration(s *job.Spec, lay job.Layout, us []disorderUnit) (*Equilibration, error) {
	type acc struct{ sum, sq float64 }
	bins := map[int]*acc{}
	arrays := map[string]map[string][][]float64{} // task → name → rows, read once per task
	for _, u := range us {
		series, err := unitSeries(lay, u, arrays)
		if err != nil {
			return nil, err
		}
		for k, means := range binMeans(s, series) {
			r, _ := u.inst.(kind.Equilibrator).Residual(means)
			if bins[k] == nil {
				bins[k] = &acc{}
			}
			bins[k].sum += r
			bins[k].sq += r * r
		}
	}
	e := &Equilibration{AgreeFrom: F(math.NaN())}
	S := float64(len(us))
	for _, k := range slices.Sorted(maps.Keys(bins)) {
		b := bins[k]
		mean := b.sum / S
		se := math.Sqrt(math.Max(b.sq/S-mean*mean, 0) / (S - 1))
		e.Bins = append(e.Bins, EquilibrationBin{From: 1 << k, To: 2 << k, Residual: F(mean), Stderr: F(se)})
	}
	for i := len(e.Bins) - 1; i >= 0; i-- {
		b := e.Bins[i]
		if math.Abs(float64(b.Residual)) > 3*float64(b.Stderr) {
			break
		}
		e.AgreeFrom = F(b.From)
	}
	return e, nil
}

// unitSeries returns a unit's recorded series of the observables (its
// rung's rows of a ladder), reading each task's arrays once (arrays).
func unitSeries(lay job.Layout, u disorderUnit, arrays map[string]map[string][][]float64) (map[string][][]float64, error) {
	a := arrays[u.task.Name()]
	if a == nil {
		a = map[string][][]float64{}
		for n := range u.est {
			if isBookkeeping(n) {
				continue
			}
			rows, err := npy.Read(lay.NPY(u.task.Name(), n))
			if err != nil {
				return nil, err
			}
			a[n] = rows
		}
		arrays[u.task.Name()] = a
	}
	series := map[string][][]float64{}
	for n, rows := range a {
		for row := range rows {
			if u.rung < 0 || row%u.rungs == u.rung {
				series[n] = append(series[n], rows[row])
			}
		}
	}
	return series, nil
}

// binMeans returns the means of the series over all chains in each log₂
// bin k of Monte Carlo time t ∈ [2^k, 2^{k+1}), t = thermalize + (d + 1) ·
// measure_every for draw d.
func binMeans(s *job.Spec, series map[string][][]float64) map[int]map[string]float64 {
	sums, counts := map[int]map[string]float64{}, map[int]map[string]float64{}
	for name, rows := range series {
		for _, row := range rows {
			for d, v := range row {
				k := bits.Len(uint(s.Sampler.Thermalize+(d+1)*s.Sampler.MeasureEvery)) - 1
				if sums[k] == nil {
					sums[k], counts[k] = map[string]float64{}, map[string]float64{}
				}
				sums[k][name] += v
				counts[k][name]++
			}
		}
	}
	for k, m := range sums {
		for name := range m {
			m[name] /= counts[k][name]
		}
	}
	return sums
}

// histograms averages each sample's normalised histogram of the
// observables the model asks for.
func histograms(lay job.Layout, us []disorderUnit, h kind.Histogrammed) (map[string]*Histogram, error) {
	out := map[string]*Histogram{}
	for _, name := range slices.Sorted(maps.Keys(us[0].est)) {
		edges := h.Histogram(name)
		if edges == nil {
			continue
		}
		hist := &Histogram{Edges: edges, P: make([]float64, len(edges)-1)}
		for _, u := range us {
			a, err := npy.Read(lay.NPY(u.task.Name(), name))
			if err != nil {
				return nil, err
			}
			counts := make([]float64, len(hist.P))
			var n float64
			for row := range a {
				if u.rung >= 0 && row%u.rungs != u.rung {
					continue
				}
				for _, v := range a[row] {
					i, found := slices.BinarySearch(edges, v)
					if !found {
						i-- // edges[i] < v < edges[i+1]
					}
					if i >= 0 && i < len(counts) {
						counts[i]++
						n++
					}
				}
			}
			for i, c := range counts {
				hist.P[i] += c / n / float64(len(us))
			}
		}
		out[name] = hist
	}
	return out, nil
}

// DisorderTable formats disorder averages: a row per group with the
// averages of the observables and the derived quantities, then the
// equilibration test's verdict ("" when there are no groups).
func DisorderTable(groups []*DisorderGroup) string {
	if len(groups) == 0 {
		return ""
	}
	params := slices.Sorted(maps.Keys(groups[0].Params))
	obs := slices.Sorted(maps.Keys(groups[0].Observables))
	der := slices.Sorted(maps.Keys(groups[0].Derived))
	head := append(slices.Clone(params), "samples")
	for _, n := range obs {
		head = append(head, "["+n+"]")
	}
	head = append(head, der...)
	rows := [][]string{head}
	var notes strings.Builder
	for _, g := range groups {
		row := []string{}
		for _, p := range params {
			row = append(row, fmt.Sprintf("%.6g", g.Params[p]))
		}
		row = append(row, fmt.Sprint(len(g.Samples)))
		for _, n := range obs {
			row = append(row, PM(float64(g.Observables[n].Value), float64(g.Observables[n].Stderr)))
		}
		for _, n := range der {
			row = append(row, PM(float64(g.Derived[n].Value), float64(g.Derived[n].Stderr)))
		}
		rows = append(rows, row)
		if e := g.Equilibration; e != nil {
			where := strings.Join(sortedParams(g.Params), " ")
			if math.IsNaN(float64(e.AgreeFrom)) {
				fmt.Fprintf(&notes, "  %s: NOT equilibrated (the last bin's residual is %s)\n", where, PM(float64(e.Bins[len(e.Bins)-1].Residual), float64(e.Bins[len(e.Bins)-1].Stderr)))
			} else {
				fmt.Fprintf(&notes, "  %s: equilibrated from Monte Carlo time %d on\n", where, int(e.AgreeFrom))
			}
		}
	}
	out := "\ndisorder averages (errors over samples):\n" + Columns(rows)
	if notes.Len() > 0 {
		out += "equilibration test (Katzgraber–Palassini–Young, per log2 bin of Monte Carlo time):\n" + notes.String()
	}
	return out
}

// ReadDisorder returns the disorder averages of a finished run
// (OUT/summary.json), or nil.
func ReadDisorder(out string) []*DisorderGroup {
	var rs RunSummary
	if err := job.ReadJSON(job.Layout{Out: out}.SummaryAll(), &rs); err != nil {
		return nil
	}
	return rs.Disorder
}
