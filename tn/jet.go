package tn

import "github.com/mcflow/mcflow/ad"

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
// axis perm[i] of a.
func (a jet) permute(perm ...int) jet {
	shape := make([]int, len(perm))
	for i, p := range perm {
		shape[i] = a.shape[p]
	}
	out := newJet(shape...)
	stride := make([]int, len(a.shape))
	s := 1
	for i := len(a.shape) - 1; i >= 0; i-- {
		stride[i] = s
		s *= a.shape[i]
	}
	// src[i] is the stride in a of the result's axis i.
	src := make([]int, len(perm))
	for i, p := range perm {
		src[i] = stride[p]
	}
	idx := make([]int, len(shape))
	last := len(shape) - 1
	n, inner, step := len(a.v), shape[last], src[last]
	for o, off := 0, 0; o < n; o += inner {
		for k, in := range a.parts() {
			if in == nil {
				continue
			}
			dst := out.parts()[k][o : o+inner]
			for j := range dst {
				dst[j] = in[off+j*step]
			}
		}
		// Advance the index of the outer axes.
		for ax := last - 1; ax >= 0; ax-- {
			idx[ax]++
			off += src[ax]
			if idx[ax] < shape[ax] {
				break
			}
			off -= idx[ax] * src[ax]
			idx[ax] = 0
		}
	}
	for k, in := range a.parts() {
		if in == nil {
			out = out.without(k)
		}
	}
	return out
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

// mmStacked is mm for a stacked, untransposed a, in three products of
// 3m, 2m and m rows instead of six of m: [a;a';a”]·b, then [a';a”]
// += [a;2a']·b', then a” += a·b”. Larger products run faster, and the
// result is the same to rounding.
func mmStacked(a, b jet, tb bool, c jet, k int) {
	m, n := len(a.v)/k, len(c.v)/(len(a.v)/k)
	lda, ldb := k, b.shape[1]
	ad.Gemm(false, tb, 3*m, n, k, a.buf, lda, b.v, ldb, 0, c.buf)
	if b.d1 != nil {
		two := make([]float64, 2*m*k)
		copy(two, a.v)
		for i, x := range a.d1 {
			two[m*k+i] = 2 * x
		}
		ad.Gemm(false, tb, 2*m, n, k, two, lda, b.d1, ldb, 1, c.buf[m*n:])
	}
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

// cols returns columns [0, k) of the matrix a.
func (a jet) cols(k int) jet {
	m, n := a.shape[0], a.shape[1]
	out := newJet(m, k)
	for p, in := range a.parts() {
		if in == nil {
			out = out.without(p)
			continue
		}
		for i := range m {
			copy(out.parts()[p][i*k:(i+1)*k], in[i*n:i*n+k])
		}
	}
	return out
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
