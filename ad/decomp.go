package ad

import "gonum.org/v1/gonum/mat"

// ThinSVD returns the thin singular value decomposition a = U·diag(s)·Vᵀ
// of the row-major r×c matrix a: U r×q, s descending and V c×q
// (q = min(r, c)), row-major; ok is false if it did not converge. It runs
// LAPACK's dgesdd through OpenBLAS in cgo builds (LAPACKName says which),
// gonum's pure-Go SVD otherwise. a is not modified.
func ThinSVD(a []float64, r, c int) (u, s, v []float64, ok bool) { return thinSVD(a, r, c) }

// SymEigen returns the eigenvalues, descending, and the eigenvectors (the
// columns of the row-major n×n u) of the symmetric row-major n×n matrix g,
// of which it reads the upper triangle; ok is false if it did not
// converge. LAPACK's dsyevd in cgo builds, gonum's otherwise.
func SymEigen(g []float64, n int) (u, lam []float64, ok bool) { return symEigen(g, n) }

// The decompositions of this build: gonum's, replaced at initialisation
// by LAPACK's in cgo builds.
var (
	thinSVD  = gonumThinSVD
	symEigen = gonumSymEigen
)

func gonumThinSVD(a []float64, r, c int) (u, s, v []float64, ok bool) {
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(r, c, append([]float64(nil), a...)), mat.SVDThin) {
		return nil, nil, nil, false
	}
	var U, V mat.Dense
	svd.UTo(&U)
	svd.VTo(&V)
	return rowMajor(&U), svd.Values(nil), rowMajor(&V), true
}

func gonumSymEigen(g []float64, n int) (u, lam []float64, ok bool) {
	sym := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			sym.SetSym(i, j, g[i*n+j])
		}
	}
	var es mat.EigenSym
	if !es.Factorize(sym, true) {
		return nil, nil, false
	}
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	return descending(rowMajor(&vecs), es.Values(nil), n)
}

// descending reverses ascending eigenvalues and their vector columns.
func descending(u, asc []float64, n int) ([]float64, []float64, bool) {
	out, lam := make([]float64, n*n), make([]float64, n)
	for j := range n {
		src := n - 1 - j
		lam[j] = asc[src]
		for i := range n {
			out[i*n+j] = u[i*n+src]
		}
	}
	return out, lam, true
}

// rowMajor returns the entries of d, row-major and contiguous.
func rowMajor(d *mat.Dense) []float64 {
	raw := d.RawMatrix()
	out := make([]float64, raw.Rows*raw.Cols)
	for i := range raw.Rows {
		copy(out[i*raw.Cols:(i+1)*raw.Cols], raw.Data[i*raw.Stride:])
	}
	return out
}
