//go:build !nohdf5

package h5

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"

	"gonum.org/v1/hdf5"

	"github.com/mcflow/mcflow/io/npy"
)

// Available reports whether this build writes HDF5.
const Available = true

var mu sync.Mutex // libhdf5 is not thread-safe

type attributer interface {
	CreateAttribute(name string, dtype *hdf5.Datatype, dspace *hdf5.Dataspace) (*hdf5.Attribute, error)
}

func writeAttrs(obj attributer, attrs Attrs) error {
	scalar, err := hdf5.CreateDataspace(hdf5.S_SCALAR)
	if err != nil {
		return err
	}
	defer scalar.Close()
	for _, name := range sortedAttrNames(attrs) {
		v := attrs[name]
		var ptr any
		switch x := v.(type) {
		case float64:
			ptr = &x
		case int:
			y := int64(x)
			ptr = &y
		case string:
			ptr = &x
		default:
			return fmt.Errorf("h5: attribute %s of unsupported type %T", name, v)
		}
		dt, err := hdf5.NewDataTypeFromType(reflect.TypeOf(ptr).Elem())
		if err != nil {
			return err
		}
		a, err := obj.CreateAttribute(name, dt, scalar)
		if err != nil {
			dt.Close()
			return fmt.Errorf("h5: attribute %s: %w", name, err)
		}
		err = a.Write(ptr, dt)
		a.Close()
		dt.Close()
		if err != nil {
			return fmt.Errorf("h5: attribute %s: %w", name, err)
		}
	}
	return nil
}

// WriteFile writes the groups into a new HDF5 file at path (temp + rename).
func WriteFile(path string, groups []Group) error {
	mu.Lock()
	defer mu.Unlock()
	tmp := path + ".tmp"
	if err := writeFile(tmp, groups); err != nil {
		os.Remove(tmp)
		return err
	}
	// Make the data durable before the rename makes it visible.
	if f, err := os.OpenFile(tmp, os.O_RDWR, 0); err == nil {
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return npy.SyncDir(filepath.Dir(path))
}

func writeFile(path string, groups []Group) (err error) {
	f, err := hdf5.CreateFile(path, hdf5.F_ACC_TRUNC)
	if err != nil {
		return fmt.Errorf("h5: could not create %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	open := map[string]*hdf5.Group{}
	defer func() {
		for _, g := range open {
			g.Close()
		}
	}()
	for _, grp := range groups {
		for _, p := range parents(grp.Path) {
			if open[p] != nil {
				continue
			}
			g, err := f.CreateGroup(p)
			if err != nil {
				return fmt.Errorf("h5: group %s: %w", p, err)
			}
			open[p] = g
		}
		g := open[parents(grp.Path)[len(parents(grp.Path))-1]]
		if err := writeAttrs(g, grp.Attrs); err != nil {
			return err
		}
		for _, ds := range grp.Datasets {
			if err := writeDataset(g, ds); err != nil {
				return fmt.Errorf("h5: %s/%s: %w", grp.Path, ds.Name, err)
			}
		}
	}
	return nil
}

func writeDataset(g *hdf5.Group, ds Dataset) error {
	space, err := hdf5.CreateSimpleDataspace([]uint{uint(ds.Rows), uint(ds.Cols)}, nil)
	if err != nil {
		return err
	}
	defer space.Close()
	d, err := g.CreateDataset(ds.Name, hdf5.T_NATIVE_DOUBLE, space)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := writeAttrs(d, ds.Attrs); err != nil {
		return err
	}
	if ds.Rows == 0 || ds.Cols == 0 {
		return nil
	}
	mem, err := hdf5.CreateSimpleDataspace([]uint{1, uint(ds.Cols)}, nil)
	if err != nil {
		return err
	}
	defer mem.Close()
	row := make([]float64, ds.Cols)
	for i := range ds.Rows {
		if err := ds.Row(i, row); err != nil {
			return err
		}
		fs := d.Space()
		err := fs.SelectHyperslab([]uint{uint(i), 0}, nil, []uint{1, uint(ds.Cols)}, nil)
		if err == nil {
			err = d.WriteSubset(&row[0], mem, fs)
		}
		fs.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
