package ad

import (
	"fmt"
	"math"
	"slices"
)

type binop int

const (
	opAdd binop = iota
	opSub
	opMul
	opDiv
)

// kernel applies op elementwise: out[i] = a[i] op b[i], or with b (a) of
// length 1 when bScalar (aScalar).
func kernel(op binop, out, a, b []float64, aScalar, bScalar bool) {
	switch {
	case bScalar:
		y := b[0]
		switch op {
		case opAdd:
			for i, x := range a {
				out[i] = x + y
			}
		case opSub:
			for i, x := range a {
				out[i] = x - y
			}
		case opMul:
			for i, x := range a {
				out[i] = x * y
			}
		case opDiv:
			for i, x := range a {
				out[i] = x / y
			}
		}
	case aScalar:
		x := a[0]
		switch op {
		case opAdd:
			for i, y := range b {
				out[i] = x + y
			}
		case opSub:
			for i, y := range b {
				out[i] = x - y
			}
		case opMul:
			for i, y := range b {
				out[i] = x * y
			}
		case opDiv:
			for i, y := range b {
				out[i] = x / y
			}
		}
	default:
		b = b[:len(a)]
		out = out[:len(a)]
		switch op {
		case opAdd:
			for i, x := range a {
				out[i] = x + b[i]
			}
		case opSub:
			for i, x := range a {
				out[i] = x - b[i]
			}
		case opMul:
			for i, x := range a {
				out[i] = x * b[i]
			}
		case opDiv:
			for i, x := range a {
				out[i] = x / b[i]
			}
		}
	}
}

func apply(op binop, x, y float64) float64 {
	switch op {
	case opAdd:
		return x + y
	case opSub:
		return x - y
	case opMul:
		return x * y
	}
	return x / y
}

// isSuffix reports whether small is the trailing part of big (after
// leading axes of length 1 are dropped from small).
func isSuffix(small, big []int) bool {
	for len(small) > 0 && small[0] == 1 && len(small) > len(big) {
		small = small[1:]
	}
	for len(small) > 0 && small[0] == 1 {
		small = small[1:]
	}
	if len(small) > len(big) {
		return false
	}
	return slices.Equal(small, big[len(big)-len(small):])
}

// isColumn reports whether small is big with its last axis 1 (one entry
// per row of big, as a reduction with keepdims leaves it).
func isColumn(small, big []int) bool {
	n := len(big)
	return n > 0 && len(small) == n && small[n-1] == 1 && big[n-1] > 1 && slices.Equal(small[:n-1], big[:n-1])
}

// binary computes a op b with broadcasting.
func binary(op binop, a, b *Tensor) *Tensor {
	shape := a.Shape
	if !slices.Equal(a.Shape, b.Shape) {
		var err error
		if shape, err = broadcastShape(a.Shape, b.Shape); err != nil {
			panic(err)
		}
	}
	out := &Tensor{Shape: shape, Data: make([]float64, sizeOf(shape))}
	na, nb, n := len(a.Data), len(b.Data), len(out.Data)
	switch {
	case n == 0:
	case na == n && nb == n:
		kernel(op, out.Data, a.Data, b.Data, false, false)
	case nb == 1 && na == n:
		kernel(op, out.Data, a.Data, b.Data, false, true)
	case na == 1 && nb == n:
		kernel(op, out.Data, a.Data, b.Data, true, false)
	case na == n && nb > 0 && isSuffix(b.Shape, shape):
		for i := 0; i < n; i += nb {
			kernel(op, out.Data[i:i+nb], a.Data[i:i+nb], b.Data, false, false)
		}
	case nb == n && na > 0 && isSuffix(a.Shape, shape):
		for i := 0; i < n; i += na {
			kernel(op, out.Data[i:i+na], a.Data, b.Data[i:i+na], false, false)
		}
	case na == n && nb > 0 && isColumn(b.Shape, shape):
		k := n / nb // b has one entry per row of a
		for r := range nb {
			kernel(op, out.Data[r*k:(r+1)*k], a.Data[r*k:(r+1)*k], b.Data[r:r+1], false, true)
		}
	case nb == n && na > 0 && isColumn(a.Shape, shape):
		k := n / na
		for r := range na {
			kernel(op, out.Data[r*k:(r+1)*k], a.Data[r:r+1], b.Data[r*k:(r+1)*k], true, false)
		}
	default:
		ad, bd, od := a.Data, b.Data, out.Data
		forEachIndex(shape, bstrides(a.Shape, shape), bstrides(b.Shape, shape), func(i, ia, ib int) {
			od[i] = apply(op, ad[ia], bd[ib])
		})
	}
	return out
}

// Add returns a + b (broadcasting).
func Add(a, b *Var) *Var {
	return record1(binary(opAdd, a.Value, b.Value), func(g, in, _ []*Var) []*Var {
		return []*Var{SumTo(g[0], in[0].Shape()), SumTo(g[0], in[1].Shape())}
	}, a, b)
}

// Sub returns a − b (broadcasting).
func Sub(a, b *Var) *Var {
	return record1(binary(opSub, a.Value, b.Value), func(g, in, _ []*Var) []*Var {
		return []*Var{SumTo(g[0], in[0].Shape()), SumTo(Neg(g[0]), in[1].Shape())}
	}, a, b)
}

// Mul returns a ⊙ b (broadcasting).
func Mul(a, b *Var) *Var {
	return record1(binary(opMul, a.Value, b.Value), func(g, in, _ []*Var) []*Var {
		var ga, gb *Var
		if needs(in[0]) {
			ga = SumTo(Mul(g[0], in[1]), in[0].Shape())
		}
		if needs(in[1]) {
			gb = SumTo(Mul(g[0], in[0]), in[1].Shape())
		}
		return []*Var{ga, gb}
	}, a, b)
}

// Div returns a / b (broadcasting).
func Div(a, b *Var) *Var {
	return record1(binary(opDiv, a.Value, b.Value), func(g, in, out []*Var) []*Var {
		ga := SumTo(Div(g[0], in[1]), in[0].Shape())
		gb := SumTo(Neg(Div(Mul(g[0], out[0]), in[1])), in[1].Shape())
		return []*Var{ga, gb}
	}, a, b)
}

// AddScalar returns a + c.
func AddScalar(a *Var, c float64) *Var { return Add(a, ConstScalar(c)) }

// Scale returns c·a.
func Scale(a *Var, c float64) *Var { return Mul(a, ConstScalar(c)) }

// unary applies f elementwise. df returns the derivative factor as a Var
// (given input and output) so that the rule is differentiable again; fd,
// the same derivative on floats (given x and f(x)), serves the common first-
// order case, where no graph of the gradient is built, in one fused pass.
func unary(x *Var, f func(float64) float64, df func(in, out *Var) *Var, fd func(x, y float64) float64) *Var {
	return unaryFused(x, f, df, func(dst, g, xs, ys []float64) {
		for i := range dst {
			dst[i] = g[i] * fd(xs[i], ys[i])
		}
	})
}

// unaryFused is unary with the fused first-order rule as a loop over
// slices, dst[i] = g[i]·f'(x[i]), for the hot activations.
func unaryFused(x *Var, f func(float64) float64, df func(in, out *Var) *Var, fused func(dst, g, x, y []float64)) *Var {
	out := &Tensor{Shape: x.Value.Shape, Data: make([]float64, len(x.Value.Data))}
	for i, v := range x.Value.Data {
		out.Data[i] = f(v)
	}
	return record1(out, func(g, in, out []*Var) []*Var {
		if !g[0].grad && !in[0].grad && !out[0].grad {
			xd := in[0].Value.Data
			r := &Tensor{Shape: in[0].Value.Shape, Data: make([]float64, len(xd))}
			fused(r.Data, g[0].Value.Data[:len(xd)], xd, out[0].Value.Data[:len(xd)])
			return []*Var{{Value: r}}
		}
		return []*Var{Mul(g[0], df(in[0], out[0]))}
	}, x)
}

// Neg returns −x.
func Neg(x *Var) *Var {
	out := &Tensor{Shape: x.Value.Shape, Data: make([]float64, len(x.Value.Data))}
	for i, v := range x.Value.Data {
		out.Data[i] = -v
	}
	return record1(out, func(g, _, _ []*Var) []*Var { return []*Var{Neg(g[0])} }, x)
}

// Exp returns eˣ.
func Exp(x *Var) *Var {
	return unaryFused(x, math.Exp, func(_, out *Var) *Var { return out }, func(dst, g, _, y []float64) {
		for i, e := range y {
			dst[i] = g[i] * e
		}
	})
}

// Log returns ln x.
func Log(x *Var) *Var {
	return unary(x, math.Log, func(in, _ *Var) *Var { return Reciprocal(in) }, func(x, _ float64) float64 { return 1 / x })
}

// Reciprocal returns 1/x.
func Reciprocal(x *Var) *Var {
	return unary(x, func(v float64) float64 { return 1 / v }, func(_, out *Var) *Var { return Neg(Square(out)) }, func(_, y float64) float64 { return -y * y })
}

// Square returns x².
func Square(x *Var) *Var {
	return unaryFused(x, func(v float64) float64 { return v * v }, func(in, _ *Var) *Var { return Scale(in, 2) }, func(dst, g, x, _ []float64) {
		for i, v := range x {
			dst[i] = g[i] * 2 * v
		}
	})
}

// Sqrt returns √x.
func Sqrt(x *Var) *Var {
	return unary(x, math.Sqrt, func(_, out *Var) *Var { return Scale(Reciprocal(out), 0.5) }, func(_, y float64) float64 { return 0.5 / y })
}

// Pow returns x^p for a constant exponent p.
func Pow(x *Var, p float64) *Var {
	return unary(x, func(v float64) float64 { return math.Pow(v, p) }, func(in, _ *Var) *Var {
		if p == 1 {
			return Const(Full(1, in.Shape()...))
		}
		return Scale(Pow(in, p-1), p)
	}, func(x, _ float64) float64 { return p * math.Pow(x, p-1) })
}

// Abs returns |x| (derivative sign(x), 0 at 0).
func Abs(x *Var) *Var {
	return unary(x, math.Abs, func(in, _ *Var) *Var {
		s := Zeros(in.Shape()...)
		for i, v := range in.Value.Data {
			switch {
			case v > 0:
				s.Data[i] = 1
			case v < 0:
				s.Data[i] = -1
			}
		}
		return Const(s)
	}, func(x, _ float64) float64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	})
}

// Tanh returns tanh x.
func Tanh(x *Var) *Var {
	return unaryFused(x, math.Tanh, func(_, out *Var) *Var { return Sub(ConstScalar(1), Square(out)) }, func(dst, g, _, y []float64) {
		for i, t := range y {
			dst[i] = g[i] * (1 - t*t)
		}
	})
}

// Sigmoid returns 1/(1 + e⁻ˣ).
func Sigmoid(x *Var) *Var {
	return unaryFused(x, sigmoid, func(_, out *Var) *Var { return Mul(out, Sub(ConstScalar(1), out)) }, func(dst, g, _, y []float64) {
		for i, t := range y {
			dst[i] = g[i] * t * (1 - t)
		}
	})
}

func sigmoid(v float64) float64 {
	if v >= 0 {
		return 1 / (1 + math.Exp(-v))
	}
	e := math.Exp(v)
	return e / (1 + e)
}

// Softplus returns ln(1 + eˣ), computed without overflow.
func Softplus(x *Var) *Var {
	return unary(x, softplus, func(in, _ *Var) *Var { return Sigmoid(in) }, func(x, _ float64) float64 { return sigmoid(x) })
}

func softplus(v float64) float64 {
	if v > 0 {
		return v + math.Log1p(math.Exp(-v))
	}
	return math.Log1p(math.Exp(v))
}

// LogCosh returns ln cosh x, computed without overflow.
func LogCosh(x *Var) *Var {
	return unary(x, func(v float64) float64 {
		a := math.Abs(v)
		return a + math.Log1p(math.Exp(-2*a)) - math.Ln2
	}, func(in, _ *Var) *Var { return Tanh(in) }, func(x, _ float64) float64 { return math.Tanh(x) })
}

// Cosh returns cosh x.
func Cosh(x *Var) *Var {
	return unary(x, math.Cosh, func(in, _ *Var) *Var { return Sinh(in) }, func(x, _ float64) float64 { return math.Sinh(x) })
}

// Sinh returns sinh x.
func Sinh(x *Var) *Var {
	return unary(x, math.Sinh, func(in, _ *Var) *Var { return Cosh(in) }, func(x, _ float64) float64 { return math.Cosh(x) })
}

// Sin returns sin x.
func Sin(x *Var) *Var {
	return unary(x, math.Sin, func(in, _ *Var) *Var { return Cos(in) }, func(x, _ float64) float64 { return math.Cos(x) })
}

// Cos returns cos x.
func Cos(x *Var) *Var {
	return unary(x, math.Cos, func(in, _ *Var) *Var { return Neg(Sin(in)) }, func(x, _ float64) float64 { return -math.Sin(x) })
}

// SumTo sums x over the axes along which it was broadcast to reach its
// shape, giving a tensor of the given shape (the adjoint of BroadcastTo).
func SumTo(x *Var, shape []int) *Var {
	if slices.Equal(x.Shape(), shape) {
		return x
	}
	bs, err := broadcastShape(shape, x.Shape())
	if err != nil || !slices.Equal(bs, x.Shape()) {
		panic(fmt.Sprintf("ad: cannot sum shape %v to %v", x.Shape(), shape))
	}
	out := Zeros(shape...)
	n, no := len(x.Value.Data), len(out.Data)
	switch {
	case no == 1:
		var s float64
		for _, v := range x.Value.Data {
			s += v
		}
		out.Data[0] = s
	case isSuffix(shape, x.Shape()):
		for i := 0; i < n; i += no {
			for j, v := range x.Value.Data[i : i+no] {
				out.Data[j] += v
			}
		}
	default:
		xd, od := x.Value.Data, out.Data
		forEachIndex(x.Shape(), stridesOf(x.Shape()), bstrides(shape, x.Shape()), func(_, ix, io int) {
			od[io] += xd[ix]
		})
	}
	return record1(out, func(g, in, _ []*Var) []*Var {
		return []*Var{BroadcastTo(g[0], in[0].Shape())}
	}, x)
}

// BroadcastTo stretches x to shape (NumPy rules).
func BroadcastTo(x *Var, shape []int) *Var {
	if slices.Equal(x.Shape(), shape) {
		return x
	}
	if x.Value.Size() != 1 {
		bs, err := broadcastShape(x.Shape(), shape)
		if err != nil || !slices.Equal(bs, shape) {
			panic(fmt.Sprintf("ad: cannot broadcast shape %v to %v", x.Shape(), shape))
		}
	}
	out := Zeros(shape...)
	n, nx := len(out.Data), len(x.Value.Data)
	switch {
	case nx == 1:
		for i := range out.Data {
			out.Data[i] = x.Value.Data[0]
		}
	case isSuffix(x.Shape(), shape):
		for i := 0; i < n; i += nx {
			copy(out.Data[i:i+nx], x.Value.Data)
		}
	default:
		xd, od := x.Value.Data, out.Data
		forEachIndex(shape, bstrides(x.Shape(), shape), bstrides(x.Shape(), shape), func(i, ix, _ int) {
			od[i] = xd[ix]
		})
	}
	return record1(out, func(g, in, _ []*Var) []*Var {
		return []*Var{SumTo(g[0], in[0].Shape())}
	}, x)
}
