package builtin

import (
	"math"
	"testing"
)

// The Katzgraber–Palassini–Young identity [e] = −(zβ/2)(1 − [q_l]) for
// Gaussian couplings of unit variance holds for the exact thermal
// averages (enumeration of 2D L = 3 samples): the disorder average of the
// model's Residual is zero within 4 standard errors over samples, at two
// temperatures; it is not for ±J couplings, where the test does not apply.
func TestEAResidualExact(t *testing.T) {
	const samples = 3000
	for _, beta := range []float64{0.5, 1.2} {
		var sum, sq float64
		for s := range samples {
			m := &eaModel{dim: 2, L: 3, beta: beta, gaussian: true, sample: uint64(s)}
			if err := m.Quench(11); err != nil {
				t.Fatal(err)
			}
			ex, _ := m.Exact()
			r, ok := m.Residual(ex)
			if !ok {
				t.Fatal("Residual does not apply to Gaussian couplings")
			}
			sum += r
			sq += r * r
		}
		mean := sum / samples
		se := math.Sqrt((sq/samples - mean*mean) / (samples - 1))
		if math.Abs(mean) > 4*se {
			t.Errorf("beta = %v: [residual] = %.4f ± %.4f over %d samples, want 0", beta, mean, se, samples)
		}
	}
	m := &eaModel{dim: 2, L: 3, beta: 1, sample: 0}
	if _, ok := m.Residual(map[string]float64{}); ok {
		t.Error("Residual applies to ±J couplings")
	}
}
