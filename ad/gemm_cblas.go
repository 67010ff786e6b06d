//go:build cgo && !noblas

package ad

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import "unsafe"

// BLASName names the matrix-multiply kernel of this build.
const BLASName = "OpenBLAS (cgo)"

// OpenBLAS runs on one thread: mcflow parallelises over chains, β points
// and goroutines itself, and OpenBLAS's spinning worker threads would
// compete with them for the same cores.
func init() {
	C.openblas_set_num_threads(1)
	dgemm = cblasDgemm
}

// cblasDgemm is C = alpha·op(A)·op(B) + beta·C through OpenBLAS, for
// row-major A (lda), B (ldb), C (ldc). The slices are Go memory passed for
// the duration of the call only (no Go pointers are kept by C).
func cblasDgemm(ta, tb bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	transA, transB := uint32(C.CblasNoTrans), uint32(C.CblasNoTrans)
	if ta {
		transA = C.CblasTrans
	}
	if tb {
		transB = C.CblasTrans
	}
	C.cblas_dgemm(C.CblasRowMajor, C.enum_CBLAS_TRANSPOSE(transA), C.enum_CBLAS_TRANSPOSE(transB),
		C.blasint(m), C.blasint(n), C.blasint(k), C.double(alpha),
		(*C.double)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.double)(unsafe.Pointer(&b[0])), C.blasint(ldb), C.double(beta),
		(*C.double)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}
