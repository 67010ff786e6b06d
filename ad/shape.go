package ad

import (
	"fmt"
	"math"
	"slices"
)

// Reshape returns x with a new shape of the same size (one axis may be -1).
func Reshape(x *Var, shape ...int) *Var {
	shape = slices.Clone(shape)
	inferred := -1
	known := 1
	for i, d := range shape {
		if d == -1 {
			if inferred >= 0 {
				panic("ad: Reshape with two -1 axes")
			}
			inferred = i
			continue
		}
		known *= d
	}
	if inferred >= 0 {
		if known == 0 || x.Value.Size()%known != 0 {
			panic(fmt.Sprintf("ad: cannot reshape %v to %v", x.Shape(), shape))
		}
		shape[inferred] = x.Value.Size() / known
	}
	if sizeOf(shape) != x.Value.Size() {
		panic(fmt.Sprintf("ad: cannot reshape %v to %v", x.Shape(), shape))
	}
	out := &Tensor{Shape: shape, Data: x.Value.Data}
	return record1(out, func(g, in, _ []*Var) []*Var {
		return []*Var{Reshape(g[0], in[0].Shape()...)}
	}, x)
}

// Permute reorders the axes: output axis i is input axis perm[i].
func Permute(x *Var, perm ...int) *Var {
	nd := x.Value.Dims()
	if len(perm) != nd {
		panic(fmt.Sprintf("ad: permutation %v of %d axes", perm, nd))
	}
	inv := make([]int, nd)
	seen := make([]bool, nd)
	for i, p := range perm {
		if p < 0 || p >= nd || seen[p] {
			panic(fmt.Sprintf("ad: %v is not a permutation", perm))
		}
		seen[p] = true
		inv[p] = i
	}
	shape := make([]int, nd)
	st := stridesOf(x.Shape())
	ps := make([]int, nd)
	for i, p := range perm {
		shape[i] = x.Shape()[p]
		ps[i] = st[p]
	}
	out := Zeros(shape...)
	xd, od := x.Value.Data, out.Data
	if nd == 2 && perm[0] == 1 {
		r, c := x.Shape()[0], x.Shape()[1]
		for i := range r {
			for j, v := range xd[i*c : (i+1)*c] {
				od[j*r+i] = v
			}
		}
	} else {
		forEachIndex(shape, ps, ps, func(i, ix, _ int) { od[i] = xd[ix] })
	}
	return record1(out, func(g, _, _ []*Var) []*Var {
		return []*Var{Permute(g[0], inv...)}
	}, x)
}

// Transpose swaps the last two axes.
func Transpose(x *Var) *Var {
	nd := x.Value.Dims()
	if nd < 2 {
		panic("ad: Transpose of fewer than 2 axes")
	}
	perm := make([]int, nd)
	for i := range perm {
		perm[i] = i
	}
	perm[nd-1], perm[nd-2] = nd-2, nd-1
	return Permute(x, perm...)
}

// Sum returns the sum of all elements (a scalar).
func Sum(x *Var) *Var {
	var s float64
	for _, v := range x.Value.Data {
		s += v
	}
	return record1(Scalar(s), func(g, in, _ []*Var) []*Var {
		return []*Var{BroadcastTo(g[0], in[0].Shape())}
	}, x)
}

// Mean returns the mean of all elements.
func Mean(x *Var) *Var { return Scale(Sum(x), 1/float64(x.Value.Size())) }

func normAxis(axis, nd int) int {
	if axis < 0 {
		axis += nd
	}
	if axis < 0 || axis >= nd {
		panic(fmt.Sprintf("ad: axis out of range for %d axes", nd))
	}
	return axis
}

// SumAxis sums over one axis, keeping it with length 1 if keep is set.
func SumAxis(x *Var, axis int, keep bool) *Var {
	axis = normAxis(axis, x.Value.Dims())
	kshape := slices.Clone(x.Shape())
	kshape[axis] = 1
	s := SumTo(x, kshape)
	if keep {
		return s
	}
	return Reshape(s, slices.Delete(slices.Clone(kshape), axis, axis+1)...)
}

// MeanAxis averages over one axis.
func MeanAxis(x *Var, axis int, keep bool) *Var {
	axis = normAxis(axis, x.Value.Dims())
	return Scale(SumAxis(x, axis, keep), 1/float64(x.Shape()[axis]))
}

// MaxAxis returns the maximum over one axis; the gradient goes to the first
// maximal element.
func MaxAxis(x *Var, axis int, keep bool) *Var {
	nd := x.Value.Dims()
	axis = normAxis(axis, nd)
	shape := x.Shape()
	outer := sizeOf(shape[:axis])
	n := shape[axis]
	inner := sizeOf(shape[axis+1:])
	kshape := slices.Clone(shape)
	kshape[axis] = 1
	out := Zeros(kshape...)
	mask := Zeros(shape...)
	xd := x.Value.Data
	for o := range outer {
		for in := range inner {
			best, bi := math.Inf(-1), -1
			for k := range n {
				if v := xd[(o*n+k)*inner+in]; v > best || bi < 0 {
					best, bi = v, k
				}
			}
			out.Data[o*inner+in] = best
			mask.Data[(o*n+bi)*inner+in] = 1
		}
	}
	m := record1(out, func(g, in, _ []*Var) []*Var {
		return []*Var{Mul(BroadcastTo(g[0], in[0].Shape()), Const(mask))}
	}, x)
	if keep {
		return m
	}
	return Reshape(m, slices.Delete(kshape, axis, axis+1)...)
}

// Max returns the largest element.
func Max(x *Var) *Var { return MaxAxis(Reshape(x, -1), 0, false) }

// Slice returns the elements start..end-1 along axis.
func Slice(x *Var, axis, start, end int) *Var {
	shape := x.Shape()
	axis = normAxis(axis, len(shape))
	if start < 0 || end > shape[axis] || start > end {
		panic(fmt.Sprintf("ad: slice [%d:%d] of axis %d of shape %v", start, end, axis, shape))
	}
	outer, n, inner := sizeOf(shape[:axis]), shape[axis], sizeOf(shape[axis+1:])
	oshape := slices.Clone(shape)
	oshape[axis] = end - start
	out := Zeros(oshape...)
	w := (end - start) * inner
	for o := range outer {
		copy(out.Data[o*w:(o+1)*w], x.Value.Data[(o*n+start)*inner:(o*n+end)*inner])
	}
	return record1(out, func(g, in, _ []*Var) []*Var {
		return []*Var{padSlice(g[0], axis, start, in[0].Shape()[axis])}
	}, x)
}

// padSlice places x at start..start+len along axis of a zero tensor of
// length n there (the adjoint of Slice).
func padSlice(x *Var, axis, start, n int) *Var {
	shape := x.Shape()
	m := shape[axis]
	outer, inner := sizeOf(shape[:axis]), sizeOf(shape[axis+1:])
	oshape := slices.Clone(shape)
	oshape[axis] = n
	out := Zeros(oshape...)
	for o := range outer {
		copy(out.Data[(o*n+start)*inner:(o*n+start+m)*inner], x.Value.Data[o*m*inner:(o+1)*m*inner])
	}
	return record1(out, func(g, _, _ []*Var) []*Var {
		return []*Var{Slice(g[0], axis, start, start+m)}
	}, x)
}

// Concat joins tensors along axis; all other axes must agree.
func Concat(axis int, xs ...*Var) *Var {
	if len(xs) == 0 {
		panic("ad: Concat of nothing")
	}
	shape := slices.Clone(xs[0].Shape())
	axis = normAxis(axis, len(shape))
	total := 0
	starts := make([]int, len(xs))
	for i, x := range xs {
		s := x.Shape()
		if len(s) != len(shape) {
			panic("ad: Concat of tensors with different numbers of axes")
		}
		for d := range s {
			if d != axis && s[d] != shape[d] {
				panic(fmt.Sprintf("ad: Concat of shapes %v and %v along axis %d", shape, s, axis))
			}
		}
		starts[i] = total
		total += s[axis]
	}
	shape[axis] = total
	out := Zeros(shape...)
	outer, inner := sizeOf(shape[:axis]), sizeOf(shape[axis+1:])
	for i, x := range xs {
		m := x.Shape()[axis]
		for o := range outer {
			copy(out.Data[(o*total+starts[i])*inner:(o*total+starts[i]+m)*inner], x.Value.Data[o*m*inner:(o+1)*m*inner])
		}
	}
	return record1(out, func(g, in, _ []*Var) []*Var {
		gs := make([]*Var, len(in))
		for i, x := range in {
			gs[i] = Slice(g[0], axis, starts[i], starts[i]+x.Shape()[axis])
		}
		return gs
	}, xs...)
}

// Index gathers the entries idx along axis (repeats allowed).
func Index(x *Var, axis int, idx []int) *Var {
	shape := x.Shape()
	axis = normAxis(axis, len(shape))
	n := shape[axis]
	for _, k := range idx {
		if k < 0 || k >= n {
			panic(fmt.Sprintf("ad: index %d out of range %d", k, n))
		}
	}
	idx = slices.Clone(idx)
	outer, inner := sizeOf(shape[:axis]), sizeOf(shape[axis+1:])
	oshape := slices.Clone(shape)
	oshape[axis] = len(idx)
	out := Zeros(oshape...)
	for o := range outer {
		for j, k := range idx {
			copy(out.Data[(o*len(idx)+j)*inner:(o*len(idx)+j+1)*inner], x.Value.Data[(o*n+k)*inner:(o*n+k+1)*inner])
		}
	}
	return record1(out, func(g, _, _ []*Var) []*Var {
		return []*Var{scatterAdd(g[0], axis, idx, n)}
	}, x)
}

// scatterAdd adds the entries of x along axis into positions idx of a zero
// tensor of length n there (the adjoint of Index).
func scatterAdd(x *Var, axis int, idx []int, n int) *Var {
	shape := x.Shape()
	outer, inner := sizeOf(shape[:axis]), sizeOf(shape[axis+1:])
	oshape := slices.Clone(shape)
	oshape[axis] = n
	out := Zeros(oshape...)
	m := len(idx)
	for o := range outer {
		for j, k := range idx {
			dst := out.Data[(o*n+k)*inner : (o*n+k+1)*inner]
			for t, v := range x.Value.Data[(o*m+j)*inner : (o*m+j+1)*inner] {
				dst[t] += v
			}
		}
	}
	return record1(out, func(g, _, _ []*Var) []*Var {
		return []*Var{Index(g[0], axis, idx)}
	}, x)
}

// Roll shifts x periodically by shift along axis: out[i] = x[i − shift].
func Roll(x *Var, shift, axis int) *Var {
	shape := x.Shape()
	axis = normAxis(axis, len(shape))
	n := shape[axis]
	if n == 0 {
		return x
	}
	s := ((shift % n) + n) % n
	outer, inner := sizeOf(shape[:axis]), sizeOf(shape[axis+1:])
	out := Zeros(shape...)
	for o := range outer {
		base := o * n * inner
		for k := range n {
			j := (k + s) % n
			copy(out.Data[base+j*inner:base+(j+1)*inner], x.Value.Data[base+k*inner:base+(k+1)*inner])
		}
	}
	return record1(out, func(g, _, _ []*Var) []*Var {
		return []*Var{Roll(g[0], -shift, axis)}
	}, x)
}

// TakeLast picks one entry of every row of x (…, K) along its last axis:
// out[i] = x[i, idx[i]] with i running over the rows (len(idx) = the
// number of rows), shaped as x without its last axis. It is linear in x;
// its adjoint puts the entries back (putLast), so it is differentiable to
// any order.
func TakeLast(x *Var, idx []int) *Var {
	shape := x.Shape()
	k := shape[len(shape)-1]
	rows := sizeOf(shape[:len(shape)-1])
	if len(idx) != rows {
		panic(fmt.Sprintf("ad: TakeLast of %v with %d indices", shape, len(idx)))
	}
	for _, j := range idx {
		if j < 0 || j >= k {
			panic(fmt.Sprintf("ad: TakeLast index %d out of range %d", j, k))
		}
	}
	idx = slices.Clone(idx)
	out := Zeros(shape[:len(shape)-1]...)
	for i, j := range idx {
		out.Data[i] = x.Value.Data[i*k+j]
	}
	return record1(out, func(g, _, _ []*Var) []*Var {
		return []*Var{putLast(g[0], idx, shape)}
	}, x)
}

// putLast is TakeLast's adjoint: a zero tensor of shape with x[i] at
// [i, idx[i]].
func putLast(x *Var, idx []int, shape []int) *Var {
	k := shape[len(shape)-1]
	out := Zeros(shape...)
	for i, j := range idx {
		out.Data[i*k+j] = x.Value.Data[i]
	}
	return record1(out, func(g, _, _ []*Var) []*Var {
		return []*Var{TakeLast(g[0], idx)}
	}, x)
}
