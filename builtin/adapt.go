package builtin

import (
	"fmt"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/flowmh"
	"github.com/mcflow/mcflow/model"
	"github.com/mcflow/mcflow/nf"
	"github.com/mcflow/mcflow/nf/train"
)

// adapter is adaptive flow-MH: the flow trained by forward KL on every
// chain's states after each round of thermalize, then frozen. The trainer
// (flow parameters, Adam, epoch) is its state; each chain's collected
// states are in the chain's own bytes.
type adapter struct {
	tr     *train.Trainer
	chains []*contChain
	rounds int
	epochs int
}

func newAdapter(e *kind.Env, tg model.Target, q *nf.Model, chains []*contChain) (*adapter, error) {
	v := e.Sampler
	rounds, epochs := v.Int("adapt_rounds"), v.Int("adapt_epochs")
	tr, err := train.NewTrainer(q, tg, train.TrainOptions{Loss: train.ForwardKL, Batch: v.Int("adapt_batch"), LR: v.Float("adapt_lr"),
		Workers: e.Workers, Streams: mc.Streams{Seed: e.Seed, Task: e.Task, Purpose: mc.Adapt}, Data: ad.Zeros(1, tg.Dim()), Epochs: rounds * epochs})
	if err != nil {
		return nil, kind.Errorf("adapt_rounds", "%v", err)
	}
	return &adapter{tr: tr, chains: chains, rounds: rounds, epochs: epochs}, nil
}

func (a *adapter) Rounds() int     { return a.rounds }
func (a *adapter) Flow() *nf.Model { return a.tr.Model }

func (a *adapter) Begin(r, steps int) {
	for _, c := range a.chains {
		if !c.adapt.on { // a fresh round (a resumed one keeps its states)
			c.adapt.on, c.adapt.count = true, 0
			c.adapt.buf = make([]float64, 0, steps/c.adapt.every*len(c.pos()))
		}
	}
}

// Train trains the flow on round r's states of all chains (in chain
// order), then makes every chain use the new flow.
func (a *adapter) Train(r int) error {
	var data []float64
	for _, c := range a.chains {
		data = append(data, c.adapt.buf...)
	}
	d := a.tr.Model.Dim()
	if len(data) == 0 {
		return fmt.Errorf("adaptive round %d collected no states", r)
	}
	if err := a.tr.SetData(ad.NewTensor(data, len(data)/d, d)); err != nil {
		return err
	}
	for range a.epochs {
		if _, err := a.tr.Step(); err != nil {
			return fmt.Errorf("adaptive training, round %d: %w", r, err)
		}
	}
	for _, c := range a.chains {
		c.adapt.on, c.adapt.count, c.adapt.buf = false, 0, nil
		c.inner.(*flowmh.Chain).Refresh()
	}
	return nil
}

// Reload makes every chain re-read the flow's parameters, restored in
// place by UnmarshalBinary (the chains were built with the saved flow's).
func (a *adapter) Reload() {
	for _, c := range a.chains {
		c.inner.(*flowmh.Chain).ReloadFlow()
	}
}

func (a *adapter) MarshalBinary() ([]byte, error) { return a.tr.MarshalBinary() }
func (a *adapter) UnmarshalBinary(b []byte) error { return a.tr.UnmarshalBinary(b) }
