//go:build nohdf5

package h5

// Available reports whether this build writes HDF5.
const Available = false

// WriteFile returns ErrUnavailable: this build has no HDF5.
func WriteFile(path string, groups []Group) error { return ErrUnavailable }

// File is an HDF5 file open for reading (unavailable in this build).
type File struct{}

// Open returns ErrUnavailable: this build has no HDF5.
func Open(path string) (*File, error) { return nil, ErrUnavailable }

func (r *File) Close() error                                  { return ErrUnavailable }
func (r *File) AttrString(group, name string) (string, error) { return "", ErrUnavailable }
func (r *File) Read(name string) ([]int, []float64, error)    { return nil, nil, ErrUnavailable }

// WriteNetCDF returns ErrUnavailable: this build has no HDF5.
func WriteNetCDF(path string, groups []NCGroup) error { return ErrUnavailable }
