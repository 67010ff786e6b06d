package ad

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// MatMul returns a·b for matrices (m,k)·(k,n), or batches of them
// (B,m,k)·(B,k,n).
func MatMul(a, b *Var) *Var { return MatMulT(a, b, false, false) }

// MatMulT returns op(a)·op(b), op transposing the last two axes when ta
// (tb) is set, without forming the transpose.
func MatMulT(a, b *Var, ta, tb bool) *Var {
	as, bs := a.Shape(), b.Shape()
	if len(as) != len(bs) || len(as) < 2 || len(as) > 3 || (len(as) == 3 && as[0] != bs[0]) {
		panic(fmt.Sprintf("ad: MatMul of shapes %v and %v", as, bs))
	}
	batch := 1
	if len(as) == 3 {
		batch = as[0]
	}
	ar, ac := as[len(as)-2], as[len(as)-1]
	br, bc := bs[len(bs)-2], bs[len(bs)-1]
	m, k := ar, ac
	if ta {
		m, k = ac, ar
	}
	k2, n := br, bc
	if tb {
		k2, n = bc, br
	}
	if k != k2 {
		panic(fmt.Sprintf("ad: MatMul of shapes %v and %v (transposed %v, %v)", as, bs, ta, tb))
	}
	shape := []int{m, n}
	if len(as) == 3 {
		shape = []int{batch, m, n}
	}
	out := Zeros(shape...)
	for i := range batch {
		gemm(ta, tb, m, n, k, a.Value.Data[i*ar*ac:(i+1)*ar*ac], ac, b.Value.Data[i*br*bc:(i+1)*br*bc], bc, 0, out.Data[i*m*n:(i+1)*m*n])
	}
	return record1(out, func(g, in, _ []*Var) []*Var {
		A, B, G := in[0], in[1], g[0]
		var ga, gb *Var
		if needs(A) {
			if !ta {
				ga = MatMulT(G, B, false, !tb)
			} else {
				ga = MatMulT(B, G, tb, true)
			}
		}
		if needs(B) {
			if !tb {
				gb = MatMulT(A, G, !ta, false)
			} else {
				gb = MatMulT(G, A, true, ta)
			}
		}
		return []*Var{ga, gb}
	}, a, b)
}

// Tensordot contracts axes axesA of a with axesB of b (pairwise), like
// numpy.tensordot: the result has a's free axes then b's free axes.
func Tensordot(a, b *Var, axesA, axesB []int) *Var {
	if len(axesA) != len(axesB) {
		panic("ad: Tensordot with different numbers of axes")
	}
	as, bs := a.Shape(), b.Shape()
	na, nb := len(as), len(bs)
	ca := make([]bool, na)
	cb := make([]bool, nb)
	k := 1
	for i := range axesA {
		x, y := normAxis(axesA[i], na), normAxis(axesB[i], nb)
		if as[x] != bs[y] {
			panic(fmt.Sprintf("ad: Tensordot of axis %d (%d) with axis %d (%d)", x, as[x], y, bs[y]))
		}
		ca[x], cb[y] = true, true
		k *= as[x]
	}
	var permA, permB, outShape []int
	m, n := 1, 1
	for i := range na {
		if !ca[i] {
			permA = append(permA, i)
			outShape = append(outShape, as[i])
			m *= as[i]
		}
	}
	for _, x := range axesA {
		permA = append(permA, normAxis(x, na))
	}
	for _, y := range axesB {
		permB = append(permB, normAxis(y, nb))
	}
	for i := range nb {
		if !cb[i] {
			permB = append(permB, i)
			outShape = append(outShape, bs[i])
			n *= bs[i]
		}
	}
	pa := a
	if !isIdentity(permA) {
		pa = Permute(a, permA...)
	}
	pb := b
	if !isIdentity(permB) {
		pb = Permute(b, permB...)
	}
	c := MatMul(Reshape(pa, m, k), Reshape(pb, k, n))
	return Reshape(c, outShape...)
}

func isIdentity(p []int) bool {
	for i, v := range p {
		if i != v {
			return false
		}
	}
	return true
}

// Eye returns the n×n identity as a constant.
func Eye(n int) *Var {
	t := Zeros(n, n)
	for i := range n {
		t.Data[i*n+i] = 1
	}
	return Const(t)
}

// Diag returns the square matrix with the vector v on its diagonal.
func Diag(v *Var) *Var {
	if v.Value.Dims() != 1 {
		panic(fmt.Sprintf("ad: Diag of shape %v", v.Shape()))
	}
	n := v.Shape()[0]
	t := Zeros(n, n)
	for i, x := range v.Value.Data {
		t.Data[i*n+i] = x
	}
	return record1(t, func(g, _, _ []*Var) []*Var { return []*Var{DiagPart(g[0])} }, v)
}

// DiagPart returns the diagonal of a square matrix.
func DiagPart(a *Var) *Var {
	s := a.Shape()
	if len(s) != 2 || s[0] != s[1] {
		panic(fmt.Sprintf("ad: DiagPart of shape %v", s))
	}
	n := s[0]
	t := Zeros(n)
	for i := range n {
		t.Data[i] = a.Value.Data[i*n+i]
	}
	return record1(t, func(g, _, _ []*Var) []*Var { return []*Var{Diag(g[0])} }, a)
}

// Trace returns the trace of a square matrix.
func Trace(a *Var) *Var { return Sum(DiagPart(a)) }

// DefaultBroadening is the ε of the Lorentzian broadening 1/x → x/(x² + ε)
// of the factors F_ij = 1/(s_j² − s_i²) (SVD) and 1/(w_j − w_i) (Eigh), in
// units of the spectrum's scale: ε·s_max⁴ and ε·max|w|². Gaps wider than
// ~√ε of the scale get their exact 1/x, exact degeneracies 0 instead of ∞,
// and nearly degenerate pairs at most 1/(2√ε) of the scale, so that
// rounding noise in a degenerate multiplet cannot be amplified into the
// gradient. The 1/s of the SVD rule is broadened far less, with
// (1e-12·s_max)², so that small but genuine singular values keep their
// exact inverse.
const DefaultBroadening = 1e-12

// lorentz returns x/(x² + ε) elementwise: 1/x away from 0, finite at 0.
func lorentz(x *Var, eps float64) *Var {
	return Div(x, AddScalar(Square(x), eps))
}

// maxAbs returns the largest |v| of a tensor (a constant scale).
func maxAbs(t *Tensor) float64 {
	m := 0.0
	for _, v := range t.Data {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// offDiagonalF returns F_ij = lorentz(d_j − d_i) with a zero diagonal.
// The diagonal is masked out after the broadening (not left to
// lorentz(0) = 0): the derivative of lorentz at 0 is 1/ε, and gradients of
// second order would otherwise carry 1/ε-sized terms that cancel only up
// to rounding.
func offDiagonalF(d *Var, eps float64) *Var {
	k := d.Shape()[0]
	row := Reshape(d, 1, k)
	col := Reshape(d, k, 1)
	diff := Sub(row, col) // d_j − d_i
	mask := Full(1, k, k)
	for i := range k {
		mask.Data[i*k+i] = 0
	}
	// 1 on the diagonal keeps lorentz and its derivatives O(1) there.
	return Mul(lorentz(Add(diff, Eye(k)), eps), Const(mask))
}

// SVD returns the thin singular value decomposition a = U·diag(S)·Vᵀ of an
// m×n matrix, S in descending order, U (m×k), S (k), V (n×k), k = min(m, n).
// It is differentiable (also twice) with the broadened backward rule.
func SVD(a *Var) (U, S, V *Var) { return SVDEps(a, DefaultBroadening) }

// SVDEps is SVD with broadening eps (see DefaultBroadening).
func SVDEps(a *Var, eps float64) (U, S, V *Var) {
	sh := a.Shape()
	if len(sh) != 2 {
		panic(fmt.Sprintf("ad: SVD of shape %v", sh))
	}
	m, n := sh[0], sh[1]
	k := min(m, n)
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(m, n, slices.Clone(a.Value.Data)), mat.SVDThin) {
		panic("ad: SVD did not converge")
	}
	s := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	ut, vt := denseTensor(&u, m, k), denseTensor(&v, n, k)
	outs := record([]*Tensor{ut, NewTensor(s, k), vt}, []*Var{a}, func(g, in, out []*Var) []*Var {
		return []*Var{svdBackward(g, out[0], out[1], out[2], eps)}
	})
	return outs[0], outs[1], outs[2]
}

func denseTensor(d *mat.Dense, r, c int) *Tensor {
	t := Zeros(r, c)
	for i := range r {
		for j := range c {
			t.Data[i*c+j] = d.At(i, j)
		}
	}
	return t
}

// svdBackward is Townsend's rule with broadened F:
//
//	Ā = U[(F∘(UᵀŪ − ŪᵀU))S + diag(S̄) + S(F∘(VᵀV̄ − V̄ᵀV))]Vᵀ
//	  + (I − UUᵀ)ŪS⁻¹Vᵀ + US⁻¹V̄ᵀ(I − VVᵀ),   F_ij = 1/(s_j² − s_i²).
func svdBackward(g []*Var, U, S, V *Var, eps float64) *Var {
	gU, gS, gV := g[0], g[1], g[2]
	m, k := U.Shape()[0], U.Shape()[1]
	n := V.Shape()[0]
	smax := maxAbs(S.Value)
	F := offDiagonalF(Square(S), eps*smax*smax*smax*smax)
	sRow := Reshape(S, 1, k)
	sCol := Reshape(S, k, 1)
	sInv := lorentz(S, 1e-24*smax*smax)
	var inner *Var
	addInner := func(x *Var) {
		if inner == nil {
			inner = x
		} else {
			inner = Add(inner, x)
		}
	}
	if gS != nil {
		addInner(Diag(gS))
	}
	var extra *Var
	if gU != nil {
		utg := MatMulT(U, gU, true, false)
		J := Mul(F, Sub(utg, Transpose(utg)))
		addInner(Mul(J, sRow))
		if m > k {
			// (I − UUᵀ)ŪS⁻¹Vᵀ
			proj := Sub(gU, MatMul(U, utg))
			extra = MatMulT(Mul(proj, Reshape(sInv, 1, k)), V, false, true)
		}
	}
	if gV != nil {
		vtg := MatMulT(V, gV, true, false)
		K := Mul(F, Sub(vtg, Transpose(vtg)))
		addInner(Mul(sCol, K))
		if n > k {
			// US⁻¹V̄ᵀ(I − VVᵀ)
			proj := Sub(gV, MatMul(V, vtg)) // (I − VVᵀ)V̄
			e := MatMulT(Mul(U, Reshape(sInv, 1, k)), proj, false, true)
			if extra == nil {
				extra = e
			} else {
				extra = Add(extra, e)
			}
		}
	}
	var out *Var
	if inner != nil {
		out = MatMulT(MatMul(U, inner), V, false, true)
	}
	if extra != nil {
		if out == nil {
			out = extra
		} else {
			out = Add(out, extra)
		}
	}
	if out == nil {
		out = Const(Zeros(m, n))
	}
	return out
}

// TruncSVD keeps the k largest singular values and their vectors. Its
// gradient is that of the full decomposition restricted to the kept part.
func TruncSVD(a *Var, k int) (U, S, V *Var) {
	U, S, V = SVD(a)
	kk := S.Shape()[0]
	if k >= kk {
		return U, S, V
	}
	return Slice(U, 1, 0, k), Slice(S, 0, 0, k), Slice(V, 1, 0, k)
}

// Eigh returns the eigenvalues (ascending) and eigenvectors (columns) of a
// symmetric matrix: a = V·diag(w)·Vᵀ. Only the lower triangle of a is
// read; the gradient is symmetrised. Differentiable (also twice) with the
// broadened rule Ā = V(diag(w̄) + F∘(VᵀV̄))Vᵀ, F_ij = 1/(w_j − w_i).
func Eigh(a *Var) (w, V *Var) { return EighEps(a, DefaultBroadening) }

// EighEps is Eigh with broadening eps (see DefaultBroadening).
func EighEps(a *Var, eps float64) (w, V *Var) {
	sh := a.Shape()
	if len(sh) != 2 || sh[0] != sh[1] {
		panic(fmt.Sprintf("ad: Eigh of shape %v", sh))
	}
	n := sh[0]
	sym := mat.NewSymDense(n, nil)
	for i := range n {
		for j := 0; j <= i; j++ {
			sym.SetSym(i, j, a.Value.Data[i*n+j])
		}
	}
	var es mat.EigenSym
	if !es.Factorize(sym, true) {
		panic("ad: Eigh did not converge")
	}
	vals := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	outs := record([]*Tensor{NewTensor(vals, n), denseTensor(&vecs, n, n)}, []*Var{a}, func(g, _, out []*Var) []*Var {
		W, V := out[0], out[1]
		var inner *Var
		if g[0] != nil {
			inner = Diag(g[0])
		}
		if g[1] != nil {
			wmax := maxAbs(W.Value)
			t := Mul(offDiagonalF(W, eps*wmax*wmax), MatMulT(V, g[1], true, false))
			if inner == nil {
				inner = t
			} else {
				inner = Add(inner, t)
			}
		}
		if inner == nil {
			return []*Var{Const(Zeros(n, n))}
		}
		ga := MatMulT(MatMul(V, inner), V, false, true)
		return []*Var{Scale(Add(ga, Transpose(ga)), 0.5)}
	})
	return outs[0], outs[1]
}

// Affine returns x·Wᵀ + b for x (batch, in), W (out, in), b (out): a
// Linear layer in one operation (the bias is the GEMM's initial value).
func Affine(x, W, b *Var) *Var {
	xs, ws, bs := x.Shape(), W.Shape(), b.Shape()
	if len(xs) != 2 || len(ws) != 2 || len(bs) != 1 || xs[1] != ws[1] || bs[0] != ws[0] {
		panic(fmt.Sprintf("ad: Affine of x %v, W %v, b %v", xs, ws, bs))
	}
	m, k, n := xs[0], xs[1], ws[0]
	out := Zeros(m, n)
	for i := range m {
		copy(out.Data[i*n:(i+1)*n], b.Value.Data)
	}
	gemm(false, true, m, n, k, x.Value.Data, k, W.Value.Data, k, 1, out.Data)
	return record1(out, func(g, in, _ []*Var) []*Var {
		G := g[0]
		var gx, gw, gb *Var
		if needs(in[0]) {
			gx = MatMul(G, in[1])
		}
		if needs(in[1]) {
			gw = MatMulT(G, in[0], true, false)
		}
		if needs(in[2]) {
			gb = SumTo(G, in[2].Shape())
		}
		return []*Var{gx, gw, gb}
	}, x, W, b)
}

// dgemm is the BLAS GEMM of this build: OpenBLAS through cgo by default,
// gonum's pure-Go kernels with CGO_ENABLED=0 or the noblas tag. Set once,
// at initialisation.
var dgemm = gonumDgemm

func gonumDgemm(ta, tb bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	transA, transB := blas.NoTrans, blas.NoTrans
	ar, ac := m, k
	if ta {
		transA, ar, ac = blas.Trans, k, m
	}
	br, bc := k, n
	if tb {
		transB, br, bc = blas.Trans, n, k
	}
	blas64.Gemm(transA, transB, alpha,
		blas64.General{Rows: ar, Cols: ac, Stride: lda, Data: a},
		blas64.General{Rows: br, Cols: bc, Stride: ldb, Data: b},
		beta, blas64.General{Rows: m, Cols: n, Stride: ldc, Data: c})
}

// Gemm computes C = op(A)·op(B) + beta·C for row-major A (lda columns), B
// (ldb columns) and C (m×n, contiguous) on plain slices, with the matrix
// kernel of this build (OpenBLAS or gonum): for graph-free code (point.Point)
// that wants ad's products without a graph.
func Gemm(ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, beta float64, c []float64) {
	gemm(ta, tb, m, n, k, a, lda, b, ldb, beta, c)
}

// gemm computes C = op(A)·op(B) + beta·C for row-major A (lda columns), B
// (ldb columns) and C (m×n, contiguous). Products with a short inner or
// output dimension (≤ 4, the first and last layers of small networks) run
// in plain loops; BLAS call overheads would dominate them. The rest go to
// gonum's GEMM.
func gemm(ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, beta float64, c []float64) {
	if m == 0 || n == 0 {
		return
	}
	if min(k, n) > 4 {
		dgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, beta, c, n)
		return
	}
	if beta == 0 {
		clear(c[:m*n])
	} else if beta != 1 {
		for i := range c[:m*n] {
			c[i] *= beta
		}
	}
	if k == 0 {
		return
	}
	// B as a contiguous k×n block.
	bk := b
	if tb {
		bk = make([]float64, k*n)
		for j := range n {
			for p := range k {
				bk[p*n+j] = b[j*ldb+p]
			}
		}
	} else if ldb != n {
		bk = make([]float64, k*n)
		for p := range k {
			copy(bk[p*n:(p+1)*n], b[p*ldb:p*ldb+n])
		}
	}
	if ta {
		// A is k×m: stream its rows, C (m×n, small n) stays in cache.
		for p := range k {
			ap := a[p*lda : p*lda+m]
			bp := bk[p*n : (p+1)*n]
			for i, av := range ap {
				ci := c[i*n : (i+1)*n]
				for j, bv := range bp {
					ci[j] += av * bv
				}
			}
		}
		return
	}
	for i := range m {
		ai := a[i*lda : i*lda+k]
		ci := c[i*n : (i+1)*n]
		for p, av := range ai {
			bp := bk[p*n : (p+1)*n]
			for j, bv := range bp {
				ci[j] += av * bv
			}
		}
	}
}
