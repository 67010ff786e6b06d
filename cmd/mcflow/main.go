// Command mcflow samples Boltzmann distributions with Monte Carlo on every
// core and writes results that Python reads (NPY, HDF5, JSON).
//
//	mcflow run [JOB.toml] [--out DIR] [--workers N] [--task I] [--force-spec] [--break-lock]
//	mcflow train JOB.toml [same flags]
//	mcflow tasks JOB.toml
//	mcflow version
//
// Exit codes: 0 done, 1 error, 2 bad input (nothing written), 75 stopped by
// a signal after a checkpoint (run the same command again to resume).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/mcflow/mcflow/jobs"
)

func main() {
	sigs := []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGUSR1}
	ctx, stop := signal.NotifyContext(context.Background(), sigs...)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	// Ignore the signals before unregistering, so that a repeated signal
	// arriving after the checkpoint cannot kill the process between here
	// and its exit code.
	signal.Ignore(sigs...)
	stop()
	os.Exit(code)
}

const usage = `mcflow: Monte Carlo sampling of Boltzmann distributions on every core.

Usage:
  mcflow run [JOB.toml] [flags]   run a job (the embedded default job without a file)
  mcflow train JOB.toml [flags]   train a normalizing flow per task ([model] target, [train] flow)
  mcflow tasks [JOB.toml]         list a job's tasks and their parameters
  mcflow default                  print the embedded default job file
  mcflow onsager [--beta B]       exact infinite-lattice lnZ/N, E/N, C/N (AD through Onsager's quadrature)
  mcflow trg [--beta B] [--dcut D] [--steps N]
                                  TRG lnZ/N, with E/N and C/N by reverse-mode AD, beside Onsager
  mcflow tfim [--L 6] [--target tfim|random|FILE.npy] [--steps 300]
                                  learn TFIM couplings and fields whose ground state is the target
  mcflow bench scaling [--max-workers P] [--engine plain|multispin]
                                  throughput and parallel efficiency on 1..P workers
  mcflow version                  print the version

B is start:stop:count (e.g. 0.40:0.50:51) or a comma list; --out DIR writes
one .npy per column and a plot. Run 'mcflow CMD -h' for a command's flags.
Exit codes: 0 done, 1 error, 2 bad input (nothing written),
75 stopped by SIGINT/SIGTERM/SIGUSR1 after a checkpoint (run again to resume).
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return jobs.ExitUsage
	}
	switch args[0] {
	case "run":
		return cmdRun(ctx, args[1:], stdout, stderr)
	case "train":
		return cmdTrain(ctx, args[1:], stdout, stderr)
	case "tasks":
		return cmdTasks(args[1:], stdout, stderr)
	case "bench":
		return cmdBench(args[1:], stdout, stderr)
	case "onsager":
		return cmdOnsager(args[1:], stdout, stderr)
	case "trg":
		return cmdTRG(ctx, args[1:], stdout, stderr)
	case "tfim":
		return cmdTFIM(args[1:], stdout, stderr)
	case "default":
		stdout.Write(jobs.DefaultTOML())
		return jobs.ExitDone
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "mcflow %s\n", jobs.Version)
		return jobs.ExitDone
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return jobs.ExitDone
	}
	fmt.Fprintf(stderr, "mcflow: unknown command %q\n\n%s", args[0], usage)
	return jobs.ExitUsage
}

// parseInterleaved parses flags that may come before or after positional
// arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseSpec parses a command's flags and its job file (the default job
// without one). A nil spec comes with the exit code to return.
func parseSpec(fs *flag.FlagSet, args []string, stderr io.Writer) (*jobs.Spec, int) {
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, jobs.ExitDone
		}
		return nil, jobs.ExitUsage
	}
	spec, err := loadSpec(pos)
	if err != nil {
		fmt.Fprintf(stderr, "mcflow: %v\n", err)
		return nil, jobs.ExitUsage
	}
	return spec, jobs.ExitDone
}

func loadSpec(pos []string) (*jobs.Spec, error) {
	switch len(pos) {
	case 0:
		return jobs.Default()
	case 1:
		return jobs.ParseFile(pos[0])
	}
	return nil, fmt.Errorf("one job file at most, got %d: %s", len(pos), strings.Join(pos, " "))
}

// jobFlags are the flags of the commands that run a job file.
type jobFlags struct {
	out, progress, cpuprofile string
	workers, task             int
	force, breakLock          bool
	every                     time.Duration
}

func addJobFlags(fs *flag.FlagSet, cmd, what string, stderr io.Writer) *jobFlags {
	f := &jobFlags{}
	fs.SetOutput(stderr)
	fs.StringVar(&f.out, "out", "", "output directory (default: the job's [output].dir)")
	fs.IntVar(&f.workers, "workers", 0, "worker goroutines (default: the CPUs this process may use; SLURM_CPUS_PER_TASK under SLURM)")
	fs.IntVar(&f.task, "task", -1, what+" only task `I` of the scan (touches only that task's files)")
	fs.BoolVar(&f.force, "force-spec", false, "resume a checkpoint written by a different job")
	fs.BoolVar(&f.breakLock, "break-lock", false, "take the task lock whoever holds it")
	fs.StringVar(&f.progress, "progress", "auto", "progress display: auto, bar, plain or none")
	fs.DurationVar(&f.every, "progress-every", 30*time.Second, "interval of plain progress lines")
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", "write a pprof CPU profile to `FILE`")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: mcflow %s [JOB.toml] [flags]\n\nFlags:\n", cmd)
		fs.PrintDefaults()
	}
	return f
}

// options checks the flags and starts the profile; stop ends it. A
// non-zero code means return it.
func (f *jobFlags) options(stdout, stderr io.Writer) (opts jobs.Options, stop func(), code int) {
	stop = func() {}
	if f.task < -1 {
		fmt.Fprintf(stderr, "mcflow: --task %d: want a task index >= 0 (`mcflow tasks` lists them)\n", f.task)
		return opts, stop, jobs.ExitUsage
	}
	switch f.progress {
	case "auto", "bar", "plain", "none":
	default:
		fmt.Fprintf(stderr, "mcflow: --progress %q: want auto, bar, plain or none\n", f.progress)
		return opts, stop, jobs.ExitUsage
	}
	if f.cpuprofile != "" {
		pf, err := os.Create(f.cpuprofile)
		if err != nil {
			fmt.Fprintf(stderr, "mcflow: --cpuprofile: %v\n", err)
			return opts, stop, jobs.ExitUsage
		}
		pprof.StartCPUProfile(pf)
		stop = func() { pprof.StopCPUProfile(); pf.Close() }
	}
	opts = jobs.Options{Out: f.out, Workers: f.workers, Task: f.task, ForceSpec: f.force, BreakLock: f.breakLock,
		Stdout: stdout, Stderr: stderr, Progress: f.progress, PlainEvery: f.every}
	if opts.Workers < 1 {
		opts.Workers = jobs.DefaultWorkers()
	}
	if r := os.Getenv("SLURM_RESTART_COUNT"); r != "" {
		fmt.Fprintf(stderr, "mcflow: SLURM job %s, restart %s\n", os.Getenv("SLURM_JOB_ID"), r)
	}
	return opts, stop, jobs.ExitDone
}

// exitCode reports a job's error and returns the exit code for it.
func exitCode(err error, stderr io.Writer) int {
	if errors.Is(err, jobs.ErrStopped) {
		fmt.Fprintf(stderr, "mcflow: %v\n", err)
		return jobs.ExitStopped
	}
	fmt.Fprintf(stderr, "mcflow: %v\n", err)
	var se *jobs.SpecError
	if errors.As(err, &se) {
		return jobs.ExitUsage
	}
	return jobs.ExitError
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	jf := addJobFlags(fs, "run", "run", stderr)
	spec, code := parseSpec(fs, args, stderr)
	if spec == nil {
		return code
	}
	opts, stop, code := jf.options(stdout, stderr)
	defer stop()
	if code != jobs.ExitDone {
		return code
	}
	fmt.Fprintf(stderr, "mcflow %s: job %s, %d task(s), %d worker(s), output in %s\n",
		jobs.Version, spec.Name, len(spec.Tasks()), opts.Workers, outDir(spec, jf.out))
	rep, err := jobs.Run(ctx, spec, opts)
	if rep != nil {
		for _, m := range rep.Messages {
			fmt.Fprintf(stdout, "%s\n", m)
		}
	}
	if err != nil {
		return exitCode(err, stderr)
	}
	fmt.Fprintf(stdout, "\n%s", jobs.Table(rep.Tasks, spec.Scanned()))
	lay := jobs.Layout{Out: rep.Out}
	fmt.Fprintf(stdout, "\noutputs in %s:\n", rep.Out)
	for _, t := range rep.Tasks {
		line := fmt.Sprintf("  task %s: %s/*.npy, %s", t.Name, lay.NPYDir(t.Name), lay.Summary(t.Name))
		if spec.HDF5() {
			line += ", " + lay.H5(t.Name)
		}
		fmt.Fprintln(stdout, line)
	}
	for _, a := range rep.Artifacts {
		fmt.Fprintf(stdout, "  %s\n", a)
	}
	return jobs.ExitDone
}

func cmdTrain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	jf := addJobFlags(fs, "train", "train", stderr)
	spec, code := parseSpec(fs, args, stderr)
	if spec == nil {
		return code
	}
	if spec.Train == nil {
		fmt.Fprintf(stderr, "mcflow: %s has no [train] table: add one (flow, epochs, batch, lr; see examples/flows/) to train a flow\n", spec.File)
		return jobs.ExitUsage
	}
	opts, stop, code := jf.options(stdout, stderr)
	defer stop()
	if code != jobs.ExitDone {
		return code
	}
	fmt.Fprintf(stderr, "mcflow %s: training job %s, %d task(s), %d worker(s), output in %s\n",
		jobs.Version, spec.Name, len(spec.Tasks()), opts.Workers, outDir(spec, jf.out))
	rep, err := jobs.Train(ctx, spec, opts)
	if rep != nil {
		for _, m := range rep.Messages {
			fmt.Fprintf(stdout, "%s\n", m)
		}
	}
	if err != nil {
		return exitCode(err, stderr)
	}
	fmt.Fprintf(stdout, "\n%s", jobs.TrainTable(rep.Tasks, spec.Scanned()))
	lay := jobs.Layout{Out: rep.Out}
	fmt.Fprintf(stdout, "\noutputs in %s:\n", rep.Out)
	for _, t := range rep.Tasks {
		fmt.Fprintf(stdout, "  task %s: %s, %s, %s, %s\n", t.Name, lay.Flow(t.Name), lay.Loss(t.Name), lay.Summary(t.Name), lay.TrainPlot(t.Name))
	}
	return jobs.ExitDone
}

func outDir(s *jobs.Spec, flagOut string) string {
	if flagOut != "" {
		return flagOut
	}
	return s.Output.Dir
}

func cmdTasks(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tasks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	spec, code := parseSpec(fs, args, stderr)
	if spec == nil {
		return code
	}
	tasks := spec.Tasks()
	sm := spec.Sampler
	scan := "no scan"
	if sc := spec.Scanned(); len(sc) > 0 {
		scan = "scan over " + strings.Join(sc, ", ")
	}
	fmt.Fprintf(stdout, "job %s: %d task(s) (%s); %s, %d chains, %d thermalize + %d sweeps, measure every %d\n",
		spec.Name, len(tasks), scan, sm.Kind, sm.Chains, sm.Thermalize, sm.Sweeps, sm.MeasureEvery)
	rows := [][]string{{"index", "task"}}
	for _, p := range spec.Model.Params {
		rows[0] = append(rows[0], p.Name)
	}
	for _, t := range tasks {
		row := []string{fmt.Sprint(t.Index), t.Name()}
		for _, p := range t.Params {
			row = append(row, fmt.Sprintf("%g", p.Value))
		}
		rows = append(rows, row)
	}
	fmt.Fprint(stdout, jobs.Columns(rows))
	return jobs.ExitDone
}
