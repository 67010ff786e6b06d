package results

import (
	"math"
	"strings"
	"testing"
)

// diagnose on summaries made to fail one check each: every warning
// appears with its prefix, bookkeeping series are not diagnosed, and the
// symmetry warning does not count for --strict.
func TestDiagnose(t *testing.T) {
	good := Est{Mean: 1, Stderr: 0.01, TauInt: 2, Rhat: 1.001, ESSBulk: 5000, ESSTail: 4000, BinLen: 10, Bins: 800}
	base := func() *TaskSummary {
		return &TaskSummary{Draws: 1000, Observables: map[string]Est{"e": good, "m": good, "absm": good, "accept": good},
			Derived: map[string]Val{"C": {Value: 1, Stderr: 0.1, BlockLen: 10, Blocks: 800, TauInt: 2}}}
	}
	if w := diagnose(base(), map[string]string{"m": "absm"}); len(w) != 0 {
		t.Fatalf("a good summary has warnings %q", w)
	}
	three := 3
	for _, c := range []struct {
		name   string
		change func(s *TaskSummary)
		prefix string
		strict bool
	}{
		{"rhat", func(s *TaskSummary) { e := s.Observables["e"]; e.Rhat = 1.2; s.Observables["e"] = e }, "rhat: e:", true},
		{"rhat NaN", func(s *TaskSummary) { e := s.Observables["e"]; e.Rhat = F(math.NaN()); s.Observables["e"] = e }, "rhat: e:", true},
		{"ess tail", func(s *TaskSummary) { e := s.Observables["absm"]; e.ESSTail = 120; s.Observables["absm"] = e }, "ess: absm:", true},
		{"bins few", func(s *TaskSummary) { e := s.Observables["e"]; e.Bins = 12; s.Observables["e"] = e }, "bins: e:", true},
		{"bins short", func(s *TaskSummary) { e := s.Observables["e"]; e.TauInt = 3; s.Observables["e"] = e }, "bins: e:", true},
		{"jackknife", func(s *TaskSummary) { d := s.Derived["C"]; d.Blocks = 8; s.Derived["C"] = d }, "bins: C:", true},
		{"accept", func(s *TaskSummary) { s.Acceptance = map[string]F{"accept": 0.5, "accept_flow": 0.004} }, "accept: accept_flow", true},
		{"divergences", func(s *TaskSummary) { s.Divergences = &three }, "divergences: 3 ", true},
		{"ebfmi", func(s *TaskSummary) { s.EBFMI = []F{0.9, 0.2} }, "ebfmi: chain 1:", true},
		{"constant", func(s *TaskSummary) {
			e := s.Observables["e"]
			e.TauInt, e.Stderr, e.Rhat, e.ESSBulk = F(math.NaN()), 0, F(math.NaN()), F(math.NaN())
			s.Observables["e"] = e
		}, "constant: e:", true},
		{"symmetry", func(s *TaskSummary) { e := s.Observables["m"]; e.Rhat, e.ESSBulk = 1.5, 30; s.Observables["m"] = e }, "symmetry: m: chains do not tunnel", false},
	} {
		s := base()
		c.change(s)
		w := diagnose(s, map[string]string{"m": "absm"})
		if len(w) != 1 || !strings.HasPrefix(w[0], c.prefix) {
			t.Errorf("%s: warnings %q, want one starting %q", c.name, w, c.prefix)
			continue
		}
		if got := len(Strict(w)) == 1; got != c.strict {
			t.Errorf("%s: counts for --strict: %v, want %v", c.name, got, c.strict)
		}
	}
	// Bookkeeping series are not diagnosed.
	s := base()
	s.Observables["accept"] = Est{Mean: 0.5, Rhat: 3, ESSBulk: 1}
	if w := diagnose(s, nil); len(w) != 0 {
		t.Errorf("accept's R-hat diagnosed: %q", w)
	}
	// The table marks flagged values.
	s = base()
	s.Name, s.Warnings = "0000", []string{"rhat: e: R-hat = 1.2 > 1.01"}
	if tab := Table([]*TaskSummary{s}, nil); !strings.Contains(tab, "1.000(10)*") || !strings.Contains(tab, "task 0000: rhat: e:") {
		t.Errorf("table without the mark or the warning:\n%s", tab)
	}
}
