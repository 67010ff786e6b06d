package runner

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/nf"
)

const stagedModel = "seed = 9\n[model]\nkind = \"phi4\"\nL = 8\nm2 = -4.0\nlam = 8.0\n"

const stagedTrain = `[train]
flow = "cnf"
features = 2
frequencies = 4
time_basis = 3
steps = 6
epochs = 4
batch = 16
eval_samples = 1000
`

// A two-stage training (L = 4, then the job's L = 8) trains the first
// stage under stages/1/ and starts the final one from its flow carried
// over to L = 8: the final flow is bit for bit the one a job with
// init = that flow trains. The job copy parses back to the same training
// hash, and a second run finds both stages done.
func TestTrainStages(t *testing.T) {
	if !h5.Available {
		t.Skip("built without HDF5")
	}
	dir := t.TempDir()
	staged := stagedModel + stagedTrain + "\n[[train.stage]]\nL = 4\nlam = 6.0\nepochs = 6\n"
	s, err := job.Parse([]byte(staged), "staged.toml", dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "staged")
	o := Options{Out: out, Workers: 2, Task: -1, Progress: "none"}
	rep, err := Train(context.Background(), s, o)
	if err != nil {
		t.Fatal(err)
	}
	name := rep.Tasks[0].Name
	first := job.Layout{Out: out}.Stage(1).Flow(name)
	small, err := nf.Load(first, 0)
	if err != nil {
		t.Fatal(err)
	}
	if small.Flow.Config().L != 4 {
		t.Errorf("stage 1 trained at L = %d, want 4", small.Flow.Config().L)
	}
	sum, err := readTrainSummary(job.Layout{Out: out}.Stage(1).Summary(name))
	if err != nil || !strings.Contains(sum.Target, "L=4") || !strings.Contains(sum.Target, "lam=6") || sum.Train.Epochs != 6 {
		t.Errorf("stage 1's summary: %+v, %v", sum, err)
	}

	direct := stagedModel + stagedTrain + "init = " + job.TomlQuote(first) + "\n"
	ds, err := job.Parse([]byte(direct), "direct.toml", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Train(context.Background(), ds, Options{Out: filepath.Join(dir, "direct"), Workers: 1, Task: -1, Progress: "none"}); err != nil {
		t.Fatal(err)
	}
	a, err := nf.Load(job.Layout{Out: out}.Flow(name), 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := nf.Load(job.Layout{Out: filepath.Join(dir, "direct")}.Flow(name), 0)
	if err != nil {
		t.Fatal(err)
	}
	if a.Flow.Config().L != 8 {
		t.Errorf("final stage at L = %d, want 8", a.Flow.Config().L)
	}
	for i, p := range a.Flow.Params() {
		if !slices.Equal(p.Value.Data, b.Flow.Params()[i].Value.Data) {
			t.Fatalf("parameter %d: the staged job's final flow differs from training with init = its stage-1 flow", i)
		}
	}

	back, err := job.Parse(s.TOML(dir), "copy.toml", dir)
	if err != nil {
		t.Fatalf("the job copy does not parse: %v\n%s", err, s.TOML(dir))
	}
	if back.TrainHash(back.Tasks()[0]) != s.TrainHash(s.Tasks()[0]) {
		t.Errorf("the job copy trains something else:\n%s", s.TOML(dir))
	}
	again, err := Train(context.Background(), s, o)
	if err != nil || !again.Tasks[0].AlreadyDone {
		t.Errorf("second run: %v (already done: %v)", err, err == nil && again.Tasks[0].AlreadyDone)
	}
}

// Stage tables and init are checked where they are written.
// TestStageLR: a stage's own lr is its training's learning rate; the
// final stage keeps [train] lr.
func TestStageLR(t *testing.T) {
	s, err := job.Parse([]byte(stagedModel+stagedTrain+"lr = 0.002\n\n[[train.stage]]\nL = 4\nepochs = 6\nlr = 0.02\n"), "staged.toml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	task := s.Tasks()[0]
	first, _ := stageSpec(s, task, job.Layout{Out: "out"}, 1)
	final, _ := stageSpec(s, task, job.Layout{Out: "out"}, 2)
	if first.Train.LR != 0.02 || final.Train.LR != 0.002 {
		t.Errorf("stage lr %v, final lr %v: want 0.02 and 0.002", first.Train.LR, final.Train.LR)
	}
	if _, err := job.Parse([]byte(stagedModel+stagedTrain+"\n[[train.stage]]\nL = 4\nepochs = 6\nlr = -1\n"), "staged.toml", t.TempDir()); err == nil || !strings.Contains(err.Error(), "train.stage[1].lr") {
		t.Errorf("lr = -1 in a stage: error %v, want one naming train.stage[1].lr", err)
	}
}

func TestTrainStageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ doc, want string }{
		{stagedModel + stagedTrain + "\n[[train.stage]]\nL = 4\n", "train.stage[1]"},
		{stagedModel + stagedTrain + "\n[[train.stage]]\nL = 4\nepochs = 3\n[[train.stage]]\nlamb = 3.0\nepochs = 2\n", "lamb"},
		{stagedModel + stagedTrain + "\n[[train.stage]]\nL = [4, 6]\nepochs = 3\n", "train.stage[1].L"},
		{stagedModel + stagedTrain + "init = \"missing.h5\"\n", "train.init"},
	} {
		_, err := job.Parse([]byte(tc.doc), "bad.toml", dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one naming %s", err, tc.want)
		}
	}
	// A flow of another architecture as init is refused before training.
	other := filepath.Join(dir, "other")
	s, err := job.Parse([]byte(strings.Replace(stagedModel+stagedTrain, "features = 2", "features = 3", 1)), "other.toml", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !h5.Available {
		return
	}
	if _, err := Train(context.Background(), s, Options{Out: other, Workers: 1, Task: -1, Progress: "none"}); err != nil {
		t.Fatal(err)
	}
	flows, _ := filepath.Glob(filepath.Join(other, "flow", "*.h5"))
	doc := stagedModel + stagedTrain + "init = " + job.TomlQuote(flows[0]) + "\n"
	s, err = job.Parse([]byte(doc), "init.toml", dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "init")
	_, err = Train(context.Background(), s, Options{Out: out, Workers: 1, Task: -1, Progress: "none"})
	if err == nil || !strings.Contains(err.Error(), "Features = 3, want 2") {
		t.Errorf("init of another architecture: %v", err)
	}
	if _, statErr := os.Stat(out); statErr == nil {
		t.Errorf("the refused job wrote %s", out)
	}
}
