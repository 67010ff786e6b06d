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

// Conv is a convolution layer on the periodic lattice: y = Conv2D(x, K)
// plus a bias per output channel; K is (out, in, k, k) and B (out, 1, 1),
// as PyTorch's Conv2d with padding_mode = "circular".
type Conv struct {
	K, B *Var
}

// NewConv initialises a layer as PyTorch does: K and b uniform in
// ±1/√(in·k·k), drawn from rng. k must be odd.
func NewConv(in, out, k int, rng *rand.Rand) *Conv {
	bound := 1 / math.Sqrt(float64(in*k*k))
	w, b := Zeros(out, in, k, k), Zeros(out, 1, 1)
	for i := range w.Data {
		w.Data[i] = (2*rng.Float64() - 1) * bound
	}
	for i := range b.Data {
		b.Data[i] = (2*rng.Float64() - 1) * bound
	}
	return &Conv{K: Param(w), B: Param(b)}
}

// Forward applies the layer to x (batch, in, H, W).
func (c *Conv) Forward(x *Var) *Var { return Add(Conv2D(x, c.K), c.B) }

// Params returns K and b.
func (c *Conv) Params() []*Var { return []*Var{c.K, c.B} }

// ConvNet is a stack of Conv layers with an activation between them (not
// after the last): a translation-equivariant network on the lattice.
type ConvNet struct {
	Layers []*Conv
	Act    Activation
}

// NewConvNet builds a ConvNet with the given channel counts (e.g. 1, 8,
// 8, 2) and odd kernel size k.
func NewConvNet(channels []int, k int, act Activation, rng *rand.Rand) *ConvNet {
	if len(channels) < 2 || k%2 == 0 {
		panic(fmt.Sprintf("ad: ConvNet channels %v, kernel %d: need at least input and output channels and an odd kernel", channels, k))
	}
	n := &ConvNet{Act: act}
	for i := 0; i+1 < len(channels); i++ {
		n.Layers = append(n.Layers, NewConv(channels[i], channels[i+1], k, rng))
	}
	return n
}

// Forward applies the network to x (batch, channels[0], H, W).
func (n *ConvNet) Forward(x *Var) *Var {
	for i, l := range n.Layers {
		x = l.Forward(x)
		if i < len(n.Layers)-1 {
			x = n.Act(x)
		}
	}
	return x
}

// Params returns every layer's parameters in order.
func (n *ConvNet) Params() []*Var {
	var ps []*Var
	for _, l := range n.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}
