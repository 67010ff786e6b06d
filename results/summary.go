package results

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/mcflow/mcflow/assemble"
	"github.com/mcflow/mcflow/io/ckpt"
	"github.com/mcflow/mcflow/io/npy"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/mc/stats"
)

// Recorded returns the names of a task's recorded series: from its kinds
// when this program has them, else from its summary (the output of
// another program, read by merge and export).
func recorded(s *job.Spec, t job.Task, lay job.Layout) ([]string, error) {
	if s.Model.Def != nil && s.Sampler.Def != nil {
		return assemble.Observables(s, t)
	}
	sum, err := ReadSummary(lay.Summary(t.Name()))
	if err != nil || len(sum.Recorded) == 0 {
		return nil, assemble.ErrUnregistered(s)
	}
	return sum.Recorded, nil
}

// F is a float64 that is null in JSON when it is NaN or infinite.
type F float64

// MarshalJSON writes null for NaN and ±Inf.
func (f F) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads null as NaN.
func (f *F) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = F(math.NaN())
		return nil
	}
	var v float64
	err := json.Unmarshal(b, &v)
	*f = F(v)
	return err
}

// Est is the summary of one observable (see stats.Estimate).
type Est struct {
	Mean          F   `json:"mean"`
	Stderr        F   `json:"stderr"`
	StderrBinning F   `json:"stderr_binning"`
	TauInt        F   `json:"tau_int"`
	ESS           F   `json:"ess"`
	TauSokal      F   `json:"tau_sokal"`
	Rhat          F   `json:"rhat"`
	N             int `json:"n"`
	ESSBulk       F   `json:"ess_bulk"`
	ESSTail       F   `json:"ess_tail"`
	BinLen        int `json:"bin_len"` // draws per bin of stderr_binning (⌈5·tau_int⌉)
	Bins          int `json:"bins"`
}

// Val is a derived quantity with its jackknife error from Blocks blocks of
// BlockLen draws (⌈5·TauInt⌉, TauInt the slowest input's).
type Val struct {
	Value    F   `json:"value"`
	Stderr   F   `json:"stderr"`
	BlockLen int `json:"block_len"`
	Blocks   int `json:"blocks"`
	TauInt   F   `json:"tau_int"`
}

// TaskSummary is summary/<task>.json.
type TaskSummary struct {
	Task    int                `json:"task"`
	Name    string             `json:"name"`
	Params  map[string]float64 `json:"params"`
	Model   string             `json:"model"`
	Sampler string             `json:"sampler"`
	Engine  string             `json:"engine,omitempty"`
	Chains  int                `json:"chains"`
	Draws   int                `json:"draws"`
	// Partial marks the summary of a task that has not finished: its
	// statistics are of the draws of its last checkpoint (`mcflow summary`).
	Partial      bool `json:"partial,omitempty"`
	Thermalize   int  `json:"thermalize"`
	MeasureEvery int  `json:"measure_every"`
	// Recorded names the recorded series in order (npy/<task>/<name>.npy).
	Recorded    []string       `json:"recorded"`
	Observables map[string]Est `json:"observables"`
	Derived     map[string]Val `json:"derived"`
	Exact       *ExactRef      `json:"exact,omitempty"`
	// Acceptance holds acceptance fractions over the recorded steps, from
	// counts: "accept" (all moves), and for flow-MH with local moves
	// "accept_flow" and "accept_local".
	Acceptance map[string]F `json:"acceptance,omitempty"`
	// Divergences counts the divergent HMC trajectories of the recorded
	// steps (all chains); EBFMI is each chain's E-BFMI over them.
	Divergences *int `json:"divergences,omitempty"`
	// AtMaxDepth counts the NUTS transitions of the recorded steps that
	// stopped at max_depth.
	AtMaxDepth *int `json:"at_max_depth,omitempty"`
	EBFMI      []F  `json:"ebfmi,omitempty"`
	// Warnings say why a result may be wrong (see diagnose); empty when
	// all is well.
	Warnings []string `json:"warnings"`
	// PerChain holds each chain's own statistics of every observable
	// (the mean, τ_int and ESS of that chain alone; for `accept`, the
	// chain's acceptance rate), for spotting a chain that is stuck.
	PerChain map[string][]ChainStat `json:"per_chain,omitempty"`
	// Ladder is a tempering sampler's ladder, with the statistics of each
	// rung (Observables and Derived are then empty).
	Ladder *LadderSummary `json:"ladder,omitempty"`
	// Train is the training of the task's flow, when the job trained it.
	Train *TrainSummary `json:"train,omitempty"`
	// Timing is the one part that differs between identical runs.
	Timing Timing `json:"timing"`

	AlreadyDone bool `json:"-"` // found finished on disk, not run now
}

// ChainStat is one chain's statistics of one observable.
type ChainStat struct {
	Mean   F `json:"mean"`
	TauInt F `json:"tau_int"`
	ESS    F `json:"ess"`
}

// ExactRef holds exact per-site values for comparison.
type ExactRef struct {
	Source string       `json:"source"`
	Values map[string]F `json:"values"`
}

func (e *ExactRef) ValuesOf() map[string]F {
	if e == nil {
		return nil
	}
	return e.Values
}

// Timing holds wall-clock figures.
type Timing struct {
	Seconds      F            `json:"seconds"`
	ESSPerSecond map[string]F `json:"ess_per_second"`
	// Kernel names the vector kernel the chains ran (a kernelled chain's:
	// the multispin engines' "avx512", "avx2" or "portable"); the results
	// are the same on every kernel.
	Kernel string `json:"kernel,omitempty"`
}

// kernelled is a chain that runs one of several equivalent kernels.
type kernelled interface{ Kernel() string }

func Summarize(s *job.Spec, t job.Task, b *assemble.Task, obs map[string][][]float64, seconds float64) *TaskSummary {
	var sum *TaskSummary
	if b.Ladder != nil {
		sum = summarizeLadder(s, t, b, obs, seconds)
	} else {
		sum = summarizeChains(s, t, b, obs, seconds)
	}
	if len(b.Chains) > 0 {
		if k, ok := b.Chains[0].(kernelled); ok {
			sum.Timing.Kernel = k.Kernel()
		}
	}
	return sum
}

// newSummary is a task's summary without statistics.
func newSummary(s *job.Spec, t job.Task, seconds float64) *TaskSummary {
	sum := &TaskSummary{
		Task: t.Index, Name: t.Name(), Params: map[string]float64{},
		Model: s.Model.Kind, Sampler: s.Sampler.Kind, Engine: s.Sampler.Values.String("engine"), Chains: s.Sampler.Chains, Draws: s.Draws(),
		Thermalize: s.Sampler.Thermalize, MeasureEvery: s.Sampler.MeasureEvery,
		Observables: map[string]Est{}, Derived: map[string]Val{},
		Timing: Timing{Seconds: F(seconds), ESSPerSecond: map[string]F{}},
	}
	for _, p := range t.Params {
		sum.Params[p.Name] = p.Value
	}
	return sum
}

// summarizeChains summarises a task whose chains sample one model.
func summarizeChains(s *job.Spec, t job.Task, b *assemble.Task, obs map[string][][]float64, seconds float64) *TaskSummary {
	sum := newSummary(s, t, seconds)
	sum.Recorded = b.Names
	for _, n := range b.Names {
		e := stats.Summarize(obs[n])
		sum.Observables[n] = Est{F(e.Mean), F(e.Stderr), F(e.StderrBinning), F(e.TauInt), F(e.ESS), F(e.TauSokal), F(e.Rhat), e.N,
			F(e.ESSBulk), F(e.ESSTail), e.BinLen, e.Bins}
		sum.Timing.ESSPerSecond[n] = F(e.ESS / seconds)
		if len(obs[n]) > 1 && len(obs[n]) <= 256 { // per chain, for the samplers of few chains
			if sum.PerChain == nil {
				sum.PerChain = map[string][]ChainStat{}
			}
			for _, c := range obs[n] {
				one := [][]float64{c}
				var m float64
				for _, v := range c {
					m += v
				}
				sum.PerChain[n] = append(sum.PerChain[n], ChainStat{F(m / float64(len(c))), F(stats.TauInt(one)), F(stats.ESS(one))})
			}
		}
	}
	for k, v := range b.Derived(obs) {
		sum.Derived[k] = Val{F(v.Value), F(v.Stderr), v.BlockLen, v.Blocks, F(v.Tau)}
	}
	bookkeeping(sum, obs)
	sum.Warnings = diagnose(sum, b.Odd())
	if vals, src := b.Exact(); vals != nil {
		ref := &ExactRef{Source: src, Values: map[string]F{}}
		for k, v := range vals {
			ref.Values[k] = F(v)
		}
		sum.Exact = ref
	}
	return sum
}

func ReadSummary(path string) (*TaskSummary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s TaskSummary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// PM formats v ± se in the physicists' notation -1.2345(12): the error in
// units of the last digit shown, two significant digits.
func PM(v, se float64) string {
	if math.IsNaN(v) {
		return "nan"
	}
	if !(se > 0) || math.IsInf(se, 0) || math.IsNaN(se) {
		return fmt.Sprintf("%.6g", v)
	}
	digits := max(0, 1-int(math.Floor(math.Log10(se))))
	digits = min(digits, 12)
	e := int(math.Round(se * math.Pow10(digits)))
	if e >= 100 { // rounding pushed it to three digits
		digits--
		e = int(math.Round(se * math.Pow10(digits)))
	}
	if digits <= 0 {
		return fmt.Sprintf("%.0f(%.0f)", v, se)
	}
	return fmt.Sprintf("%.*f(%d)", digits, v, e)
}

// Table writes the summary table of a run: one row per task with the
// scanned parameters, the observables and derived quantities, τ_int and
// R-hat, and the exact reference where there is one.
func Table(tasks []*TaskSummary, scanned []string) string {
	if len(tasks) == 0 {
		return ""
	}
	sums, ladders := expandLadders(tasks) // a row per rung
	if ladders && !slices.Contains(scanned, "beta") {
		scanned = append(slices.Clone(scanned), "beta")
	}
	var obsNames []string // the observables and the acceptance (the other series are in the summary)
	for _, n := range sortedNames(sums[0].Observables) {
		if n == "accept" || !isBookkeeping(n) {
			obsNames = append(obsNames, n)
		}
	}
	derNames := sortedNames(sums[0].Derived)
	header := []string{"task"}
	header = append(header, scanned...)
	header = append(header, obsNames...)
	header = append(header, derNames...)
	tauOf := "e"
	if _, ok := sums[0].Observables["e"]; !ok {
		for _, n := range obsNames {
			if n != "accept" {
				tauOf = n
				break
			}
		}
	}
	header = append(header, "tau("+tauOf+")", "R-hat")
	var exactCols []string // the exact references shown: those of e, C, q2 that some task has
	for _, k := range []string{"e", "C", "q2"} {
		if slices.ContainsFunc(sums, func(s *TaskSummary) bool { _, ok := s.Exact.ValuesOf()[k]; return ok }) {
			exactCols = append(exactCols, k)
			header = append(header, k+" exact")
		}
	}
	rows := [][]string{header}
	for _, s := range sums {
		row := []string{s.Name}
		if s.Partial {
			row[0] += " (partial)"
		}
		for _, p := range scanned {
			row = append(row, fmt.Sprintf("%.6g", s.Params[p]))
		}
		maxR := math.Inf(-1)
		mark := func(n string) string {
			if flagged(s.Warnings, n) {
				return "*"
			}
			return ""
		}
		for _, n := range obsNames {
			e := s.Observables[n]
			row = append(row, PM(float64(e.Mean), float64(e.Stderr))+mark(n))
			if r := float64(e.Rhat); r > maxR && !isBookkeeping(n) {
				maxR = r
			}
		}
		for _, n := range derNames {
			d := s.Derived[n]
			row = append(row, PM(float64(d.Value), float64(d.Stderr))+mark(n))
		}
		row = append(row, fmt.Sprintf("%.2f", float64(s.Observables[tauOf].TauInt)), fmt.Sprintf("%.3f", maxR))
		for _, k := range exactCols {
			if v, ok := s.Exact.ValuesOf()[k]; ok {
				row = append(row, fmt.Sprintf("%.5f", float64(v)))
			} else {
				row = append(row, "-")
			}
		}
		rows = append(rows, row)
	}
	return Columns(rows) + kernelText(tasks) + LadderText(tasks) + WarningsText(tasks)
}

// kernelText names the kernels the tasks ran on, if any ran a kernelled
// chain ("" otherwise).
func kernelText(tasks []*TaskSummary) string {
	var ks []string
	for _, t := range tasks {
		if k := t.Timing.Kernel; k != "" && !slices.Contains(ks, k) {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		return ""
	}
	return "kernel: " + strings.Join(ks, ", ") + " (results are identical on every kernel)\n"
}

// WarningsText lists the tasks' warnings below a table ("" when there are
// none): values marked * in the table have one.
func WarningsText(sums []*TaskSummary) string {
	var b strings.Builder
	for _, s := range sums {
		for _, w := range s.Warnings {
			if b.Len() == 0 {
				b.WriteString("\nwarnings (* marks a value they concern; symmetry ones do not count for --strict):\n")
			}
			fmt.Fprintf(&b, "  task %s: %s\n", s.Name, w)
		}
	}
	return b.String()
}

// RunWarnings lists every task's warnings prefixed with the task's name.
func RunWarnings(sums []*TaskSummary) []string {
	w := []string{}
	for _, s := range sums {
		for _, x := range s.Warnings {
			w = append(w, "task "+s.Name+": "+x)
		}
	}
	return w
}

// StrictCount is the number of the tasks' warnings that count for
// --strict.
func StrictCount(sums []*TaskSummary) int {
	n := 0
	for _, s := range sums {
		n += len(Strict(s.Warnings))
	}
	return n
}

// Columns lays out rows of cells as left-aligned columns two spaces apart.
func Columns(rows [][]string) string {
	var width []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], len(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			if i == len(r)-1 {
				b.WriteString(c)
			} else {
				fmt.Fprintf(&b, "%-*s", width[i], c)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func sortedNames[V any](m map[string]V) []string {
	var out []string
	// Ising observables first in their canonical order, then the rest.
	for _, n := range []string{"e", "m", "absm", "m2", "cluster", "C", "chi", "U4"} {
		if _, ok := m[n]; ok {
			out = append(out, n)
		}
	}
	var rest []string
	for n := range m {
		if !slices.Contains(out, n) {
			rest = append(rest, n)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// TrainTable formats the training results of tasks: F_q ± error, −ln Z,
// the gap and the ESS per sample.
func TrainTable(sums []*TrainTaskSummary, scanned []string) string {
	head := []string{"task"}
	head = append(head, scanned...)
	head = append(head, "flow", "epochs", "F_q", "-lnZ", "gap", "ESS/sample", "train s")
	rows := [][]string{head}
	for _, s := range sums {
		row := []string{s.Name}
		for _, k := range scanned {
			row = append(row, fmt.Sprintf("%g", s.Params[k]))
		}
		t := s.Train
		mz, gap := "n/a", "n/a"
		if !math.IsNaN(float64(t.MinusLnZ)) {
			mz = fmt.Sprintf("%.5f", float64(t.MinusLnZ))
			gap = PM(float64(t.Gap), float64(t.GapStderr))
		}
		flow := t.Flow
		if t.Density == "approximate" {
			flow += " (approx. density)"
		}
		if t.DensityError != nil {
			flow += fmt.Sprintf(" (%d steps, density ±%.1g)", t.RK4Steps, float64(*t.DensityError))
		}
		row = append(row, flow, fmt.Sprint(t.Epochs), PM(float64(t.Fq), float64(t.FqStderr)), mz, gap,
			PM(float64(t.ESS), float64(t.ESSStderr)), fmt.Sprintf("%.1f", float64(t.Seconds)))
		rows = append(rows, row)
	}
	return Columns(rows)
}

// ReadSummaries reads the summaries of an output directory's tasks in task
// order (`mcflow summary`): those with results, and the names of those
// without (not finished, or sliced and not merged yet).
func ReadSummaries(out string) (s *job.Spec, sums []*TaskSummary, missing []string, err error) {
	if s, err = job.OpenOutput(out); err != nil {
		return nil, nil, nil, err
	}
	lay := job.Layout{Out: out}
	for _, t := range s.Tasks() {
		sum, err := ReadSummary(lay.Summary(t.Name()))
		if err != nil || (len(sum.Observables) == 0 && sum.Ladder == nil) { // none, or a training summary only
			if sum, err = partialSummary(s, t, lay); err != nil || sum == nil {
				missing = append(missing, t.Name())
				continue
			}
		}
		sums = append(sums, sum)
	}
	return s, sums, missing, nil
}

// partialSummary summarises a task that has not finished from the draws of
// its last checkpoint (nil without one, or with fewer than 2 draws),
// reading only: its arrays are cut to those draws, its summary is marked
// partial and warns so.
func partialSummary(s *job.Spec, t job.Task, lay job.Layout) (*TaskSummary, error) {
	name := t.Name()
	c, _, err := ckpt.Load(lay.Ckpt(name))
	if err != nil || c.Finished || c.Draws < 2 {
		return nil, err
	}
	b, err := assemble.New(s, t, lay, 1, nil)
	if err != nil {
		return nil, err
	}
	obs := map[string][][]float64{}
	for _, o := range b.Names {
		a, err := npy.Read(lay.NPY(name, o))
		if err != nil {
			return nil, err
		}
		for i := range a {
			a[i] = a[i][:min(c.Draws, len(a[i]))]
		}
		obs[o] = a
	}
	seconds, _ := strconv.ParseFloat(c.Meta["seconds"], 64)
	sum := Summarize(s, t, b, obs, seconds)
	sum.Partial, sum.Draws = true, c.Draws
	sum.Warnings = append(sum.Warnings, fmt.Sprintf("partial: %d of %d draws per chain (the task is running or was stopped; run it again to finish)", c.Draws, s.Draws()))
	return sum, nil
}
