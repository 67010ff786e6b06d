package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mcflow/mcflow/assemble"
	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/nf"
)

// adaptState runs a sampler's kind.Adapter: thermalize in rounds, the
// adapter trained after each, its state in the task's checkpoint.
type adaptState struct {
	kind.Adapter
	trained int // rounds whose training is done
}

func newAdapt(b *assemble.Task) *adaptState {
	if b.Adapter == nil {
		return nil
	}
	return &adaptState{Adapter: b.Adapter}
}

// end returns the thermalisation step at which round r ends.
func (a *adaptState) end(plan mc.Plan, r int) int {
	return (r + 1) * plan.Thermalize / a.Rounds()
}

// thermalize runs the rounds still to do from `from`, training after each,
// and returns where the chains stand (the end of thermalize when all went
// well). It checkpoints after every training.
func (a *adaptState) thermalize(ctx context.Context, r *taskRun, pool *mc.Pool, from mc.Progress, barrier func(mc.Progress, mc.Block) error) (mc.Progress, error) {
	for k := a.trained; k < a.Rounds(); k++ {
		end := a.end(r.plan, k)
		if from.Thermalized < end {
			a.Begin(k, end-from.Thermalized)
			var err error
			plan := r.plan
			plan.Thermalize, plan.Draws = end, 0
			if from, err = pool.Run(ctx, plan, from, barrier); err != nil {
				return from, err
			}
		}
		if err := a.Train(k); err != nil {
			return from, err
		}
		a.trained = k + 1
		if k == a.Rounds()-1 && h5.Available && a.Flow() != nil {
			// The adapted flow the recorded steps use, for inspection.
			path := r.lay.AdaptedFlow(r.t.Name())
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return from, err
			}
			if err := nf.Save(path, a.Flow(), h5.Attrs{"adapted_rounds": a.Rounds()}); err != nil {
				return from, err
			}
		}
		// After the adapted flow is saved, so that a crash between the two
		// trains the round again (the same bits) and saves it.
		if err := r.checkpoint(from, false); err != nil {
			return from, err
		}
		if ctx.Err() != nil {
			return from, mc.ErrStopped
		}
	}
	return from, nil
}

// save puts the trainer into a checkpoint.
func (a *adaptState) save(blobs map[string][]byte, meta map[string]string) error {
	b, err := a.MarshalBinary()
	if err != nil {
		return err
	}
	blobs["adapt/trainer"] = b
	meta["adapt_trained"] = strconv.Itoa(a.trained)
	return nil
}

// load restores the trainer (and so the flow) from a checkpoint.
func (a *adaptState) load(blobs map[string][]byte, meta map[string]string) error {
	b, ok := blobs["adapt/trainer"]
	if !ok {
		return fmt.Errorf("no adaptive training state (adapt/trainer)")
	}
	if err := a.UnmarshalBinary(b); err != nil {
		return err
	}
	n, err := strconv.Atoi(meta["adapt_trained"])
	if err != nil || n < 0 || n > a.Rounds() {
		return fmt.Errorf("adapt_trained = %q", meta["adapt_trained"])
	}
	a.trained = n
	return nil
}
