package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/job"
)

const trainJob = `seed = 4
[model]
kind = "toy2d"
name = "mog2"
[train]
flow = "realnvp"
layers = 4
hidden = [16, 16]
symmetric = "mixture"
epochs = 60
batch = 384
lr = 0.005
eval_samples = 5000
[checkpoint]
every = 7
`

func readFlowParams(t *testing.T, path string) []float64 {
	t.Helper()
	f, err := h5.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var all []float64
	for i := 0; ; i++ {
		_, d, err := f.Read("params/" + paramName(i))
		if err != nil {
			break
		}
		all = append(all, d...)
	}
	if len(all) == 0 {
		t.Fatalf("%s has no parameters", path)
	}
	return all
}

func paramName(i int) string { return fmt.Sprintf("p%03d", i) }

// A training job gives bit-identical flows for any worker count and when
// it is stopped (at any epoch) and resumed; a finished job run again does
// nothing.
func TestTrainResumeAndWorkers(t *testing.T) {
	if !h5.Available {
		t.Skip("built without HDF5")
	}
	dir := t.TempDir()
	jobFile := filepath.Join(dir, "job.toml")
	if err := os.WriteFile(jobFile, []byte(trainJob), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := job.ParseFile(jobFile)
	if err != nil {
		t.Fatal(err)
	}
	run := func(out string, workers int, ctx context.Context) (*TrainReport, error) {
		return Train(ctx, s, Options{Out: filepath.Join(dir, out), Workers: workers, Task: -1, Progress: "none"})
	}
	rep, err := run("w1", 1, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ref := readFlowParams(t, filepath.Join(dir, "w1", "flow", "mog2.h5"))
	if g := rep.Tasks[0].Train; !(g.Gap > -4*g.GapStderr) || g.MinusLnZ != g.MinusLnZ {
		t.Errorf("gap %v ± %v below zero, or no −ln Z (%v)", g.Gap, g.GapStderr, g.MinusLnZ)
	}
	if _, err := run("w2", 2, context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := readFlowParams(t, filepath.Join(dir, "w2", "flow", "mog2.h5")); !slices.Equal(p, ref) {
		t.Error("--workers 2 trained a different flow than --workers 1")
	}
	// Stop after a few milliseconds, several times, then finish.
	stops := 0
	for i := 0; i < 50; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(30+20*i)*time.Millisecond)
		_, err := run("int", 2, ctx)
		cancel()
		if errors.Is(err, job.ErrStopped) {
			stops++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		break
	}
	if stops == 0 {
		t.Fatal("training was never interrupted: the test did not test resuming")
	}
	if p := readFlowParams(t, filepath.Join(dir, "int", "flow", "mog2.h5")); !slices.Equal(p, ref) {
		t.Errorf("training stopped %d times and resumed gave a different flow", stops)
	}
	rep, err = run("int", 1, context.Background())
	if err != nil || len(rep.Messages) == 0 {
		t.Errorf("finished job run again: %v, messages %v", err, rep.Messages)
	}
	t.Logf("interrupted %d times", stops)
}
