// Command classify is backprop from scratch, the classic exercise, on
// mcflow's ad package: a two-layer network (Linear, Sigmoid, Linear,
// Softmax) trained with cross-entropy on two interleaved spirals generated
// here (no downloads). It first checks its backprop gradients against
// numerical differentiation, then trains with Adam and reports the test
// accuracy.
//
//	go run ./examples/classify [-steps 3000] [-seed 1]
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/ad/optim"
)

// spirals returns n points per class of two interleaved spirals with
// Gaussian noise, as a (2n, 2) tensor and labels 0/1.
func spirals(n int, noise float64, rng *rand.Rand) (*ad.Tensor, []int) {
	x := ad.Zeros(2*n, 2)
	labels := make([]int, 2*n)
	for c := range 2 {
		for i := range n {
			r := 0.2 + 2.8*float64(i)/float64(n)
			th := 1.75*r + math.Pi*float64(c)
			k := c*n + i
			x.Data[2*k] = r*math.Cos(th) + noise*rng.NormFloat64()
			x.Data[2*k+1] = r*math.Sin(th) + noise*rng.NormFloat64()
			labels[k] = c
		}
	}
	return x, labels
}

type model struct{ l1, l2, l3 *ad.Linear }

func (m *model) logits(x *ad.Var) *ad.Var {
	return m.l3.Forward(ad.Sigmoid(m.l2.Forward(ad.Sigmoid(m.l1.Forward(x)))))
}

func (m *model) params() []*ad.Var {
	return append(append(m.l1.Params(), m.l2.Params()...), m.l3.Params()...)
}

// accuracy returns the fraction of points whose largest softmax
// probability is at their label.
func (m *model) accuracy(x *ad.Tensor, labels []int) float64 {
	p := ad.Softmax(m.logits(ad.Const(x))).Value
	right := 0
	for i, l := range labels {
		if (p.Data[2*i+1] > p.Data[2*i]) == (l == 1) {
			right++
		}
	}
	return float64(right) / float64(len(labels))
}

func run(w io.Writer, seed uint64, steps int) (float64, error) {
	rng := rand.New(rand.NewPCG(seed, 0))
	train, ytrain := spirals(200, 0.1, rng)
	test, ytest := spirals(200, 0.1, rng)
	m := &model{ad.NewLinear(2, 32, rng), ad.NewLinear(32, 32, rng), ad.NewLinear(32, 2, rng)}

	// 1. Check backprop against numerical differentiation on a few points.
	small := ad.NewTensor(train.Data[:2*8], 8, 2)
	vals := make([]*ad.Tensor, 0, 6)
	for _, p := range m.params() {
		vals = append(vals, p.Value)
	}
	loss := func(ps []*ad.Var) *ad.Var {
		mm := &model{&ad.Linear{W: ps[0], B: ps[1]}, &ad.Linear{W: ps[2], B: ps[3]}, &ad.Linear{W: ps[4], B: ps[5]}}
		return ad.CrossEntropy(mm.logits(ad.Const(small)), ytrain[:8])
	}
	if err := ad.GradCheck(loss, vals, 1e-6); err != nil {
		return 0, fmt.Errorf("backprop disagrees with numerical differentiation: %w", err)
	}
	fmt.Fprintln(w, "gradient check: backprop agrees with central differences (relative error < 1e-6)")

	// 2. Train: full batch, Adam.
	opt := optim.NewAdam(0.01)
	X := ad.Const(train)
	params := m.params()
	for step := 0; step <= steps; step++ {
		l := ad.CrossEntropy(m.logits(X), ytrain) // the mean over the batch
		g, err := ad.Grad(l, params)
		if err != nil {
			return 0, err
		}
		if step%(steps/5) == 0 {
			fmt.Fprintf(w, "step %5d  loss %.4f  train accuracy %.3f\n", step, l.Item(), m.accuracy(train, ytrain))
		}
		if step < steps {
			if err := opt.Step(params, g); err != nil {
				return 0, err
			}
		}
	}
	acc := m.accuracy(test, ytest)
	fmt.Fprintf(w, "test accuracy %.3f on %d points\n", acc, len(ytest))
	return acc, nil
}

func main() {
	steps := flag.Int("steps", 3000, "training steps")
	seed := flag.Uint64("seed", 1, "random seed (data and initial weights)")
	flag.Parse()
	if _, err := run(os.Stdout, *seed, *steps); err != nil {
		fmt.Fprintln(os.Stderr, "classify:", err)
		os.Exit(1)
	}
}
