//go:build nohdf5

package h5

// Available reports whether this build writes HDF5.
const Available = false

// WriteFile returns ErrUnavailable: this build has no HDF5.
func WriteFile(path string, groups []Group) error { return ErrUnavailable }
