// Package cli is the whole mcflow command line as a library: run, tasks,
// train, slurm, merge, status, export, summary, keys and the solvers. The
// mcflow command is a few lines over Main; a user's own program that
// registers its model or sampler kinds (package kind) calls Main the same
// way and is a complete mcflow with them:
//
//	func main() {
//		kind.RegisterModel(kind.Model{Name: "blume-capel", ...})
//		os.Exit(cli.Main())
//	}
//
// `PROG slurm` writes scripts that run PROG (its own executable).
//
// Exit codes: 0 done, 1 error, 2 bad input (nothing written), 3 done with
// warnings under --strict, 75 stopped by a signal after a checkpoint (run
// the same command again to resume).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc/multispin"
	"github.com/mcflow/mcflow/results"
	"github.com/mcflow/mcflow/runner"
)

// Main runs the command line of os.Args and returns the process's exit
// code. SIGINT, SIGTERM and SIGUSR1 stop a run at its next checkpoint. A
// registration error of the program's kinds (a name registered twice) is
// reported before anything runs.
func Main() int {
	if err := kind.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		return job.ExitUsage
	}
	if err := multispin.EnvError(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		return job.ExitUsage
	}
	// SIGINT, SIGTERM and SIGUSR1 cancel the context with the signal as its
	// cause (the run checkpoints at the next barrier); repeated signals
	// only cancel it again.
	sigs := []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGUSR1}
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, sigs...)
	go func() {
		for sig := range ch {
			cancel(stopSignal{sig})
		}
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	// Ignore the signals before unregistering, so that a repeated signal
	// arriving after the checkpoint cannot kill the process between here
	// and its exit code.
	signal.Ignore(sigs...)
	signal.Stop(ch)
	return code
}

// stopSignal is the cause of a run's cancellation by a signal.
type stopSignal struct{ sig os.Signal }

func (s stopSignal) Error() string { return "received " + s.sig.String() }

// stoppedBy returns the signal that cancelled ctx, or nil.
func stoppedBy(ctx context.Context) os.Signal {
	var s stopSignal
	if errors.As(context.Cause(ctx), &s) {
		return s.sig
	}
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return job.ExitUsage
	}
	switch args[0] {
	case "-h", "--help", "-help":
		usage(stdout)
		return job.ExitDone
	case "--version", "-version":
		return cmdVersion(nil, stdout, stderr)
	}
	if c := lookup(args[0]); c != nil {
		return c.run(ctx, args[1:], stdout, stderr)
	}
	return unknownCommand(args[0], stderr)
}

// parseInterleaved parses flags that may come before or after positional
// arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	describe(fs)
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
func parseSpec(fs *flag.FlagSet, args []string, stderr io.Writer) (*job.Spec, int) {
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, job.ExitDone
		}
		return nil, job.ExitUsage
	}
	spec, err := loadSpec(pos)
	if err != nil {
		fmt.Fprintf(stderr, "mcflow: %v\n", err)
		return nil, job.ExitUsage
	}
	return spec, job.ExitDone
}

func loadSpec(pos []string) (*job.Spec, error) {
	switch len(pos) {
	case 0:
		return job.Default()
	case 1:
		return job.ParseFile(pos[0])
	}
	return nil, fmt.Errorf("one job file at most, got %d: %s", len(pos), strings.Join(pos, " "))
}

// jobFlags are the flags of the commands that run a job file.
type jobFlags struct {
	out, progress, cpuprofile string
	workers                   int
	task                      string
	force, breakLock          bool
	every, barrier            time.Duration
	// Array runs (run only).
	arrayIndex, chainsPerTask, slice, tasksPerIndex int
	requeue                                         bool
	strict                                          *bool
}

func addJobFlags(fs *flag.FlagSet, cmd, what string, stderr io.Writer) *jobFlags {
	f := &jobFlags{}
	fs.SetOutput(stderr)
	fs.StringVar(&f.out, "out", "", "output directory (default: the job's [output].dir)")
	fs.Var(countFlag{&f.workers, "auto"}, "workers", "worker goroutines, at least 1 (auto: the CPUs this process may use; SLURM_CPUS_PER_TASK under SLURM)")
	fs.StringVar(&f.task, "task", "", what+" only task `I` of the scan, a position (0, 1, …) or a task id (touches only that task's files)")
	fs.BoolVar(&f.force, "force-spec", false, "resume a checkpoint written by a different job")
	fs.BoolVar(&f.breakLock, "break-lock", false, "take the task lock whoever holds it")
	fs.StringVar(&f.progress, "progress", "auto", "progress display: auto, bar, plain or none")
	fs.DurationVar(&f.every, "progress-every", 30*time.Second, "interval of plain progress lines")
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", "write a pprof CPU profile to `FILE`")
	fs.IntVar(&f.arrayIndex, "array-index", -1, what+" the task (or, with --chains-per-task, the slice) of array index `I` ($SLURM_ARRAY_TASK_ID)")
	f.chainsPerTask, f.slice = 0, -1
	f.barrier = 100 * time.Millisecond
	if cmd == "run" { // training stops and checkpoints between epochs, not at barriers
		fs.DurationVar(&f.barrier, "barrier-every", f.barrier, "wall time between the barriers where a stop signal is honoured (a checkpoint follows within about this)")
		fs.Var(countFlag{&f.chainsPerTask, "none"}, "chains-per-task", "split every task's chains into slices of `K` (array index i: task i/S, slice i%S; see `mcflow tasks --chains-per-task K`)")
		fs.Var(countFlag{&f.tasksPerIndex, "none"}, "tasks-per-index", "with --array-index: run `K` whole tasks, i·K … i·K + K − 1, one after the other")
		fs.IntVar(&f.slice, "slice", -1, "with --task and --chains-per-task: run only slice `J` of the task")
		fs.BoolVar(&f.requeue, "requeue", false, "under SLURM: after checkpointing on SIGUSR1, requeue the job (scontrol requeue $SLURM_JOB_ID) so that it resumes")
		f.strict = strictFlag(fs)
	}
	return f
}

// options checks the flags and starts the profile; stop ends it. A
// non-zero code means return it.
func (f *jobFlags) options(spec *job.Spec, stdout, stderr io.Writer) (opts runner.Options, stop func(), code int) {
	stop = func() {}
	task := -1
	if f.task != "" {
		t, err := spec.TaskOf(f.task)
		if err != nil {
			fmt.Fprintf(stderr, "mcflow: %v\n", err)
			return opts, stop, job.ExitUsage
		}
		task = t.Index
	}
	var slice *job.Slicing
	count := 1
	switch {
	case f.arrayIndex >= 0 && (task >= 0 || f.slice >= 0):
		fmt.Fprintf(stderr, "mcflow: --array-index chooses the task and slice: drop --task and --slice\n")
		return opts, stop, job.ExitUsage
	case f.tasksPerIndex != 0 && (f.arrayIndex < 0 || f.chainsPerTask != 0):
		fmt.Fprintf(stderr, "mcflow: --tasks-per-index needs --array-index and no --chains-per-task\n")
		return opts, stop, job.ExitUsage
	case f.tasksPerIndex != 0:
		first, n, err := spec.ArrayTasks(f.arrayIndex, f.tasksPerIndex)
		if err != nil {
			fmt.Fprintf(stderr, "mcflow: %v\n", err)
			return opts, stop, job.ExitUsage
		}
		task, count = first, n
	case f.arrayIndex >= 0:
		t, sl, err := spec.ArrayTask(f.arrayIndex, f.chainsPerTask)
		if err != nil {
			fmt.Fprintf(stderr, "mcflow: %v\n", err)
			return opts, stop, job.ExitUsage
		}
		task, slice = t, sl
	case f.arrayIndex < -1:
		fmt.Fprintf(stderr, "mcflow: --array-index %d: want an index >= 0\n", f.arrayIndex)
		return opts, stop, job.ExitUsage
	case f.slice >= 0:
		if task < 0 || f.chainsPerTask <= 0 {
			fmt.Fprintf(stderr, "mcflow: --slice needs --task and --chains-per-task\n")
			return opts, stop, job.ExitUsage
		}
		sl, err := spec.SliceOf(f.slice, f.chainsPerTask)
		if err != nil {
			fmt.Fprintf(stderr, "mcflow: %v\n", err)
			return opts, stop, job.ExitUsage
		}
		slice = sl
	case f.chainsPerTask != 0:
		fmt.Fprintf(stderr, "mcflow: --chains-per-task needs --array-index (or --task and --slice)\n")
		return opts, stop, job.ExitUsage
	}
	if f.every <= 0 {
		fmt.Fprintf(stderr, "mcflow: --progress-every %v: want a positive duration\n", f.every)
		return opts, stop, job.ExitUsage
	}
	if f.barrier <= 0 {
		fmt.Fprintf(stderr, "mcflow: --barrier-every %v: want a positive duration\n", f.barrier)
		return opts, stop, job.ExitUsage
	}
	switch f.progress {
	case "auto", "bar", "plain", "none":
	default:
		fmt.Fprintf(stderr, "mcflow: --progress %q: want auto, bar, plain or none\n", f.progress)
		return opts, stop, job.ExitUsage
	}
	if f.cpuprofile != "" {
		pf, err := os.Create(f.cpuprofile)
		if err != nil {
			fmt.Fprintf(stderr, "mcflow: --cpuprofile: %v\n", err)
			return opts, stop, job.ExitUsage
		}
		pprof.StartCPUProfile(pf)
		stop = func() { pprof.StopCPUProfile(); pf.Close() }
	}
	opts = runner.Options{Out: f.out, Workers: f.workers, Task: task, TaskCount: count, Slice: slice, ForceSpec: f.force, BreakLock: f.breakLock,
		Stdout: stdout, Stderr: stderr, Progress: f.progress, PlainEvery: f.every, BlockTarget: f.barrier}
	if opts.Workers < 1 {
		opts.Workers = runner.DefaultWorkers()
	}
	if r := os.Getenv("SLURM_RESTART_COUNT"); r != "" {
		fmt.Fprintf(stderr, "mcflow: SLURM job %s, restart %s\n", os.Getenv("SLURM_JOB_ID"), r)
	}
	return opts, stop, job.ExitDone
}

// strictFlag adds --strict to a command's flags (run, merge, summary).
func strictFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("strict", false, "exit 3 when a result has a warning that counts (all but symmetry ones)")
}

// strictCode returns job.ExitWarnings in place of a success when strict is set
// and a warning counts.
func strictCode(sums []*results.TaskSummary, strict bool, code int, stderr io.Writer) int {
	if n := results.StrictCount(sums); strict && code == job.ExitDone && n > 0 {
		fmt.Fprintf(stderr, "mcflow: --strict: %d warning(s) (listed above)\n", n)
		return job.ExitWarnings
	}
	return code
}

// exitCode reports a job's error and returns the exit code for it.
func exitCode(err error, stderr io.Writer) int {
	if errors.Is(err, job.ErrStopped) {
		fmt.Fprintf(stderr, "mcflow: %v\n", err)
		return job.ExitStopped
	}
	fmt.Fprintf(stderr, "mcflow: %v\n", err)
	var se *job.SpecError
	if errors.As(err, &se) {
		return job.ExitUsage
	}
	return job.ExitError
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	jf := addJobFlags(fs, "run", "run", stderr)
	spec, code := parseSpec(fs, args, stderr)
	if spec == nil {
		return code
	}
	opts, stop, code := jf.options(spec, stdout, stderr)
	defer stop()
	if code != job.ExitDone {
		return code
	}
	what := fmt.Sprintf("%d task(s)", len(spec.Tasks()))
	if opts.Task >= 0 {
		what = fmt.Sprintf("task %d of %d", opts.Task, len(spec.Tasks()))
	}
	if sl := opts.Slice; sl != nil {
		what += fmt.Sprintf(", slice %d of %d (chains %d..%d)", sl.Slice, sl.Slices, sl.Lo, sl.Hi-1)
	}
	if def := spec.Sampler.Def; def != nil {
		if d := def.Description(spec.Sampler.Values); d != "" {
			what += ", " + d
		}
	}
	fmt.Fprintf(stderr, "mcflow %s: job %s, %s, %d worker(s), output in %s\n",
		job.Version, spec.Name, what, opts.Workers, outDir(spec, jf.out))
	rep, err := runner.Run(ctx, spec, opts)
	if rep != nil {
		for _, m := range rep.Messages {
			fmt.Fprintf(stdout, "%s\n", m)
		}
	}
	if err != nil {
		code := exitCode(err, stderr)
		if code == job.ExitStopped && jf.requeue {
			requeue(ctx, stderr)
		}
		return code
	}
	fmt.Fprintf(stdout, "\n%s%s", results.Table(rep.Tasks, spec.Scanned()), results.DisorderTable(rep.Disorder))
	defer func() { code = strictCode(rep.Tasks, *jf.strict, code, stderr) }()
	lay := job.Layout{Out: rep.Out}
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
	return job.ExitDone
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
		return job.ExitUsage
	}
	opts, stop, code := jf.options(spec, stdout, stderr)
	defer stop()
	if code != job.ExitDone {
		return code
	}
	fmt.Fprintf(stderr, "mcflow %s: training job %s, %d task(s), %d worker(s), output in %s\n",
		job.Version, spec.Name, len(spec.Tasks()), opts.Workers, outDir(spec, jf.out))
	rep, err := runner.Train(ctx, spec, opts)
	if rep != nil {
		for _, m := range rep.Messages {
			fmt.Fprintf(stdout, "%s\n", m)
		}
	}
	if err != nil {
		return exitCode(err, stderr)
	}
	fmt.Fprintf(stdout, "\n%s", results.TrainTable(rep.Tasks, spec.Scanned()))
	lay := job.Layout{Out: rep.Out}
	fmt.Fprintf(stdout, "\noutputs in %s:\n", rep.Out)
	for _, t := range rep.Tasks {
		fmt.Fprintf(stdout, "  task %s: %s, %s, %s, %s\n", t.Name, lay.Flow(t.Name), lay.Loss(t.Name), lay.Summary(t.Name), lay.TrainPlot(t.Name))
	}
	return job.ExitDone
}

func outDir(s *job.Spec, flagOut string) string {
	if flagOut != "" {
		return flagOut
	}
	return s.Output.Dir
}

func cmdTasks(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tasks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	k := fs.Int("chains-per-task", 0, "show the array indices of slices of `K` chains (as `mcflow slurm --chains-per-task K`)")
	spec, code := parseSpec(fs, args, stderr)
	if spec == nil {
		return code
	}
	per := 1
	if *k != 0 {
		var err error
		if per, err = spec.SliceCount(*k); err != nil {
			fmt.Fprintf(stderr, "mcflow: %v\n", err)
			return job.ExitUsage
		}
	}
	tasks := spec.Tasks()
	sm := spec.Sampler
	scan := "no scan"
	if sc := spec.Scanned(); len(sc) > 0 {
		scan = "scan over " + strings.Join(sc, ", ")
	}
	fmt.Fprintf(stdout, "job %s: %d task(s) (%s); %s, %d chains, %d thermalize + %d sweeps, measure every %d\n",
		spec.Name, len(tasks), scan, sm.Kind, sm.Chains, sm.Thermalize, sm.Sweeps, sm.MeasureEvery)
	rows := [][]string{{"position", "task id"}}
	if *k != 0 {
		fmt.Fprintf(stdout, "%d slices of %d chains per task: array indices 0..%d (index i: task i/%d, slice i%%%d)\n",
			per, *k, len(tasks)*per-1, per, per)
		rows[0] = append(rows[0], "slice", "chains")
	}
	for _, p := range spec.Model.Params {
		rows[0] = append(rows[0], p.Name)
	}
	for _, t := range tasks {
		for j := range per {
			row := []string{fmt.Sprint(t.Index*per + j), t.Name()}
			if *k != 0 {
				sl, _ := spec.SliceOf(j, *k)
				row = append(row, fmt.Sprintf("%03d", j), fmt.Sprintf("%d..%d", sl.Lo, sl.Hi-1))
			}
			for _, p := range t.Params {
				row = append(row, fmt.Sprintf("%g", p.Value))
			}
			rows = append(rows, row)
		}
	}
	fmt.Fprint(stdout, results.Columns(rows))
	return job.ExitDone
}

func cmdKeys(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kinds, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if err := job.Keys(stdout, kinds...); err != nil {
		fmt.Fprintf(stderr, "mcflow keys: %v\n", err)
		return job.ExitUsage
	}
	return job.ExitDone
}

// countFlag is an integer flag of at least 1 whose zero value means
// "unset" (shown as unset in the help): --workers 0 or a negative count
// is a usage error, not the default.
type countFlag struct {
	n     *int
	unset string
}

func (c countFlag) String() string {
	if c.n == nil || *c.n == 0 {
		return c.unset
	}
	return strconv.Itoa(*c.n)
}

func (c countFlag) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not an integer", s)
	}
	if v < 1 {
		return fmt.Errorf("%d: want at least 1", v)
	}
	*c.n = v
	return nil
}
