//go:build !cgo || noblas

package ad

// BLASName names the matrix-multiply kernel of this build.
const BLASName = "gonum (pure Go)"
