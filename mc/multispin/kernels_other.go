//go:build !amd64

package multispin

func kernels() ([nKernels]decideFunc, [nKernels]bool) {
	return [nKernels]decideFunc{Portable: decidePortable}, [nKernels]bool{Portable: true}
}
