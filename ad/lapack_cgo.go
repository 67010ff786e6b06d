//go:build cgo && !noblas

package ad

/*
#cgo LDFLAGS: -lopenblas
#include <stddef.h>
// LAPACK's Fortran symbols, as Debian's libopenblas exports them (there is
// no lapacke.h to include): column-major, arguments by reference, 32-bit
// integers, and the hidden lengths of character arguments last.
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda,
	double *s, double *u, const int *ldu, double *vt, const int *ldvt,
	double *work, const int *lwork, int *iwork, int *info, size_t jobz_len);
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
	double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info,
	size_t jobz_len, size_t uplo_len);
*/
import "C"

// LAPACKName names the decompositions of this build.
const LAPACKName = "LAPACK (OpenBLAS, cgo)"

func init() {
	thinSVD = lapackThinSVD
	symEigen = lapackSymEigen
}

// lapackThinSVD calls dgesdd on the row-major r×c a, which LAPACK reads
// as the column-major c×r matrix aᵀ = U'·S·V'ᵀ: so a = V'·S·U'ᵀ, and the
// row-major U and V of a are the transposes of the column-major V'ᵀ and
// U' that LAPACK returns, read row-major.
func lapackThinSVD(a []float64, r, c int) (u, s, v []float64, ok bool) {
	q := min(r, c)
	if q == 0 {
		return make([]float64, 0), make([]float64, 0), make([]float64, 0), true
	}
	m, n := C.int(c), C.int(r) // the column-major matrix aᵀ is c×r
	work := append([]float64(nil), a...)
	s = make([]float64, q)
	up := make([]float64, c*q) // U' (c×q), column-major
	vt := make([]float64, q*r) // V'ᵀ (q×r), column-major
	iwork := make([]C.int, 8*q)
	jobz := C.char('S')
	ldu, ldvt := m, C.int(q)
	var info C.int
	lwork := C.int(-1)
	var size float64
	C.dgesdd_(&jobz, &m, &n, (*C.double)(&work[0]), &m, (*C.double)(&s[0]), (*C.double)(&up[0]), &ldu,
		(*C.double)(&vt[0]), &ldvt, (*C.double)(&size), &lwork, &iwork[0], &info, 1)
	if info != 0 {
		return nil, nil, nil, false
	}
	buf := make([]float64, int(size)+1)
	lwork = C.int(len(buf))
	C.dgesdd_(&jobz, &m, &n, (*C.double)(&work[0]), &m, (*C.double)(&s[0]), (*C.double)(&up[0]), &ldu,
		(*C.double)(&vt[0]), &ldvt, (*C.double)(&buf[0]), &lwork, &iwork[0], &info, 1)
	if info != 0 {
		return nil, nil, nil, false
	}
	// V'ᵀ column-major (q×r): entry (k, i) at vt[k + i·q] = U[i][k] of a.
	u = make([]float64, r*q)
	for i := range r {
		copy(u[i*q:(i+1)*q], vt[i*q:(i+1)*q])
	}
	// U' column-major (c×q): entry (j, k) at up[j + k·c] = V[j][k] of a.
	v = make([]float64, c*q)
	for j := range c {
		for k := range q {
			v[j*q+k] = up[j+k*c]
		}
	}
	return u, s, v, true
}

// lapackSymEigen calls dsyevd on the row-major g, which LAPACK reads as
// gᵀ = g; its upper triangle in row-major order is LAPACK's lower one.
// The eigenvectors come back column-major: row-major, they are the rows.
func lapackSymEigen(g []float64, n int) (u, lam []float64, ok bool) {
	if n == 0 {
		return make([]float64, 0), make([]float64, 0), true
	}
	a := append([]float64(nil), g...)
	w := make([]float64, n)
	N := C.int(n)
	jobz, uplo := C.char('V'), C.char('L')
	var info C.int
	var size float64
	var isize C.int
	lwork, liwork := C.int(-1), C.int(-1)
	C.dsyevd_(&jobz, &uplo, &N, (*C.double)(&a[0]), &N, (*C.double)(&w[0]), (*C.double)(&size), &lwork, &isize, &liwork, &info, 1, 1)
	if info != 0 {
		return nil, nil, false
	}
	work := make([]float64, int(size)+1)
	iwork := make([]C.int, int(isize)+1)
	lwork, liwork = C.int(len(work)), C.int(len(iwork))
	C.dsyevd_(&jobz, &uplo, &N, (*C.double)(&a[0]), &N, (*C.double)(&w[0]), (*C.double)(&work[0]), &lwork, &iwork[0], &liwork, &info, 1, 1)
	if info != 0 {
		return nil, nil, false
	}
	// Column j of the column-major result is row j of a read row-major:
	// transpose into columns.
	vec := make([]float64, n*n)
	for j := range n {
		for i := range n {
			vec[i*n+j] = a[j*n+i]
		}
	}
	return descending(vec, w, n)
}
