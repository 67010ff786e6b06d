package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	npyio "codeberg.org/sbinet/npyio/npy"
	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/io/npy"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/plot"
	"github.com/mcflow/mcflow/tn"
)

// parseBetas reads start:stop:count (inclusive, evenly spaced) or a comma
// list of inverse temperatures.
func parseBetas(s string) ([]float64, error) {
	bad := func(why string) error {
		return fmt.Errorf("--beta %q: %s; give start:stop:count (e.g. 0.40:0.50:51) or a comma list (e.g. 0.3,0.4)", s, why)
	}
	var out []float64
	if parts := strings.Split(s, ":"); len(parts) == 3 {
		a, err1 := strconv.ParseFloat(parts[0], 64)
		b, err2 := strconv.ParseFloat(parts[1], 64)
		n, err3 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, bad("not numbers")
		}
		if n < 1 || n > 100000 {
			return nil, bad("count must be 1..100000")
		}
		for i := range n {
			if n == 1 {
				out = append(out, a)
				break
			}
			out = append(out, a+(b-a)*float64(i)/float64(n-1))
		}
	} else {
		for _, f := range strings.Split(s, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return nil, bad(fmt.Sprintf("%q is not a number", f))
			}
			out = append(out, v)
		}
	}
	for _, v := range out {
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, bad(fmt.Sprintf("beta %v must be finite and > 0", v))
		}
	}
	return out, nil
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// scanFlags are the --beta and --out flags of onsager and trg.
type scanFlags struct{ beta, out *string }

func addScanFlags(fs *flag.FlagSet) scanFlags {
	return scanFlags{
		beta: fs.String("beta", "0.40:0.50:51", "inverse temperatures: start:stop:count or a comma list"),
		out:  fs.String("out", "", "write beta.npy, lnZ.npy, E.npy, C.npy and thermo.png into `DIR`"),
	}
}

// parse parses the command line and the β list; a nil list comes with the
// exit code to return.
func (sf scanFlags) parse(fs *flag.FlagSet, args []string, stderr io.Writer) ([]float64, int) {
	if _, err := parseInterleaved(fs, args); err != nil {
		return nil, flagExit(err)
	}
	betas, err := parseBetas(*sf.beta)
	if err != nil {
		fmt.Fprintf(stderr, "mcflow %s: %v\n", fs.Name(), err)
		return nil, job.ExitUsage
	}
	return betas, job.ExitDone
}

// writeColumns writes one .npy per column and a plot of E and C (against
// Onsager's curves when onsager is set) into dir.
func writeColumns(dir string, cols map[string][]float64, betas []float64, label string, onsager bool) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	for name, v := range cols {
		p := filepath.Join(dir, name+".npy")
		if err := npy.WriteVector(p, v); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	lo, hi := betas[0], betas[0]
	for _, b := range betas {
		lo, hi = math.Min(lo, b), math.Max(hi, b)
	}
	var ox, oe, oc []float64
	for i := range 401 {
		if !onsager {
			break
		}
		b := lo + (hi-lo)*float64(i)/400
		if hi == lo {
			b = lo
		}
		o, err := exact.Onsager(b, 1)
		if err != nil || math.IsInf(o.C, 0) {
			continue
		}
		ox, oe, oc = append(ox, b), append(oe, o.E), append(oc, o.C)
	}
	panels := []plot.Panel{
		{Title: "E/N", XLabel: "beta", Series: []plot.Series{{Label: label, X: betas, Y: cols["E"]}}},
		{Title: "C/N", XLabel: "beta", Series: []plot.Series{{Label: label, X: betas, Y: cols["C"]}}},
	}
	if onsager {
		panels[0].Series = append(panels[0].Series, plot.Series{Label: "Onsager", X: ox, Y: oe, Line: true})
		panels[1].Series = append(panels[1].Series, plot.Series{Label: "Onsager", X: ox, Y: oc, Line: true})
	}
	p := filepath.Join(dir, "thermo.png")
	if err := plot.Grid(p, panels, 2); err != nil {
		return written, err
	}
	return append(written, p), nil
}

func cmdOnsager(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("onsager", stderr)
	sf := addScanFlags(fs)
	J := fs.Float64("J", 1, "coupling J > 0")
	betas, code := sf.parse(fs, args, stderr)
	if betas == nil {
		return code
	}
	out := sf.out
	cols := map[string][]float64{"beta": betas}
	fmt.Fprintf(stdout, "%-10s  %-16s  %-16s  %-14s  %-10s  %-10s\n", "beta", "lnZ/N", "E/N (AD)", "C/N (AD)", "dE closed", "dC closed")
	for _, b := range betas {
		r, err := exact.OnsagerAD(b, *J)
		if err != nil {
			fmt.Fprintf(stderr, "mcflow onsager: %v\n", err)
			return job.ExitUsage
		}
		c, _ := exact.Onsager(b, *J)
		fmt.Fprintf(stdout, "%-10.6g  %-16.12f  %-16.12f  %-14.10f  %-10.2e  %-10.2e\n", b, r.LnZ, r.E, r.C, r.E-c.E, r.C-c.C)
		cols["lnZ"] = append(cols["lnZ"], r.LnZ)
		cols["E"] = append(cols["E"], r.E)
		cols["C"] = append(cols["C"], r.C)
	}
	fmt.Fprintln(stdout, "(E and C by forward-mode AD through the quadrature; d* closed = AD − Onsager's closed form)")
	return finishColumns(*out, cols, betas, "quadrature + AD", true, stdout, stderr)
}

func finishColumns(dir string, cols map[string][]float64, betas []float64, label string, onsager bool, stdout, stderr io.Writer) int {
	if dir == "" {
		return job.ExitDone
	}
	files, err := writeColumns(dir, cols, betas, label, onsager)
	if err != nil {
		fmt.Fprintf(stderr, "mcflow: %v\n", err)
		return job.ExitError
	}
	fmt.Fprintf(stdout, "wrote %s\n", strings.Join(files, ", "))
	return job.ExitDone
}

func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return job.ExitDone
	}
	return job.ExitUsage
}

func cmdTFIM(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("tfim", stderr)
	L := fs.Int("L", 6, "number of spins on the ring (2..12)")
	target := fs.String("target", "tfim", "target state: tfim (ground state of a random TFIM), random (a random state), or an .npy file of 2^L real amplitudes")
	steps := fs.Int("steps", 300, "Adam steps")
	lr := fs.Float64("lr", 0.05, "Adam learning rate")
	seed := fs.Uint64("seed", 1, "random seed of the target")
	every := fs.Int("print-every", 50, "print the infidelity every N steps (0: never)")
	out := fs.String("out", "", "write the learned parameters (params.npy: J_0..J_{L-1}, h_0..h_{L-1}) and the loss curve (infidelity.npy) into `DIR`")
	if _, err := parseInterleaved(fs, args); err != nil {
		return flagExit(err)
	}
	m, err := tn.NewTFIM(*L)
	if err != nil {
		fmt.Fprintf(stderr, "mcflow tfim: --L: %v\n", err)
		return job.ExitUsage
	}
	if *steps < 0 || !(*lr > 0) {
		fmt.Fprintf(stderr, "mcflow tfim: --steps must be >= 0 and --lr > 0\n")
		return job.ExitUsage
	}
	rng := rand.New(rand.NewPCG(*seed, 0x7f1))
	var tgt *ad.Tensor
	switch *target {
	case "tfim":
		truth := tn.RandomParams(*L, 0.5, 1.5, rng)
		_, psi := m.GroundState(ad.Const(truth))
		tgt = psi.Value
		fmt.Fprintf(stdout, "target: ground state of a random TFIM (J, h uniform in [0.5, 1.5], seed %d): %v\n", *seed, fmtVec(truth.Data))
	case "random":
		tgt = tn.RandomState(*L, rng)
		fmt.Fprintf(stdout, "target: a random real state of %d spins (seed %d)\n", *L, *seed)
	default:
		v, err := readVector(*target)
		if err != nil {
			fmt.Fprintf(stderr, "mcflow tfim: --target %s: %v\n", *target, err)
			return job.ExitUsage
		}
		tgt = ad.NewTensor(v, len(v))
	}
	var curve []float64
	params, infid, err := m.Learn(tgt, ad.Full(1, 2**L), *steps, *lr, func(step int, v float64) {
		curve = append(curve, v)
		if *every > 0 && step%*every == 0 {
			fmt.Fprintf(stdout, "step %5d  infidelity %.6e\n", step, v)
		}
	})
	if err != nil {
		fmt.Fprintf(stderr, "mcflow tfim: %v\n", err)
		return job.ExitUsage
	}
	curve = append(curve, infid)
	fmt.Fprintf(stdout, "learned J: %v\nlearned h: %v\n", fmtVec(params.Data[:*L]), fmtVec(params.Data[*L:]))
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err == nil {
			err = npy.WriteVector(filepath.Join(*out, "params.npy"), params.Data)
			if err == nil {
				err = npy.WriteVector(filepath.Join(*out, "infidelity.npy"), curve)
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "mcflow tfim: %v\n", err)
			return job.ExitError
		}
	}
	fmt.Fprintf(stdout, "infidelity %.6e\n", infid)
	return job.ExitDone
}

func fmtVec(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'f', 4, 64)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func readVector(path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var v []float64
	if err := npyio.Read(f, &v); err != nil {
		return nil, err
	}
	return v, nil
}
