package tn

import (
	"slices"

	"github.com/mcflow/mcflow/ad"
)

// A jet is a tensor and its first two derivatives in β (row-major, one
// shape): carried through a computation step by step, it gives the exact
// first and second derivatives of the result without keeping anything of
// the earlier steps (forward-mode differentiation). A nil derivative is
// zero: a constant.
type jet struct {
	shape     []int
	v, d1, d2 []float64
	buf       []float64 // v, d1, d2 one after another, when newJet made them
}

// newJet returns a jet of zeros.
func newJet(shape ...int) jet {
	n := 1
	for _, d := range shape {
		n *= d
	}
	buf := make([]float64, 3*n)
	return jet{shape: shape, v: buf[:n:n], d1: buf[n : 2*n : 2*n], d2: buf[2*n:], buf: buf}
}

// stacked reports whether v, d1 and d2 lie one after another in buf: the
// rows of the three matrices are then the rows of one 3m×k matrix.
func (a jet) stacked() bool {
	n := len(a.v)
	return n > 0 && len(a.buf) == 3*n && a.d1 != nil && a.d2 != nil &&
		&a.buf[0] == &a.v[0] && &a.buf[n] == &a.d1[0] && &a.buf[2*n] == &a.d2[0]
}

// parts returns the value and the derivatives.
func (a jet) parts() [3][]float64 { return [3][]float64{a.v, a.d1, a.d2} }

// reshape returns a with another shape of the same size, sharing its data.
func (a jet) reshape(shape ...int) jet {
	a.shape = shape
	return a
}

// scalar is a number and its first two derivatives in β, as a hyper-dual
// number with both first parts equal: D1 = D2 is the first derivative,
// D12 the second.
type scalar = ad.HyperDual

func mkScalar(v, d1, d2 float64) scalar { return scalar{V: v, D1: d1, D2: d1, D12: d2} }

// permute returns a with its axes reordered: axis i of the result is
// axis perm[i] of a. Axes that stay neighbours are merged first; then the
// copy runs along the result's last axis in contiguous runs, or, when a's
// last axis lands elsewhere, in 32×32 tiles of the two (a transpose that
// reads and writes whole cache lines). The identity returns a itself.
func (a jet) permute(perm ...int) jet {
	if slices.IsSorted(perm) {
		return a // the identity: shared, as reshape shares
	}
	shape := make([]int, len(perm))
	for i, p := range perm {
		shape[i] = a.shape[p]
	}
	out := newJet(shape...)
	ish, rp := mergeAxes(a.shape, perm)
	r := len(rp)
	istr := strides(ish)
	osh := make([]int, r)
	src := make([]int, r) // stride in a of the result's axis i
	for i, p := range rp {
		osh[i], src[i] = ish[p], istr[p]
	}
	ostr := strides(osh)
	q := slices.Index(rp, r-1) // the result's axis that is a's last
	last := r - 1
	for k, in := range a.parts() {
		if in == nil {
			out = out.without(k)
			continue
		}
		dst := out.parts()[k]
		eachIndex(osh, q, last, src, ostr, func(ib, ob int) {
			if q == last {
				copy(dst[ob:ob+osh[last]], in[ib:ib+osh[last]])
				return
			}
			const tile = 32
			for i0 := 0; i0 < osh[q]; i0 += tile {
				for j0 := 0; j0 < osh[last]; j0 += tile {
					for i := i0; i < min(i0+tile, osh[q]); i++ {
						o, s := ob+i*ostr[q], ib+i
						for j := j0; j < min(j0+tile, osh[last]); j++ {
							dst[o+j] = in[s+j*src[last]]
						}
					}
				}
			}
		})
	}
	return out
}

// mergeAxes merges the axes of shape that perm keeps next to each other in
// order, returning the merged shape and permutation.
func mergeAxes(shape, perm []int) ([]int, []int) {
	var groups [][]int // runs of perm with consecutive axes
	for i, p := range perm {
		if i > 0 && p == perm[i-1]+1 {
			groups[len(groups)-1] = append(groups[len(groups)-1], p)
			continue
		}
		groups = append(groups, []int{p})
	}
	// Number the groups by their first axis's position in a.
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return groups[x][0] - groups[y][0] })
	ish := make([]int, len(groups))
	rp := make([]int, len(groups))
	for newAxis, g := range order {
		d := 1
		for _, ax := range groups[g] {
			d *= shape[ax]
		}
		ish[newAxis] = d
		rp[g] = newAxis
	}
	return ish, rp
}

func strides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// eachIndex calls f with the input and output offsets of every index of
// the axes of shape other than skip1 and skip2 (those set to 0).
func eachIndex(shape []int, skip1, skip2 int, src, ostr []int, f func(ib, ob int)) {
	idx := make([]int, len(shape))
	ib, ob := 0, 0
	for {
		f(ib, ob)
		ax := len(shape) - 1
		for ; ax >= 0; ax-- {
			if ax == skip1 || ax == skip2 {
				continue
			}
			idx[ax]++
			ib, ob = ib+src[ax], ob+ostr[ax]
			if idx[ax] < shape[ax] {
				break
			}
			ib, ob = ib-idx[ax]*src[ax], ob-idx[ax]*ostr[ax]
			idx[ax] = 0
		}
		if ax < 0 {
			return
		}
	}
}

// without drops derivative k (1 or 2): it is zero.
func (a jet) without(k int) jet {
	switch k {
	case 1:
		a.d1 = nil
	case 2:
		a.d2 = nil
	}
	return a
}

// mm returns op(a)·op(b) for jets of matrices (op transposes when ta or
// tb is set): (ab)' = a'b + ab', (ab)” = a”b + 2a'b' + ab”.
func mm(a jet, ta bool, b jet, tb bool) jet {
	m, k := a.shape[0], a.shape[1]
	if ta {
		m, k = k, m
	}
	n := b.shape[1]
	if tb {
		n = b.shape[0]
	}
	c := newJet(m, n)
	if !ta && a.stacked() {
		mmStacked(a, b, tb, c, k)
		return c
	}
	g := func(x, y []float64, beta float64, out []float64) {
		if x != nil && y != nil {
			ad.Gemm(ta, tb, m, n, k, x, a.shape[1], y, b.shape[1], beta, out)
		}
	}
	// c is zero to start with: beta = 1 adds to it, and beta = 2 doubles
	// a'b' before a''b is added.
	g(a.v, b.v, 1, c.v)
	g(a.d1, b.v, 1, c.d1)
	g(a.v, b.d1, 1, c.d1)
	g(a.d1, b.d1, 1, c.d2)
	if a.d2 != nil {
		g(a.d2, b.v, 2, c.d2)
	} else {
		for i := range c.d2 {
			c.d2[i] *= 2
		}
	}
	g(a.v, b.d2, 1, c.d2)
	return c
}

// mmStacked is mm for a stacked, untransposed a, in four products over
// consecutive rows of its buffer [a;a';a”] instead of six: [a;a']·b' →
// [c';c”] (then c” doubled), [a';a”]·b added, a·b, and a·b” added.
// Larger products run faster, and nothing is copied.
func mmStacked(a, b jet, tb bool, c jet, k int) {
	m := len(a.v) / k
	n := len(c.v) / m
	lda, ldb := k, b.shape[1]
	if b.d1 != nil {
		ad.Gemm(false, tb, 2*m, n, k, a.buf, lda, b.d1, ldb, 0, c.buf[m*n:])
		for i := range c.d2 {
			c.d2[i] *= 2
		}
	}
	ad.Gemm(false, tb, 2*m, n, k, a.buf[m*k:], lda, b.v, ldb, 1, c.buf[m*n:])
	ad.Gemm(false, tb, m, n, k, a.v, lda, b.v, ldb, 0, c.v)
	if b.d2 != nil {
		ad.Gemm(false, tb, m, n, k, a.v, lda, b.d2, ldb, 1, c.d2)
	}
}

// tdot contracts axes ax of a with axes bx of b (numpy's tensordot): the
// result's axes are a's free axes, then b's.
func tdot(a jet, ax []int, b jet, bx []int) jet {
	fa, sa, ka := freeAxes(a.shape, ax)
	fb, sb, _ := freeAxes(b.shape, bx)
	am := a.permute(append(fa, ax...)...)
	bm := b.permute(append(bx, fb...)...)
	m, n := size(sa), size(sb)
	c := mm(am.reshape(m, ka), false, bm.reshape(ka, n), false)
	return c.reshape(append(sa, sb...)...)
}

// freeAxes returns the axes of shape not in contracted, their sizes, and
// the product of the contracted sizes.
func freeAxes(shape, contracted []int) (axes, sizes []int, k int) {
	k = 1
	for _, c := range contracted {
		k *= shape[c]
	}
outer:
	for i, d := range shape {
		for _, c := range contracted {
			if c == i {
				continue outer
			}
		}
		axes, sizes = append(axes, i), append(sizes, d)
	}
	return axes, sizes, k
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// scale returns r·a: (ra)' = r'a + ra', (ra)” = r”a + 2r'a' + ra”.
func (a jet) scale(r scalar) jet {
	out := newJet(a.shape...)
	for i, v := range a.v {
		d1, d2 := at(a.d1, i), at(a.d2, i)
		out.v[i] = r.V * v
		out.d1[i] = r.D1*v + r.V*d1
		out.d2[i] = r.D12*v + 2*r.D1*d1 + r.V*d2
	}
	return out
}

// scaleCols returns a (a matrix) with column j multiplied by r[j].
func (a jet) scaleCols(r []scalar) jet {
	out := newJet(a.shape...)
	n := a.shape[1]
	for i, v := range a.v {
		c := r[i%n]
		d1, d2 := at(a.d1, i), at(a.d2, i)
		out.v[i] = c.V * v
		out.d1[i] = c.D1*v + c.V*d1
		out.d2[i] = c.D12*v + 2*c.D1*d1 + c.V*d2
	}
	return out
}

// take returns the entries of a at index j of axis, that axis of size 1.
func (a jet) take(axis, j int) jet {
	shape := slices.Clone(a.shape)
	shape[axis] = 1
	out := newJet(shape...)
	outer, d, inner := size(a.shape[:axis]), a.shape[axis], size(a.shape[axis+1:])
	for p, in := range a.parts() {
		if in == nil {
			out = out.without(p)
			continue
		}
		dst := out.parts()[p]
		for o := range outer {
			copy(dst[o*inner:(o+1)*inner], in[(o*d+j)*inner:])
		}
	}
	return out
}

// put copies src (a's shape with axis of size 1) into a at index j of
// axis.
func (a jet) put(axis, j int, src jet) {
	outer, d, inner := size(a.shape[:axis]), a.shape[axis], size(a.shape[axis+1:])
	for p, dst := range a.parts() {
		in := src.parts()[p]
		if dst == nil || in == nil {
			continue // a zero derivative stays zero
		}
		for o := range outer {
			copy(dst[(o*d+j)*inner:(o*d+j+1)*inner], in[o*inner:(o+1)*inner])
		}
	}
}

// sumSquares returns Σ a² as a scalar jet.
func (a jet) sumSquares() scalar {
	var s, s1, s2 float64
	for i, v := range a.v {
		d1 := at(a.d1, i)
		s += v * v
		s1 += 2 * v * d1
		s2 += 2 * (d1*d1 + v*at(a.d2, i))
	}
	return mkScalar(s, s1, s2)
}

// at is x[i], or 0 when x is a zero derivative.
func at(x []float64, i int) float64 {
	if x == nil {
		return 0
	}
	return x[i]
}
