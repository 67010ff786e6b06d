package results

import (
	"fmt"
	"math"
	"strings"

	"github.com/mcflow/mcflow/assemble"
	"github.com/mcflow/mcflow/job"
)

// LadderSummary is a tempering task's ladder: its inverse temperatures
// (ascending), the swap acceptance of each neighbour pair (r, r+1), the
// walkers' round trips (rung 0 → the last rung → rung 0) over the
// recorded steps, and each rung's statistics as a task summary of its
// own (params with the rung's beta).
type LadderSummary struct {
	Betas      []F `json:"betas"`
	SwapAccept []F `json:"swap_accept"`
	RoundTrips int `json:"round_trips"`
	// RoundTripSteps is the mean number of steps a walker takes for a
	// round trip: chains · rungs · recorded steps / round trips (null
	// when there was none).
	RoundTripSteps F              `json:"round_trip_steps"`
	Rungs          []*TaskSummary `json:"rungs"`
}

// minSwapAccept is the swap acceptance below which a pair is flagged.
const minSwapAccept = 0.05

// summarizeLadder summarises a tempering task rung by rung: rung r's
// series are rows c·R + r of the task's arrays.
func summarizeLadder(s *job.Spec, t job.Task, b *assemble.Task, obs map[string][][]float64, seconds float64) *TaskSummary {
	R := len(b.Ladder)
	sum := newSummary(s, t, seconds)
	sum.Recorded = b.Names
	lad := &LadderSummary{}
	for r, beta := range b.Ladder {
		rung := map[string][][]float64{}
		for _, n := range b.Names {
			for c := r; c < len(obs[n]); c += R {
				rung[n] = append(rung[n], obs[n][c])
			}
		}
		rs := summarizeChains(s, t, &assemble.Task{Names: b.Names, Inst: b.Rungs[r]}, rung, seconds)
		rs.Params["beta"] = beta
		rs.Name = fmt.Sprintf("%s@beta=%.6g", t.Name(), beta)
		lad.Betas = append(lad.Betas, F(beta))
		lad.Rungs = append(lad.Rungs, rs)
		for _, w := range rs.Warnings {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("beta=%g: %s", beta, w))
		}
		if r+1 < R {
			acc := F(total(rung["swap_accepted"]) / total(rung["swap_tried"]))
			lad.SwapAccept = append(lad.SwapAccept, acc)
			if acc < minSwapAccept {
				sum.Warnings = append(sum.Warnings, fmt.Sprintf("swap: rungs beta=%g and %g swapped %.3f of the time: the ladder is cut there; add rungs between them", beta, b.Ladder[r+1], float64(acc)))
			}
		}
		if r == 0 {
			lad.RoundTrips = int(total(rung["trips"]))
		}
	}
	lad.RoundTripSteps = F(math.NaN())
	if lad.RoundTrips > 0 {
		lad.RoundTripSteps = F(float64(s.Sampler.Chains*R*s.Sampler.Sweeps) / float64(lad.RoundTrips))
	} else {
		sum.Warnings = append(sum.Warnings, "roundtrips: no walker went from the highest temperature to the lowest and back in the recorded steps: the rungs do not exchange; results at low temperature are those of the base sampler alone")
	}
	sum.Ladder = lad
	return sum
}

func total(chains [][]float64) float64 {
	var t float64
	for _, c := range chains {
		for _, v := range c {
			t += v
		}
	}
	return t
}

// expandLadders replaces each tempering task's summary by its rungs' (for
// the result table), and reports whether there was one.
func expandLadders(sums []*TaskSummary) ([]*TaskSummary, bool) {
	var out []*TaskSummary
	any := false
	for _, s := range sums {
		if s.Ladder == nil {
			out = append(out, s)
			continue
		}
		any = true
		out = append(out, s.Ladder.Rungs...)
	}
	return out, any
}

// LadderText describes the ladders of tempering tasks below the result
// table: swap acceptances and round trips ("" when there are none).
func LadderText(sums []*TaskSummary) string {
	var b strings.Builder
	for _, s := range sums {
		l := s.Ladder
		if l == nil {
			continue
		}
		acc := make([]string, len(l.SwapAccept))
		for i, a := range l.SwapAccept {
			acc[i] = fmt.Sprintf("%.2f", float64(a))
		}
		fmt.Fprintf(&b, "ladder of task %s: %d rungs, beta %g..%g; swap acceptance %s; %d round trips",
			s.Name, len(l.Betas), float64(l.Betas[0]), float64(l.Betas[len(l.Betas)-1]), strings.Join(acc, " "), l.RoundTrips)
		if l.RoundTrips > 0 {
			fmt.Fprintf(&b, " (%.0f steps each)", float64(l.RoundTripSteps))
		}
		b.WriteString("\n")
	}
	return b.String()
}
