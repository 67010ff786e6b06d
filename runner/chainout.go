package runner

import (
	"os"
	"path/filepath"

	"github.com/mcflow/mcflow/io/npy"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/kind"
)

// writeChainOutputs writes what the task's chains hold at the end of a
// run beside their series: the states after divergent transitions
// (kind.Diverging) and the adapted step sizes and metrics (kind.Adapted).
// Chains without them write nothing.
func (r *taskRun) writeChainOutputs() error {
	name := r.t.Name()
	var rows []float64
	cols, diverging := 0, false
	adapt := kind.AdaptFile{Sampler: r.s.Sampler.Kind, Task: name}
	for c, ch := range r.b.Chains {
		if d, ok := ch.(kind.Diverging); ok {
			draws, states, ok := d.Divergences()
			diverging = diverging || ok
			for i, x := range states {
				cols = 2 + len(x)
				rows = append(append(rows, float64(c), float64(draws[i])), x...)
			}
		}
		if a, ok := ch.(kind.Adapted); ok {
			if ad, ok := a.Adaptation(); ok {
				adapt.Chains = append(adapt.Chains, ad)
				adapt.Dim = max(len(ad.InvMetric), len(ad.InvMetricDense))
				adapt.Dense = ad.InvMetricDense != nil
			}
		}
	}
	if diverging {
		if c, ok := r.b.Inst.(kind.Continuous); ok && cols == 0 { // none: an empty array of the right width
			cols = 2 + c.Target().Dim()
		}
		if err := os.MkdirAll(filepath.Dir(r.lay.Divergences(name)), 0o755); err != nil {
			return err
		}
		if err := npy.WriteArray(r.lay.Divergences(name), []int{len(rows) / cols, cols}, rows); err != nil {
			return err
		}
	}
	if len(adapt.Chains) > 0 {
		if err := os.MkdirAll(filepath.Dir(r.lay.Adapt(name)), 0o755); err != nil {
			return err
		}
		return job.WriteJSON(r.lay.Adapt(name), adapt)
	}
	return nil
}
