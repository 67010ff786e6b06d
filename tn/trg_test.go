package tn

import (
	"math"
	"os"
	"sync"
	"testing"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/exact"
)

// long (MCFLOW_LONG=1) runs the full β scan.
var long = os.Getenv("MCFLOW_LONG") != ""

// TestTRGExactSmall: two TRG steps without truncation contract the 2×2
// torus exactly.
func TestTRGExactSmall(t *testing.T) {
	for _, beta := range []float64{0.2, 0.4406868, 0.7} {
		l, err := TRGLnZ(ad.Const(ad.Scalar(beta)), 1, TRGOptions{Dcut: 16, Steps: 2})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := exact.Kaufman(2, beta, 1)
		if d := math.Abs(l.Item() - want.LnZ); d > 1e-13 {
			t.Errorf("beta=%v: 2-step TRG lnZ/N %.15g, Kaufman L=2 %.15g", beta, l.Item(), want.LnZ)
		}
	}
}

// parallel runs f for every beta on two goroutines.
func parallel(betas []float64, f func(beta float64) Thermo) []Thermo {
	out := make([]Thermo, len(betas))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, b := range betas {
		wg.Go(func() {
			sem <- struct{}{}
			out[i] = f(b)
			<-sem
		})
	}
	wg.Wait()
	return out
}

// TestTRGOnsager: Dcut = 24, 30 steps against Onsager: lnZ/N within 2e-6
// relative at β_c; for |β − β_c| ≥ 0.01 in [0.40, 0.50], E/N within 1e-4
// and C/N within 2%; E and C finite everywhere, β_c included.
func TestTRGOnsager(t *testing.T) {
	betas := []float64{0.43, exact.BetaC, 0.45}
	if long {
		betas = []float64{0.40, 0.41, 0.42, 0.43, exact.BetaC, 0.45, 0.46, 0.47, 0.48, 0.49, 0.50}
	}
	res := parallel(betas, func(b float64) Thermo {
		r, err := TRG(b, 1, TRGOptions{Dcut: 24, Steps: 30})
		if err != nil {
			t.Error(err)
		}
		return r
	})
	for i, beta := range betas {
		r := res[i]
		on, _ := exact.Onsager(beta, 1)
		t.Logf("beta=%.7f: lnZ/N rel. error %.2e, E/N error %.2e, C/N rel. error %.2e (C=%.4f)",
			beta, (r.LnZ-on.LnZ)/on.LnZ, r.E-on.E, (r.C-on.C)/on.C, r.C)
		for _, v := range []float64{r.LnZ, r.E, r.C} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("beta=%v: non-finite result %+v", beta, r)
			}
		}
		if beta == exact.BetaC {
			if d := math.Abs(r.LnZ-on.LnZ) / on.LnZ; d > 2e-6 {
				t.Errorf("beta_c: lnZ/N relative error %.2e > 2e-6", d)
			}
			continue
		}
		if d := math.Abs(r.E - on.E); d > 1e-4 {
			t.Errorf("beta=%v: E/N %.8f, Onsager %.8f (error %.2e > 1e-4)", beta, r.E, on.E, d)
		}
		if d := math.Abs(r.C-on.C) / on.C; d > 0.02 {
			t.Errorf("beta=%v: C/N %.5f, Onsager %.5f (relative error %.2e > 2%%)", beta, r.C, on.C, d)
		}
	}
}

// TestTRGFiniteDifferences: the AD derivatives are those of TRG's own
// lnZ(β) (fixed Dcut = 16, 20 steps, randomized SVD with 16 extra probes
// and 4 subspace iterations): E against a central difference with h = 1e-4
// (truncation error ~h²·lnZ”'/6 ~ 1e-8) to 1e-6 relative, C against a
// second difference with h = 1e-4 (truncation ~h²·lnZ””/12 ~ 1e-7; the
// rounding noise of lnZ, ~1e-13 here, gives ~1e-5) to 1e-4 relative.
// (With the default 8 probes and 2 iterations lnZ carries ~1e-11 of
// rounding noise, too much for a second difference at this step, though
// not for the AD derivatives.)
func TestTRGFiniteDifferences(t *testing.T) {
	o := TRGOptions{Dcut: 16, Steps: 20, Oversample: 16, PowerIters: 4}
	lnZ := func(b float64) float64 {
		l, err := TRGLnZ(ad.Const(ad.Scalar(b)), 1, o)
		if err != nil {
			t.Fatal(err)
		}
		return l.Item()
	}
	for _, beta := range []float64{0.42, 0.46} {
		r, err := TRG(beta, 1, o)
		if err != nil {
			t.Fatal(err)
		}
		const hE, hC = 1e-4, 1e-4
		fdE := -(lnZ(beta+hE) - lnZ(beta-hE)) / (2 * hE)
		fdC := beta * beta * (lnZ(beta+hC) - 2*lnZ(beta) + lnZ(beta-hC)) / (hC * hC)
		if d := math.Abs(r.E-fdE) / math.Abs(fdE); d > 1e-6 {
			t.Errorf("beta=%v: E by AD %.12f, finite difference %.12f (relative %.2e)", beta, r.E, fdE, d)
		}
		if d := math.Abs(r.C-fdC) / math.Abs(fdC); d > 1e-4 {
			t.Errorf("beta=%v: C by AD %.10f, finite difference %.10f (relative %.2e)", beta, r.C, fdC, d)
		}
	}
}

// BenchmarkTRG is torch_ref.py trg (K = 0.44, Dcut = 24, 20 steps), with
// E and C by AD where PyTorch times lnZ alone. As torch_ref.py does, one
// warm-up run is not timed (the first run of a process also pays for the
// heap's growth: page faults on ~GBs of fresh memory).
func BenchmarkTRG(b *testing.B) {
	if _, err := TRG(0.44, 1, TRGOptions{Dcut: 24, Steps: 20}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := TRG(0.44, 1, TRGOptions{Dcut: 24, Steps: 20}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e9, "s/lnZ+E+C")
}
