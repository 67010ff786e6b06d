package ad

import (
	"errors"
	"fmt"
	"slices"
)

// Var is a value in a differentiable program: a tensor and, unless it is a
// constant or a leaf, the node of the operation that made it.
type Var struct {
	Value *Tensor
	node  *node
	grad  bool // gradients flow through it
	want  bool // a detached input of a vjp whose gradient is wanted
}

// needs reports whether a vjp must compute the gradient of input v.
func needs(v *Var) bool { return v.grad || v.want }

// node is one recorded operation.
type node struct {
	inputs  []*Var
	outputs []*Var
	// vjp returns the gradient contribution of each input (nil for none)
	// given the gradients of the outputs (nil for outputs without one).
	// in and out are the node's inputs and outputs, or constants with
	// their values when no graph of the gradient is to be built.
	vjp func(g, in, out []*Var) []*Var

	// storage for the common case of one output and up to three inputs, so
	// that recording an operation is a single allocation
	inArr  [3]*Var
	outArr [1]*Var
	out    Var
}

// Param returns a leaf that gradients are taken with respect to.
func Param(t *Tensor) *Var { return &Var{Value: t, grad: true} }

// Const returns a constant: no gradient flows into it.
func Const(t *Tensor) *Var { return &Var{Value: t} }

// ConstScalar returns a scalar constant.
func ConstScalar(v float64) *Var { return Const(Scalar(v)) }

// Shape returns the shape of the value.
func (v *Var) Shape() []int { return v.Value.Shape }

// Item returns the value of a one-element Var.
func (v *Var) Item() float64 { return v.Value.Item() }

// RequiresGrad reports whether gradients flow through v.
func (v *Var) RequiresGrad() bool { return v.grad }

// Detach returns a constant with v's value.
func (v *Var) Detach() *Var { return Const(v.Value) }

// record makes the outputs of an operation. If no input requires a
// gradient the outputs are constants and nothing is recorded.
func record(vals []*Tensor, inputs []*Var, vjp func(g, in, out []*Var) []*Var) []*Var {
	need := false
	for _, in := range inputs {
		if in.grad {
			need = true
			break
		}
	}
	outs := make([]*Var, len(vals))
	if !need {
		for i, t := range vals {
			outs[i] = &Var{Value: t}
		}
		return outs
	}
	n := &node{inputs: inputs, vjp: vjp}
	for i, t := range vals {
		outs[i] = &Var{Value: t, node: n, grad: true}
	}
	n.outputs = outs
	return outs
}

// record1 is record for one output.
func record1(val *Tensor, vjp func(g, in, out []*Var) []*Var, inputs ...*Var) *Var {
	need := false
	for _, in := range inputs {
		if in.grad {
			need = true
			break
		}
	}
	if !need {
		return &Var{Value: val}
	}
	n := &node{vjp: vjp}
	if len(inputs) <= len(n.inArr) {
		n.inputs = n.inArr[:copy(n.inArr[:], inputs)]
	} else {
		n.inputs = slices.Clone(inputs)
	}
	n.out = Var{Value: val, node: n, grad: true}
	n.outArr[0] = &n.out
	n.outputs = n.outArr[:]
	return &n.out
}

type gradConfig struct {
	createGraph bool
	seed        *Var
}

// GradOption configures Grad.
type GradOption func(*gradConfig)

// CreateGraph makes the gradients differentiable: they are recorded like
// any other computation, so Grad can be applied to them again.
func CreateGraph() GradOption { return func(c *gradConfig) { c.createGraph = true } }

// Seed sets the gradient of y (the vector of a vector-Jacobian product);
// without it y must have one element and its gradient is 1.
func Seed(g *Var) GradOption { return func(c *gradConfig) { c.seed = g } }

// Grad returns ∂y/∂x for every x in xs (zeros for an x that y does not
// depend on). It never modifies the graph or the Vars, so many goroutines
// may differentiate programs that share leaves.
func Grad(y *Var, xs []*Var, opts ...GradOption) ([]*Var, error) {
	var cfg gradConfig
	for _, o := range opts {
		o(&cfg)
	}
	seed := cfg.seed
	if seed == nil {
		if y.Value.Size() != 1 {
			return nil, fmt.Errorf("ad: Grad of a value of shape %v needs a Seed", y.Shape())
		}
		seed = Const(Full(1, y.Shape()...))
	} else if !slices.Equal(seed.Shape(), y.Shape()) {
		return nil, fmt.Errorf("ad: seed of shape %v for a value of shape %v", seed.Shape(), y.Shape())
	}
	if !cfg.createGraph && seed.grad {
		seed = seed.Detach()
	}
	// Topological order of the nodes y depends on (post-order DFS). With
	// one variable to differentiate by, nothing beyond it matters: the
	// search stops there, so that the gradient with respect to an
	// intermediate value (∇u(x) at a point x of a long computation) costs
	// only the part of the graph after it.
	var order []*node
	seen := map[*node]bool{}
	if len(xs) == 1 && xs[0] != nil && xs[0].node != nil && xs[0] != y {
		seen[xs[0].node] = true
	}
	if y.node != nil {
		type frame struct {
			n *node
			i int
		}
		stack := []frame{{y.node, 0}}
		seen[y.node] = true
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.i < len(top.n.inputs) {
				in := top.n.inputs[top.i]
				top.i++
				if in.node != nil && !seen[in.node] {
					seen[in.node] = true
					stack = append(stack, frame{in.node, 0})
				}
				continue
			}
			order = append(order, top.n)
			stack = stack[:len(stack)-1]
		}
	}
	// Gradients accumulated so far. Without CreateGraph, a sum of several
	// contributions is a tensor of Grad's own (owned) and further
	// contributions are added into it in place; contributions themselves may
	// alias values of the graph and are never written.
	type acc struct {
		g     *Var
		owned bool
	}
	grads := map[*Var]acc{y: {g: seed}}
	accumulate := func(v, g *Var) {
		old, ok := grads[v]
		switch {
		case !ok:
			grads[v] = acc{g: g}
		case cfg.createGraph:
			grads[v] = acc{g: Add(old.g, g)}
		case old.owned:
			dst := old.g.Value.Data
			for i, x := range g.Value.Data {
				dst[i] += x
			}
		default:
			grads[v] = acc{g: Add(old.g, g), owned: true}
		}
	}
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		gOut := make([]*Var, len(n.outputs))
		has := false
		for k, o := range n.outputs {
			if a, ok := grads[o]; ok {
				gOut[k] = a.g
				has = true
			}
		}
		if !has {
			continue
		}
		in, out := n.inputs, n.outputs
		if !cfg.createGraph {
			in, out = detach(in, out)
		}
		contrib := n.vjp(gOut, in, out)
		for k, c := range contrib {
			if c == nil || !n.inputs[k].grad {
				continue
			}
			if !slices.Equal(c.Shape(), n.inputs[k].Shape()) {
				return nil, fmt.Errorf("ad: internal error: gradient of shape %v for an input of shape %v", c.Shape(), n.inputs[k].Shape())
			}
			accumulate(n.inputs[k], c)
		}
	}
	res := make([]*Var, len(xs))
	for i, x := range xs {
		if x == nil {
			return nil, errors.New("ad: Grad with respect to nil")
		}
		if a, ok := grads[x]; ok {
			res[i] = a.g
		} else {
			res[i] = Const(Zeros(x.Shape()...))
		}
	}
	return res, nil
}

// detach returns constant copies of a node's inputs and outputs (marking
// the inputs whose gradient is wanted), in one allocation when small.
func detach(in, out []*Var) ([]*Var, []*Var) {
	n := len(in) + len(out)
	var vars []Var
	var ptrs []*Var
	if n <= 3 {
		blk := &struct {
			v [3]Var
			p [3]*Var
		}{}
		vars, ptrs = blk.v[:n], blk.p[:n]
	} else {
		vars, ptrs = make([]Var, n), make([]*Var, n)
	}
	for i, v := range in {
		vars[i] = Var{Value: v.Value, want: v.grad}
		ptrs[i] = &vars[i]
	}
	for i, v := range out {
		vars[len(in)+i] = Var{Value: v.Value}
		ptrs[len(in)+i] = &vars[len(in)+i]
	}
	return ptrs[:len(in)], ptrs[len(in):]
}

// MustGrad is Grad for programs known to be well formed; it panics on error.
func MustGrad(y *Var, xs []*Var, opts ...GradOption) []*Var {
	g, err := Grad(y, xs, opts...)
	if err != nil {
		panic(err)
	}
	return g
}
