package tn

import (
	"encoding/json"
	"fmt"
	"github.com/mcflow/mcflow/ad"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mcflow/mcflow/exact"
)

// long (MCFLOW_LONG=1) runs the full β scan.
var long = os.Getenv("MCFLOW_LONG") != ""

// TestTRGExactSmall: two TRG steps without truncation contract the 2×2
// torus exactly.
func TestTRGExactSmall(t *testing.T) {
	for _, beta := range []float64{0.2, 0.4406868, 0.7} {
		r, err := TRG(beta, 1, TRGOptions{Dcut: 16, Steps: 2})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := exact.Kaufman(2, beta, 1)
		if d := math.Abs(r.LnZ - want.LnZ); d > 1e-13 {
			t.Errorf("beta=%v: 2-step TRG lnZ/N %.15g, Kaufman L=2 %.15g", beta, r.LnZ, want.LnZ)
		}
		if d := math.Abs(r.E - want.E); d > 1e-12 {
			t.Errorf("beta=%v: 2-step TRG E/N %.15g, Kaufman L=2 %.15g", beta, r.E, want.E)
		}
		if d := math.Abs(r.C - want.C); d > 1e-11 {
			t.Errorf("beta=%v: 2-step TRG C/N %.15g, Kaufman L=2 %.15g", beta, r.C, want.C)
		}
	}
}

// parallel runs f for every beta on two goroutines.
func parallel[T any](betas []float64, f func(beta float64) T) []T {
	out := make([]T, len(betas))
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

// trgPoint is one β point of TestTRGOnsager, computed in a process of its
// own: its result and the process's peak resident memory.
type trgPoint struct {
	Thermo
	VmHWM int64 // bytes; 0 where /proc/self/status has no VmHWM
	Err   string
}

// The environment variable that makes the test binary a TRG point's
// process: the β to compute.
const trgPointEnv = "MCFLOW_TRG_POINT"

// maxTRGMemory is the peak resident memory allowed to one TRG point at
// Dcut = 24, 30 steps: the whole test process, Go runtime included.
const maxTRGMemory = 300 << 20

// runTRGPoint computes the point in a subprocess (the test binary run
// with trgPointEnv set), so that the kernel's count of its peak memory
// (VmHWM) is that of this computation alone and cannot be fooled by a
// soft limit or by what else the test binary holds.
func runTRGPoint(beta float64) trgPoint {
	cmd := exec.Command(os.Args[0], "-test.run=^TestTRGOnsager$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%v", trgPointEnv, beta))
	out, err := cmd.Output()
	if err != nil {
		return trgPoint{Err: fmt.Sprintf("subprocess: %v\n%s", err, out)}
	}
	for line := range strings.Lines(string(out)) {
		if rest, ok := strings.CutPrefix(line, "TRGPOINT "); ok {
			var p trgPoint
			if err := json.Unmarshal([]byte(rest), &p); err != nil {
				return trgPoint{Err: err.Error()}
			}
			return p
		}
	}
	return trgPoint{Err: "no result in the subprocess's output:\n" + string(out)}
}

// computeTRGPoint is the subprocess's side of runTRGPoint.
func computeTRGPoint(arg string) {
	var p trgPoint
	beta, err := strconv.ParseFloat(arg, 64)
	if err == nil {
		p.Thermo, err = TRG(beta, 1, TRGOptions{Dcut: 24, Steps: 30})
	}
	if err != nil {
		p.Err = err.Error()
	}
	status, _ := os.ReadFile("/proc/self/status")
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			p.VmHWM = kb << 10
		}
	}
	b, _ := json.Marshal(p)
	fmt.Printf("TRGPOINT %s\n", b)
}

// TestTRGOnsager: Dcut = 24, 30 steps against Onsager: lnZ/N within 2e-6
// relative at β_c; for |β − β_c| ≥ 0.01 in [0.40, 0.50], E/N within 1e-4
// and C/N within 2%; E and C finite everywhere, β_c included. Each point
// runs in a process of its own, whose peak resident memory must stay
// below maxTRGMemory: the forward-mode derivatives keep nothing of
// earlier steps.
func TestTRGOnsager(t *testing.T) {
	if arg := os.Getenv(trgPointEnv); arg != "" {
		computeTRGPoint(arg)
		return
	}
	betas := []float64{0.43, exact.BetaC, 0.45}
	if long {
		betas = []float64{0.40, 0.41, 0.42, 0.43, exact.BetaC, 0.45, 0.46, 0.47, 0.48, 0.49, 0.50}
	}
	res := parallel(betas, runTRGPoint)
	for i, beta := range betas {
		r := res[i]
		if r.Err != "" {
			t.Errorf("beta=%v: %s", beta, r.Err)
			continue
		}
		on, _ := exact.Onsager(beta, 1)
		t.Logf("beta=%.7f: lnZ/N rel. error %.2e, E/N error %.2e, C/N rel. error %.2e (C=%.4f); peak memory %d MB",
			beta, (r.LnZ-on.LnZ)/on.LnZ, r.E-on.E, (r.C-on.C)/on.C, r.C, r.VmHWM>>20)
		if r.VmHWM > maxTRGMemory {
			t.Errorf("beta=%v: peak resident memory %d MB > %d MB", beta, r.VmHWM>>20, maxTRGMemory>>20)
		}
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

// TestTRGFiniteDifferences: the forward-mode derivatives are those of TRG's own
// lnZ(β) (fixed Dcut = 16, 20 steps, randomized SVD with 16 extra probes
// and 4 subspace iterations): E against a central difference with h = 1e-4
// (truncation error ~h²·lnZ”'/6 ~ 1e-8) to 1e-6 relative, C against a
// second difference with h = 1e-4 (truncation ~h²·lnZ””/12 ~ 1e-7; the
// rounding noise of lnZ, ~1e-13 here, gives ~1e-5) to 1e-4 relative.
// (With the default 8 probes and 2 iterations lnZ carries ~1e-11 of
// rounding noise, too much for a second difference at this step, though
// not for the derivatives by jets.)
func TestTRGFiniteDifferences(t *testing.T) {
	o := TRGOptions{Dcut: 16, Steps: 20, Oversample: 16, PowerIters: 4}
	lnZ := func(b float64) float64 {
		r, err := TRG(b, 1, o)
		if err != nil {
			t.Fatal(err)
		}
		return r.LnZ
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
			t.Errorf("beta=%v: E by jets %.12f, finite difference %.12f (relative %.2e)", beta, r.E, fdE, d)
		}
		if d := math.Abs(r.C-fdC) / math.Abs(fdC); d > 1e-4 {
			t.Errorf("beta=%v: C by jets %.10f, finite difference %.10f (relative %.2e)", beta, r.C, fdC, d)
		}
	}
}

// BenchmarkTRG is torch_ref.py trg (K = 0.44, Dcut = 24, 20 steps), with
// E and C by forward-mode jets where PyTorch times lnZ alone. As
// torch_ref.py does, one warm-up run is not timed.
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

// TestTRGGolden: TRG (Dcut 16, 20 steps) and 2D HOTRG (Dcut 12, 10 steps)
// at β_c against values of the OpenBLAS/LAPACK build, which the pure-Go
// build (CGO_ENABLED=0: gonum's GEMM, SVD and eigensolver) must
// reproduce: ln Z and E to 1e-10, C to 1e-6 relative for TRG (its
// randomized SVD carries rounding into C at ~3e-7 between the two
// builds at Dcut 24), 1e-10 for HOTRG.
func TestTRGGolden(t *testing.T) {
	trg, err := TRG(exact.BetaC, 1, TRGOptions{Dcut: 16, Steps: 20})
	if err != nil {
		t.Fatal(err)
	}
	hot, err := HOTRG(exact.BetaC, 1, HOTRGOptions{Dim: 2, Dcut: 12, Steps: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want Thermo
		tolC      float64
	}{
		{"TRG", trg, Thermo{LnZ: trgGolden[0], E: trgGolden[1], C: trgGolden[2]}, 1e-6},
		{"HOTRG", hot, Thermo{LnZ: hotrgGolden[0], E: hotrgGolden[1], C: hotrgGolden[2]}, 1e-10},
	} {
		for _, q := range []struct {
			name      string
			got, want float64
			tol       float64
		}{{"lnZ/N", c.got.LnZ, c.want.LnZ, 1e-10}, {"E/N", c.got.E, c.want.E, 1e-10}, {"C/N", c.got.C, c.want.C, c.tolC}} {
			if d := math.Abs(q.got-q.want) / math.Abs(q.want); !(d <= q.tol) {
				t.Errorf("%s (%s, %s): %s %.15g, golden %.15g (relative %.1e > %.0e)", c.name, ad.BLASName, ad.LAPACKName, q.name, q.got, q.want, d, q.tol)
			}
		}
	}
}

// The golden values (ln Z/N, E/N, C/N), from the OpenBLAS/LAPACK build;
// the pure-Go build gave TRG's E 5e-11 and C 6e-8 (relative) away from
// them, HOTRG's everything within 1e-15.
var (
	trgGolden   = [3]float64{0.92969173849866804, -1.4155828985909185, 3.4946253414964099}
	hotrgGolden = [3]float64{0.92969446070479189, -1.4148210171451796, 3.626468944169905}
)
