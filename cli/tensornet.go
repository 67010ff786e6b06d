package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/runner"
	"github.com/mcflow/mcflow/tn"
	"golang.org/x/sync/errgroup"
)

func cmdTRG(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("trg", stderr)
	tf := addTNFlags(fs, 24, "coarse-graining steps (the lattice has 2^steps sites)", 30, "~80 MB at Dcut 24")
	betas, code := tf.parse(fs, args, stderr)
	if betas == nil {
		return code
	}
	opt := tn.TRGOptions{Dcut: *tf.dcut, Steps: *tf.steps}
	if err := opt.Validate(); err != nil {
		fmt.Fprintf(stderr, "mcflow trg: --dcut %d --steps %d: %v\n", *tf.dcut, *tf.steps, err)
		return job.ExitUsage
	}
	return tnScan{
		name: "trg", dim: 2, label: fmt.Sprintf("TRG Dcut=%d", opt.Dcut),
		note:  fmt.Sprintf("TRG Dcut=%d, %d steps", opt.Dcut, opt.Steps),
		solve: func(b float64) (tn.Thermo, error) { return tn.TRG(b, 1, opt) },
	}.run(ctx, betas, tf, stdout, stderr)
}

func cmdHOTRG(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("hotrg", stderr)
	dim := fs.Int("dim", 2, "2 (square lattice) or 3 (simple cubic)")
	tf := addTNFlags(fs, 16, "coarse-graining steps, each along every axis once (the lattice has 2^(dim·steps) sites)", 15,
		"~150 MB in 2D at Dcut 24, ~1 GB in 3D at Dcut 8")
	betas, code := tf.parse(fs, args, stderr)
	if betas == nil {
		return code
	}
	opt := tn.HOTRGOptions{Dim: *dim, Dcut: *tf.dcut, Steps: *tf.steps}
	if err := opt.Validate(); err != nil {
		fmt.Fprintf(stderr, "mcflow hotrg: --dim %d --dcut %d --steps %d: %v\n", *dim, *tf.dcut, *tf.steps, err)
		return job.ExitUsage
	}
	return tnScan{
		name: "hotrg", dim: opt.Dim, label: fmt.Sprintf("HOTRG Dcut=%d", opt.Dcut),
		note:  fmt.Sprintf("HOTRG %dD Dcut=%d, %d steps", opt.Dim, opt.Dcut, opt.Steps),
		solve: func(b float64) (tn.Thermo, error) { return tn.HOTRG(b, 1, opt) },
	}.run(ctx, betas, tf, stdout, stderr)
}

// tnFlags are the flags shared by the tensor-network commands.
type tnFlags struct {
	scanFlags
	dcut, steps, workers *int
	json                 *bool
}

func addTNFlags(fs *flag.FlagSet, dcut int, stepsDoc string, steps int, memory string) tnFlags {
	return tnFlags{
		scanFlags: addScanFlags(fs),
		dcut:      fs.Int("dcut", dcut, "bond dimension kept (an upper bound: degenerate multiplets are never split)"),
		steps:     fs.Int("steps", steps, stepsDoc),
		workers:   fs.Int("workers", 0, "β points computed at once (default: the CPUs this process may use; each point needs "+memory+")"),
		json:      fs.Bool("json", false, "print one JSON object per β point (beta, lnZ, E, C per site; in 2D also onsager_lnZ, onsager_E, onsager_C) instead of the table"),
	}
}

// tnScan runs a tensor-network solver at every β of a scan, on workers.
type tnScan struct {
	name        string
	dim         int    // 2: Onsager's values beside
	label, note string // the plot's label, the table's closing note
	solve       func(beta float64) (tn.Thermo, error)
}

// tnPoint is one β point of --json: per-site values, and Onsager's
// beside them in 2D. JSON has no infinities: a value that is not finite
// (Onsager's C at β_c) is null.
type tnPoint struct {
	Beta       float64    `json:"beta"`
	LnZ        jsonFloat  `json:"lnZ"`
	E          jsonFloat  `json:"E"`
	C          jsonFloat  `json:"C"`
	OnsagerLnZ *jsonFloat `json:"onsager_lnZ,omitempty"`
	OnsagerE   *jsonFloat `json:"onsager_E,omitempty"`
	OnsagerC   *jsonFloat `json:"onsager_C,omitempty"`
}

// jsonFloat is a float64 written as null when it is not finite.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsInf(float64(f), 0) || math.IsNaN(float64(f)) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

func (sc tnScan) run(ctx context.Context, betas []float64, tf tnFlags, stdout, stderr io.Writer) int {
	w := *tf.workers
	if w < 1 {
		w = runner.DefaultWorkers()
	}
	res := make([]tn.Thermo, len(betas))
	t0 := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(w)
	for i, b := range betas {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			r, err := sc.solve(b)
			res[i] = r
			return err
		})
	}
	if err := g.Wait(); err != nil {
		fmt.Fprintf(stderr, "mcflow %s: %v\n", sc.name, err)
		if ctx.Err() != nil {
			return job.ExitStopped
		}
		return job.ExitError
	}
	if err := sc.print(betas, res, *tf.json, stdout); err != nil {
		fmt.Fprintf(stderr, "mcflow %s: %v\n", sc.name, err)
		return job.ExitError
	}
	note := stdout // the closing note and the files written: off stdout with --json
	if *tf.json {
		note = stderr
	}
	fmt.Fprintf(note, "(%s; E and C by forward-mode differentiation; %d β points in %s on %d workers)\n",
		sc.note, len(betas), time.Since(t0).Round(time.Millisecond), w)
	cols := map[string][]float64{"beta": betas}
	for _, r := range res {
		cols["lnZ"] = append(cols["lnZ"], r.LnZ)
		cols["E"] = append(cols["E"], r.E)
		cols["C"] = append(cols["C"], r.C)
	}
	return finishColumns(*tf.out, cols, betas, sc.label, sc.dim == 2, note, stderr)
}

// print writes the results as a table, or as JSON lines.
func (sc tnScan) print(betas []float64, res []tn.Thermo, asJSON bool, w io.Writer) error {
	enc := json.NewEncoder(w)
	if !asJSON {
		fmt.Fprintf(w, "%-10s  %-14s  %-13s  %-12s", "beta", "lnZ/N", "E/N", "C/N")
		if sc.dim == 2 {
			fmt.Fprintf(w, "  %-14s  %-13s  %-12s  %-9s  %-9s  %-9s", "lnZ Onsager", "E Onsager", "C Onsager", "dlnZ", "dE", "dC")
		}
		fmt.Fprintln(w)
	}
	for i, b := range betas {
		r := res[i]
		p := tnPoint{Beta: b, LnZ: jsonFloat(r.LnZ), E: jsonFloat(r.E), C: jsonFloat(r.C)}
		var o exact.Thermo
		if sc.dim == 2 {
			o, _ = exact.Onsager(b, 1)
			l, e, c := jsonFloat(o.LnZ), jsonFloat(o.E), jsonFloat(o.C)
			p.OnsagerLnZ, p.OnsagerE, p.OnsagerC = &l, &e, &c
		}
		if asJSON {
			if err := enc.Encode(p); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(w, "%-10.6g  %-14.10f  %-13.9f  %-12.7f", b, r.LnZ, r.E, r.C)
		if sc.dim == 2 {
			fmt.Fprintf(w, "  %-14.10f  %-13.9f  %-12.7f  %-9.2e  %-9.2e  %-9.2e", o.LnZ, o.E, o.C, r.LnZ-o.LnZ, r.E-o.E, r.C-o.C)
		}
		fmt.Fprintln(w)
	}
	return nil
}
