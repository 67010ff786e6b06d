package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/results"
	"github.com/mcflow/mcflow/runner"
	"github.com/mcflow/mcflow/slurm"
)

// requeue asks SLURM to requeue this job after a checkpoint on SIGUSR1
// (the time-limit warning of `#SBATCH --signal=B:USR1@N`, or a
// pre-emption): the job comes back with SLURM_RESTART_COUNT set and
// resumes from the checkpoint. Other signals (a user's SIGINT, SIGTERM at
// the limit or from scancel) do not requeue.
func requeue(ctx context.Context, stderr io.Writer) {
	if stoppedBy(ctx) != syscall.SIGUSR1 {
		return
	}
	// An array task is A_T: for the last task of an array SLURM_JOB_ID
	// equals the array's id, and requeueing that would requeue them all.
	id := os.Getenv("SLURM_JOB_ID")
	if a, t := os.Getenv("SLURM_ARRAY_JOB_ID"), os.Getenv("SLURM_ARRAY_TASK_ID"); a != "" && t != "" {
		id = a + "_" + t
	}
	if id == "" {
		fmt.Fprintf(stderr, "mcflow: --requeue: not under SLURM (no SLURM_JOB_ID); not requeued, run the same command again to resume\n")
		return
	}
	fmt.Fprintf(stderr, "mcflow: checkpointed; requeueing SLURM job %s, which resumes when it starts again\n", id)
	out, err := exec.Command("scontrol", "requeue", id).CombinedOutput()
	// SLURM stops a job's processes when it requeues it, at times before
	// scontrol has returned (the job's log then says "CANCELLED ... DUE TO
	// JOB REQUEUE"): scontrol stopped by a signal is not a failure.
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ProcessState.Sys().(syscall.WaitStatus).Signaled()) {
		fmt.Fprintf(stderr, "mcflow: scontrol requeue %s failed (%v): %s; resubmit the job to resume\n", id, err, strings.TrimSpace(string(out)))
	}
}

func cmdSlurm(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("slurm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		outFile, out, bin string
		submit            bool
		k, tpi            int
		sl                job.SlurmSpec
		lead              time.Duration
	)
	fs.StringVar(&outFile, "o", "", "write the script to `FILE` (default: print it)")
	fs.StringVar(&out, "out", "", "output directory, as for run (default: the job's [output].dir)")
	fs.StringVar(&bin, "mcflow", "", "the mcflow binary the script runs (default: this one)")
	fs.IntVar(&k, "chains-per-task", 0, "split every task's chains into slices of `K`, one array index per slice")
	fs.IntVar(&tpi, "tasks-per-index", 1, "run `K` whole tasks one after the other per array index (many disorder samples within SLURM's MaxArraySize)")
	fs.BoolVar(&submit, "submit", false, "submit the script with sbatch and print the job id")
	fs.StringVar(&sl.Time, "time", "", "time limit per array task (default: [slurm] time, else 1:00:00)")
	fs.StringVar(&sl.Partition, "partition", "", "partition (default: [slurm] partition)")
	fs.StringVar(&sl.Account, "account", "", "account (default: [slurm] account)")
	fs.StringVar(&sl.Mem, "mem", "", "memory per array task, e.g. 4G (default: [slurm] mem)")
	fs.IntVar(&sl.CPUs, "cpus", 0, "CPUs per array task = mcflow's workers (default: [slurm] cpus, else 1)")
	fs.IntVar(&sl.MaxParallel, "max-parallel", -1, "array tasks running at once, the %M of --array (default: [slurm] max_parallel; 0 no limit)")
	fs.DurationVar(&lead, "signal-lead", 0, "send USR1 this long before the time limit (default: [slurm] signal_lead, else 5m)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if err == flag.ErrHelp {
			return job.ExitDone
		}
		return job.ExitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "mcflow slurm: want one job file, got %d\n", len(pos))
		return job.ExitUsage
	}
	spec, err := job.ParseFile(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "mcflow: %v\n", err)
		return job.ExitUsage
	}
	c := spec.Slurm // flags override the [slurm] table
	if sl.Time != "" {
		c.Time = sl.Time
	}
	if sl.Partition != "" {
		c.Partition = sl.Partition
	}
	if sl.Account != "" {
		c.Account = sl.Account
	}
	if sl.Mem != "" {
		c.Mem = sl.Mem
	}
	if sl.CPUs != 0 {
		c.CPUs = sl.CPUs
	}
	if sl.MaxParallel >= 0 {
		c.MaxParallel = sl.MaxParallel
	}
	if lead != 0 {
		c.SignalLead = lead
	}
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			fmt.Fprintf(stderr, "mcflow: cannot find this binary (%v): give --mcflow PATH\n", err)
			return job.ExitUsage
		}
	}
	if tpi < 1 {
		fmt.Fprintf(stderr, "mcflow slurm: --tasks-per-index %d: want K >= 1\n", tpi)
		return job.ExitUsage
	}
	o := slurm.SbatchOptions{ChainsPerTask: k, TasksPerIndex: tpi, Slurm: c}
	for _, p := range []struct {
		dst *string
		src string
	}{{&o.Mcflow, bin}, {&o.JobFile, pos[0]}, {&o.Out, outDir(spec, out)}} {
		if *p.dst, err = filepath.Abs(p.src); err != nil {
			fmt.Fprintf(stderr, "mcflow: %v\n", err)
			return job.ExitUsage
		}
	}
	script, err := slurm.SbatchScript(spec, o)
	if err != nil {
		fmt.Fprintf(stderr, "mcflow slurm: %v\n", err)
		return job.ExitUsage
	}
	// SLURM opens the --output files itself and fails if their directory
	// is missing.
	if err := os.MkdirAll(filepath.Join(o.Out, "logs"), 0o755); err != nil {
		fmt.Fprintf(stderr, "mcflow: could not create the log directory: %v\n", err)
		return job.ExitError
	}
	if submit && outFile == "" {
		outFile = filepath.Join(o.Out, spec.Name+".sbatch")
	}
	if outFile == "" {
		fmt.Fprint(stdout, script)
		return job.ExitDone
	}
	if err := os.WriteFile(outFile, []byte(script), 0o755); err != nil {
		fmt.Fprintf(stderr, "mcflow: could not write the script: %v\n", err)
		return job.ExitError
	}
	if !submit {
		fmt.Fprintf(stderr, "mcflow: wrote %s; submit it with sbatch %s\n", outFile, outFile)
		return job.ExitDone
	}
	cmd := exec.Command("sbatch", "--parsable", outFile)
	cmd.Stderr = stderr
	id, err := cmd.Output()
	if err != nil {
		fmt.Fprintf(stderr, "mcflow: sbatch %s failed: %v\n", outFile, err)
		return job.ExitError
	}
	jid := strings.TrimSpace(strings.Split(string(id), ";")[0])
	fmt.Fprintf(stdout, "%s\n", jid)
	fmt.Fprintf(stderr, "mcflow: submitted %s as SLURM job %s; `mcflow status %s` follows it, `mcflow merge %s` combines it at the end\n", outFile, jid, o.Out, o.Out)
	return job.ExitDone
}

// outDirArg parses the one output directory of merge, status and export.
func outDirArg(fs *flag.FlagSet, args []string, stderr io.Writer) (string, int) {
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if err == flag.ErrHelp {
			return "", job.ExitDone
		}
		return "", job.ExitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "mcflow %s: want one output directory, got %d\n", fs.Name(), len(pos))
		return "", job.ExitUsage
	}
	return pos[0], -1
}

func cmdMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	strict := strictFlag(fs)
	out, code := outDirArg(fs, args, stderr)
	if code >= 0 {
		return code
	}
	rep, err := runner.Merge(out)
	if err != nil {
		fmt.Fprintf(stderr, "mcflow merge: %v\n", err)
		return job.ExitError
	}
	spec, _ := job.OpenOutput(out)
	fmt.Fprintf(stdout, "%s%s\nmerged %d task(s) in %s:\n", results.Table(rep.Tasks, spec.Scanned()), results.DisorderTable(rep.Disorder), len(rep.Tasks), out)
	for _, a := range rep.Artifacts {
		fmt.Fprintf(stdout, "  %s\n", a)
	}
	return strictCode(rep.Tasks, *strict, job.ExitDone, stderr)
}

// cmdSummary prints the results table of an output directory's finished
// tasks with their warnings, as `run` printed it, or (--json) the
// summary.json schema: from the summaries, so nothing is rerun or
// rewritten.
func cmdSummary(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	fs.SetOutput(stderr)
	strict := strictFlag(fs)
	task := fs.String("task", "", "only task `I`, a position (0, 1, …) or a task id")
	asJSON := fs.Bool("json", false, "print the summary.json schema (name, mcflow_version, scanned, warnings, tasks) instead of the table")
	out, code := outDirArg(fs, args, stderr)
	if code >= 0 {
		return code
	}
	spec, sums, missing, err := results.ReadSummaries(out)
	if err != nil {
		fmt.Fprintf(stderr, "mcflow summary: %v\n", err)
		return job.ExitError
	}
	var disorder []*results.DisorderGroup
	if len(missing) == 0 {
		disorder = results.ReadDisorder(out)
	}
	if *task != "" {
		t, err := spec.TaskOf(*task)
		if err != nil {
			fmt.Fprintf(stderr, "mcflow summary: --task: %v\n", err)
			return job.ExitUsage
		}
		sums = slices.DeleteFunc(sums, func(s *results.TaskSummary) bool { return s.Task != t.Index })
		missing, disorder = nil, nil
		if len(sums) == 0 {
			missing = []string{t.Name()}
		}
	}
	if *asJSON {
		b, _ := json.MarshalIndent(results.RunSummary{Name: spec.Name, Version: job.Version, Scanned: spec.Scanned(),
			Warnings: results.RunWarnings(sums), Tasks: sums, Disorder: disorder}, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		fmt.Fprint(stdout, results.Table(sums, spec.Scanned()))
		fmt.Fprint(stdout, results.DisorderTable(disorder))
	}
	if len(missing) > 0 {
		fmt.Fprintf(stderr, "\n%d of %d task(s) have no results yet: %s (`mcflow status %s` shows where they stand; sliced tasks need `mcflow merge`)\n",
			len(missing), len(spec.Tasks()), strings.Join(missing, ", "), out)
	}
	return strictCode(sums, *strict, job.ExitDone, stderr)
}

func cmdStatus(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out, code := outDirArg(fs, args, stderr)
	if code >= 0 {
		return code
	}
	st, err := results.Status(out)
	if err != nil {
		fmt.Fprintf(stderr, "mcflow status: %v\n", err)
		return job.ExitError
	}
	fmt.Fprint(stdout, results.StatusTable(st))
	return job.ExitDone
}

func cmdExport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asNPY := fs.Bool("npy", false, "write one .npy file per task and series, from the HDF5 results")
	to := fs.String("to", "", "destination `DIR` of --npy (default: OUTDIR/export/npy)")
	netcdf := fs.String("netcdf", "", "write one netCDF-4 file per task, `DIR`/<task>.nc, in ArviZ's InferenceData layout")
	out, code := outDirArg(fs, args, stderr)
	if code >= 0 {
		return code
	}
	if *asNPY == (*netcdf != "") {
		fmt.Fprintf(stderr, "mcflow export: say which format, one of --npy or --netcdf DIR\n")
		return job.ExitUsage
	}
	if *netcdf != "" {
		return exportNetCDF(out, *netcdf, stdout, stderr)
	}
	dir := *to
	if dir == "" {
		dir = filepath.Join(out, "export", "npy")
	}
	files, err := results.Export(out, dir)
	if err != nil {
		fmt.Fprintf(stderr, "mcflow export: %v\n", err)
		return job.ExitError
	}
	fmt.Fprintf(stdout, "wrote %d file(s) in %s\n", len(files), dir)
	return job.ExitDone
}

func exportNetCDF(out, dir string, stdout, stderr io.Writer) int {
	rep, err := results.ExportNetCDF(out, dir)
	if rep != nil {
		for _, s := range rep.Skipped {
			fmt.Fprintf(stderr, "mcflow export: skipped %s\n", s)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "mcflow export: %v\n", err)
		return job.ExitError
	}
	if len(rep.Files) == 0 {
		fmt.Fprintf(stderr, "mcflow export: no task of %s has draws to export\n", out)
		return job.ExitError
	}
	fmt.Fprintf(stdout, "wrote %d file(s) in %s\n", len(rep.Files), dir)
	return job.ExitDone
}
