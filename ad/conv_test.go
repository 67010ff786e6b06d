package ad

import (
	"math"
	"math/rand/v2"
	"testing"
)

// conv2DNaive is Conv2D by its definition, index by index.
func conv2DNaive(x, k *Tensor) *Tensor {
	b, cin, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	cout, kh, kw := k.Shape[0], k.Shape[2], k.Shape[3]
	y := Zeros(b, cout, h, w)
	mod := func(a, n int) int { return ((a % n) + n) % n }
	for n := range b {
		for o := range cout {
			for i := range h {
				for j := range w {
					var s float64
					for c := range cin {
						for u := range kh {
							for v := range kw {
								s += k.Data[((o*cin+c)*kh+u)*kw+v] * x.Data[((n*cin+c)*h+mod(i+u-kh/2, h))*w+mod(j+v-kw/2, w)]
							}
						}
					}
					y.Data[((n*cout+o)*h+i)*w+j] = s
				}
			}
		}
	}
	return y
}

func TestConv2DDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range [][6]int{{2, 3, 4, 5, 6, 3}, {1, 1, 2, 3, 3, 3}, {2, 2, 2, 7, 5, 5}, {3, 2, 1, 4, 4, 1}} {
		b, cin, cout, h, w, kk := c[0], c[1], c[2], c[3], c[4], c[5]
		x, k := randTensor(rng, -1, 1, b, cin, h, w), randTensor(rng, -1, 1, cout, cin, kk, min(kk, 3))
		got := Conv2D(Const(x), Const(k)).Value
		want := conv2DNaive(x, k)
		for i, v := range want.Data {
			if math.Abs(got.Data[i]-v) > 1e-12*(1+math.Abs(v)) {
				t.Fatalf("%v: y[%d] = %v, want %v", c, i, got.Data[i], v)
			}
		}
	}
}

// First and second derivatives in x and k (the second through the
// kernel-gradient operation and the flipped kernels).
func TestConv2DGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x, k := randTensor(rng, -1, 1, 2, 2, 4, 5), randTensor(rng, -1, 1, 3, 2, 3, 3)
	f := func(xs []*Var) *Var {
		y := Conv2D(xs[0], xs[1])
		return Sum(Mul(Tanh(y), y)) // not quadratic: the second derivative has content
	}
	if err := GradCheck(f, []*Tensor{x, k}, 1e-7); err != nil {
		t.Error(err)
	}
	if err := GradCheck2(f, []*Tensor{x, k}, 1e-5, 4, rng); err != nil {
		t.Error(err)
	}
}

// Shifting the input shifts the output: the convolution commutes with the
// lattice's translations.
func TestConv2DEquivariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const h, w = 4, 6
	x, k := randTensor(rng, -1, 1, 1, 2, h, w), randTensor(rng, -1, 1, 2, 2, 3, 3)
	shift := func(a *Tensor, di, dj int) *Tensor {
		out := Zeros(a.Shape...)
		ch := a.Shape[1]
		for c := range ch {
			for i := range h {
				for j := range w {
					out.Data[(c*h+(i+di)%h)*w+(j+dj)%w] = a.Data[(c*h+i)*w+j]
				}
			}
		}
		return out
	}
	a := shift(Conv2D(Const(x), Const(k)).Value, 1, 2)
	b := Conv2D(Const(shift(x, 1, 2)), Const(k)).Value
	for i := range a.Data {
		if math.Abs(a.Data[i]-b.Data[i]) > 1e-12 {
			t.Fatalf("shift ∘ conv ≠ conv ∘ shift at %d: %v, %v", i, a.Data[i], b.Data[i])
		}
	}
}

// BenchmarkConv2D: the tutorial's coupling network on φ⁴ at L = 8 (batch
// 64, channels 1 → 8 → 8 → 2, 3×3 kernels, tanh), forward and backward
// to the kernels, per network evaluation.
func BenchmarkConv2D(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := Const(randTensor(rng, -1, 1, 64, 1, 8, 8))
	ks := []*Var{Param(randTensor(rng, -1, 1, 8, 1, 3, 3)), Param(randTensor(rng, -1, 1, 8, 8, 3, 3)), Param(randTensor(rng, -1, 1, 2, 8, 3, 3))}
	for b.Loop() {
		y := x
		for i, k := range ks {
			y = Conv2D(y, k)
			if i < len(ks)-1 {
				y = Tanh(y)
			}
		}
		MustGrad(Sum(y), ks)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "us/net")
}
