package ad

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

func randTensor(rng *rand.Rand, lo, hi float64, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = lo + (hi-lo)*rng.Float64()
	}
	return t
}

// weighted turns any op output into a nonlinear scalar, Σ W∘sin(y), so
// that first and second derivatives of every op are exercised.
func weighted(y *Var, seed uint64) *Var {
	rng := rand.New(rand.NewPCG(seed, 99))
	w := randTensor(rng, -1, 1, y.Shape()...)
	return Sum(Mul(Const(w), Sin(y)))
}

type opCase struct {
	name   string
	inputs []*Tensor
	f      func(x []*Var) *Var
}

func opCases() []opCase {
	rng := rand.New(rand.NewPCG(1, 2))
	r := func(lo, hi float64, shape ...int) *Tensor { return randTensor(rng, lo, hi, shape...) }
	un := func(name string, op func(*Var) *Var, lo, hi float64) opCase {
		return opCase{name, []*Tensor{r(lo, hi, 3, 4)}, func(x []*Var) *Var { return weighted(op(x[0]), 1) }}
	}
	bin := func(name string, op func(a, b *Var) *Var, sa, sb []int, lo, hi float64) opCase {
		return opCase{name, []*Tensor{r(lo, hi, sa...), r(lo, hi, sb...)}, func(x []*Var) *Var { return weighted(op(x[0], x[1]), 2) }}
	}
	sym := func(x *Var) *Var { return Scale(Add(x, Transpose(x)), 0.5) }
	// A matrix with chosen singular values: Q₁ diag(s) Q₂ᵀ.
	return []opCase{
		bin("Add", Add, []int{3, 4}, []int{3, 4}, -1, 1),
		bin("Add/row", Add, []int{3, 4}, []int{4}, -1, 1),
		bin("Add/col", Add, []int{3, 1}, []int{1, 4}, -1, 1),
		bin("Add/scalar", Add, []int{3, 4}, []int{}, -1, 1),
		bin("Sub/row", Sub, []int{2, 3, 4}, []int{3, 1}, -1, 1),
		bin("Mul", Mul, []int{3, 4}, []int{3, 4}, -1, 1),
		bin("Mul/row", Mul, []int{5, 3}, []int{1, 3}, -1, 1),
		bin("Mul/3d", Mul, []int{2, 1, 4}, []int{3, 1}, -1, 1),
		bin("Div", Div, []int{3, 4}, []int{3, 4}, 0.5, 2),
		bin("Div/col", Div, []int{3, 4}, []int{3, 1}, 0.5, 2),
		un("Neg", Neg, -1, 1),
		un("Exp", Exp, -1, 1),
		un("Log", Log, 0.5, 2),
		un("Sqrt", Sqrt, 0.5, 2),
		un("Pow", func(x *Var) *Var { return Pow(x, 2.5) }, 0.5, 2),
		un("Square", Square, -1, 1),
		un("Reciprocal", Reciprocal, 0.5, 2),
		un("Abs", Abs, 0.2, 1),
		un("Abs/neg", Abs, -1, -0.2),
		un("Tanh", Tanh, -2, 2),
		un("Sigmoid", Sigmoid, -3, 3),
		un("Softplus", Softplus, -3, 3),
		un("LogCosh", LogCosh, -3, 3),
		un("Sin", Sin, -3, 3),
		un("Cosh", Cosh, -2, 2),
		un("Sinh", Sinh, -2, 2),
		un("Cos", Cos, -3, 3),
		un("AddScalar", func(x *Var) *Var { return AddScalar(x, 0.3) }, -1, 1),
		un("Scale", func(x *Var) *Var { return Scale(x, -1.7) }, -1, 1),
		un("Reshape", func(x *Var) *Var { return Reshape(x, 2, -1, 2) }, -1, 1),
		un("Transpose", Transpose, -1, 1),
		{"Permute", []*Tensor{r(-1, 1, 2, 3, 4)}, func(x []*Var) *Var { return weighted(Permute(x[0], 2, 0, 1), 3) }},
		un("Sum", Sum, -1, 1),
		un("Mean", Mean, -1, 1),
		un("SumAxis/0", func(x *Var) *Var { return SumAxis(x, 0, false) }, -1, 1),
		un("SumAxis/1keep", func(x *Var) *Var { return SumAxis(x, 1, true) }, -1, 1),
		{"MeanAxis/3d", []*Tensor{r(-1, 1, 2, 3, 4)}, func(x []*Var) *Var { return weighted(MeanAxis(x[0], 1, false), 4) }},
		un("MaxAxis", func(x *Var) *Var { return MaxAxis(x, 1, false) }, -1, 1),
		un("Max", Max, -1, 1),
		{"Slice", []*Tensor{r(-1, 1, 3, 5, 2)}, func(x []*Var) *Var { return weighted(Slice(x[0], 1, 1, 4), 5) }},
		{"Concat", []*Tensor{r(-1, 1, 2, 3), r(-1, 1, 2, 2)}, func(x []*Var) *Var { return weighted(Concat(1, x[0], x[1], x[0]), 6) }},
		{"Index", []*Tensor{r(-1, 1, 4, 3)}, func(x []*Var) *Var { return weighted(Index(x[0], 0, []int{3, 0, 3, 1}), 7) }},
		{"Index/axis1", []*Tensor{r(-1, 1, 2, 4, 3)}, func(x []*Var) *Var { return weighted(Index(x[0], 1, []int{2, 2, 0}), 8) }},
		{"TakeLast", []*Tensor{r(-1, 1, 2, 3, 4)}, func(x []*Var) *Var { return weighted(Square(TakeLast(x[0], []int{3, 0, 1, 1, 2, 3})), 9) }},
		{"Roll", []*Tensor{r(-1, 1, 3, 5)}, func(x []*Var) *Var { return weighted(Roll(x[0], 2, 1), 9) }},
		{"Roll/neg", []*Tensor{r(-1, 1, 4, 3)}, func(x []*Var) *Var { return weighted(Roll(x[0], -1, 0), 10) }},
		{"BroadcastTo", []*Tensor{r(-1, 1, 3, 1)}, func(x []*Var) *Var { return weighted(BroadcastTo(x[0], []int{2, 3, 4}), 11) }},
		{"SumTo", []*Tensor{r(-1, 1, 2, 3, 4)}, func(x []*Var) *Var { return weighted(SumTo(x[0], []int{3, 1}), 12) }},
		{"MatMul", []*Tensor{r(-1, 1, 3, 4), r(-1, 1, 4, 2)}, func(x []*Var) *Var { return weighted(MatMul(x[0], x[1]), 13) }},
		{"MatMulT/ta", []*Tensor{r(-1, 1, 4, 3), r(-1, 1, 4, 2)}, func(x []*Var) *Var { return weighted(MatMulT(x[0], x[1], true, false), 14) }},
		{"MatMulT/tb", []*Tensor{r(-1, 1, 3, 4), r(-1, 1, 2, 4)}, func(x []*Var) *Var { return weighted(MatMulT(x[0], x[1], false, true), 15) }},
		{"MatMulT/both", []*Tensor{r(-1, 1, 4, 3), r(-1, 1, 2, 4)}, func(x []*Var) *Var { return weighted(MatMulT(x[0], x[1], true, true), 16) }},
		{"MatMul/blas", []*Tensor{r(-1, 1, 6, 7), r(-1, 1, 7, 5)}, func(x []*Var) *Var { return weighted(MatMul(x[0], x[1]), 34) }},
		{"MatMulT/blas-ta", []*Tensor{r(-1, 1, 7, 6), r(-1, 1, 7, 5)}, func(x []*Var) *Var { return weighted(MatMulT(x[0], x[1], true, false), 35) }},
		{"MatMulT/blas-both", []*Tensor{r(-1, 1, 7, 6), r(-1, 1, 5, 7)}, func(x []*Var) *Var { return weighted(MatMulT(x[0], x[1], true, true), 36) }},
		{"Affine/blas", []*Tensor{r(-1, 1, 6, 7), r(-1, 1, 5, 7), r(-1, 1, 5)}, func(x []*Var) *Var { return weighted(Affine(x[0], x[1], x[2]), 37) }},
		{"MatMul/batched", []*Tensor{r(-1, 1, 2, 3, 4), r(-1, 1, 2, 4, 2)}, func(x []*Var) *Var { return weighted(MatMul(x[0], x[1]), 17) }},
		{"Affine", []*Tensor{r(-1, 1, 5, 3), r(-1, 1, 4, 3), r(-1, 1, 4)}, func(x []*Var) *Var { return weighted(Affine(x[0], x[1], x[2]), 33) }},
		{"Tensordot", []*Tensor{r(-1, 1, 2, 3, 4), r(-1, 1, 4, 3, 2)}, func(x []*Var) *Var { return weighted(Tensordot(x[0], x[1], []int{1, 2}, []int{1, 0}), 18) }},
		{"Diag", []*Tensor{r(-1, 1, 3)}, func(x []*Var) *Var { return weighted(Diag(x[0]), 19) }},
		{"DiagPart", []*Tensor{r(-1, 1, 3, 3)}, func(x []*Var) *Var { return weighted(DiagPart(x[0]), 20) }},
		{"Trace", []*Tensor{r(-1, 1, 3, 3)}, func(x []*Var) *Var { return Sin(Trace(x[0])) }},
		{"LogSoftmax", []*Tensor{r(-2, 2, 4, 3)}, func(x []*Var) *Var { return weighted(LogSoftmax(x[0]), 21) }},
		{"CrossEntropy", []*Tensor{r(-2, 2, 4, 3)}, func(x []*Var) *Var { return CrossEntropy(x[0], []int{0, 2, 1, 2}) }},
		{"SVD/values", []*Tensor{r(-1, 1, 4, 3)}, func(x []*Var) *Var {
			_, s, _ := SVD(x[0])
			return Sum(Pow(s, 3))
		}},
		{"SVD/vectors", []*Tensor{r(-1, 1, 3, 5)}, func(x []*Var) *Var {
			u, s, v := SVD(x[0])
			// sign-invariant: squares of U and V entries.
			return Add(weighted(Square(u), 22), Add(weighted(Square(v), 23), weighted(s, 24)))
		}},
		{"SVD/square", []*Tensor{r(-1, 1, 4, 4)}, func(x []*Var) *Var {
			u, s, v := SVD(x[0])
			return Add(weighted(MatMulT(u, u, false, true), 25), Add(weighted(MatMulT(Mul(u, Reshape(s, 1, -1)), v, false, true), 26), weighted(Square(v), 27)))
		}},
		{"TruncSVD", []*Tensor{r(-1, 1, 5, 4)}, func(x []*Var) *Var {
			u, s, v := TruncSVD(x[0], 2)
			return Add(weighted(MatMulT(u, u, false, true), 28), Add(weighted(s, 29), weighted(MatMulT(v, v, false, true), 30)))
		}},
		{"Eigh", []*Tensor{r(-1, 1, 4, 4)}, func(x []*Var) *Var {
			w, v := Eigh(sym(x[0]))
			return Add(weighted(w, 31), weighted(Square(v), 32))
		}},
	}
}

func TestGradCheckOps(t *testing.T) {
	for _, c := range opCases() {
		t.Run(c.name, func(t *testing.T) {
			if err := GradCheck(c.f, c.inputs, 1e-6); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestGradCheckSecondOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range opCases() {
		t.Run(c.name, func(t *testing.T) {
			if err := GradCheck2(c.f, c.inputs, 1e-6, 2, rng); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestGradCheckFails makes sure the checker can fail: a wrong derivative
// (sin with derivative -cos) is caught at first and second order.
func TestGradCheckFails(t *testing.T) {
	bad := func(x *Var) *Var {
		return unary(x, math.Sin, func(in, _ *Var) *Var { return Neg(Cos(in)) }, func(x, _ float64) float64 { return -math.Cos(x) })
	}
	f := func(x []*Var) *Var { return Sum(bad(x[0])) }
	in := []*Tensor{NewTensor([]float64{0.3, -0.5}, 2)}
	if GradCheck(f, in, 1e-6) == nil {
		t.Error("GradCheck accepted a wrong first derivative")
	}
	// Right first derivative, wrong second: the rule is not differentiable.
	bad2 := func(x *Var) *Var {
		return unary(x, math.Sin, func(in, _ *Var) *Var { return Const(Cos(in).Value) }, func(x, _ float64) float64 { return math.Cos(x) })
	}
	f2 := func(x []*Var) *Var { return Sum(bad2(x[0])) }
	if GradCheck2(f2, in, 1e-6, 2, rand.New(rand.NewPCG(1, 1))) == nil {
		t.Error("GradCheck2 accepted a wrong second derivative")
	}
}

// TestRosenbrockHVP: Hessian-vector products of the Rosenbrock function
// against the analytic Hessian.
func TestRosenbrockHVP(t *testing.T) {
	rosen := func(x *Var) *Var {
		n := x.Shape()[0]
		a := Slice(x, 0, 0, n-1)
		b := Slice(x, 0, 1, n)
		return Sum(Add(Scale(Square(Sub(b, Square(a))), 100), Square(AddScalar(Neg(a), 1))))
	}
	xs := []float64{-1.2, 1, 0.5, 2, -0.3}
	vs := []float64{0.3, -1, 2, 0.7, 1.1}
	x := Param(NewTensor(slices.Clone(xs), 5))
	g := MustGrad(rosen(x), []*Var{x}, CreateGraph())[0]
	hv := MustGrad(Sum(Mul(g, Const(NewTensor(vs, 5)))), []*Var{x})[0]
	n := len(xs)
	H := make([][]float64, n)
	for i := range H {
		H[i] = make([]float64, n)
	}
	for i := 0; i < n-1; i++ {
		H[i][i] += 1200*xs[i]*xs[i] - 400*xs[i+1] + 2
		H[i+1][i+1] += 200
		H[i][i+1] += -400 * xs[i]
		H[i+1][i] += -400 * xs[i]
	}
	for i := range n {
		var want float64
		for j := range n {
			want += H[i][j] * vs[j]
		}
		if d := math.Abs(hv.Value.Data[i] - want); d > 1e-10*math.Max(1, math.Abs(want)) {
			t.Errorf("(Hv)[%d] = %.15g, analytic %.15g", i, hv.Value.Data[i], want)
		}
	}
	// Third order: d/dx of (v·H·v) is finite and matches a difference.
	gv := Sum(Mul(g, Const(NewTensor(vs, 5))))
	hv2 := MustGrad(gv, []*Var{x}, CreateGraph())[0]
	third := MustGrad(Sum(Mul(hv2, Const(NewTensor(vs, 5)))), []*Var{x})[0]
	// v·H·v = Σ_i (1200 x_i² − 400 x_{i+1} + 2) v_i² + 200 v_{i+1}² − 800 x_i v_i v_{i+1}
	for k := range n {
		var want float64
		if k < n-1 {
			want += 2400*xs[k]*vs[k]*vs[k] - 800*vs[k]*vs[k+1]
		}
		if k > 0 {
			want += -400 * vs[k-1] * vs[k-1]
		}
		if d := math.Abs(third.Value.Data[k] - want); d > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("∂(vᵀHv)/∂x_%d = %.12g, analytic %.12g", k, third.Value.Data[k], want)
		}
	}
}

// orthogonal returns a random n×n orthogonal matrix (Q of a QR by SVD).
func orthogonal(rng *rand.Rand, n int) *Tensor {
	u, _, _ := SVD(Const(randTensor(rng, -1, 1, n, n)))
	return u.Value
}

func withSpectrum(rng *rand.Rand, m, n int, s []float64) *Tensor {
	q1, q2 := orthogonal(rng, m), orthogonal(rng, n)
	d := Zeros(m, n)
	for i, v := range s {
		d.Data[i*n+i] = v
	}
	return MatMulT(MatMul(Const(q1), Const(d)), Const(q2), false, true).Value
}

func finite(t *testing.T, what string, x *Var) {
	t.Helper()
	for i, v := range x.Value.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("%s: element %d is %v", what, i, v)
		}
	}
}

// TestSVDDegenerate: at exactly degenerate singular values the gradients
// of spectral and subspace losses are finite and correct; with values
// separated by 1e-3 they match finite differences to 1e-6.
func TestSVDDegenerate(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	B := Const(randTensor(rng, -1, 1, 4, 3))
	spectral := func(x []*Var) *Var {
		_, s, _ := SVD(x[0])
		return Sum(Pow(s, 3))
	}
	projector := func(x []*Var) *Var {
		u, _, _ := SVD(x[0])
		uk := Slice(u, 1, 0, 2)
		return Sum(Square(MatMul(MatMulT(uk, uk, false, true), B)))
	}
	// Degenerate: s = (2, 2, 1) on a 4×3 matrix; and s = (1.5, 1.5, 1.5).
	for _, s := range [][]float64{{2, 2, 1}, {1.5, 1.5, 1.5}, {2, 1, 1}} {
		A := withSpectrum(rng, 4, 3, s)
		x := Param(A)
		g := MustGrad(spectral([]*Var{x}), []*Var{x})[0]
		finite(t, "Σs³ at a degenerate spectrum", g)
		// Analytic: ∂Σs³/∂A = U diag(3s²) Vᵀ, which is 3·A·AᵀA-like: 3 A (AᵀA)^{1/2}... compare to U diag(3 s²) Vᵀ.
		u, sv, v := SVD(Const(A))
		want := MatMulT(Mul(u, Reshape(Scale(Square(sv), 3), 1, -1)), v, false, true)
		for i := range want.Value.Data {
			if d := math.Abs(g.Value.Data[i] - want.Value.Data[i]); d > 1e-10 {
				t.Fatalf("s=%v: ∂Σs³/∂A[%d] = %v, analytic %v", s, i, g.Value.Data[i], want.Value.Data[i])
			}
		}
		if s[0] == s[1] && s[1] != s[2] {
			// The top-2 subspace is not split by the degeneracy: its
			// projector is differentiable and the gradient matches
			// finite differences even here.
			gp := MustGrad(projector([]*Var{x}), []*Var{x})[0]
			finite(t, "projector loss at a degenerate spectrum", gp)
			if err := GradCheck(projector, []*Tensor{A}, 1e-6); err != nil {
				t.Errorf("s=%v: %v", s, err)
			}
			// Second derivatives are finite too.
			gc := MustGrad(projector([]*Var{x}), []*Var{x}, CreateGraph())[0]
			h := MustGrad(Sum(Mul(gc, B.Detach())), []*Var{x}) // a directional second derivative (B is 4×3)
			finite(t, "second derivative at a degenerate spectrum", h[0])
		}
	}
	// Separated by 1e-3: finite differences.
	A := withSpectrum(rng, 4, 3, []float64{2, 2 - 1e-3, 1})
	for name, f := range map[string]func([]*Var) *Var{"spectral": spectral, "projector": projector} {
		if err := GradCheck(f, []*Tensor{A}, 1e-6); err != nil {
			t.Errorf("%s at separation 1e-3: %v", name, err)
		}
	}
}

func TestEighDegenerate(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	q := orthogonal(rng, 4)
	mk := func(w []float64) *Tensor {
		return MatMulT(Mul(Const(q), Const(NewTensor(w, 1, 4))), Const(q), false, true).Value
	}
	B := Const(randTensor(rng, -1, 1, 4, 4))
	spectral := func(x []*Var) *Var {
		w, _ := Eigh(Scale(Add(x[0], Transpose(x[0])), 0.5))
		return Sum(Pow(w, 3))
	}
	projector := func(x []*Var) *Var {
		_, v := Eigh(Scale(Add(x[0], Transpose(x[0])), 0.5))
		vk := Slice(v, 1, 2, 4) // the two largest
		return Sum(Square(MatMul(MatMulT(vk, vk, false, true), B)))
	}
	A := mk([]float64{-1, 0.5, 2, 2})
	x := Param(A)
	finite(t, "Σw³ at a degenerate spectrum", MustGrad(spectral([]*Var{x}), []*Var{x})[0])
	finite(t, "projector at a degenerate spectrum", MustGrad(projector([]*Var{x}), []*Var{x})[0])
	for name, f := range map[string]func([]*Var) *Var{"spectral": spectral, "projector": projector} {
		if err := GradCheck(f, []*Tensor{A}, 1e-6); err != nil {
			t.Errorf("%s at a degenerate spectrum: %v", name, err)
		}
		if err := GradCheck(f, []*Tensor{mk([]float64{-1, 0.5, 2, 2.001})}, 1e-6); err != nil {
			t.Errorf("%s at separation 1e-3: %v", name, err)
		}
	}
}

// TestConcurrentGrad: 8 goroutines differentiate their own programs
// against shared parameters (run under -race by make test) and agree with
// a serial run.
func TestConcurrentGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	mlp := NewMLP([]int{3, 16, 16, 1}, Tanh, rng)
	inputs := make([]*Tensor, 8)
	for i := range inputs {
		inputs[i] = randTensor(rng, -1, 1, 5, 3)
	}
	run := func(i int) []*Tensor {
		x := Param(inputs[i])
		y := Sum(Square(mlp.Forward(x)))
		gs := MustGrad(y, append(mlp.Params(), x), CreateGraph())
		// a second-order quantity too: d/dx of |∂y/∂W₁|²
		h := MustGrad(Sum(Square(gs[0])), []*Var{x})[0]
		out := []*Tensor{y.Value, h.Value}
		for _, g := range gs {
			out = append(out, g.Value)
		}
		return out
	}
	serial := make([][]*Tensor, 8)
	for i := range serial {
		serial[i] = run(i)
	}
	par := make([][]*Tensor, 8)
	var wg sync.WaitGroup
	for i := range par {
		wg.Go(func() { par[i] = run(i) })
	}
	wg.Wait()
	for i := range par {
		for k := range par[i] {
			if !slices.Equal(par[i][k].Data, serial[i][k].Data) {
				t.Fatalf("goroutine %d, result %d differs from the serial run", i, k)
			}
		}
	}
}

func TestDualHyperDual(t *testing.T) {
	// f(x) = exp(sin x)·√x / (1 + x²)
	fd := func(x Dual) Dual {
		return x.Sin().Exp().Mul(x.Sqrt()).Div(x.Mul(x).AddConst(1))
	}
	fh := func(x HyperDual) HyperDual {
		return x.Sin().Exp().Mul(x.Sqrt()).Div(x.Mul(x).AddConst(1))
	}
	fr := func(x *Var) *Var {
		return Div(Mul(Exp(Sin(x)), Sqrt(x)), AddScalar(Square(x), 1))
	}
	for _, x0 := range []float64{0.3, 1.1, 2.5} {
		d := fd(DualVar(x0))
		h := fh(HyperVar(x0))
		x := Param(Scalar(x0))
		g := MustGrad(fr(x), []*Var{x}, CreateGraph())[0]
		gg := MustGrad(g, []*Var{x})[0]
		if math.Abs(d.D-g.Item()) > 1e-13 || math.Abs(h.D1-g.Item()) > 1e-13 || h.D1 != h.D2 {
			t.Errorf("x=%v: f' dual %v, hyper %v, reverse %v", x0, d.D, h.D1, g.Item())
		}
		if math.Abs(h.D12-gg.Item()) > 1e-12*math.Max(1, math.Abs(gg.Item())) {
			t.Errorf("x=%v: f'' hyper-dual %v, reverse-over-reverse %v", x0, h.D12, gg.Item())
		}
	}
	// Closed forms.
	h := HyperVar(0.7).Tanh()
	th := math.Tanh(0.7)
	if math.Abs(h.D12-(-2*th*(1-th*th))) > 1e-15 {
		t.Errorf("tanh'' = %v", h.D12)
	}
}

func TestGradErrors(t *testing.T) {
	x := Param(Zeros(3))
	if _, err := Grad(Exp(x), []*Var{x}); err == nil {
		t.Error("Grad of a vector without a seed: no error")
	}
	g, err := Grad(Exp(x), []*Var{x}, Seed(Const(Full(2, 3))))
	if err != nil || g[0].Value.Data[1] != 2 {
		t.Errorf("seeded vjp: %v %v", g, err)
	}
	y := Param(Zeros(2))
	g, _ = Grad(Sum(Exp(x)), []*Var{y})
	if g[0].Value.Size() != 2 || g[0].Value.Data[0] != 0 {
		t.Error("gradient of an unused input is not zero")
	}
}

func TestLogAbsDetInv(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, shape := range [][]int{{3, 3}, {2, 2, 2}, {4, 1, 1}, {2, 4, 4}} {
		a := Zeros(shape...)
		for i := range a.Data {
			a.Data[i] = rng.NormFloat64()
		}
		f := func(xs []*Var) *Var { return Sum(Mul(LogAbsDet(xs[0]), LogAbsDet(xs[0]))) }
		if err := GradCheck(f, []*Tensor{a}, 1e-6); err != nil {
			t.Errorf("LogAbsDet %v: %v", shape, err)
		}
		if err := GradCheck2(f, []*Tensor{a}, 1e-5, 2, rng); err != nil {
			t.Errorf("LogAbsDet second order %v: %v", shape, err)
		}
		g := func(xs []*Var) *Var { return Sum(Sin(Inv(xs[0]))) }
		if err := GradCheck(g, []*Tensor{a}, 1e-6); err != nil {
			t.Errorf("Inv %v: %v", shape, err)
		}
	}
	// value against a hand-computed determinant
	a := NewTensor([]float64{2, 1, 0, 1, 3, 1, 0, 1, 4}, 3, 3)
	if got, want := LogAbsDet(Const(a)).Item(), math.Log(18); math.Abs(got-want) > 1e-14 {
		t.Errorf("ln|det| = %v, want %v", got, want)
	}
}

// The gradient with respect to an intermediate value counts the paths
// after it only, like a leaf holding the same value.
func TestGradIntermediate(t *testing.T) {
	w := Param(NewTensor([]float64{0.3, -0.7}, 2))
	x := Tanh(Mul(w, w)) // intermediate
	y := Sum(Mul(Sin(x), Exp(x)))
	g := MustGrad(y, []*Var{x})[0]
	leaf := Param(x.Value)
	want := MustGrad(Sum(Mul(Sin(leaf), Exp(leaf))), []*Var{leaf})[0]
	for i := range want.Value.Data {
		if math.Abs(g.Value.Data[i]-want.Value.Data[i]) > 1e-15 {
			t.Errorf("∂y/∂x = %v, want %v", g.Value.Data, want.Value.Data)
		}
	}
	// and with CreateGraph the result still depends on w
	g2 := MustGrad(y, []*Var{x}, CreateGraph())[0]
	if !g2.RequiresGrad() {
		t.Error("gradient with CreateGraph lost its dependence on w")
	}
}

// A column (one entry per row, as keepdims reductions leave it) broadcasts
// along the rows, on either side of an operation.
func TestColumnBroadcast(t *testing.T) {
	a := Const(NewTensor([]float64{1, 2, 3, 4, 5, 6}, 2, 3))
	c := Const(NewTensor([]float64{10, 20}, 2, 1))
	for _, tc := range []struct {
		got  *Var
		want []float64
	}{
		{Sub(a, c), []float64{-9, -8, -7, -16, -15, -14}},
		{Sub(c, a), []float64{9, 8, 7, 16, 15, 14}},
		{Div(c, a), []float64{10, 5, 10.0 / 3, 5, 4, 20.0 / 6}},
	} {
		if !slices.Equal(tc.got.Value.Data, tc.want) || !slices.Equal(tc.got.Shape(), []int{2, 3}) {
			t.Errorf("got %v %v, want %v", tc.got.Shape(), tc.got.Value.Data, tc.want)
		}
	}
}
