package results

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mcflow/mcflow/mc/stats"
)

// Thresholds of the diagnostics.
const (
	maxRhat      = 1.01 // Vehtari et al. (2021)
	minESS       = 400  // ess_bulk and ess_tail: 100 per chain for 4 chains
	minAccept    = 0.01
	minEBFMI     = 0.3
	symmetryWarn = "symmetry:" // the prefix of the warnings --strict ignores
)

// bookkeepingNames are the samplers' series that describe the sampler,
// not the target: they are summarised but not diagnosed.
var bookkeepingNames = []string{"accept", "accept_prob", "divergent", "energy", "ebfmi", "cluster",
	"n_flow", "n_flow_accepted", "n_local", "n_local_accepted",
	"walker", "swap_tried", "swap_accepted", "trips", "tree_depth", "n_leapfrog", "at_max_depth"}

// ladderSeries are a tempering ladder's series (mc/tempering.Series).
var ladderSeries = []string{"walker", "swap_tried", "swap_accepted", "trips"}

func isBookkeeping(name string) bool { return slices.Contains(bookkeepingNames, name) }

// bookkeeping fills the acceptance fractions (from counts), the number of
// divergences and each chain's E-BFMI from the samplers' series.
func bookkeeping(sum *TaskSummary, obs map[string][][]float64) {
	total := func(name string) float64 {
		var t float64
		for _, c := range obs[name] {
			for _, v := range c {
				t += v
			}
		}
		return t
	}
	if _, ok := obs["accept"]; ok {
		// Every measurement interval holds the same number of proposals,
		// so the mean of the intervals' fractions is the fraction of all.
		sum.Acceptance = map[string]F{"accept": sum.Observables["accept"].Mean}
	}
	if _, ok := obs["n_flow"]; ok {
		sum.Acceptance["accept_flow"] = F(total("n_flow_accepted") / total("n_flow"))
		sum.Acceptance["accept_local"] = F(total("n_local_accepted") / total("n_local"))
	}
	if _, ok := obs["divergent"]; ok {
		n := int(total("divergent"))
		sum.Divergences = &n
	}
	if _, ok := obs["at_max_depth"]; ok {
		n := int(total("at_max_depth"))
		sum.AtMaxDepth = &n
	}
	for _, c := range obs["ebfmi"] { // running values: the last covers all recorded steps
		if len(c) > 0 {
			sum.EBFMI = append(sum.EBFMI, F(c[len(c)-1]))
		}
	}
}

// diagnose returns the task's warnings, each with a stable prefix:
//
//	rhat:         an observable's R-hat exceeds 1.01
//	ess:          its ess_bulk or ess_tail is below 400
//	bins:         its error (or a derived quantity's) comes from fewer than
//	              20 bins or from bins shorter than 5·τ_int
//	accept:       fewer than 1% of proposals accepted
//	divergences:  HMC trajectories diverged
//	max_depth:    NUTS transitions stopped at the maximum tree depth
//	ebfmi:        a chain's E-BFMI is below 0.3
//	constant:     an observable never changed in any chain
//	symmetry:     an observable odd under a symmetry (odd maps it to its
//	              even partner) does not mix between its signs; this
//	              warning does not count for --strict
func diagnose(sum *TaskSummary, odd map[string]string) []string {
	w := []string{}
	perChain := sum.Draws
	for _, n := range sortedNames(sum.Observables) {
		if isBookkeeping(n) {
			continue
		}
		e := sum.Observables[n]
		if math.IsNaN(float64(e.TauInt)) && float64(e.Stderr) == 0 {
			w = append(w, fmt.Sprintf("constant: %s: = %v in every draw of every chain: the chains may not move at all (R-hat and ESS are undefined); if the value is exact, ignore this", n, float64(e.Mean)))
			continue
		}
		var mix []string
		if r := float64(e.Rhat); r > maxRhat || math.IsNaN(r) {
			mix = append(mix, fmt.Sprintf("R-hat = %.3g > %g", r, maxRhat))
		}
		if b, t := float64(e.ESSBulk), float64(e.ESSTail); !(b >= minESS && t >= minESS) {
			mix = append(mix, fmt.Sprintf("ess_bulk = %.0f, ess_tail = %.0f, want both >= %d", b, t, minESS))
		}
		if even, ok := odd[n]; ok && len(mix) > 0 {
			w = append(w, fmt.Sprintf("%s %s: chains do not tunnel between +%s and −%s (%s); use %s", symmetryWarn, n, n, n, strings.Join(mix, "; "), even))
			continue
		}
		if r := float64(e.Rhat); r > maxRhat || math.IsNaN(r) {
			w = append(w, fmt.Sprintf("rhat: %s: R-hat = %.3g > %g: the chains disagree (not mixed, or not thermalized): run longer, thermalize more", n, r, maxRhat))
		}
		if b, t := float64(e.ESSBulk), float64(e.ESSTail); !(b >= minESS && t >= minESS) {
			w = append(w, fmt.Sprintf("ess: %s: ess_bulk = %.0f, ess_tail = %.0f, want both >= %d: run longer (or more chains)", n, b, t, minESS))
		}
		if tau := float64(e.TauInt); !stats.Reliable(tau, e.BinLen, e.Bins) && float64(e.Stderr) > 0 {
			w = append(w, fmt.Sprintf("bins: %s: error from %d bins of %d draws (want >= %d bins of >= 5·τ_int): run longer: τ_int = %.4g draws, %d draws per chain", n, e.Bins, e.BinLen, stats.MinBlocks, tau, perChain))
		}
	}
	for _, n := range sortedNames(sum.Derived) {
		d := sum.Derived[n]
		if tau := float64(d.TauInt); !stats.Reliable(tau, d.BlockLen, d.Blocks) && float64(d.Stderr) != 0 {
			w = append(w, fmt.Sprintf("bins: %s: jackknife error from %d blocks of %d draws (want >= %d blocks of >= 5·τ_int): run longer: τ_int = %.4g draws, %d draws per chain", n, d.Blocks, d.BlockLen, stats.MinBlocks, tau, perChain))
		}
	}
	for _, k := range sortedNames(sum.Acceptance) {
		if a := float64(sum.Acceptance[k]); a < minAccept {
			w = append(w, fmt.Sprintf("accept: %s = %.2g%% of proposals (< %g%%): the chains barely move", k, 100*a, 100*minAccept))
		}
	}
	if d := sum.Divergences; d != nil && *d > 0 {
		w = append(w, fmt.Sprintf("divergences: %d divergent trajectories in the recorded steps: the integrator is unstable there (lower eps, raise target_accept); the result may be biased", *d))
	}
	if d := sum.AtMaxDepth; d != nil && *d > 0 {
		w = append(w, fmt.Sprintf("max_depth: %d NUTS transitions stopped at max_depth before the trajectory turned: they explore less than NUTS would (raise max_depth, or adapt the metric)", *d))
	}
	for c, b := range sum.EBFMI {
		if float64(b) < minEBFMI {
			w = append(w, fmt.Sprintf("ebfmi: chain %d: E-BFMI = %.3g < %g: the momenta explore the energy poorly (adapt the metric, or reparametrize)", c, float64(b), minEBFMI))
		}
	}
	return w
}

// Strict returns the warnings that count for --strict: all but the
// symmetry ones.
func Strict(warnings []string) []string {
	var out []string
	for _, w := range warnings {
		if !strings.HasPrefix(w, symmetryWarn) {
			out = append(out, w)
		}
	}
	return out
}

// flagged reports whether a warning names the quantity n.
func flagged(warnings []string, n string) bool {
	for _, w := range warnings {
		if _, rest, ok := strings.Cut(w, ": "); ok && strings.HasPrefix(rest, n+":") {
			return true
		}
	}
	return false
}
