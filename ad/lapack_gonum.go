//go:build !cgo || noblas

package ad

// LAPACKName names the decompositions of this build.
const LAPACKName = "gonum (pure Go)"
