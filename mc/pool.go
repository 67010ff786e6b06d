package mc

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Plan is what a run asks of every chain.
type Plan struct {
	Thermalize   int // steps discarded per chain
	Draws        int // recorded observations per chain
	MeasureEvery int // steps between observations
}

// Progress is where all chains stand at a barrier.
type Progress struct {
	Thermalized int // thermalisation steps done
	Draws       int // observations recorded
}

// Done reports whether the plan is complete.
func (p Progress) Done(plan Plan) bool {
	return p.Thermalized >= plan.Thermalize && p.Draws >= plan.Draws
}

// Steps returns the number of steps every chain has taken.
func (p Progress) Steps(plan Plan) int64 {
	return int64(p.Thermalized) + int64(p.Draws)*int64(plan.MeasureEvery)
}

// Block is what the Pool hands over at a barrier: the observations of the
// block's recorded rounds, Obs[c][r*NObs+k] for chain c, round r and
// observable k, recorded as draws From..From+Rounds-1.
type Block struct {
	From, Rounds int
	NObs         int
	Obs          [][]float64
}

// Pool advances chains on a fixed number of workers.
type Pool struct {
	Chains  []Chain
	Workers int // goroutines; < 1 means 1
	NObs    int // observables per Observe call
	// Target is the wall time aimed at for one block (default 100ms): how
	// long a stop request waits at most, roughly. It does not change results.
	Target time.Duration

	obs [][]float64
	// measured wall time of one round (perRound) and one thermalisation
	// step (perStep), kept across calls to size blocks
	perRound, perStep time.Duration
}

// ErrStopped is returned by Run when its context was cancelled: all chains
// stopped at a barrier and the Progress returned is consistent.
var ErrStopped = errors.New("mc: stopped at a barrier")

// Run advances every chain from `from` until the plan is done, calling
// barrier after each block with the new Progress and the block's
// observations (Rounds is 0 during thermalisation). If ctx is cancelled, Run
// returns ErrStopped at the next barrier, after barrier was called for the
// last complete block. An error from a chain or from barrier ends the run.
func (p *Pool) Run(ctx context.Context, plan Plan, from Progress, barrier func(Progress, Block) error) (Progress, error) {
	if plan.MeasureEvery < 1 {
		return from, fmt.Errorf("mc: MeasureEvery = %d, want >= 1", plan.MeasureEvery)
	}
	target := p.Target
	if target <= 0 {
		target = 100 * time.Millisecond
	}
	if p.obs == nil {
		p.obs = make([][]float64, len(p.Chains))
	}
	prog := from
	var scratch []float64
	for !prog.Done(plan) {
		if err := ctx.Err(); err != nil {
			return prog, ErrStopped
		}
		thermal := prog.Thermalized < plan.Thermalize
		var left int
		if thermal {
			left = plan.Thermalize - prog.Thermalized
		} else {
			left = plan.Draws - prog.Draws
		}
		perUnit := &p.perRound
		if thermal {
			perUnit = &p.perStep
		}
		n := 1
		if *perUnit > 0 {
			n = int(target / *perUnit)
		}
		n = max(1, min(n, left))
		t0 := time.Now()
		var err error
		if thermal {
			err = p.block(ctx, n, 1, false)
		} else {
			if prog.Draws == 0 {
				for _, c := range p.Chains {
					if t, ok := c.(Thermalizer); ok {
						t.EndThermalize()
					}
				}
			}
			err = p.block(ctx, n, plan.MeasureEvery, true)
		}
		if err != nil {
			return prog, err
		}
		*perUnit = max(time.Since(t0)/time.Duration(n), time.Nanosecond)
		b := Block{NObs: p.NObs}
		if thermal {
			prog.Thermalized += n
			if prog.Thermalized == plan.Thermalize {
				// End the measurement interval that thermalisation opened,
				// so that interval averages cover recorded steps only.
				for _, c := range p.Chains {
					scratch = c.Observe(scratch[:0])
				}
			}
		} else {
			b.From, b.Rounds, b.Obs = prog.Draws, n, p.obs
			prog.Draws += n
		}
		if err := barrier(prog, b); err != nil {
			return prog, err
		}
	}
	return prog, nil
}

// block runs `rounds` rounds of `steps` steps on every chain, observing
// after each round if record is set.
func (p *Pool) block(ctx context.Context, rounds, steps int, record bool) error {
	workers := max(1, min(p.Workers, len(p.Chains)))
	var next atomic.Int64
	g, _ := errgroup.WithContext(ctx)
	for range workers {
		g.Go(func() error {
			for {
				c := int(next.Add(1) - 1)
				if c >= len(p.Chains) {
					return nil
				}
				ch := p.Chains[c]
				buf := p.obs[c][:0]
				for range rounds {
					for range steps {
						if err := ch.Step(); err != nil {
							return fmt.Errorf("chain %d: %w", c, err)
						}
					}
					if record {
						buf = ch.Observe(buf)
					}
				}
				p.obs[c] = buf
			}
		})
	}
	return g.Wait()
}
