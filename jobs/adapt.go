package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/flowmh"
	"github.com/mcflow/mcflow/nf"
)

// adaptState is adaptive flow-MH: thermalize in rounds, the flow trained
// by forward KL on every chain's states after each round, then frozen.
// The trainer (flow parameters, Adam, epoch) is in the task's checkpoint;
// each chain's collected states are in its own state.
type adaptState struct {
	tr      *nf.Trainer
	chains  []*contChain
	rounds  int
	epochs  int
	trained int // rounds whose training is done
}

func newAdapt(s *Spec, t Task, b *built, workers int) (*adaptState, error) {
	cs := s.Sampler.Cont
	if !cs.Adaptive() {
		return nil, nil
	}
	d := b.target.Dim()
	tr, err := nf.NewTrainer(b.flow, b.target, nf.TrainOptions{Loss: nf.ForwardKL, Batch: cs.AdaptBatch, LR: cs.AdaptLR, Workers: workers,
		Streams: mc.Streams{Seed: s.Seed, Task: t.Name(), Purpose: mc.Adapt}, Data: ad.Zeros(1, d), Epochs: cs.AdaptRounds * cs.AdaptEpochs})
	if err != nil {
		return nil, &SpecError{File: s.File, Key: "sampler.adapt_rounds", Msg: err.Error()}
	}
	a := &adaptState{tr: tr, rounds: cs.AdaptRounds, epochs: cs.AdaptEpochs}
	for _, c := range b.chains {
		a.chains = append(a.chains, c.(*contChain))
	}
	return a, nil
}

// end returns the thermalisation step at which round r ends.
func (a *adaptState) end(plan mc.Plan, r int) int {
	return (r + 1) * plan.Thermalize / a.rounds
}

// thermalize runs the rounds still to do from `from`, training after each,
// and returns where the chains stand (the end of thermalize when all went
// well). It checkpoints after every training.
func (a *adaptState) thermalize(ctx context.Context, r *taskRun, pool *mc.Pool, from mc.Progress, barrier func(mc.Progress, mc.Block) error) (mc.Progress, error) {
	for k := a.trained; k < a.rounds; k++ {
		end := a.end(r.plan, k)
		if from.Thermalized < end {
			for _, c := range a.chains {
				if !c.adapt.on { // a fresh round (a resumed one keeps its states)
					c.adapt.on, c.adapt.count = true, 0
					c.adapt.buf = make([]float64, 0, (end-from.Thermalized)/c.adapt.every*len(c.pos()))
				}
			}
			var err error
			plan := r.plan
			plan.Thermalize, plan.Draws = end, 0
			if from, err = pool.Run(ctx, plan, from, barrier); err != nil {
				return from, err
			}
		}
		if err := a.train(k); err != nil {
			return from, err
		}
		if k == a.rounds-1 && h5.Available {
			// The adapted flow the recorded steps use, for inspection.
			path := r.lay.AdaptedFlow(r.t.Name())
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return from, err
			}
			if err := nf.Save(path, a.tr.Model, h5.Attrs{"adapted_rounds": a.rounds, "adapted_epochs": a.tr.Epoch}); err != nil {
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

// train trains the flow on round k's states of all chains (in chain
// order), then makes every chain use the new flow.
func (a *adaptState) train(k int) error {
	var data []float64
	for _, c := range a.chains {
		data = append(data, c.adapt.buf...)
	}
	d := a.tr.Model.Dim()
	if len(data) == 0 {
		return fmt.Errorf("adaptive round %d collected no states", k)
	}
	if err := a.tr.SetData(ad.NewTensor(data, len(data)/d, d)); err != nil {
		return err
	}
	for range a.epochs {
		if _, err := a.tr.Step(); err != nil {
			return fmt.Errorf("adaptive training, round %d: %w", k, err)
		}
	}
	for _, c := range a.chains {
		c.adapt.on, c.adapt.count, c.adapt.buf = false, 0, nil
		c.inner.(*flowmh.Chain).Refresh()
	}
	a.trained = k + 1
	return nil
}

// save puts the trainer into a checkpoint.
func (a *adaptState) save(blobs map[string][]byte, meta map[string]string) error {
	b, err := a.tr.MarshalBinary()
	if err != nil {
		return err
	}
	blobs["adapt/trainer"] = b
	meta["adapt_trained"] = strconv.Itoa(a.trained)
	return nil
}

// reloadFlow makes every chain re-read the flow's parameters, restored in
// place by load (the chains were built with the saved flow's).
func (a *adaptState) reloadFlow() {
	for _, c := range a.chains {
		c.inner.(*flowmh.Chain).ReloadFlow()
	}
}

// load restores the trainer (and so the flow) from a checkpoint.
func (a *adaptState) load(blobs map[string][]byte, meta map[string]string) error {
	b, ok := blobs["adapt/trainer"]
	if !ok {
		return fmt.Errorf("no adaptive training state (adapt/trainer)")
	}
	if err := a.tr.UnmarshalBinary(b); err != nil {
		return err
	}
	n, err := strconv.Atoi(meta["adapt_trained"])
	if err != nil || n < 0 || n > a.rounds {
		return fmt.Errorf("adapt_trained = %q", meta["adapt_trained"])
	}
	a.trained = n
	return nil
}
