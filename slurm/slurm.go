package slurm

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/mcflow/mcflow/job"
)

// ShellQuote quotes s for a POSIX shell: nothing inside single quotes is
// special, and each single quote in s closes the quotes, is escaped with a
// backslash and reopens them.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// SbatchOptions are what a batch script needs beyond the job file.
type SbatchOptions struct {
	Mcflow        string // absolute path of the mcflow binary
	JobFile       string // absolute path of the job file
	Out           string // absolute output directory
	ChainsPerTask int    // > 0: split tasks into slices of chains
	TasksPerIndex int    // > 1: run this many whole tasks per array index
	Slurm         job.SlurmSpec
}

// SbatchScript returns the sbatch script of an array over the job's tasks
// (or tasks × slices). Values in #SBATCH lines are validated (sbatch reads
// them, not the shell); everything the shell reads is single-quoted.
func SbatchScript(s *job.Spec, o SbatchOptions) (string, error) {
	if err := o.Slurm.Validate(); err != nil {
		return "", err
	}
	for _, p := range []struct{ what, path string }{{"mcflow binary", o.Mcflow}, {"job file", o.JobFile}, {"output directory", o.Out}} {
		if !filepath.IsAbs(p.path) {
			return "", fmt.Errorf("the %s must be an absolute path, got %q", p.what, p.path)
		}
	}
	// The log path goes into an #SBATCH line, where sbatch treats % as a
	// pattern and a newline ends the line.
	if strings.ContainsAny(o.Out, "%\"\n\r") {
		return "", fmt.Errorf("output directory %q contains %%, a double quote or a line break, which sbatch's --output cannot carry: use another --out", o.Out)
	}
	n := len(s.Tasks())
	per := 1
	if o.ChainsPerTask > 0 && o.TasksPerIndex > 1 {
		return "", fmt.Errorf("--chains-per-task splits tasks and --tasks-per-index groups them: give one")
	}
	if o.ChainsPerTask > 0 {
		var err error
		if per, err = s.SliceCount(o.ChainsPerTask); err != nil {
			return "", err
		}
	}
	indices := n * per
	if o.TasksPerIndex > 1 {
		indices = (n + o.TasksPerIndex - 1) / o.TasksPerIndex
	}
	array := fmt.Sprintf("0-%d", indices-1)
	if o.Slurm.MaxParallel > 0 {
		array += fmt.Sprintf("%%%d", o.Slurm.MaxParallel)
	}
	name := "mcflow-" + regexp.MustCompile(`[^A-Za-z0-9._+-]`).ReplaceAllString(s.Name, "_")
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/bash\n")
	fmt.Fprintf(&b, "# Written by mcflow %s (`mcflow slurm`): %d task(s)", job.Version, n)
	switch {
	case per > 1:
		fmt.Fprintf(&b, " x %d slices of %d chains, one array index each.\n", per, o.ChainsPerTask)
	case o.TasksPerIndex > 1:
		fmt.Fprintf(&b, ", %d per array index.\n", o.TasksPerIndex)
	default:
		fmt.Fprintf(&b, ", one array index each.\n")
	}
	fmt.Fprintf(&b, "# USR1 before the time limit (or a pre-emption) makes mcflow checkpoint and\n")
	fmt.Fprintf(&b, "# requeue the job, which resumes; `mcflow merge` combines the tasks at the end.\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", name)
	fmt.Fprintf(&b, "#SBATCH --array=%s\n", array)
	fmt.Fprintf(&b, "#SBATCH --time=%s\n", o.Slurm.Time)
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", o.Slurm.CPUs)
	if o.Slurm.Mem != "" {
		fmt.Fprintf(&b, "#SBATCH --mem=%s\n", o.Slurm.Mem)
	}
	if o.Slurm.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", o.Slurm.Partition)
	}
	if o.Slurm.Account != "" {
		fmt.Fprintf(&b, "#SBATCH --account=%s\n", o.Slurm.Account)
	}
	fmt.Fprintf(&b, "#SBATCH --signal=B:USR1@%d\n", int(o.Slurm.SignalLead.Seconds()))
	fmt.Fprintf(&b, "#SBATCH --requeue\n")
	fmt.Fprintf(&b, "#SBATCH --open-mode=append\n")
	fmt.Fprintf(&b, "#SBATCH --output=\"%s\"\n", filepath.Join(o.Out, "logs", "%x-%A_%a.out"))
	fmt.Fprintf(&b, "\n# exec: the batch shell's USR1 must reach mcflow itself.\n")
	args := []string{ShellQuote(o.Mcflow), "run", ShellQuote(o.JobFile), "--out", ShellQuote(o.Out),
		`--array-index "$SLURM_ARRAY_TASK_ID"`, "--requeue", "--progress", "plain"}
	if o.ChainsPerTask > 0 {
		args = append(args, "--chains-per-task", fmt.Sprint(o.ChainsPerTask))
	}
	if o.TasksPerIndex > 1 {
		args = append(args, "--tasks-per-index", fmt.Sprint(o.TasksPerIndex))
	}
	fmt.Fprintf(&b, "exec %s\n", strings.Join(args, " "))
	return b.String(), nil
}
