package ad

import (
	"fmt"
	"slices"
	"strings"
)

// Tensor is a dense row-major float64 array. Operations never modify their
// inputs: a Tensor handed to the package may be shared.
type Tensor struct {
	Shape []int
	Data  []float64
}

// NewTensor wraps data with the given shape (no shape: a scalar).
func NewTensor(data []float64, shape ...int) *Tensor {
	if n := sizeOf(shape); n != len(data) {
		panic(fmt.Sprintf("ad: %d values for shape %v (size %d)", len(data), shape, n))
	}
	return &Tensor{Shape: slices.Clone(shape), Data: data}
}

// Zeros returns a tensor of zeros.
func Zeros(shape ...int) *Tensor {
	return &Tensor{Shape: slices.Clone(shape), Data: make([]float64, sizeOf(shape))}
}

// Full returns a tensor filled with v.
func Full(v float64, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = v
	}
	return t
}

// Scalar returns a 0-dimensional tensor.
func Scalar(v float64) *Tensor { return &Tensor{Data: []float64{v}} }

// Size returns the number of elements.
func (t *Tensor) Size() int { return len(t.Data) }

// Dims returns the number of axes.
func (t *Tensor) Dims() int { return len(t.Shape) }

// Item returns the value of a one-element tensor.
func (t *Tensor) Item() float64 {
	if len(t.Data) != 1 {
		panic(fmt.Sprintf("ad: Item of a tensor of shape %v", t.Shape))
	}
	return t.Data[0]
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: slices.Clone(t.Shape), Data: slices.Clone(t.Data)}
}

// At returns the element at the given index.
func (t *Tensor) At(idx ...int) float64 {
	if len(idx) != len(t.Shape) {
		panic(fmt.Sprintf("ad: index %v for shape %v", idx, t.Shape))
	}
	off := 0
	for i, k := range idx {
		if k < 0 || k >= t.Shape[i] {
			panic(fmt.Sprintf("ad: index %v out of shape %v", idx, t.Shape))
		}
		off = off*t.Shape[i] + k
	}
	return t.Data[off]
}

func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v%v", t.Shape, t.Data)
	return b.String()
}

func sizeOf(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("ad: negative dimension in shape %v", shape))
		}
		n *= d
	}
	return n
}

// stridesOf returns the row-major strides of shape.
func stridesOf(shape []int) []int {
	s := make([]int, len(shape))
	k := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = k
		k *= shape[i]
	}
	return s
}

// broadcastShape returns the NumPy broadcast of two shapes.
func broadcastShape(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := range n {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("ad: shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// bstrides returns the strides with which a tensor of shape `in` is read
// when broadcast to `out` (0 along stretched or missing axes).
func bstrides(in, out []int) []int {
	st := stridesOf(in)
	bs := make([]int, len(out))
	for i := range out {
		j := len(in) - len(out) + i
		if j >= 0 && in[j] != 1 {
			bs[i] = st[j]
		}
	}
	return bs
}

// forEachIndex calls f with the offsets into a and b for every element of
// shape (row-major), a and b read with strides sa and sb.
func forEachIndex(shape, sa, sb []int, f func(i, ia, ib int)) {
	n := sizeOf(shape)
	if n == 0 {
		return
	}
	nd := len(shape)
	idx := make([]int, nd)
	ia, ib := 0, 0
	for i := 0; i < n; i++ {
		f(i, ia, ib)
		for d := nd - 1; d >= 0; d-- {
			idx[d]++
			ia += sa[d]
			ib += sb[d]
			if idx[d] < shape[d] {
				break
			}
			ia -= sa[d] * shape[d]
			ib -= sb[d] * shape[d]
			idx[d] = 0
		}
	}
}
