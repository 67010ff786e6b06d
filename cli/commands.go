package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/kind"
)

// A command of the mcflow command line: its usage line, its help and the
// function that runs it.
type command struct {
	name    string
	args    string // what follows the name in the usage line
	summary string // one line in `mcflow help`
	doc     string // the paragraph of `mcflow NAME -h`
	example string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands in the order `mcflow help` lists them (set in init: the help
// command refers to the list).
var commands []*command

func init() {
	commands = []*command{
		{"run", "[JOB.toml] [flags]", "run a job (the embedded default job without a file)",
			"Runs every task of the job (or one with --task or --array-index) on a pool of workers, checkpointing as it goes; running it again resumes. Prints the results table with its warnings and where the outputs are.",
			"mcflow run examples/critical.toml --workers 2 --out /scratch/critical", cmdRun},
		{"train", "JOB.toml [flags]", "train a normalizing flow per task ([model] target, [train] flow)",
			"Trains the job's [train] flow on each task's target and writes OUT/flow/<task>.h5 with its loss curve, ESS and ln Z estimate; flow samplers of later jobs read it.",
			"mcflow train examples/flows/toys-realnvp.toml", cmdTrain},
		{"tasks", "[JOB.toml] [flags]", "list a job's tasks (and array indices) and their parameters",
			"Prints every task of the job's scan with its position, id and parameters, and with --chains-per-task the array indices of its slices. Writes nothing.",
			"mcflow tasks examples/critical.toml --chains-per-task 4", noCtx(cmdTasks)},
		{"slurm", "JOB.toml [flags]", "an sbatch array script that checkpoints, requeues and resumes",
			"Prints (or with -o writes, with --submit submits) an sbatch script of an array over the job's tasks or slices, whose tasks checkpoint on the time-limit signal and requeue.",
			"mcflow slurm examples/critical.toml --out /scratch/crit -o crit.sbatch", noCtx(cmdSlurm)},
		{"merge", "OUTDIR [flags]", "combine the tasks and slices of an array run into results.h5 and summary.json",
			"Checks that every task (and every slice of a sliced task) of an output directory finished, joins the slices, and writes the run's results.h5, summary.json and plots.",
			"mcflow merge /scratch/crit", noCtx(cmdMerge)},
		{"summary", "OUTDIR [flags]", "print the results table of a run's finished tasks, with warnings",
			"Prints the results table of an output directory from its summaries, as run printed it, with the warnings, or with --json the summary.json schema; --task picks one task. A task that has not finished is summarised from its last checkpoint's draws, marked partial and warned about. Reads only; tasks without any draws are named on stderr.",
			"mcflow summary out/critical --strict", noCtx(cmdSummary)},
		{"status", "OUTDIR", "per task: done, running or checkpointed, sweeps, last checkpoint, ETA",
			"Shows where each task of an output directory stands, from its checkpoints and locks; reads only.",
			"mcflow status /scratch/crit", noCtx(cmdStatus)},
		{"export", "OUTDIR --npy [--to DIR] | --netcdf DIR", "NPY files, or netCDF-4 files that ArviZ and xarray read",
			"--npy writes one .npy file per task and series from the output directory's HDF5 results. --netcdf writes one netCDF-4 file per task with draws, laid out as ArviZ's InferenceData (groups posterior, sample_stats, configurations, constant_data; dimensions chain, draw); a task that has not finished is exported up to its last checkpoint.",
			"mcflow export out/critical --netcdf /tmp/nc", noCtx(cmdExport)},
		{"keys", "[KIND...]", "the job-file keys of every model and sampler kind (or of KIND)",
			"Prints the job-file keys of every registered model and sampler kind (type, default, allowed values, meaning) as Markdown, or of the kinds named. docs/keys.md is its output (make docs).",
			"mcflow keys potts wolff", noCtx(cmdKeys)},
		{"default", "", "print the embedded default job file",
			"Prints the job that `mcflow run` runs without a job file, with every key it sets: a starting point to edit.",
			"mcflow default > my.toml", noCtx(cmdDefault)},
		{"onsager", "[flags]", "exact infinite-lattice ln Z/N, E/N, C/N (AD through Onsager's quadrature)",
			"Evaluates Onsager's solution of the 2D Ising model at each β, E and C by automatic differentiation of ln Z. B is start:stop:count (e.g. 0.40:0.50:51) or a comma list; --out writes one .npy per column and a plot.",
			"mcflow onsager --beta 0.40:0.50:11", noCtx(cmdOnsager)},
		{"trg", "[flags]", "TRG ln Z/N, with E/N and C/N by forward-mode differentiation, beside Onsager",
			"Runs the tensor renormalisation group for the 2D Ising model at each β and differentiates it for E and C, beside Onsager's exact values.",
			"mcflow trg --beta 0.44 --dcut 24", cmdTRG},
		{"hotrg", "[flags]", "HOTRG ln Z/N, E/N and C/N of the 2D or 3D Ising model",
			"Runs the higher-order tensor renormalisation group (Xie et al. 2012) for the Ising model on the square (--dim 2, beside Onsager's exact values) or simple cubic lattice (--dim 3) at each β, and differentiates it for E and C.",
			"mcflow hotrg --dim 3 --beta 0.2,0.25 --dcut 6", cmdHOTRG},
		{"tfim", "[flags]", "learn TFIM couplings and fields whose ground state is the target",
			"Fits the couplings and fields of a transverse-field Ising chain so that its ground state matches a target state, by gradient descent through exact diagonalisation.",
			"mcflow tfim --L 6 --target random --steps 300", noCtx(cmdTFIM)},
		{"bench", "scaling [flags]", "throughput and parallel efficiency on 1..P workers",
			"Runs one fixed Metropolis workload (2D Ising at β_c, measured every 10 sweeps) on 1, 2, …, P workers and prints throughput and parallel efficiency. `make bench` runs the benchmarks against the C and PyTorch references.",
			"mcflow bench scaling --max-workers 2 --engine multispin", noCtx(cmdBench)},
		{"completion", "bash|zsh|fish", "a shell completion script for the commands and their flags",
			"Prints a completion script for bash, zsh (through bashcompinit) or fish: command names, each command's flags (read from its own help), and file names.",
			"source <(mcflow completion bash)   # or add it to ~/.bashrc", noCtx(cmdCompletion)},
		{"version", "", "the version, commit, Go version and what is built in",
			"Prints mcflow's version, the commit it was built from and whether the tree was modified, the Go version, and whether HDF5 and OpenBLAS are built in.",
			"mcflow version", noCtx(cmdVersion)},
		{"help", "[COMMAND]", "this list, or a command's help",
			"Lists the commands, or prints the help of one.",
			"mcflow help run", noCtx(cmdHelp)},
	}
}

func noCtx(f func([]string, io.Writer, io.Writer) int) func(context.Context, []string, io.Writer, io.Writer) int {
	return func(_ context.Context, args []string, stdout, stderr io.Writer) int { return f(args, stdout, stderr) }
}

// lookup returns the command of a name ("bench scaling" is bench's), or nil.
func lookup(name string) *command {
	name, _, _ = strings.Cut(name, " ")
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// describe makes fs's -h print its command's full help: the usage line,
// the paragraph, the flags with their defaults, an example.
func describe(fs *flag.FlagSet) {
	c := lookup(fs.Name())
	if c == nil {
		return
	}
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: mcflow %s %s\n\n%s\n", c.name, c.args, wrapText(c.doc, 76))
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintf(w, "\nFlags:\n")
			fs.PrintDefaults()
		}
		fmt.Fprintf(w, "\nExample:\n  %s\n", c.example)
	}
}

// wrapText breaks a paragraph into lines of at most width characters.
func wrapText(s string, width int) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(s) {
		if n > 0 && n+1+len([]rune(w)) > width {
			b.WriteByte('\n')
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len([]rune(w))
	}
	return b.String()
}

// usage is `mcflow help`: the commands with one line each.
func usage(w io.Writer) {
	fmt.Fprintf(w, "mcflow: Monte Carlo sampling of Boltzmann distributions on every core.\n\nUsage:\n")
	for _, c := range commands {
		line := strings.TrimSpace("mcflow " + c.name + " " + c.args)
		fmt.Fprintf(w, "  %-36s %s\n", line, c.summary)
	}
	fmt.Fprint(w, `
Run 'mcflow COMMAND -h' (or 'mcflow help COMMAND') for a command's flags and an example.
Exit codes: 0 done, 1 error, 2 bad input (nothing written), 3 done but with
warnings under --strict (run, merge, summary), 75 stopped by SIGINT/SIGTERM/SIGUSR1
after a checkpoint (run again to resume).
`)
}

// parseNone parses the flags of a command that has none (-h only).
func parseNone(name string, args []string, stderr io.Writer) ([]string, int) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, flagExit(err)
	}
	return pos, -1
}

// parseNoArgs parses the command line of a command without flags or
// arguments; a code >= 0 is to be returned.
func parseNoArgs(name string, args []string, stderr io.Writer) int {
	pos, code := parseNone(name, args, stderr)
	if code < 0 && len(pos) > 0 {
		fmt.Fprintf(stderr, "mcflow %s: takes no arguments (got %q)\n", name, pos)
		return job.ExitUsage
	}
	return code
}

func cmdDefault(args []string, stdout, stderr io.Writer) int {
	if code := parseNoArgs("default", args, stderr); code >= 0 {
		return code
	}
	stdout.Write(job.DefaultTOML())
	return job.ExitDone
}

func cmdHelp(args []string, stdout, stderr io.Writer) int {
	pos, code := parseNone("help", args, stderr)
	if code >= 0 {
		return code
	}
	if len(pos) == 0 {
		usage(stdout)
		return job.ExitDone
	}
	c := lookup(pos[0])
	if c == nil {
		return unknownCommand(pos[0], stderr)
	}
	return c.run(context.Background(), []string{"-h"}, stdout, stdout)
}

func unknownCommand(name string, stderr io.Writer) int {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	fmt.Fprintf(stderr, "mcflow: unknown command %q%s ('mcflow help' lists the commands)\n", name, kind.DidYouMean(name, names))
	return job.ExitUsage
}
