package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/results"
)

// needSlurm skips a test without a running SLURM, unless
// MCFLOW_REQUIRE_SLURM=1 (set by .ci/run, which starts one): then a
// missing SLURM fails the test.
func needSlurm(t *testing.T) {
	t.Helper()
	if !h5.Available {
		t.Skip("the SLURM tests run in the HDF5 build (make test runs both)")
	}
	out, err := exec.Command("sinfo", "-h", "-o", "%T").Output()
	state := strings.TrimSpace(string(out))
	if err == nil && regexp.MustCompile(`^(idle|mixed|allocated)`).MatchString(state) {
		return
	}
	msg := fmt.Sprintf("no SLURM cluster answers (sinfo: %v, state %q): start one with scripts/slurm/up.sh (root), as .ci/run does", err, state)
	if os.Getenv("MCFLOW_REQUIRE_SLURM") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// jobStates returns the JobState and Restarts of every job of a SLURM
// job id (every task of an array), from `scontrol show job`.
func jobStates(t *testing.T, id string) (states []string, restarts []string) {
	t.Helper()
	out, err := exec.Command("scontrol", "show", "job", id).CombinedOutput()
	if err != nil {
		t.Fatalf("scontrol show job %s: %v\n%s", id, err, out)
	}
	for _, m := range regexp.MustCompile(`JobState=(\S+)`).FindAllStringSubmatch(string(out), -1) {
		states = append(states, m[1])
	}
	for _, m := range regexp.MustCompile(`Restarts=(\d+)`).FindAllStringSubmatch(string(out), -1) {
		restarts = append(restarts, m[1])
	}
	return states, restarts
}

// waitJob polls a job until every task has ended and returns the states
// (sbatch --wait does not follow a requeue).
func waitJob(t *testing.T, id string, timeout time.Duration) ([]string, []string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		states, restarts := jobStates(t, id)
		ended := len(states) > 0
		for _, s := range states {
			switch s {
			case "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE":
			default:
				ended = false
			}
		}
		if ended {
			return states, restarts
		}
		if time.Now().After(deadline) {
			exec.Command("scancel", id).Run()
			t.Fatalf("job %s did not end in %v: states %v", id, timeout, states)
		}
		time.Sleep(time.Second)
	}
}

func logs(out string) string {
	var b strings.Builder
	files, _ := filepath.Glob(filepath.Join(out, "logs", "*"))
	for _, f := range files {
		c, _ := os.ReadFile(f)
		fmt.Fprintf(&b, "== %s\n%s", f, c)
	}
	return b.String()
}

const slurmJob = `name = "slurm array"
seed = 31
[model]
L = 16
beta = [0.3, 0.4, 0.44, 0.5]
[sampler]
chains = 4
thermalize = 200
sweeps = 20000
measure_every = 5
[checkpoint]
every = 2000
[slurm]
time = "10:00"
`

// TestSlurmArray submits the script of `mcflow slurm` for a 4-task array
// with sbatch --wait, checks every task's outputs, merges, and compares
// with a local run of the same job.
func TestSlurmArray(t *testing.T) {
	hdf5PassOnly(t)
	needSlurm(t)
	bin, dir, jobFile, ref := referenceRun(t, slurmJob)
	out := filepath.Join(dir, "out")
	script := filepath.Join(dir, "array.sbatch")
	if o, err := exec.Command(bin, "slurm", jobFile, "--out", out, "-o", script).CombinedOutput(); err != nil {
		t.Fatalf("mcflow slurm: %v\n%s", err, o)
	}
	sb := exec.Command("sbatch", "--wait", "--parsable", script)
	sb.Dir = "/" // the script must not depend on the directory it is submitted from
	o, err := sb.CombinedOutput()
	if err != nil {
		t.Fatalf("sbatch --wait: %v\n%s\n%s", err, o, logs(out))
	}
	id := strings.TrimSpace(strings.Split(strings.TrimSpace(string(o)), ";")[0])
	states, _ := jobStates(t, id)
	if len(states) != 4 || strings.Count(strings.Join(states, " "), "COMPLETED") != 4 {
		t.Fatalf("job %s: states %v, want 4 COMPLETED\n%s", id, states, logs(out))
	}
	s, err := job.ParseFile(jobFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range s.Tasks() {
		tk := task.Name()
		for _, f := range []string{"summary/" + tk + ".json", "npy/" + tk + "/e.npy", "ckpt/" + tk + ".npz"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Errorf("task %s: %v", tk, err)
			}
		}
	}
	if o, err := exec.Command(bin, "merge", out).CombinedOutput(); err != nil {
		t.Fatalf("merge: %v\n%s", err, o)
	}
	sameArrays(t, "SLURM array vs local run", arrays(t, ref), arrays(t, out))
	if summaryNoTiming(t, out) != summaryNoTiming(t, ref) {
		t.Error("merged summary (timings aside) differs from the local run")
	}
	spec, _ := job.ParseFile(jobFile)
	sameH5(t, ref, out, spec)
}

// preemptTask is preemptJob's one task.
const preemptTask = "L=32_beta=0.44_J=1_h=0"

const preemptJob = `name = "preempt"
seed = 32
[model]
L = 32
beta = 0.44
[sampler]
chains = 4
thermalize = 200
sweeps = 400000
measure_every = 10
[checkpoint]
every = 5000
`

// TestSlurmPreempt splits a task's chains over a 2-index array, sends the
// batch shells USR1 mid-run (as a pre-emption or the time-limit warning
// would), and follows the job: it checkpoints, requeues itself, resumes and
// ends COMPLETED, and the merged arrays equal an uninterrupted local run.
func TestSlurmPreempt(t *testing.T) {
	hdf5PassOnly(t)
	needSlurm(t)
	bin, dir, job, ref := referenceRun(t, preemptJob)
	out := filepath.Join(dir, "out")
	script := filepath.Join(dir, "preempt.sbatch")
	if o, err := exec.Command(bin, "slurm", job, "--out", out, "-o", script, "--chains-per-task", "2").CombinedOutput(); err != nil {
		t.Fatalf("mcflow slurm: %v\n%s", err, o)
	}
	o, err := exec.Command("sbatch", "--parsable", script).CombinedOutput()
	if err != nil {
		t.Fatalf("sbatch: %v\n%s", err, o)
	}
	id := strings.TrimSpace(strings.Split(strings.TrimSpace(string(o)), ";")[0])
	defer exec.Command("scancel", id).Run()
	// Wait until both slices have checkpointed, then signal mid-run.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		a, _ := os.Stat(filepath.Join(out, "slices", preemptTask, "000", "ckpt", preemptTask+".npz"))
		b, _ := os.Stat(filepath.Join(out, "slices", preemptTask, "001", "ckpt", preemptTask+".npz"))
		if a != nil && b != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slices did not checkpoint within 2 minutes\n%s", logs(out))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if o, err := exec.Command("scancel", "-s", "USR1", "-b", id).CombinedOutput(); err != nil {
		t.Fatalf("scancel -s USR1 -b: %v\n%s", err, o)
	}
	states, restarts := waitJob(t, id, 4*time.Minute)
	l := logs(out)
	if len(states) != 2 || strings.Count(strings.Join(states, " "), "COMPLETED") != 2 {
		t.Fatalf("states %v, want 2 COMPLETED\n%s", states, l)
	}
	for _, r := range restarts {
		if r == "0" {
			t.Errorf("restarts %v: a task was not requeued\n%s", restarts, l)
		}
	}
	if strings.Count(l, "checkpointed; requeueing SLURM job") != 2 || strings.Count(l, "resuming at") < 2 || !strings.Contains(l, "restart 1") {
		t.Errorf("the logs do not show two checkpoints, requeues and resumes:\n%s", l)
	}
	if o, err := exec.Command(bin, "merge", out).CombinedOutput(); err != nil {
		t.Fatalf("merge: %v\n%s", err, o)
	}
	sameArrays(t, "pre-empted, requeued, merged vs local run", arrays(t, ref), arrays(t, out))
	if summaryNoTiming(t, out) != summaryNoTiming(t, ref) {
		t.Error("merged summary (timings aside) differs from the local run")
	}
}

// TestSbatchInjection: hostile job names, job file paths and output
// directories give a script that runs mcflow on the right files and no
// other command.
func TestSbatchInjection(t *testing.T) {
	bin := binary(t)
	root := t.TempDir()
	// Injected commands would create root/PWNED (the script runs in root).
	pwned := "PWNED"
	hostile := []string{
		`x'; touch ` + pwned + `; echo '`,
		`$(touch ` + pwned + `)`,
		"`touch " + pwned + "`",
		`a "quoted" name; touch ` + pwned,
		"line\nbreak\n#SBATCH --wrap=touch " + pwned + "\ntouch " + pwned,
		"semi;colon & amp | pipe > gt < lt\ttab",
	}
	for i, name := range hostile {
		dir := filepath.Join(root, fmt.Sprintf("d%d $(touch %s) 'q'", i, pwned))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf("name = %s\nseed = 1\n[model]\nL = 4\n[sampler]\nchains = 1\nthermalize = 10\nsweeps = 20\n", strconv.Quote(name))
		job := writeJob(t, dir, "job $(touch "+pwned+") 'x'.toml", body)
		out := filepath.Join(dir, "out `touch "+pwned+"` 'o'")
		script := filepath.Join(root, fmt.Sprintf("s%d.sbatch", i))
		if o, err := exec.Command(bin, "slurm", job, "--out", out, "-o", script).CombinedOutput(); err != nil {
			t.Fatalf("name %q: mcflow slurm: %v\n%s", name, err, o)
		}
		b, _ := os.ReadFile(script)
		for _, line := range strings.Split(string(b), "\n") {
			// sbatch reads these lines, not the shell: the output path is
			// quoted whole, everything else is plain.
			if v, ok := strings.CutPrefix(line, "#SBATCH --output="); ok {
				if v != `"`+filepath.Join(out, "logs", "%x-%A_%a.out")+`"` {
					t.Errorf("name %q: %s", name, line)
				}
			} else if v, ok := strings.CutPrefix(line, "#SBATCH "); ok && strings.ContainsAny(v, "$`'\";&|<>\\ \t") {
				t.Errorf("name %q: hostile characters reach an #SBATCH line: %s", name, line)
			}
		}
		cmd := exec.Command("bash", script)
		cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=0")
		cmd.Dir = root
		if o, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("name %q: the script failed: %v\n%s\n%s", name, err, o, b)
		}
		if _, err := os.Stat(filepath.Join(root, pwned)); err == nil {
			t.Fatalf("name %q: the script ran an injected command:\n%s", name, b)
		}
		if _, err := os.Stat(filepath.Join(out, "summary", "L=4_beta=0.4406868_J=1_h=0.json")); err != nil {
			t.Errorf("name %q: the job did not run into its output directory: %v", name, err)
		}
	}
	// What sbatch's --output cannot carry is refused, not mangled.
	job := writeJob(t, root, "plain.toml", "[model]\nL = 4\n")
	for _, d := range []string{"a%b", `a"b`, "a\nb"} {
		if o, err := exec.Command(bin, "slurm", job, "--out", filepath.Join(root, d)).CombinedOutput(); err == nil || !strings.Contains(string(o), "cannot carry") {
			t.Errorf("--out %q: %v\n%s", d, err, o)
		}
	}
}

// TestSlurmScript checks the script's directives against the job's
// [slurm] table and the flags that override it.
func TestSlurmScript(t *testing.T) {
	dir := t.TempDir()
	jobFile := writeJob(t, dir, "s.toml", slurmJob+"partition = \"debug\"\nmax_parallel = 2\nmem = \"2G\"\ncpus = 2\n")
	code, o, e := runCLI(t, "slurm", jobFile, "--out", filepath.Join(dir, "out"), "--time", "1:30:00", "--account", "phys", "--chains-per-task", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	for _, want := range []string{"#SBATCH --array=0-7%2\n", "#SBATCH --time=1:30:00\n", "#SBATCH --partition=debug\n", "#SBATCH --account=phys\n",
		"#SBATCH --mem=2G\n", "#SBATCH --cpus-per-task=2\n", "#SBATCH --signal=B:USR1@300\n", "#SBATCH --requeue\n", "#SBATCH --open-mode=append\n",
		`--array-index "$SLURM_ARRAY_TASK_ID" --requeue`, "--chains-per-task 3", "\nexec '/"} {
		if !strings.Contains(o, want) {
			t.Errorf("script lacks %q:\n%s", want, o)
		}
	}
	// Whole tasks grouped per index: the slurm job's 4 tasks, 3 per index.
	if code, o, e := runCLI(t, "slurm", jobFile, "--out", filepath.Join(dir, "out"), "--tasks-per-index", "3"); code != 0 ||
		!strings.Contains(o, "#SBATCH --array=0-1%2\n") || !strings.Contains(o, "--tasks-per-index 3") {
		t.Errorf("--tasks-per-index 3: exit %d\n%s%s", code, o, e)
	}
	if code, _, _ := runCLI(t, "slurm", jobFile, "--tasks-per-index", "2", "--chains-per-task", "2"); code != job.ExitUsage {
		t.Errorf("--tasks-per-index with --chains-per-task: exit %d", code)
	}
	bad := writeJob(t, dir, "bad.toml", "[slurm]\ntime = \"soon\"\n")
	if code, _, e := runCLI(t, "slurm", bad); code != job.ExitUsage || !strings.Contains(e, "slurm") || !strings.Contains(e, "HH:MM:SS") {
		t.Errorf("bad [slurm] time: exit %d, %s", code, e)
	}
}

// TestSlurmHostilePaths submits a script whose job name, job file and
// output directory carry shell syntax to the real sbatch: it completes,
// writes where it should, and runs nothing else.
func TestSlurmHostilePaths(t *testing.T) {
	hdf5PassOnly(t)
	needSlurm(t)
	bin := binary(t)
	root := t.TempDir()
	dir := filepath.Join(root, "d $(touch PWNED) 'q' `touch PWNED`")
	os.MkdirAll(dir, 0o755)
	job := writeJob(t, dir, "job; touch PWNED.toml", "name = \"n'; touch PWNED; $(touch PWNED)\"\n[model]\nL = 4\n[sampler]\nchains = 1\nthermalize = 10\nsweeps = 20\n")
	out := filepath.Join(dir, "out $(touch PWNED)")
	// --submit writes the script into OUT and prints the job id.
	sub := exec.Command(bin, "slurm", job, "--out", out, "--submit")
	sub.Dir = root
	o, err := sub.Output()
	if err != nil {
		t.Fatalf("mcflow slurm --submit: %v\n%s", err, o)
	}
	id := strings.TrimSpace(string(o))
	if !regexp.MustCompile(`^\d+$`).MatchString(id) {
		t.Fatalf("--submit printed %q, want a job id", o)
	}
	if states, _ := waitJob(t, id, 2*time.Minute); len(states) != 1 || states[0] != "COMPLETED" {
		t.Fatalf("job %s: %v\n%s", id, states, logs(out))
	}
	if _, err := os.Stat(filepath.Join(out, "summary", "L=4_beta=0.4406868_J=1_h=0.json")); err != nil {
		t.Errorf("the job did not write its summary: %v\n%s", err, logs(out))
	}
	// The job runs in the directory it was submitted from: root.
	if _, err := os.Stat(filepath.Join(root, "PWNED")); err == nil {
		t.Error("an injected command ran")
	}
}

// ptSliceJob: tempering ladders split between slices (a slice holds
// whole ladders).
const ptSliceJob = `name = "pt slices"
seed = 34
[model]
L = 6
[sampler]
kind = "pt"
betas = [0.3, 0.4, 0.5]
chains = 4
thermalize = 100
sweeps = 2000
measure_every = 2
[checkpoint]
every = 500
`

const sliceJob = `name = "slices"
seed = 33
[model]
kind = "phi4"
L = 6
lam = [4.0, 8.0]
[sampler]
kind = "hmc"
chains = 5
thermalize = 200
sweeps = 600
steps = 8
[output]
configs_every = 50
[checkpoint]
every = 100
`

// TestSlicesMerge runs a job split by chains over the indices of an array
// (here one after another, with different worker counts, one slice killed
// and resumed), then merge: arrays, configurations, summaries and
// results.h5 equal a one-node run bit for bit. Merge refuses an unfinished
// run and names what is missing; status and export read the output.
func TestSlicesMerge(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	for _, body := range []string{slurmJob, sliceJob, ptSliceJob} {
		jobFile := writeJob(t, dir, "job.toml", body)
		spec, err := job.ParseFile(jobFile)
		if err != nil {
			t.Fatal(err)
		}
		ref := filepath.Join(dir, spec.Name+"-ref")
		if code, e := attempt(t, bin, []string{"run", jobFile, "--out", ref, "--progress", "none"}, nil, 0); code != 0 {
			t.Fatalf("one-node run: exit %d\n%s", code, e)
		}
		out := filepath.Join(dir, spec.Name+"-sliced")
		per, _ := spec.SliceCount(2) // 2 slices of 4 chains, 3 of 5
		n := len(spec.Tasks()) * per
		for i := range n {
			args := []string{"run", jobFile, "--out", out, "--progress", "none", "--array-index", fmt.Sprint(i), "--chains-per-task", "2", "--workers", fmt.Sprint(1 + i%2)}
			if i == 1 {
				// Barriers every 1 ms: a checkpoint every 100 (2000) steps.
				if code, _ := attempt(t, bin, append(args, "--barrier-every", "1ms"), []string{"MCFLOW_CRASH=ckpt-renamed:1"}, 0); code != -1 {
					t.Fatalf("index 1 with a crash point: exit %d, want killed", code)
				}
				if _, o, _ := runCLI(t, "status", out); !strings.Contains(o, "checkpointed") && !strings.Contains(o, "stale lock") {
					t.Errorf("status after a killed slice:\n%s", o)
				}
				if code, _, e := runCLI(t, "merge", out); code == 0 || !strings.Contains(e, "not finished") {
					t.Errorf("merge of an unfinished run: exit %d, %s", code, e)
				}
			}
			if code, e := attempt(t, bin, args, nil, 0); code != 0 {
				t.Fatalf("index %d: exit %d\n%s", i, code, e)
			}
		}
		_, o, _ := runCLI(t, "status", out)
		done := 0
		for _, line := range strings.Split(o, "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[1] == "done" {
				done++
			}
		}
		if done != n {
			t.Errorf("status: want %d slices done, have %d:\n%s", n, done, o)
		}
		if code, o, e := runCLI(t, "merge", out); code != 0 {
			t.Fatalf("merge: exit %d\n%s%s", code, o, e)
		}
		sameArrays(t, spec.Name+": merged slices vs one-node run", arrays(t, ref), arrays(t, out))
		if summaryNoTiming(t, out) != summaryNoTiming(t, ref) {
			t.Errorf("%s: merged summary (timings aside) differs from the one-node run", spec.Name)
		}
		sameH5(t, ref, out, spec)
		if spec.Model.Kind == "ising2d" && spec.Sampler.Kind != "pt" { // the analysis example reads the merged run
			if b, err := exec.Command(python, "../examples/analyze.py", out, filepath.Join(dir, "analysis.png")).CombinedOutput(); err != nil {
				t.Errorf("examples/analyze.py on the merged run: %v\n%s", err, b)
			}
		}
		// The merged output is a finished run: run says so and changes nothing.
		if code, o, _ := runCLI(t, "run", jobFile, "--out", out, "--progress", "none"); code != 0 || !strings.Contains(o, "already finished") {
			t.Errorf("run on the merged output: exit %d\n%s", code, o)
		}
		if !h5.Available {
			continue
		}
		exp := filepath.Join(dir, spec.Name+"-export")
		if code, _, e := runCLI(t, "export", out, "--npy", "--to", exp); code != 0 {
			t.Fatalf("export: exit %d %s", code, e)
		}
		for _, tk := range spec.Tasks() {
			a, _ := os.ReadFile(filepath.Join(out, "npy", tk.Name(), "e.npy"))
			if spec.Model.Kind == "phi4" {
				a, _ = os.ReadFile(filepath.Join(out, "npy", tk.Name(), "m.npy"))
			}
			name := map[bool]string{true: "m.npy", false: "e.npy"}[spec.Model.Kind == "phi4"]
			b, err := os.ReadFile(filepath.Join(exp, tk.Name(), name))
			if err != nil || !bytes.Equal(a, b) {
				t.Errorf("export of task %s: %v, equal %v", tk.Name(), err, bytes.Equal(a, b))
			}
		}
	}
}

// TestHDF5FileLocking: HDF5_USE_FILE_LOCKING=FALSE (for NFS and Lustre,
// where HDF5's locks fail) reaches libhdf5: with h5py holding results.h5
// open for writing, export fails under locking, with the hint, and works
// with locking off.
func TestHDF5FileLocking(t *testing.T) {
	if !h5.Available {
		t.Skip("nohdf5 build")
	}
	if _, err := os.Stat(python); err != nil {
		t.Skip("no /usr/bin/python3 with h5py (make deps-test installs it)")
	}
	bin := binary(t)
	dir := t.TempDir()
	job := writeJob(t, dir, "j.toml", "[model]\nL = 4\n[sampler]\nchains = 1\nthermalize = 10\nsweeps = 20\n")
	out := filepath.Join(dir, "out")
	if code, e := attempt(t, bin, []string{"run", job, "--out", out, "--progress", "none"}, nil, 0); code != 0 {
		t.Fatalf("run: %d %s", code, e)
	}
	// The holder locks the file whatever the environment says (an
	// inherited HDF5_USE_FILE_LOCKING=FALSE would leave it unlocked), holds
	// it until it is killed (a fixed hold could run out on a loaded
	// machine), and is read up to its whole line (a pipe read may return
	// part of it).
	hold := exec.Command(python, "-c", "import h5py, sys, time\nf = h5py.File(sys.argv[1], 'a')\nprint('held', flush=True)\ntime.sleep(3600)", filepath.Join(out, "results.h5"))
	hold.Env = append(os.Environ(), "HDF5_USE_FILE_LOCKING=TRUE")
	stdout, err := hold.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := hold.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		hold.Process.Kill()
		hold.Wait()
	}()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "held\n" {
		t.Fatalf("h5py did not open the file: %v %q", err, line)
	}
	code, e := attempt(t, bin, []string{"export", out, "--npy", "--to", filepath.Join(dir, "a")}, []string{"HDF5_USE_FILE_LOCKING=TRUE"}, 0)
	if code == 0 || !strings.Contains(e, "HDF5_USE_FILE_LOCKING=FALSE") {
		t.Errorf("export of a file locked by h5py: exit %d, want a failure naming HDF5_USE_FILE_LOCKING\n%s", code, e)
	}
	if code, e := attempt(t, bin, []string{"export", out, "--npy", "--to", filepath.Join(dir, "b")}, []string{"HDF5_USE_FILE_LOCKING=FALSE"}, 0); code != 0 {
		t.Errorf("export with HDF5_USE_FILE_LOCKING=FALSE: exit %d\n%s", code, e)
	}
}

// A disorder scan of the spin glass with tempering, run as an array of 3
// indices of 2 samples each (--tasks-per-index) and merged, equals the
// one-node run; both print and save the disorder averages and the
// equilibration test.
func TestEADisorderArray(t *testing.T) {
	dir := t.TempDir()
	jobFile := writeJob(t, dir, "ea.toml", "seed = 9\n[model]\nkind = \"ea\"\nL = 4\ncouplings = \"gaussian\"\nsample = [0, 1, 2, 3, 4]\n[sampler]\nkind = \"pt\"\nbetas = [0.5, 1.0]\nchains = 2\nthermalize = 0\nsweeps = 1024\n")
	ref := filepath.Join(dir, "ref")
	code, o, e := runCLI(t, "run", jobFile, "--out", ref, "--progress", "none")
	if code != 0 || !strings.Contains(o, "disorder averages") || !strings.Contains(o, "equilibration test") {
		t.Fatalf("one-node run: exit %d\n%s%s", code, o, e)
	}
	out := filepath.Join(dir, "array")
	for i := range 3 {
		if code, _, e := runCLI(t, "run", jobFile, "--out", out, "--array-index", fmt.Sprint(i), "--tasks-per-index", "2", "--progress", "none"); code != 0 {
			t.Fatalf("index %d: exit %d\n%s", i, code, e)
		}
	}
	if code, _, _ := runCLI(t, "run", jobFile, "--out", out, "--array-index", "3", "--tasks-per-index", "2"); code != job.ExitUsage {
		t.Errorf("index past the tasks: exit %d", code)
	}
	if code, o, e := runCLI(t, "merge", out); code != 0 || !strings.Contains(o, "disorder averages") {
		t.Fatalf("merge: exit %d\n%s%s", code, o, e)
	}
	sameArrays(t, "array vs one-node", arrays(t, ref), arrays(t, out))
	if summaryNoTiming(t, out) != summaryNoTiming(t, ref) {
		t.Error("merged summary (timings aside) differs from the one-node run")
	}
	if _, o, _ := runCLI(t, "summary", out); !strings.Contains(o, "disorder averages") {
		t.Errorf("summary without the disorder averages:\n%s", o)
	}
	g := results.ReadDisorder(out)
	if len(g) != 2 || len(g[0].Samples) != 5 || g[0].Equilibration == nil {
		t.Fatalf("disorder groups: %+v", g)
	}
}
