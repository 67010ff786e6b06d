package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcflow/mcflow/job"
)

// Every command's -h prints its usage line, a paragraph, its flags and an
// example, and exits 0; `mcflow help` lists every command and `mcflow help
// CMD` is CMD -h.
func TestCommandHelp(t *testing.T) {
	code, list, _ := runCLI(t, "help")
	if code != job.ExitDone {
		t.Fatalf("mcflow help: exit %d", code)
	}
	for _, c := range commands {
		if !strings.Contains(list, "mcflow "+c.name) {
			t.Errorf("mcflow help does not list %s", c.name)
		}
		for _, h := range []string{"-h", "--help"} {
			code, stdout, stderr := runCLI(t, c.name, h)
			out := stdout + stderr
			if code != job.ExitDone || !strings.HasPrefix(out, "Usage: mcflow "+c.name+" "+c.args) || !strings.Contains(out, "\nExample:\n  ") || !strings.Contains(c.example, "mcflow "+c.name) || len(out) < 100 {
				t.Errorf("mcflow %s %s: exit %d, output\n%s", c.name, h, code, out)
			}
		}
		code, out, _ := runCLI(t, "help", c.name)
		if code != job.ExitDone || !strings.HasPrefix(out, "Usage: mcflow "+c.name) {
			t.Errorf("mcflow help %s: exit %d, output\n%s", c.name, code, out)
		}
	}
}

// Unknown commands suggest the nearest; invalid flag values and a job
// naming a missing flow file are usage errors (exit 2) that say what is
// wrong, before anything is written.
func TestCommandErrors(t *testing.T) {
	dir := t.TempDir()
	jobFile := writeJob(t, dir, "job.toml", "[model]\nL = 4\n[sampler]\nchains = 1\nthermalize = 1\nsweeps = 2\n")
	noflow := writeJob(t, dir, "noflow.toml", "[model]\nkind = \"toy2d\"\n[sampler]\nkind = \"flow-mh\"\nflow = \"flows/none.h5\"\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"runn"}, `did you mean "run"`},
		{[]string{"sumary", "out"}, `did you mean "summary"`},
		{[]string{"help", "trian"}, `did you mean "train"`},
		{[]string{"run", jobFile, "--workers", "0"}, "-workers: 0: want at least 1"},
		{[]string{"run", jobFile, "--workers", "-3"}, "want at least 1"},
		{[]string{"run", jobFile, "--workers", "two"}, "not an integer"},
		{[]string{"run", jobFile, "--array-index", "0", "--chains-per-task", "-1"}, "want at least 1"},
		{[]string{"run", jobFile, "--progress", "fancy"}, "want auto, bar, plain or none"},
		{[]string{"run", jobFile, "--progress-every", "0s"}, "want a positive duration"},
		{[]string{"bench"}, "mcflow bench scaling"},
		{[]string{"run", noflow, "--out", filepath.Join(dir, "out")}, "sampler.flow: = \"flows/none.h5\": no such file"},
		{[]string{"tasks", noflow}, "no such file"},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code != job.ExitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("mcflow %s: exit %d, stderr %q; want exit 2 saying %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("usage errors wrote files: %v", entries)
	}
}

// version names the commit (or says there is none), Go's version, and
// what is built in.
func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	for _, want := range []string{"mcflow " + job.Version, "commit: ", "go: go1.", "hdf5: ", "matrix products: "} {
		if code != job.ExitDone || !strings.Contains(out, want) {
			t.Errorf("mcflow version: exit %d, output %q, want %q", code, out, want)
		}
	}
}
