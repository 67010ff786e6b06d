package ad

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Custom records an operation computed outside this package, so that
// packages above ad can supply fused kernels with hand-written
// derivatives. vals are the operation's outputs (computed by the caller),
// inputs the Vars they depend on. vjp gets the gradients of the outputs
// (nil for an output without one) and returns one gradient per input (nil
// for none), each of its input's shape.
//
// Like the package's own operations, vjp is called with constants in place
// of in, out and g unless a graph of the gradient is being built
// (CreateGraph); it may then compute with plain tensors. When any of them
// RequiresGrad, the gradient must be built from ad operations so that it
// can be differentiated again.
func Custom(vals []*Tensor, inputs []*Var, vjp func(g, in, out []*Var) []*Var) []*Var {
	return record(vals, inputs, vjp)
}

// AnyRequiresGrad reports whether any of vs carries a gradient: a Custom
// vjp that sees false for all of its g, in and out may compute with plain
// tensors.
func AnyRequiresGrad(vs ...[]*Var) bool {
	for _, l := range vs {
		for _, v := range l {
			if v != nil && v.grad {
				return true
			}
		}
	}
	return false
}

// square returns the batch count and n of a (..., n, n) tensor.
func square(what string, s []int) (batch, n int) {
	if len(s) < 2 || s[len(s)-1] != s[len(s)-2] {
		panic(fmt.Sprintf("ad: %s of shape %v: want (..., n, n)", what, s))
	}
	n = s[len(s)-1]
	batch = 1
	for _, d := range s[:len(s)-2] {
		batch *= d
	}
	return batch, n
}

// Inv returns the inverse of every n×n matrix of a (..., n, n). A singular
// matrix gives Inf/NaN entries.
func Inv(a *Var) *Var {
	batch, n := square("Inv", a.Shape())
	out := Zeros(a.Shape()...)
	var lu mat.LU
	for i := range batch {
		m := mat.NewDense(n, n, a.Value.Data[i*n*n:(i+1)*n*n])
		lu.Factorize(m)
		dst := mat.NewDense(n, n, out.Data[i*n*n:(i+1)*n*n])
		id := mat.NewDiagDense(n, nil)
		for k := range n {
			id.SetDiag(k, 1)
		}
		if err := lu.SolveTo(dst, false, id); err != nil {
			if _, ok := err.(mat.Condition); !ok {
				for k := range dst.RawMatrix().Data {
					dst.RawMatrix().Data[k] = math.NaN()
				}
			}
		}
	}
	return record1(out, func(g, _, out []*Var) []*Var {
		// d(A⁻¹) = −A⁻¹ dA A⁻¹, so Ā = −A⁻ᵀ Ḡ A⁻ᵀ.
		B := out[0]
		if len(B.Shape()) == 2 {
			return []*Var{Neg(MatMulT(MatMulT(B, g[0], true, false), B, false, true))}
		}
		b3, g3 := reshape3(B, n), reshape3(g[0], n)
		r := Neg(MatMulT(MatMulT(b3, g3, true, false), b3, false, true))
		return []*Var{Reshape(r, B.Shape()...)}
	}, a)
}

func reshape3(v *Var, n int) *Var {
	if len(v.Shape()) == 3 {
		return v
	}
	return Reshape(v, -1, n, n)
}

// LogAbsDet returns ln|det A| of every n×n matrix of a (..., n, n), of shape
// (...). Its gradient is A⁻ᵀ (through Inv, so of any order).
func LogAbsDet(a *Var) *Var {
	batch, n := square("LogAbsDet", a.Shape())
	s := a.Shape()
	out := Zeros(s[:len(s)-2]...)
	var lu mat.LU
	for i := range batch {
		switch n {
		case 1:
			out.Data[i] = math.Log(math.Abs(a.Value.Data[i]))
		case 2:
			d := a.Value.Data[4*i:]
			out.Data[i] = math.Log(math.Abs(d[0]*d[3] - d[1]*d[2]))
		default:
			lu.Factorize(mat.NewDense(n, n, a.Value.Data[i*n*n:(i+1)*n*n]))
			out.Data[i], _ = lu.LogDet()
		}
	}
	return record1(out, func(g, in, _ []*Var) []*Var {
		inv := Inv(in[0])
		t := Permute(inv, transposeLast(len(s))...)
		gs := append(append([]int{}, s[:len(s)-2]...), 1, 1)
		return []*Var{Mul(Reshape(g[0], gs...), t)}
	}, a)
}

func transposeLast(nd int) []int {
	p := make([]int, nd)
	for i := range p {
		p[i] = i
	}
	p[nd-1], p[nd-2] = p[nd-2], p[nd-1]
	return p
}
