package ad

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Linear is y = x·Wᵀ + b for a batch x of shape (batch, In); W is (Out, In)
// as in PyTorch.
type Linear struct {
	W, B *Var
}

// NewLinear initialises a layer as PyTorch does: W and b uniform in
// ±1/√in, drawn from rng.
func NewLinear(in, out int, rng *rand.Rand) *Linear {
	bound := 1 / math.Sqrt(float64(in))
	w, b := Zeros(out, in), Zeros(out)
	for i := range w.Data {
		w.Data[i] = (2*rng.Float64() - 1) * bound
	}
	for i := range b.Data {
		b.Data[i] = (2*rng.Float64() - 1) * bound
	}
	return &Linear{W: Param(w), B: Param(b)}
}

// Forward applies the layer to x (batch, In).
func (l *Linear) Forward(x *Var) *Var {
	return Affine(x, l.W, l.B)
}

// Params returns W and b.
func (l *Linear) Params() []*Var { return []*Var{l.W, l.B} }

// Activation is an elementwise nonlinearity.
type Activation func(*Var) *Var

// Identity is the identity activation.
func Identity(x *Var) *Var { return x }

// MLP is a stack of Linear layers with an activation between them (not
// after the last).
type MLP struct {
	Layers []*Linear
	Act    Activation
}

// NewMLP builds an MLP with the given layer widths, e.g. 2, 32, 32, 1.
func NewMLP(widths []int, act Activation, rng *rand.Rand) *MLP {
	if len(widths) < 2 {
		panic(fmt.Sprintf("ad: MLP widths %v: need at least input and output", widths))
	}
	m := &MLP{Act: act}
	for i := 0; i+1 < len(widths); i++ {
		m.Layers = append(m.Layers, NewLinear(widths[i], widths[i+1], rng))
	}
	return m
}

// Forward applies the network to x (batch, widths[0]).
func (m *MLP) Forward(x *Var) *Var {
	for i, l := range m.Layers {
		x = l.Forward(x)
		if i+1 < len(m.Layers) {
			x = m.Act(x)
		}
	}
	return x
}

// Params returns every layer's W and b, in order.
func (m *MLP) Params() []*Var {
	var ps []*Var
	for _, l := range m.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// LogSoftmax returns x − logΣexp(x) along the last axis (batch, classes),
// computed stably.
func LogSoftmax(x *Var) *Var {
	mx := Const(MaxAxis(x.Detach(), -1, true).Value)
	shifted := Sub(x, mx)
	return Sub(shifted, Log(SumAxis(Exp(shifted), -1, true)))
}

// Softmax returns the softmax along the last axis.
func Softmax(x *Var) *Var { return Exp(LogSoftmax(x)) }

// CrossEntropy returns the mean over the batch of −log softmax(x)[label].
func CrossEntropy(logits *Var, labels []int) *Var {
	s := logits.Shape()
	if len(s) != 2 || s[0] != len(labels) {
		panic(fmt.Sprintf("ad: CrossEntropy of logits %v with %d labels", s, len(labels)))
	}
	onehot := Zeros(s...)
	for i, l := range labels {
		onehot.Data[i*s[1]+l] = 1
	}
	return Neg(Scale(Sum(Mul(LogSoftmax(logits), Const(onehot))), 1/float64(s[0])))
}
