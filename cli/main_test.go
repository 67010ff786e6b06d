package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/internal/testflows"
	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/io/npy"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/results"
)

const python = "/usr/bin/python3"

// writeJob writes a job file into dir and returns its path.
func writeJob(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

const smallJob = `name = "small"
seed = 11
[model]
L = 8
beta = [0.3, 0.44]
[sampler]
chains = 3
thermalize = 50
sweeps = %d
measure_every = 2
[checkpoint]
every = 100
`

// arrays returns the bytes of every .npy file under out/npy.
func arrays(t *testing.T, out string) map[string][]byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(out, "npy", "*", "*.npy"))
	// and the configurations, the divergent states, the adapted metrics
	for _, pat := range []string{"configs/*.npy", "divergences/*.npy", "adapt/*.json"} {
		more, _ := filepath.Glob(filepath.Join(out, pat))
		files = append(files, more...)
	}
	if len(files) == 0 {
		t.Fatalf("no arrays under %s", out)
	}
	m := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(out, f)
		m[rel] = b
	}
	return m
}

func sameArrays(t *testing.T, what string, a, b map[string][]byte) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d arrays vs %d", what, len(a), len(b))
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			t.Errorf("%s: %s differs", what, k)
		}
	}
}

// summaryNoTiming returns summary.json's task summaries without timings.
func summaryNoTiming(t *testing.T, out string) string {
	t.Helper()
	var s results.RunSummary
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	for _, ts := range s.Tasks {
		ts.Timing = results.Timing{}
		if ts.Ladder != nil {
			for _, r := range ts.Ladder.Rungs {
				r.Timing = results.Timing{}
			}
		}
	}
	js, _ := json.Marshal(s)
	return string(js)
}

func TestWorkersIdentical(t *testing.T) {
	dir := t.TempDir()
	job := writeJob(t, dir, "small.toml", fmt.Sprintf(smallJob, 600))
	var outs []string
	for _, w := range []string{"1", "2", "3"} {
		out := filepath.Join(dir, "w"+w)
		if code, _, stderr := runCLI(t, "run", job, "--workers", w, "--out", out, "--progress", "none"); code != 0 {
			t.Fatalf("--workers %s: exit %d\n%s", w, code, stderr)
		}
		outs = append(outs, out)
	}
	ref := arrays(t, outs[0])
	for _, o := range outs[1:] {
		sameArrays(t, o, ref, arrays(t, o))
		if summaryNoTiming(t, o) != summaryNoTiming(t, outs[0]) {
			t.Errorf("%s: summary differs from --workers 1", o)
		}
	}
	// Run again: already finished, exit 0, said so, nothing changed.
	code, stdout, _ := runCLI(t, "run", job, "--out", outs[0], "--progress", "none")
	if code != 0 || !strings.Contains(stdout, "already finished") {
		t.Errorf("second run: exit %d, stdout %q", code, stdout)
	}
	sameArrays(t, "after re-run", ref, arrays(t, outs[0]))
}

// TestExtendSweeps: a larger sweeps continues a finished run and equals a
// run made with the larger sweeps from the start.
func TestExtendSweeps(t *testing.T) {
	dir := t.TempDir()
	short := writeJob(t, dir, "short.toml", fmt.Sprintf(smallJob, 300))
	long := writeJob(t, dir, "long.toml", fmt.Sprintf(smallJob, 700))
	out := filepath.Join(dir, "ext")
	if code, _, e := runCLI(t, "run", short, "--out", out, "--progress", "none"); code != 0 {
		t.Fatal(e)
	}
	if code, _, e := runCLI(t, "run", long, "--out", out, "--progress", "none"); code != 0 {
		t.Fatalf("extend: exit %d\n%s", code, e)
	}
	direct := filepath.Join(dir, "direct")
	if code, _, e := runCLI(t, "run", long, "--out", direct, "--progress", "none"); code != 0 {
		t.Fatal(e)
	}
	sameArrays(t, "extended vs direct", arrays(t, direct), arrays(t, out))
	if summaryNoTiming(t, out) != summaryNoTiming(t, direct) {
		t.Error("extended summary differs from the direct run")
	}
	// Shrinking is refused.
	if code, _, e := runCLI(t, "run", short, "--out", out, "--progress", "none"); code == 0 || !strings.Contains(e, "sweeps can grow, not shrink") {
		t.Errorf("shrink: exit %d, %s", code, e)
	}
}

func TestSpecChangeRefused(t *testing.T) {
	dir := t.TempDir()
	jobFile := writeJob(t, dir, "a.toml", fmt.Sprintf(smallJob, 200))
	out := filepath.Join(dir, "out")
	if code, _, e := runCLI(t, "run", jobFile, "--out", out, "--progress", "none"); code != 0 {
		t.Fatal(e)
	}
	changed := writeJob(t, dir, "b.toml", strings.Replace(fmt.Sprintf(smallJob, 200), "seed = 11", "seed = 12", 1))
	code, _, e := runCLI(t, "run", changed, "--out", out, "--progress", "none")
	if code != job.ExitError || !strings.Contains(e, "different job") || !strings.Contains(e, "--force-spec") {
		t.Errorf("changed seed: exit %d, %s", code, e)
	}
	if code, _, e := runCLI(t, "run", changed, "--out", out, "--progress", "none", "--force-spec"); code != 0 {
		t.Errorf("--force-spec: exit %d, %s", code, e)
	}
}

func TestLockHeld(t *testing.T) {
	dir := t.TempDir()
	jobFile := writeJob(t, dir, "a.toml", fmt.Sprintf(smallJob, 100))
	out := filepath.Join(dir, "out")
	os.MkdirAll(filepath.Join(out, "ckpt"), 0o755)
	host, _ := os.Hostname()
	// pid 1 is alive: the lock is someone else's.
	os.WriteFile(filepath.Join(out, "ckpt", "L=8_beta=0.3_J=1_h=0.lock"), []byte(`{"host":"`+host+`","pid":1,"since":"then"}`), 0o644)
	code, _, e := runCLI(t, "run", jobFile, "--out", out, "--task", "0", "--progress", "none")
	if code != job.ExitError || !strings.Contains(e, "--break-lock") || !strings.Contains(e, "pid 1") {
		t.Errorf("held lock: exit %d, %s", code, e)
	}
	if code, _, e := runCLI(t, "run", jobFile, "--out", out, "--task", "0", "--progress", "none", "--break-lock"); code != 0 {
		t.Errorf("--break-lock: exit %d, %s", code, e)
	}
	if _, err := os.Stat(filepath.Join(out, "ckpt", "L=8_beta=0.3_J=1_h=0.lock")); !os.IsNotExist(err) {
		t.Error("lock left behind after the run")
	}
}

// TestTaskTouchesOwnFiles: --task I writes only task I's files.
func TestTaskTouchesOwnFiles(t *testing.T) {
	dir := t.TempDir()
	jobFile := writeJob(t, dir, "a.toml", fmt.Sprintf(smallJob, 100))
	out := filepath.Join(dir, "out")
	if code, _, e := runCLI(t, "run", jobFile, "--out", out, "--task", "1", "--progress", "none"); code != 0 {
		t.Fatal(e)
	}
	filepath.Walk(out, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, path)
		if !strings.Contains(rel, "L=8_beta=0.44_J=1_h=0") {
			t.Errorf("--task 1 wrote %s", rel)
		}
		return nil
	})
	if code, _, _ := runCLI(t, "run", jobFile, "--out", out, "--task", "2", "--progress", "none"); code != job.ExitUsage {
		t.Errorf("--task 2 of 2 tasks: exit %d", code)
	}
}

func TestBadJobFiles(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"unknown key", "[sampler]\nchains = 2\nchanis = 3\n", []string{"unknown.toml:3", "sampler.chanis", "unknown key"}},
		{"wrong type", "[model]\nL = \"big\"\n", []string{"wrong type.toml:2", "model.L", "is a string"}},
		{"L=0", "[model]\nL = 0\n", []string{"L=0.toml:2", "model.L", "want 2 <= L"}},
		{"missing", "", []string{"does not exist"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := strings.SplitN(tc.want[0], ":", 2)[0]
			var path string
			if tc.name == "missing" {
				path = filepath.Join(dir, "nope.toml")
			} else {
				path = writeJob(t, dir, file, tc.body+"[output]\ndir = \"out-"+tc.name+"\"\n")
			}
			code, _, e := runCLI(t, "run", path, "--progress", "none")
			if code != job.ExitUsage {
				t.Errorf("exit %d, want %d", code, job.ExitUsage)
			}
			for _, w := range tc.want {
				if !strings.Contains(e, w) {
					t.Errorf("stderr %q does not mention %q", e, w)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "out-"+tc.name)); !os.IsNotExist(err) {
				t.Error("output written for a bad job")
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Error("something was written")
	}
}

func TestTasksCommand(t *testing.T) {
	dir := t.TempDir()
	job := writeJob(t, dir, "a.toml", "[model]\nL = [8, 16]\nbeta = [0.3, 0.4]\n")
	code, out, _ := runCLI(t, "tasks", job)
	if code != 0 {
		t.Fatal(code)
	}
	for _, w := range []string{"4 task(s)", "scan over L, beta", "3         L=16_beta=0.4_J=1_h=0  16"} {
		if !strings.Contains(out, w) {
			t.Errorf("tasks output %q lacks %q", out, w)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("tasks wrote files: %v", entries)
	}
}

func TestPythonReadsOutputs(t *testing.T) {
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("%s is missing: run make deps-test", python)
	}
	dir := t.TempDir()
	job := writeJob(t, dir, "a.toml", fmt.Sprintf(smallJob, 400))
	out := filepath.Join(dir, "out")
	if code, _, e := runCLI(t, "run", job, "--out", out, "--progress", "none"); code != 0 {
		t.Fatal(e)
	}
	args := []string{"testdata/check_outputs.py", out, "3", "200", "2"}
	if h5.Available {
		args = append(args, "hdf5")
	}
	cmd := exec.Command(python, args...)
	b, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(b), "ok") {
		t.Fatalf("python check failed: %v\n%s", err, b)
	}
	if _, err := os.Stat(filepath.Join(out, "plots", "summary.png")); err != nil {
		t.Error("no summary plot")
	}
	// The example analysis script runs on the outputs.
	png := filepath.Join(dir, "analysis.png")
	b, err = exec.Command(python, "../examples/analyze.py", out, png).CombinedOutput()
	if err != nil {
		t.Fatalf("examples/analyze.py: %v\n%s", err, b)
	}
	if _, err := os.Stat(png); err != nil {
		t.Errorf("examples/analyze.py wrote no figure:\n%s", b)
	}
}

// binary builds mcflow once for the tests that need a real process.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mcflow-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "mcflow")
		// With crash points: armed only by MCFLOW_CRASH / MCFLOW_FAULT
		// (internal/crash), by the fault-injection tests.
		args := []string{"build", "-o", binPath, "-tags", "crashpoints"}
		if !h5.Available {
			args[len(args)-1] += ",nohdf5"
		}
		out, err := exec.Command("go", append(args, "../cmd/mcflow")...).CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// interruptJob is long enough (~3 s of work on 2 cores) to be stopped
// several times.
const interruptJob = `name = "intr"
seed = 5
[model]
L = 32
beta = [0.42, 0.46]
[sampler]
chains = 4
thermalize = 500
sweeps = 60000
measure_every = 5
[checkpoint]
every = "300ms"
`

// signalUntilDone runs the binary with args, sends sig after first,
// first+step, … (twice, 20 ms apart, unless SIGKILL: a repeated signal is
// harmless), until a run finishes; every stopped run must exit 75 (−1 when
// killed). It returns the number of stops.
func signalUntilDone(t *testing.T, bin string, args []string, sig syscall.Signal, first, step time.Duration, attempts int) int {
	t.Helper()
	stops := 0
	for attempt := 0; attempt < attempts; attempt++ {
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(first + time.Duration(attempt)*step):
			cmd.Process.Signal(sig)
			if sig != syscall.SIGKILL {
				time.Sleep(20 * time.Millisecond)
				cmd.Process.Signal(sig)
			}
			err = <-done
		}
		code := cmd.ProcessState.ExitCode()
		if err == nil && code == 0 {
			break
		}
		stops++
		if (sig == syscall.SIGKILL && code != -1) || (sig != syscall.SIGKILL && code != job.ExitStopped) {
			t.Fatalf("%v: exit %d, want %d\n%s", sig, code, map[bool]int{true: -1, false: job.ExitStopped}[sig == syscall.SIGKILL], stderr.String())
		}
	}
	return stops
}

// hdf5PassOnly skips, under -short, a test whose subject does not depend
// on the output format (statistics, locks, SLURM, the multispin engine's
// identity): the nohdf5 pass of `make test` runs -short for the paths that
// differ without HDF5, and the HDF5 pass runs these.
func hdf5PassOnly(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: independent of the output format, run by the HDF5 pass of make test")
	}
}

// TestInterruptResume stops a run with SIGTERM, then kills another with
// SIGKILL, resumes both, and checks arrays and statistics against an
// uninterrupted run.
func TestInterruptResume(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	job := writeJob(t, dir, "intr.toml", interruptJob)
	ref := filepath.Join(dir, "ref")
	if out, err := exec.Command(bin, "run", job, "--out", ref, "--progress", "none").CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	sigs := []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGKILL}
	if testing.Short() { // the nohdf5 pass: a stop and a kill
		sigs = []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}
	}
	for _, sig := range sigs {
		t.Run(sig.String(), func(t *testing.T) {
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(sig.String(), " ", ""))
			stops := signalUntilDone(t, bin, []string{"run", job, "--out", out, "--progress", "none"}, sig, 400*time.Millisecond, 400*time.Millisecond, 20)
			if stops == 0 {
				t.Fatal("the run was never interrupted: make the job longer")
			}
			t.Logf("%v: interrupted %d times", sig, stops)
			sameArrays(t, "resumed vs uninterrupted", arrays(t, ref), arrays(t, out))
			if summaryNoTiming(t, out) != summaryNoTiming(t, ref) {
				t.Error("summary (timings aside) differs from the uninterrupted run")
			}
		})
	}
}

func TestNoHDF5Build(t *testing.T) {
	if h5.Available {
		t.Skip("HDF5 build; the nohdf5 build runs this test (make test)")
	}
	dir := t.TempDir()
	jobFile := writeJob(t, dir, "a.toml", fmt.Sprintf(smallJob, 100)+"[output]\nformats = [\"hdf5\", \"npy\"]\ndir = \"o\"\n")
	code, _, e := runCLI(t, "run", jobFile, "--progress", "none")
	if code != job.ExitUsage || !strings.Contains(e, "make build") || !strings.Contains(e, "nohdf5") {
		t.Errorf("hdf5 asked of a nohdf5 build: exit %d, %s", code, e)
	}
	if _, err := os.Stat(filepath.Join(dir, "o")); !os.IsNotExist(err) {
		t.Error("output written")
	}
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func TestSolverCommands(t *testing.T) {
	dir := t.TempDir()
	code, out, e := runCLI(t, "onsager", "--beta", "0.3:0.6:4", "--out", filepath.Join(dir, "ons"))
	if code != 0 || !strings.Contains(out, "0.879363820775") {
		t.Fatalf("onsager: exit %d\n%s\n%s", code, out, e)
	}
	for _, f := range []string{"beta", "lnZ", "E", "C"} {
		if _, err := os.Stat(filepath.Join(dir, "ons", f+".npy")); err != nil {
			t.Errorf("onsager --out: %s.npy missing", f)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ons", "thermo.png")); err != nil {
		t.Error("onsager --out: no plot")
	}
	code, out, e = runCLI(t, "trg", "--beta", "0.45", "--dcut", "8", "--steps", "12")
	if code != 0 || !strings.Contains(out, "0.45") {
		t.Fatalf("trg: exit %d\n%s\n%s", code, out, e)
	}
	// --json: one object per β point, nothing else on stdout.
	code, out, e = runCLI(t, "trg", "--beta", "0.3,0.45", "--dcut", "8", "--steps", "12", "--json")
	if c, o, _ := runCLI(t, "trg", "--beta", "0.4406868", "--dcut", "4", "--steps", "4", "--json"); c != 0 || !strings.Contains(o, `"onsager_C":null`) {
		t.Errorf("trg --json at beta_c: exit %d, want onsager_C null (JSON has no infinity)\n%s", c, o)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("trg --json: exit %d, want 2 lines\n%s\n%s", code, out, e)
	}
	for i, line := range lines {
		var p map[string]float64
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatalf("trg --json line %d: %v\n%s", i+1, err, line)
		}
		want, _ := exact.Onsager(p["beta"], 1)
		if len(p) != 7 || p["beta"] != []float64{0.3, 0.45}[i] || p["onsager_E"] != want.E ||
			math.Abs(p["lnZ"]-want.LnZ) > 1e-3 || math.Abs(p["E"]-want.E) > 0.05 || math.Abs(p["C"]-want.C) > 0.5 {
			t.Errorf("trg --json line %d: %v (Onsager %+v)", i+1, p, want)
		}
	}
	// hotrg: 2D against Onsager in the table, 3D as JSON without Onsager.
	code, out, e = runCLI(t, "hotrg", "--beta", "0.45", "--dcut", "8", "--steps", "10")
	if code != 0 || !strings.Contains(out, "E Onsager") {
		t.Fatalf("hotrg: exit %d\n%s\n%s", code, out, e)
	}
	code, out, e = runCLI(t, "hotrg", "--dim", "3", "--beta", "0.2", "--dcut", "4", "--steps", "4", "--json")
	var p3 map[string]float64
	if err := json.Unmarshal([]byte(out), &p3); code != 0 || err != nil || len(p3) != 4 || !(p3["E"] < 0) {
		t.Fatalf("hotrg --dim 3 --json: exit %d, %v: %v\n%s", code, err, p3, e)
	}
	code, out, e = runCLI(t, "tfim", "--L", "4", "--steps", "50", "--print-every", "0")
	if code != 0 || !strings.Contains(out, "infidelity ") {
		t.Fatalf("tfim: exit %d\n%s\n%s", code, out, e)
	}
	for _, bad := range [][]string{
		{"onsager", "--beta", "0.4:0.3"},
		{"onsager", "--beta", "-1"},
		{"trg", "--beta", "0.4", "--dcut", "1"},
		{"hotrg", "--dim", "4", "--beta", "0.4"},
		{"tfim", "--L", "40"},
	} {
		if code, _, e := runCLI(t, bad...); code != job.ExitUsage || e == "" {
			t.Errorf("%v: exit %d, stderr %q", bad, code, e)
		}
	}
}

const trainJob = `seed = 9
[model]
kind = "toy2d"
name = "ring2d"
[train]
flow = "monge-ampere"
hidden = [16]
steps = 20
eps = 0.2
epochs = 150
batch = 256
eval_samples = 2000
[checkpoint]
every = 5
`

func flowParams(t *testing.T, path string) []float64 {
	t.Helper()
	f, err := h5.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var all []float64
	for i := 0; ; i++ {
		_, d, err := f.Read(fmt.Sprintf("params/p%03d", i))
		if err != nil {
			break
		}
		all = append(all, d...)
	}
	return all
}

// `mcflow train` stopped by SIGTERM (exit 75, checkpoint) or killed, then
// run again, trains the same flow as an uninterrupted run.
func TestTrainInterrupt(t *testing.T) {
	if !h5.Available {
		t.Skip("built without HDF5")
	}
	bin := binary(t)
	dir := t.TempDir()
	job := writeJob(t, dir, "train.toml", trainJob)
	ref := filepath.Join(dir, "ref")
	if out, err := exec.Command(bin, "train", job, "--out", ref, "--progress", "none").CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	want := flowParams(t, filepath.Join(ref, "flow", "ring2d.h5"))
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		out := filepath.Join(dir, "out-"+strings.ReplaceAll(sig.String(), " ", ""))
		stops := signalUntilDone(t, bin, []string{"train", job, "--out", out, "--progress", "none"}, sig, 300*time.Millisecond, 150*time.Millisecond, 30)
		if stops == 0 {
			t.Fatalf("%v: training was never interrupted", sig)
		}
		if got := flowParams(t, filepath.Join(out, "flow", "ring2d.h5")); !slices.Equal(got, want) {
			t.Errorf("%v: interrupted %d times, the resumed training gave a different flow", sig, stops)
		}
		t.Logf("%v: interrupted %d times", sig, stops)
	}
}

// checkConfigs checks OUT/configs/<task>.npy of the hmc-phi4 job: shape
// (chains, snapshots, L, L) with a snapshot every 7 of 3000 draws, every
// value finite, and the magnitude of snapshot s equal to the recorded |m|
// of draw 7s.
func checkConfigs(t *testing.T, out string) {
	t.Helper()
	for _, task := range []string{"L=4_m2=-4_lam=4", "L=4_m2=-4_lam=8"} {
		shape, data, err := npy.ReadAny(filepath.Join(out, "configs", task+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(shape) != "[3 429 4 4]" {
			t.Fatalf("configs shape %v, want [3 429 4 4]", shape)
		}
		_, absm, err := npy.ReadAny(filepath.Join(out, "npy", task, "absm.npy"))
		if err != nil {
			t.Fatal(err)
		}
		for c := range 3 {
			for sn := range 429 {
				var m float64
				for i := range 16 {
					v := data[(c*429+sn)*16+i]
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("chain %d snapshot %d: %v", c, sn, v)
					}
					m += v
				}
				if want := absm[c*3000+7*sn]; math.Abs(math.Abs(m/16)-want) > 1e-12 {
					t.Fatalf("chain %d snapshot %d: |m| = %v, recorded %v", c, sn, math.Abs(m/16), want)
				}
			}
		}
	}
}

// runInterrupted runs a job in-process with deadlines growing from first
// by step, each stop checkpointing (exit 75), until it finishes; it
// returns the number of stops and fails the test if there was none.
// sameForWorkersAndStops runs job with 1 and 2 workers and once more
// interrupted repeatedly (see runInterrupted): all three give the same
// arrays. It returns the 1-worker and the interrupted output directories.
func sameForWorkersAndStops(t *testing.T, dir, job string, first, step time.Duration) (w1, interrupted string) {
	t.Helper()
	var outs []string
	for _, w := range []string{"1", "2"} {
		out := filepath.Join(dir, "w"+w)
		if code, _, stderr := runCLI(t, "run", job, "--workers", w, "--out", out, "--progress", "none"); code != 0 {
			t.Fatalf("--workers %s: exit %d\n%s", w, code, stderr)
		}
		outs = append(outs, out)
	}
	ref := arrays(t, outs[0])
	sameArrays(t, "--workers 2", ref, arrays(t, outs[1]))
	out := filepath.Join(dir, "int")
	stops := runInterrupted(t, job, out, first, step)
	sameArrays(t, fmt.Sprintf("interrupted %d times", stops), ref, arrays(t, out))
	t.Logf("interrupted %d times", stops)
	return outs[0], out
}

func runInterrupted(t *testing.T, jobFile, out string, first, step time.Duration) int {
	t.Helper()
	stops := 0
	for i := 0; i < 200; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), first+time.Duration(i)*step)
		var o, e bytes.Buffer
		// Barriers every 5 ms: a short job still has many stopping points.
		code := run(ctx, []string{"run", jobFile, "--out", out, "--progress", "none", "--workers", "2", "--barrier-every", "5ms"}, &o, &e)
		cancel()
		if code == job.ExitStopped {
			stops++
			continue
		}
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, e.String())
		}
		break
	}
	if stops == 0 {
		t.Fatal("the run was never interrupted")
	}
	return stops
}

const multispinJob = `name = "ms"
seed = 12
[model]
L = 16
beta = [0.4, 0.44]
h = [0.0, 0.05]
[sampler]
kind = "metropolis"
engine = "multispin"
chains = 128
thermalize = 100
sweeps = 2000
measure_every = 4
[checkpoint]
every = 300
`

// The multispin engine gives bit-identical arrays for any worker count
// and across interruptions (stopped at arbitrary blocks and resumed).
func TestMultispinJob(t *testing.T) {
	hdf5PassOnly(t)
	dir := t.TempDir()
	job := writeJob(t, dir, "ms.toml", multispinJob)
	w1, interrupted := sameForWorkersAndStops(t, dir, job, 50*time.Millisecond, 30*time.Millisecond)
	if summaryNoTiming(t, interrupted) != summaryNoTiming(t, w1) {
		t.Error("summary differs after interruptions")
	}
}

// Tempering ladders (Metropolis and Wolff rungs, and a ladder adapted
// during thermalize) give bit-identical arrays for 1 and 2 workers and
// across interruptions.
func TestPTJob(t *testing.T) {
	hdf5PassOnly(t)
	for name, body := range map[string]string{
		"metropolis": "[model]\nL = 6\n[sampler]\nkind = \"pt\"\nbeta_min = 0.25\nbeta_max = 0.6\nrungs = 5\nswap_every = 2\nchains = 3\nthermalize = 200\nsweeps = 4000\n[checkpoint]\nevery = 300\n",
		"adaptive":   "[model]\nL = 6\n[sampler]\nkind = \"pt\"\nbetas = [0.2, 0.3, 0.35, 0.7]\nladder_rounds = 3\nchains = 2\nthermalize = 900\nsweeps = 3000\n[checkpoint]\nevery = 300\n",
		"wolff":      "[model]\nkind = \"ising3d\"\nL = 4\n[sampler]\nkind = \"pt\"\nbase = \"wolff\"\nbetas = [0.15, 0.2, 0.25]\nchains = 2\nthermalize = 200\nsweeps = 6000\n[checkpoint]\nevery = 500\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			job := writeJob(t, dir, name+".toml", body)
			w1, interrupted := sameForWorkersAndStops(t, dir, job, 20*time.Millisecond, 10*time.Millisecond)
			if summaryNoTiming(t, interrupted) != summaryNoTiming(t, w1) {
				t.Error("summary differs after interruptions")
			}
		})
	}
}

func TestBenchScaling(t *testing.T) {
	for _, engine := range []string{"plain", "multispin"} {
		code, stdout, stderr := runCLI(t, "bench", "scaling", "--max-workers", "2", "--L", "16", "--sweeps", "20", "--engine", engine)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", engine, code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != 5 || !strings.Contains(lines[2], "efficiency") || !strings.HasPrefix(lines[3], "1 ") || !strings.HasPrefix(lines[4], "2 ") || !strings.Contains(lines[1], "memory per chain") {
			t.Errorf("%s: unexpected output:\n%s", engine, stdout)
		}
	}
	if code, _, _ := runCLI(t, "bench", "scaling", "--engine", "gpu"); code != job.ExitUsage {
		t.Errorf("bad engine: exit %d", code)
	}
	if code, _, _ := runCLI(t, "bench", "scaling", "--engine", "multispin", "--chains", "100"); code != job.ExitUsage {
		t.Errorf("chains not a multiple of 64: exit %d", code)
	}
}

// The samplers of continuous targets give bit-identical arrays for 1 and
// 2 workers and across interruptions (adaptation included: thermalize is
// the warmup).
func TestContSamplersJob(t *testing.T) {
	if !h5.Available {
		t.Skip("flows are HDF5 files")
	}
	flow, gflow := testflows.Path(t, "ring2d-realnvp.h5"), testflows.Path(t, "gaussian-realnvp.h5")
	for name, body := range map[string]string{
		"hmc-phi4":          "[model]\nkind = \"phi4\"\nL = 4\nlam = [4.0, 8.0]\n[sampler]\nkind = \"hmc\"\nchains = 3\nthermalize = 300\nsweeps = 3000\nsteps = 5\n[output]\nconfigs_every = 7\n[checkpoint]\nevery = 200\n",
		"hmc-relaxed":       "[model]\nkind = \"ising2d-relaxed\"\nL = 4\nbeta = 0.3\n[sampler]\nkind = \"hmc\"\nchains = 3\nthermalize = 300\nsweeps = 10000\nlength = 1.0\nsteps = 0\n[checkpoint]\nevery = 200\n",
		"latent-ring2d":     "[model]\nkind = \"toy2d\"\nname = \"ring2d\"\n[sampler]\nkind = \"latent-hmc\"\nflow = \"" + flow + "\"\nchains = 2\nthermalize = 50\nsweeps = 200\nsteps = 3\n[checkpoint]\nevery = 20\n",
		"train-then-flowmh": "seed = 2\n[model]\nkind = \"toy2d\"\nname = \"mog2\"\n[train]\nflow = \"realnvp\"\nlayers = 4\nhidden = [16, 16]\nsymmetric = \"mixture\"\nepochs = 60\nbatch = 256\nlr = 0.005\neval_samples = 2000\n[sampler]\nkind = \"flow-mh\"\nchains = 3\nthermalize = 100\nsweeps = 6000\n[checkpoint]\nevery = 10\n",
		"flowmh-hmc-local":  "[model]\nkind = \"toy2d\"\nname = \"ring2d\"\n[sampler]\nkind = \"flow-mh\"\nflow = \"" + flow + "\"\nchains = 3\nthermalize = 50\nsweeps = 2000\nlocal = 0.7\nlocal_kernel = \"hmc\"\neps = 0.2\nsteps = 5\n[checkpoint]\nevery = 100\n",
		"adaptive-flowmh":   "[model]\nkind = \"toy2d\"\nname = \"ring2d\"\n[sampler]\nkind = \"flow-mh\"\nflow = \"" + gflow + "\"\nchains = 3\nthermalize = 600\nsweeps = 3000\nlocal = 0.5\nlocal_kernel = \"rw\"\nlocal_step = 0.4\nadapt_rounds = 3\nadapt_epochs = 30\nadapt_batch = 128\n[checkpoint]\nevery = 50\n",
		"nuts-phi4":         "[model]\nkind = \"phi4\"\nL = 4\n[sampler]\nkind = \"nuts\"\nchains = 3\nthermalize = 300\nsweeps = 1500\n[checkpoint]\nevery = 100\n",
		// divergent states kept, a dense metric adapted
		"nuts-funnel-dense": "[model]\nkind = \"funnel\"\ndim = 4\n[sampler]\nkind = \"nuts\"\ndense_metric = true\nchains = 3\nthermalize = 300\nsweeps = 1500\n[checkpoint]\nevery = 100\n",
		"mala-phi4":         "[model]\nkind = \"phi4\"\nL = 4\n[sampler]\nkind = \"mala\"\nchains = 3\nthermalize = 300\nsweeps = 3000\n[checkpoint]\nevery = 200\n",
		"flowmh-mala-local": "[model]\nkind = \"toy2d\"\nname = \"ring2d\"\n[sampler]\nkind = \"flow-mh\"\nflow = \"" + flow + "\"\nchains = 3\nthermalize = 50\nsweeps = 2000\nlocal = 0.7\nlocal_kernel = \"mala\"\n[checkpoint]\nevery = 100\n",
		"pt-flowmh":         "[model]\nkind = \"toy2d\"\nname = \"ring2d\"\n[sampler]\nkind = \"pt\"\nbase = \"flow-mh\"\nflow = \"" + flow + "\"\nbetas = [0.5, 1.0]\nchains = 2\nthermalize = 50\nsweeps = 2000\nlocal = 0.5\nlocal_kernel = \"hmc\"\nsteps = 3\n[checkpoint]\nevery = 100\n",
		"pt-hmc-toy":        "[model]\nkind = \"toy2d\"\nname = \"mog2\"\n[sampler]\nkind = \"pt\"\nbase = \"hmc\"\nbetas = [0.3, 0.6, 1.0]\nchains = 2\nthermalize = 100\nsweeps = 1500\nsteps = 5\n[checkpoint]\nevery = 100\n",
		"flowmh-ring2d":     "[model]\nkind = \"toy2d\"\nname = \"ring2d\"\n[sampler]\nkind = \"flow-mh\"\nflow = \"" + flow + "\"\nchains = 3\nthermalize = 50\nsweeps = 4000\nbatch = 32\nlocal = 0.25\n[checkpoint]\nevery = 300\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			job := writeJob(t, dir, name+".toml", body)
			w1, _ := sameForWorkersAndStops(t, dir, job, 20*time.Millisecond, 10*time.Millisecond)
			switch name {
			case "hmc-phi4":
				checkConfigs(t, w1)
			case "nuts-funnel-dense":
				files, _ := filepath.Glob(filepath.Join(w1, "divergences", "*.npy"))
				if len(files) != 1 {
					t.Fatalf("divergences: %v, want one file", files)
				}
				if a, err := npy.Read(files[0]); err != nil || len(a) == 0 {
					t.Errorf("centred funnel: divergent states %v (%v)", len(a), err)
				}
			}
		})
	}
}

// A run stopped by SIGTERM's path (a cancelled context: checkpoint, exit
// 75), moved whole to another directory with its job file and flow, and
// resumed there finishes and equals an uninterrupted run bit for bit; the
// commands that read outputs work on the moved directory.
func TestMoveAndResume(t *testing.T) {
	flow := testflows.Path(t, "ring2d-realnvp.h5")
	const body = "seed = 8\n[model]\nkind = \"toy2d\"\n[sampler]\nkind = \"flow-mh\"\nflow = \"flows/ring.h5\"\nchains = 3\nthermalize = 100\nsweeps = 10000\n[output]\ndir = \"out\"\n[checkpoint]\nevery = 500\n"
	setup := func(dir string) string {
		if err := os.MkdirAll(filepath.Join(dir, "flows"), 0o755); err != nil {
			t.Fatal(err)
		}
		copyFileT(t, flow, filepath.Join(dir, "flows", "ring.h5"))
		return writeJob(t, dir, "job.toml", body)
	}
	root := t.TempDir()
	refJob := setup(filepath.Join(root, "ref"))
	if code, _, e := runCLI(t, "run", refJob, "--progress", "none"); code != 0 {
		t.Fatalf("reference run: exit %d\n%s", code, e)
	}
	first := filepath.Join(root, "first")
	jobFile := setup(first)
	stopped := false
	for d := 100 * time.Millisecond; !stopped && d < 5*time.Second; d += 100 * time.Millisecond {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		var o, e bytes.Buffer
		code := run(ctx, []string{"run", jobFile, "--progress", "none", "--barrier-every", "5ms"}, &o, &e)
		cancel()
		switch code {
		case job.ExitStopped:
			stopped = true
		case job.ExitDone:
			os.RemoveAll(filepath.Join(first, "out")) // too fast: start again, stop sooner
		default:
			t.Fatalf("exit %d\n%s", code, e.String())
		}
	}
	if !stopped {
		t.Fatal("the run was never stopped")
	}
	moved := filepath.Join(root, "elsewhere", "moved")
	os.MkdirAll(filepath.Dir(moved), 0o755)
	if err := os.Rename(first, moved); err != nil {
		t.Fatal(err)
	}
	if code, _, e := runCLI(t, "run", filepath.Join(moved, "job.toml"), "--progress", "none"); code != 0 {
		t.Fatalf("resume after the move: exit %d\n%s", code, e)
	}
	out, ref := filepath.Join(moved, "out"), filepath.Join(root, "ref", "out")
	sameArrays(t, "moved and resumed vs uninterrupted", arrays(t, ref), arrays(t, out))
	for _, cmd := range []string{"status", "summary", "merge"} {
		if code, _, e := runCLI(t, cmd, out); code != 0 {
			t.Errorf("mcflow %s on the moved output: exit %d\n%s", cmd, code, e)
		}
	}
}

func copyFileT(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Adding a point to a scan keeps every finished task's files and results
// and runs only the new one; removing it leaves its files alone; a
// repeated point is an error naming the key.
func TestScanGrows(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	scan := func(betas string) (int, string) {
		jobFile := writeJob(t, dir, "scan.toml", "seed = 4\n[model]\nL = 8\nbeta = "+betas+"\n[sampler]\nchains = 2\nthermalize = 20\nsweeps = 400\n")
		code, o, e := runCLI(t, "run", jobFile, "--out", out, "--progress", "none")
		return code, o + e
	}
	if code, msg := scan("[0.3, 0.5]"); code != 0 {
		t.Fatalf("exit %d\n%s", code, msg)
	}
	before := arrays(t, out)
	sumBefore, _ := os.ReadFile(filepath.Join(out, "summary", "L=8_beta=0.3_J=1_h=0.json"))
	code, msg := scan("[0.3, 0.4, 0.5]")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, msg)
	}
	for _, id := range []string{"L=8_beta=0.3_J=1_h=0", "L=8_beta=0.5_J=1_h=0"} {
		if !strings.Contains(msg, "task "+id+" was already finished") {
			t.Errorf("task %s ran again:\n%s", id, msg)
		}
	}
	after := arrays(t, out)
	for k, v := range before {
		if !bytes.Equal(v, after[k]) {
			t.Errorf("%s changed when the scan grew", k)
		}
	}
	if len(after) != len(before)*3/2 {
		t.Errorf("%d arrays after adding a point, %d before", len(after), len(before))
	}
	if b, _ := os.ReadFile(filepath.Join(out, "summary", "L=8_beta=0.3_J=1_h=0.json")); !bytes.Equal(b, sumBefore) {
		t.Error("a finished task's summary was rewritten")
	}
	var tasks []job.TaskEntry
	if b, err := os.ReadFile(filepath.Join(out, "tasks.json")); err != nil || json.Unmarshal(b, &tasks) != nil || len(tasks) != 3 || tasks[1].ID != "L=8_beta=0.4_J=1_h=0" || tasks[1].Position != 1 {
		t.Errorf("tasks.json: %+v (%v)", tasks, err)
	}
	if code, msg := scan("[0.3, 0.5]"); code != 0 {
		t.Fatalf("exit %d\n%s", code, msg)
	}
	if _, err := os.Stat(filepath.Join(out, "npy", "L=8_beta=0.4_J=1_h=0", "e.npy")); err != nil {
		t.Error("removing a point from the scan removed its files")
	}
	// --task takes a position or an id.
	jobFile := filepath.Join(dir, "scan.toml")
	if code, _, e := runCLI(t, "run", jobFile, "--out", out, "--task", "L=8_beta=0.5_J=1_h=0", "--progress", "none"); code != 0 {
		t.Errorf("--task ID: exit %d\n%s", code, e)
	}
	if code, _, e := runCLI(t, "run", jobFile, "--out", out, "--task", "L=8_beta=0.45_J=1_h=0", "--progress", "none"); code != job.ExitUsage || !strings.Contains(e, "no task of the job has this id") {
		t.Errorf("--task with an unknown id: exit %d\n%s", code, e)
	}
	if code, msg := scan("[0.3, 0.5, 0.3]"); code != job.ExitUsage || !strings.Contains(msg, "model.beta: has 0.3 twice") {
		t.Errorf("a repeated point: exit %d\n%s", code, msg)
	}
}

// Eight processes started at once on a task whose lock is stale (its
// holder is gone): exactly one runs it, the others exit 1 naming it as the
// lock's holder, and the result equals an uninterrupted run. A delay of
// 300 ms between judging the lock and taking it (MCFLOW_DELAY) puts every
// process in that window at once: without the guard all would take it.
func TestStaleLockRace(t *testing.T) {
	hdf5PassOnly(t)
	const body = "seed = 5\n[model]\nL = 64\nbeta = 0.44\n[sampler]\nchains = 4\nthermalize = 100\nsweeps = 30000\nmeasure_every = 10\n"
	bin, dir, jobFile, ref := referenceRun(t, body)
	out := filepath.Join(dir, "race")
	s, err := job.ParseFile(jobFile)
	if err != nil {
		t.Fatal(err)
	}
	lock := job.Layout{Out: out}.Lock(s.Tasks()[0].Name())
	os.MkdirAll(filepath.Dir(lock), 0o755)
	gone := exec.Command("true")
	gone.Run()
	host, _ := os.Hostname()
	os.WriteFile(lock, []byte(fmt.Sprintf(`{"host":%q,"pid":%d,"start":1,"since":"then"}`, host, gone.Process.Pid)), 0o644)

	const n = 8
	cmds := make([]*exec.Cmd, n)
	errs := make([]bytes.Buffer, n)
	for i := range cmds {
		cmds[i] = exec.Command(bin, "run", jobFile, "--out", out, "--progress", "none", "--workers", "1")
		cmds[i].Env = append(os.Environ(), "MCFLOW_DELAY=lock-decide:300ms")
		cmds[i].Stderr = &errs[i]
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	winner := -1
	for i, c := range cmds {
		c.Wait()
		if c.ProcessState.ExitCode() == 0 {
			if winner >= 0 {
				t.Fatalf("processes %d and %d both ran the task", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no process ran the task")
	}
	want := fmt.Sprintf("locked by pid %d on host %s", cmds[winner].Process.Pid, host)
	for i, c := range cmds {
		if i != winner && (c.ProcessState.ExitCode() != job.ExitError || !strings.Contains(errs[i].String(), want)) {
			t.Errorf("process %d: exit %d, want %d and %q:\n%s", i, c.ProcessState.ExitCode(), job.ExitError, want, errs[i].String())
		}
	}
	sameArrays(t, "the winner's run vs an uninterrupted one", arrays(t, ref), arrays(t, out))
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Error("the lock is left behind")
	}
}

// --strict: a run with a warning that counts exits 3 (run, summary,
// merge); a run whose only warnings are symmetry ones (m below T_c) exits
// 0; `summary` prints the table and the warnings again without running,
// or with --json the summary.json schema.
func TestStrict(t *testing.T) {
	dir := t.TempDir()
	short := writeJob(t, dir, "short.toml", "seed = 3\n[model]\nL = 8\nbeta = 0.44\n[sampler]\nchains = 2\nthermalize = 50\nsweeps = 60\n")
	out := filepath.Join(dir, "short")
	code, o, e := runCLI(t, "run", short, "--out", out, "--progress", "none", "--strict")
	if code != job.ExitWarnings || !strings.Contains(o, "ess: e:") || !strings.Contains(e, "--strict") {
		t.Errorf("run --strict of a too short run: exit %d\n%s\n%s", code, o, e)
	}
	if code, o, _ := runCLI(t, "summary", out); code != 0 || !strings.Contains(o, "ess: e:") || !strings.Contains(o, "*") {
		t.Errorf("summary: exit %d\n%s", code, o)
	}
	// --json: the summary.json schema, equal to the run's own file; --task.
	code, o, e = runCLI(t, "summary", out, "--json", "--task", "0")
	var rs results.RunSummary
	if err := json.Unmarshal([]byte(o), &rs); code != 0 || err != nil || len(rs.Tasks) != 1 || len(rs.Warnings) == 0 {
		t.Errorf("summary --json --task 0: exit %d, %v\n%s\n%s", code, err, o, e)
	}
	var file results.RunSummary
	if b, err := os.ReadFile(filepath.Join(out, "summary.json")); err != nil || json.Unmarshal(b, &file) != nil || !reflect.DeepEqual(file.Tasks[0].Observables, rs.Tasks[0].Observables) || !reflect.DeepEqual(file.Warnings, rs.Warnings) {
		t.Errorf("summary --json differs from summary.json (%v)", err)
	}
	if code, _, e := runCLI(t, "summary", out, "--task", "7"); code != job.ExitUsage || !strings.Contains(e, "--task") {
		t.Errorf("summary --task 7 of a 1-task run: exit %d\n%s", code, e)
	}
	for _, cmd := range []string{"summary", "merge"} {
		if code, _, e := runCLI(t, cmd, out, "--strict"); code != job.ExitWarnings {
			t.Errorf("%s --strict: exit %d\n%s", cmd, code, e)
		}
	}
	if code, o, _ := runCLI(t, "status", out); code != 0 || !strings.Contains(o, "strict)") {
		t.Errorf("status: exit %d\n%s", code, o)
	}
	ordered := writeJob(t, dir, "ordered.toml", "seed = 3\n[model]\nL = 8\nbeta = 0.7\n[sampler]\nchains = 16\nthermalize = 200\nsweeps = 4000\n")
	code, o, e = runCLI(t, "run", ordered, "--out", filepath.Join(dir, "ordered"), "--progress", "none", "--strict")
	if code != 0 || !strings.Contains(o, "symmetry: m: chains do not tunnel") {
		t.Errorf("run --strict with only a symmetry warning: exit %d\n%s\n%s", code, o, e)
	}
}

// The default job (`make run`) finishes without a warning that counts:
// its task nearest β_c (the slowest to mix) in `make test`, all of it
// under MCFLOW_LONG.
func TestDefaultJobStrict(t *testing.T) {
	hdf5PassOnly(t)
	out := filepath.Join(t.TempDir(), "out")
	tasks := []string{"L=32_beta=0.44_J=1_h=0"}
	if os.Getenv("MCFLOW_LONG") == "1" {
		tasks = []string{""}
	}
	for _, task := range tasks {
		args := []string{"run", "--out", out, "--progress", "none", "--strict"}
		if task != "" {
			args = append(args, "--task", task)
		}
		if code, o, e := runCLI(t, args...); code != 0 {
			t.Errorf("default job, task %q, --strict: exit %d\n%s\n%s", task, code, o, e)
		}
	}
}

// python/mcflow_reader.py loads an NPY-only output without h5py (blocked
// here): every task's arrays equal the files, its summary and parameters
// are there, and the divergent states and configurations come along.
func TestPythonReader(t *testing.T) {
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("%s is missing: run make deps-test", python)
	}
	dir := t.TempDir()
	job := writeJob(t, dir, "funnel.toml", "seed = 3\n[model]\nkind = \"funnel\"\ndim = 4\n[sampler]\nkind = \"nuts\"\nchains = 2\nthermalize = 300\nsweeps = 400\n[output]\nformats = [\"npy\"]\nconfigs_every = 10\n")
	out := filepath.Join(dir, "out")
	if code, _, e := runCLI(t, "run", job, "--out", out, "--progress", "none"); code != 0 {
		t.Fatal(e)
	}
	const check = `import sys, os
sys.modules["h5py"] = None  # an NPY-only output must not need it
sys.path.insert(0, "../python")
import numpy as np, mcflow_reader
out = sys.argv[1]
r = mcflow_reader.load(out)
assert r["name"] == "funnel" and len(r["tasks"]) == 1, r
(tid, t), = r["tasks"].items()
assert t["params"]["dim"] == 4 and t["summary"]["task"] == 0, t["params"]
for name, a in t["arrays"].items():
    assert np.array_equal(a, np.load(os.path.join(out, "npy", tid, name + ".npy")), equal_nan=True), name
    assert a.shape == (2, 400), (name, a.shape)
assert t["configs"].shape == (2, 40, 4), t["configs"].shape
d = t["divergences"]
assert d.shape == (int(t["arrays"]["divergent"].sum()), 6), d.shape
assert t["disorder"] is None
print("ok")
`
	b, err := exec.Command(python, "-c", check, out).CombinedOutput()
	if err != nil || !strings.Contains(string(b), "ok") {
		t.Fatalf("mcflow_reader: %v\n%s", err, b)
	}
}

// summary of a stopped run: the unfinished task is summarised from its
// last checkpoint's draws, marked partial in the table and the JSON, and
// warned about (so --strict exits 3); nothing is written.
func TestSummaryPartial(t *testing.T) {
	dir := t.TempDir()
	jobFile := writeJob(t, dir, "long.toml", "seed = 5\n[model]\nL = 32\nbeta = 0.3\n[sampler]\nchains = 2\nthermalize = 100\nsweeps = 2000000\nmeasure_every = 100\n[checkpoint]\nevery = 20000\n")
	out := filepath.Join(dir, "out")
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	var o, e bytes.Buffer
	code := run(ctx, []string{"run", jobFile, "--out", out, "--progress", "none", "--barrier-every", "5ms"}, &o, &e)
	cancel()
	if code != job.ExitStopped {
		t.Fatalf("run: exit %d, want a stop\n%s", code, e.String())
	}
	before := arrays(t, out)
	code, stdout, stderr := runCLI(t, "summary", out, "--json")
	var rs results.RunSummary
	if err := json.Unmarshal([]byte(stdout), &rs); code != job.ExitDone || err != nil || len(rs.Tasks) != 1 {
		t.Fatalf("summary --json: exit %d, %v\n%s\n%s", code, err, stdout, stderr)
	}
	s := rs.Tasks[0]
	if !s.Partial || s.Draws < 2 || s.Draws >= 20000 || s.Observables["e"].N != 2*s.Draws || !hasPrefixW(s.Warnings, "partial: ") {
		t.Errorf("partial summary: partial %v, draws %d, n(e) %d, warnings %q", s.Partial, s.Draws, s.Observables["e"].N, s.Warnings)
	}
	if code, stdout, _ := runCLI(t, "summary", out, "--strict"); code != job.ExitWarnings || !strings.Contains(stdout, "(partial)") {
		t.Errorf("summary --strict of a partial run: exit %d\n%s", code, stdout)
	}
	if h5.Available { // export --netcdf cuts the stopped task to the same draws
		nc := filepath.Join(dir, "nc")
		if code, _, e := runCLI(t, "export", out, "--netcdf", nc); code != 0 {
			t.Fatalf("export --netcdf of a stopped run: exit %d\n%s", code, e)
		}
		runCheckNetCDF(t, filepath.Join(nc, s.Name+".nc"), out, s.Name, s.Draws, 1)
	}
	sameArrays(t, "summary or export of a stopped run", before, arrays(t, out))
}

func hasPrefixW(ws []string, p string) bool {
	for _, w := range ws {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}
