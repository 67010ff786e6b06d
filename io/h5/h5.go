// Package h5 writes whole HDF5 files of float64 2-D datasets with
// attributes, through gonum.org/v1/hdf5 (cgo, libhdf5). Files are written
// to a temporary name and renamed, so a reader never sees a partial file.
//
// Debian's libhdf5 is built without thread safety: every call into it in
// this package holds one package-wide mutex, so HDF5 is only ever used by
// one goroutine at a time whatever the caller does.
//
// Built with the nohdf5 tag, the package has no cgo dependency and
// WriteFile returns ErrUnavailable.
package h5

import (
	"errors"
	"sort"
	"strings"
)

// Attrs are attributes: values of type float64, int or string.
type Attrs map[string]any

// Dataset is a float64 (Rows, Cols) dataset filled row by row, so that
// large arrays are never held in memory whole (with Shape set, rows are
// its last axis, numbered in C order over the leading ones); or, when
// Data is set, a dataset of any Shape written at once.
type Dataset struct {
	Name       string
	Rows, Cols int
	Row        func(i int, dst []float64) error
	Attrs      Attrs

	Shape []int
	Data  []float64
}

// Group is a group ("0003/obs") with attributes and datasets. Parent groups
// are created as needed.
type Group struct {
	Path     string
	Attrs    Attrs
	Datasets []Dataset
}

// ErrUnavailable is returned by WriteFile in a build without HDF5.
var ErrUnavailable = errors.New("this mcflow was built without HDF5 (the nohdf5 tag); " +
	"rebuild with HDF5: install libhdf5-dev and pkg-config (or `module load hdf5` on a cluster) and run `make build`, " +
	"or ask for npy output only: [output] formats = [\"npy\"]")

// parents returns "a", "a/b" for "a/b/c" (excluded itself).
func parents(path string) []string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var out []string
	for i := range parts {
		out = append(out, strings.Join(parts[:i+1], "/"))
	}
	return out
}

func sortedAttrNames(a Attrs) []string {
	names := make([]string, 0, len(a))
	for k := range a {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
