//go:build !nohdf5

package h5

// #cgo pkg-config: hdf5
// #cgo LDFLAGS: -lhdf5_hl
// #include <hdf5.h>
// #include <hdf5_hl.h>
// #include <stdlib.h>
import "C"

import (
	"fmt"
	"unsafe"

	"gonum.org/v1/hdf5"
)

// WriteNetCDF writes the groups as a new netCDF-4 file at path (temp +
// rename, as WriteFile).
func WriteNetCDF(path string, groups []NCGroup) error {
	mu.Lock()
	defer mu.Unlock()
	return replace(path, func(f *hdf5.File) error { return writeNetCDF(f, groups) })
}

func writeNetCDF(f *hdf5.File, groups []NCGroup) error {
	for _, g := range groups {
		var grp *hdf5.Group
		var err error
		if g.Path == "" {
			grp, err = f.OpenGroup("/")
		} else {
			grp, err = f.CreateGroup(g.Path)
		}
		if err != nil {
			return fmt.Errorf("h5: group %q: %w", g.Path, err)
		}
		err = writeNCGroup(grp, g)
		grp.Close()
		if err != nil {
			return fmt.Errorf("h5: group %q: %w", g.Path, err)
		}
	}
	return nil
}

func writeNCGroup(grp *hdf5.Group, g NCGroup) error {
	if err := writeAttrs(grp, g.Attrs); err != nil {
		return err
	}
	scales := map[string]*hdf5.Dataset{}
	defer func() {
		for _, d := range scales {
			d.Close()
		}
	}()
	for _, dim := range g.Dims {
		coord := make([]float64, dim.Len)
		for i := range coord {
			coord[i] = float64(i)
		}
		d, err := createVar(grp, NCVar{Name: dim.Name, Type: NCInt64, Data: coord}, []int{dim.Len})
		if err != nil {
			return fmt.Errorf("dimension %s: %w", dim.Name, err)
		}
		scales[dim.Name] = d
		name := C.CString(dim.Name)
		rc := C.H5DSset_scale(C.hid_t(d.ID()), name)
		C.free(unsafe.Pointer(name))
		if rc < 0 {
			return fmt.Errorf("dimension %s: H5DSset_scale failed", dim.Name)
		}
	}
	for _, v := range g.Vars {
		if err := writeNCVar(grp, g, v, scales); err != nil {
			return fmt.Errorf("variable %s: %w", v.Name, err)
		}
	}
	return nil
}

func writeNCVar(grp *hdf5.Group, g NCGroup, v NCVar, scales map[string]*hdf5.Dataset) error {
	shape := make([]int, len(v.Dims))
	for i, name := range v.Dims {
		d := scales[name]
		if d == nil {
			return fmt.Errorf("dimension %s is not one of the group's", name)
		}
		for _, dim := range g.Dims {
			if dim.Name == name {
				shape[i] = dim.Len
			}
		}
	}
	d, err := createVar(grp, v, shape)
	if err != nil {
		return err
	}
	defer d.Close()
	for i, name := range v.Dims {
		if C.H5DSattach_scale(C.hid_t(d.ID()), C.hid_t(scales[name].ID()), C.uint(i)) < 0 {
			return fmt.Errorf("H5DSattach_scale(%s) failed", name)
		}
	}
	return nil
}

// createVar creates a dataset of v's type and shape holding v.Data, with
// v's attributes.
func createVar(grp *hdf5.Group, v NCVar, shape []int) (*hdf5.Dataset, error) {
	n := 1
	dims := make([]uint, len(shape))
	for i, s := range shape {
		dims[i], n = uint(s), n*s
	}
	if n != len(v.Data) {
		return nil, fmt.Errorf("%d values for shape %v", len(v.Data), shape)
	}
	space, err := hdf5.CreateSimpleDataspace(dims, nil)
	if err != nil {
		return nil, err
	}
	defer space.Close()
	attrs := v.Attrs
	var dt *hdf5.Datatype
	var data any
	switch v.Type {
	case NCDouble:
		dt, data = hdf5.T_NATIVE_DOUBLE, &v.Data
	case NCInt64:
		dt, data = hdf5.T_NATIVE_INT64, ptrTo(convert[int64](v.Data))
	case NCBool:
		attrs = Attrs{"dtype": "bool"}
		for k, a := range v.Attrs {
			attrs[k] = a
		}
		dt, data = hdf5.T_NATIVE_INT8, ptrTo(convert[int8](v.Data))
	default:
		return nil, fmt.Errorf("unknown type %d", v.Type)
	}
	d, err := grp.CreateDataset(v.Name, dt, space)
	if err != nil {
		return nil, err
	}
	if err = writeAttrs(d, attrs); err == nil && n > 0 {
		err = d.Write(data)
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func convert[T int64 | int8](x []float64) []T {
	y := make([]T, len(x))
	for i, v := range x {
		y[i] = T(v)
	}
	return y
}

func ptrTo[T any](x T) *T { return &x }
