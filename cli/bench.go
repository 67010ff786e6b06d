package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
	"github.com/mcflow/mcflow/results"
)

// cmdBench runs `mcflow bench scaling`: a fixed Metropolis workload on 1,
// 2, …, P workers, with throughput and parallel efficiency.
func cmdBench(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "scaling" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			args = []string{"scaling", "-h"}
		} else {
			fmt.Fprintf(stderr, "mcflow bench: want `mcflow bench scaling [flags]` (make bench runs the benchmarks against the C and PyTorch references)\n")
			return job.ExitUsage
		}
	}
	fs := flag.NewFlagSet("bench scaling", flag.ContinueOnError)
	fs.SetOutput(stderr)
	maxW := fs.Int("max-workers", runtime.NumCPU(), "largest number of workers `P`")
	L := fs.Int("L", 128, "lattice size")
	chains := fs.Int("chains", 0, "chains (default 8·P; a multiple of 64 replicas for multispin: 64·P)")
	sweeps := fs.Int("sweeps", 0, "sweeps per chain (default: about 2 s of work on one worker)")
	engine := fs.String("engine", "plain", "Metropolis engine: plain or multispin")
	if _, err := parseInterleaved(fs, args[1:]); err != nil {
		if err == flag.ErrHelp {
			return job.ExitDone
		}
		return job.ExitUsage
	}
	if *maxW < 1 || *L < 2 || *chains < 0 || *sweeps < 0 || (*engine != "plain" && *engine != "multispin") {
		fmt.Fprintf(stderr, "mcflow: bench scaling: want --max-workers >= 1, --L >= 2, --engine plain or multispin\n")
		return job.ExitUsage
	}
	per := 1
	if *engine == "multispin" {
		per = ising.Replicas
	}
	if *chains == 0 {
		*chains = 8 * *maxW * per
		if per > 1 {
			*chains = *maxW * per
		}
	}
	if *chains%per != 0 {
		fmt.Fprintf(stderr, "mcflow: bench scaling: --chains %d is not a multiple of %d replicas\n", *chains, per)
		return job.ExitUsage
	}
	units := *chains / per
	p := ising.Params{L: *L, Beta: 0.4406868, J: 1}
	build := func() []mc.Chain {
		cs := make([]mc.Chain, units)
		for u := range cs {
			if per > 1 {
				cs[u] = ising.NewMultispin(p, true, mc.NewStream(1, "", mc.Moves, uint64(0), uint64(u)))
			} else {
				cs[u] = ising.NewMetropolis(p, true, mc.NewStream(1, "", mc.Moves, uint64(0), uint64(u)))
			}
		}
		return cs
	}
	nobs := len(ising.Observables) * per
	run := func(w, n int) (time.Duration, error) {
		pool := &mc.Pool{Chains: build(), Workers: w, NObs: nobs}
		start := time.Now()
		_, err := pool.Run(context.Background(), mc.Plan{Draws: n / 10, MeasureEvery: 10}, mc.Progress{}, func(mc.Progress, mc.Block) error { return nil })
		return time.Since(start), err
	}
	if *sweeps == 0 { // calibrate: ~2 s on one worker
		d, err := run(1, 20)
		if err != nil {
			fmt.Fprintf(stderr, "mcflow: %v\n", err)
			return job.ExitError
		}
		*sweeps = max(20, int(20*2*time.Second/max(d, time.Millisecond))/10*10)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cs := build()
	runtime.ReadMemStats(&after)
	state, _ := cs[0].MarshalBinary()
	runtime.KeepAlive(cs)
	fmt.Fprintf(stdout, "mcflow bench scaling: %s Metropolis, L=%d, %d chains, %d sweeps each (%.3g flips), %d CPU(s)\n",
		*engine, *L, *chains, *sweeps, float64(*chains)*float64(*sweeps)*float64(*L**L), runtime.NumCPU())
	fmt.Fprintf(stdout, "memory per chain: %.0f bytes allocated (heap), %.0f bytes of state in a checkpoint\n",
		float64(after.TotalAlloc-before.TotalAlloc)/float64(*chains), float64(len(state))/float64(per))
	rows := [][]string{{"workers", "seconds", "flips/ns", "speed-up", "efficiency"}}
	var t1 float64
	for w := 1; w <= *maxW; w++ {
		d, err := run(w, *sweeps)
		if err != nil {
			fmt.Fprintf(stderr, "mcflow: %v\n", err)
			return job.ExitError
		}
		rate := float64(*chains) * float64(*sweeps) * float64(*L**L) / float64(d.Nanoseconds())
		if w == 1 {
			t1 = rate
		}
		rows = append(rows, []string{fmt.Sprint(w), fmt.Sprintf("%.3f", d.Seconds()), fmt.Sprintf("%.3f", rate),
			fmt.Sprintf("%.2f×", rate/t1), fmt.Sprintf("%.0f%%", 100*rate/t1/float64(w))})
	}
	fmt.Fprint(stdout, results.Columns(rows))
	return job.ExitDone
}
