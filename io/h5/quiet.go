//go:build !nohdf5

package h5

// #cgo pkg-config: hdf5
// #include <hdf5.h>
// static void quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
import "C"

// libhdf5 prints its error stack to stderr by default; mcflow reports
// errors itself.
func init() { C.quiet() }
