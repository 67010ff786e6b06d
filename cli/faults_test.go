package cli

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcflow/mcflow/io/ckpt"
	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/job"
)

// faultJob takes ~5 s on 2 cores uninterrupted, with a checkpoint every
// 1000 sweeps, two tasks and HDF5 output (where the build has it).
const faultJob = `name = "fault"
seed = 21
[model]
L = 32
beta = [0.42, 0.46]
[sampler]
chains = 4
thermalize = 200
sweeps = 150000
measure_every = 5
[checkpoint]
every = 1000
`

// referenceRun writes body as a job file in a fresh directory and runs it
// uninterrupted into dir/ref: the binary, the directory, the job file and
// the reference output.
func referenceRun(t *testing.T, body string) (bin, dir, job, ref string) {
	t.Helper()
	bin, dir = binary(t), t.TempDir()
	job = writeJob(t, dir, "job.toml", body)
	ref = filepath.Join(dir, "ref")
	if code, e := attempt(t, bin, []string{"run", job, "--out", ref, "--progress", "none"}, nil, 0); code != 0 {
		t.Fatalf("reference run: exit %d\n%s", code, e)
	}
	return bin, dir, job, ref
}

// faultJobSweeps is faultJob with another number of sweeps.
func faultJobSweeps(n int) string {
	return strings.Replace(faultJob, "sweeps = 150000", fmt.Sprintf("sweeps = %d", n), 1)
}

// attempt runs the binary once with extra environment and, if killAfter
// > 0, SIGKILLs it then. It returns the exit code (-1 killed) and stderr.
func attempt(t *testing.T, bin string, args, env []string, killAfter time.Duration) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if killAfter > 0 {
		select {
		case <-done:
			return cmd.ProcessState.ExitCode(), stderr.String()
		case <-time.After(killAfter):
			cmd.Process.Kill()
		}
	}
	<-done
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// sameH5 compares every observable of every task in two results.h5.
func sameH5(t *testing.T, a, b string, spec *job.Spec) {
	t.Helper()
	if !h5.Available {
		return
	}
	fa, err := h5.Open(filepath.Join(a, "results.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := h5.Open(filepath.Join(b, "results.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	for _, tk := range spec.Tasks() {
		names := []string{"e", "m", "absm"}
		if spec.Model.Kind == "phi4" {
			names = []string{"m", "absm", "s", "accept"}
		}
		for _, n := range names {
			name := tk.Name() + "/obs/" + n
			sa, da, err1 := fa.Read(name)
			sb, db, err2 := fb.Read(name)
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: %v %v", name, err1, err2)
			}
			if fmt.Sprint(sa) != fmt.Sprint(sb) || fmt.Sprint(da) != fmt.Sprint(db) {
				t.Errorf("results.h5 %s differs", name)
			}
		}
	}
}

// TestKillAnywhere kills `mcflow run` with SIGKILL at least 24 times (each
// mid-run crash point at least twice), at random instants and at crash
// points inside checkpoint writing, result writing and the final outputs,
// and runs it again each time: every run exits 0 or is killed (never an
// error), and the final arrays and statistics equal an uninterrupted
// run's.
func TestKillAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	bin, dir, jobFile, ref := referenceRun(t, faultJob)
	spec, err := job.ParseFile(jobFile)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	// Barriers every 20 ms: a checkpoint every block, many per second.
	args := []string{"run", jobFile, "--out", out, "--progress", "none", "--barrier-every", "20ms"}
	rng := rand.New(rand.NewPCG(7, 8))
	midRun := []string{"ckpt-partial", "ckpt-synced", "ckpt-linked", "ckpt-renamed", "results-write", "atomic-rename"}
	kills, points, finished := 0, map[string]int{}, false
	check := func(code int, stderr, what string) {
		t.Helper()
		switch code {
		case -1:
			kills++
		case 0:
			finished = true
		default:
			t.Fatalf("%s: exit %d (a resume failed)\n%s", what, code, stderr)
		}
	}
	for i := 0; kills < 24 && !finished; i++ {
		if i%2 == 0 { // a random instant, from start-up to mid-block
			d := time.Duration(1+rng.IntN(150)) * time.Millisecond
			code, e := attempt(t, bin, args, nil, d)
			check(code, e, fmt.Sprintf("SIGKILL after %v", d))
			continue
		}
		p := midRun[(i/2)%len(midRun)]
		k := 1 + rng.IntN(3) // checkpoints come every 1000 sweeps
		switch p {
		case "results-write": // ~50 rows per block
			k = 1 + rng.IntN(150)
		case "atomic-rename": // job.toml at start-up; the next is at the end
			k = 1
		}
		code, e := attempt(t, bin, args, []string{fmt.Sprintf("MCFLOW_CRASH=%s:%d", p, k)}, 0)
		if code == -1 {
			points[p]++
		}
		check(code, e, fmt.Sprintf("crash point %s:%d", p, k))
	}
	if kills < 24 {
		t.Fatalf("the run finished after %d kills: make the job longer", kills)
	}
	// The end: between the last checkpoint and the summary, inside the
	// HDF5 files and the summaries' atomic writes.
	for _, p := range []string{"task-finished:1", "h5-rename:1", "atomic-rename:2", "task-finished:1", "h5-rename:1", "h5-rename:1", "atomic-rename:2"} {
		code, e := attempt(t, bin, args, []string{"MCFLOW_CRASH=" + p}, 0)
		if code == -1 {
			points[strings.Split(p, ":")[0]]++
		}
		check(code, e, "crash point "+p)
	}
	for !finished {
		code, e := attempt(t, bin, args, nil, 0)
		check(code, e, "final run")
	}
	t.Logf("%d kills; at crash points: %v", kills, points)
	for _, p := range []string{"ckpt-partial", "ckpt-synced", "ckpt-linked", "ckpt-renamed", "results-write", "task-finished"} {
		if points[p] == 0 {
			t.Errorf("crash point %s never fired", p)
		}
	}
	sameArrays(t, "killed and resumed vs uninterrupted", arrays(t, ref), arrays(t, out))
	if summaryNoTiming(t, out) != summaryNoTiming(t, ref) {
		t.Error("summary (timings aside) differs from the uninterrupted run")
	}
	sameH5(t, ref, out, spec)
}

// snapshot returns the content hash of every file under dir (locks and
// temporary files aside).
func snapshot(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	m := map[string][32]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".lock") || strings.Contains(filepath.Base(p), ".tmp") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m[p] = sha256.Sum256(b)
		return nil
	})
	return m
}

func sameSnapshot(t *testing.T, what string, a, b map[string][32]byte) {
	t.Helper()
	if len(a) != len(b) {
		t.Errorf("%s: %d files before, %d after", what, len(a), len(b))
	}
	for k, v := range a {
		if b[k] != v {
			t.Errorf("%s: %s changed", what, k)
		}
	}
}

// copyTree copies directory src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
}

// TestCorruptCheckpoints: a truncated or bit-flipped checkpoint falls back
// to .prev with a warning and the run ends as an uninterrupted one; both
// corrupt, or a newer format, is a clear error that changes nothing.
func TestCorruptCheckpoints(t *testing.T) {
	bin, dir, jobFile, ref := referenceRun(t, faultJobSweeps(20000))
	// Killed just after the 5th checkpoint of task 0: its .npz and
	// .prev.npz both exist.
	base := filepath.Join(dir, "base")
	if code, e := attempt(t, bin, []string{"run", jobFile, "--out", base, "--progress", "none"}, []string{"MCFLOW_CRASH=ckpt-renamed:5"}, 0); code != -1 {
		t.Fatalf("crash point: exit %d\n%s", code, e)
	}
	cur := filepath.Join("ckpt", "L=32_beta=0.42_J=1_h=0.npz")
	corrupt := map[string]func(b []byte) []byte{
		"truncated":   func(b []byte) []byte { return b[:len(b)*2/3] },
		"bit-flipped": func(b []byte) []byte { b[len(b)/2] ^= 0x10; return b },
		"empty":       func(b []byte) []byte { return nil },
	}
	for name, f := range corrupt {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(dir, name)
			copyTree(t, base, out)
			b, _ := os.ReadFile(filepath.Join(out, cur))
			os.WriteFile(filepath.Join(out, cur), f(b), 0o644)
			code, e := attempt(t, bin, []string{"run", jobFile, "--out", out, "--progress", "none"}, nil, 0)
			if code != 0 || !strings.Contains(e, "resuming from the previous one") {
				t.Fatalf("exit %d, want 0 with a warning about the fallback\n%s", code, e)
			}
			sameArrays(t, name+" checkpoint, resumed from .prev", arrays(t, ref), arrays(t, out))
			if summaryNoTiming(t, out) != summaryNoTiming(t, ref) {
				t.Error("summary differs from the uninterrupted run")
			}
		})
	}
	refuse := func(t *testing.T, out, want string) {
		t.Helper()
		before := snapshot(t, out)
		code, e := attempt(t, bin, []string{"run", jobFile, "--out", out, "--progress", "none"}, nil, 0)
		if code != job.ExitError || !strings.Contains(e, want) {
			t.Fatalf("exit %d, want %d with %q\n%s", code, job.ExitError, want, e)
		}
		sameSnapshot(t, "refused run", before, snapshot(t, out))
	}
	t.Run("both", func(t *testing.T) {
		out := filepath.Join(dir, "both")
		copyTree(t, base, out)
		for _, p := range []string{cur, filepath.Join("ckpt", "L=32_beta=0.42_J=1_h=0.prev.npz")} {
			b, _ := os.ReadFile(filepath.Join(out, p))
			b[len(b)/3] ^= 1
			os.WriteFile(filepath.Join(out, p), b, 0o644)
		}
		refuse(t, out, "no usable checkpoint")
	})
	t.Run("newer-format", func(t *testing.T) {
		out := filepath.Join(dir, "newer")
		copyTree(t, base, out)
		b, _ := os.ReadFile(filepath.Join(out, cur))
		i := bytes.LastIndex(b, []byte("mcflow-ckpt v1 "))
		b[i+len("mcflow-ckpt v")] = '9'
		os.WriteFile(filepath.Join(out, cur), b, 0o644)
		refuse(t, out, "newer mcflow")
		// --force-spec does not read it either.
		code, e := attempt(t, bin, []string{"run", jobFile, "--out", out, "--progress", "none", "--force-spec"}, nil, 0)
		if code != job.ExitError || !strings.Contains(e, "newer mcflow") {
			t.Fatalf("--force-spec on a newer format: exit %d\n%s", code, e)
		}
	})
}

// TestFullDisk: an injected ENOSPC while writing a checkpoint, a result
// block or the HDF5 file fails the run loudly; the previous checkpoint and
// the results stay intact, and the run resumes to the uninterrupted result.
func TestFullDisk(t *testing.T) {
	bin, dir, jobFile, ref := referenceRun(t, faultJobSweeps(20000))
	faults := []string{"ckpt-write:4", "results-write:50", "atomic-write:3"}
	if h5.Available {
		faults = append(faults, "h5-write:1")
	}
	for _, f := range faults {
		t.Run(f, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(f, ":", "-"))
			args := []string{"run", jobFile, "--out", out, "--progress", "none"}
			code, e := attempt(t, bin, args, []string{"MCFLOW_FAULT=" + f}, 0)
			if code != job.ExitError || !strings.Contains(e, "no space left on device") {
				t.Fatalf("exit %d, want %d naming the full disk\n%s", code, job.ExitError, e)
			}
			// The checkpoint (if the fault came after the first) is intact.
			if _, warn, err := ckpt.Load(filepath.Join(out, "ckpt", "L=32_beta=0.42_J=1_h=0.npz")); (err != nil && !errors.Is(err, ckpt.ErrNone)) || warn != "" {
				t.Fatalf("checkpoint after the failure: %v %q", err, warn)
			}
			if code, e := attempt(t, bin, args, nil, 0); code != 0 {
				t.Fatalf("resume: exit %d\n%s", code, e)
			}
			sameArrays(t, "resumed after ENOSPC", arrays(t, ref), arrays(t, out))
			if summaryNoTiming(t, out) != summaryNoTiming(t, ref) {
				t.Error("summary differs from the uninterrupted run")
			}
		})
	}
}

// TestFullTmpfs fills a real 3 MB (1.5 MB without HDF5) tmpfs mid-run (needs root to mount it):
// the run fails naming the full disk, and after the file system is made
// larger the same command resumes to the uninterrupted result.
func TestFullTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; TestFullDisk injects ENOSPC instead")
	}
	bin, dir, jobFile, ref := referenceRun(t, faultJobSweeps(50000))
	mnt := filepath.Join(dir, "tmpfs")
	os.Mkdir(mnt, 0o755)
	// The results take ~2.6 MB as NPY, twice that with HDF5.
	size := "size=3m"
	if !h5.Available {
		size = "size=1500k"
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", size, "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); TestFullDisk injects ENOSPC instead", err, out)
	}
	defer exec.Command("umount", mnt).Run()
	out := filepath.Join(mnt, "out")
	args := []string{"run", jobFile, "--out", out, "--progress", "none"}
	code, e := attempt(t, bin, args, nil, 0)
	if code != job.ExitError || !strings.Contains(e, "no space left on device") {
		t.Fatalf("on a full tmpfs: exit %d, want %d naming the full disk\n%s", code, job.ExitError, e)
	}
	t.Logf("full disk: %s", strings.TrimSpace(e[strings.LastIndex(strings.TrimSpace(e), "\n")+1:]))
	if o, err := exec.Command("mount", "-o", "remount,size=64m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, o)
	}
	if code, e := attempt(t, bin, args, nil, 0); code != 0 {
		t.Fatalf("resume after the disk grew: exit %d\n%s", code, e)
	}
	sameArrays(t, "resumed after a full disk", arrays(t, ref), arrays(t, out))
	if summaryNoTiming(t, out) != summaryNoTiming(t, ref) {
		t.Error("summary differs from the uninterrupted run")
	}
}
