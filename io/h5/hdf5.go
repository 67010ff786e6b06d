//go:build !nohdf5

package h5

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"

	"gonum.org/v1/hdf5"

	"github.com/mcflow/mcflow/internal/crash"
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
	return replace(path, func(f *hdf5.File) error { return writeFile(f, groups) })
}

// replace writes a new HDF5 file at path through write and a durable
// rename, so that a reader never sees a partial file. The caller holds mu.
func replace(path string, write func(f *hdf5.File) error) error {
	tmp := path + ".tmp"
	if err := crash.Fault("h5-write"); err != nil {
		return err
	}
	if err := create(tmp, write); err != nil {
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
	crash.Point("h5-rename", nil)
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return npy.SyncDir(filepath.Dir(path))
}

// create writes the file path through write, and closes it.
func create(path string, write func(f *hdf5.File) error) (err error) {
	f, err := hdf5.CreateFile(path, hdf5.F_ACC_TRUNC)
	if err != nil {
		return fmt.Errorf("h5: could not create %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	return write(f)
}

func writeFile(f *hdf5.File, groups []Group) error {
	open := map[string]*hdf5.Group{}
	defer func() {
		for _, g := range open {
			g.Close()
		}
	}()
	for _, grp := range groups {
		if strings.Trim(grp.Path, "/") == "" { // the root group
			root, err := f.OpenGroup("/")
			if err != nil {
				return fmt.Errorf("h5: root group: %w", err)
			}
			err = writeAttrs(root, grp.Attrs)
			for _, ds := range grp.Datasets {
				if err == nil {
					err = writeDataset(root, ds)
				}
			}
			root.Close()
			if err != nil {
				return err
			}
			continue
		}
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

func writeWhole(g *hdf5.Group, ds Dataset) error {
	n := 1
	dims := make([]uint, len(ds.Shape))
	for i, v := range ds.Shape {
		dims[i] = uint(v)
		n *= v
	}
	if n != len(ds.Data) {
		return fmt.Errorf("%d values for shape %v", len(ds.Data), ds.Shape)
	}
	space, err := hdf5.CreateSimpleDataspace(dims, nil)
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
	if n == 0 {
		return nil
	}
	return d.Write(&ds.Data)
}

func writeDataset(g *hdf5.Group, ds Dataset) error {
	if ds.Data != nil {
		return writeWhole(g, ds)
	}
	shape := ds.Shape // streamed rows: the last axis, the leading axes in C order
	if shape == nil {
		shape = []int{ds.Rows, ds.Cols}
	}
	dims := make([]uint, len(shape))
	rows := 1
	for i, v := range shape {
		dims[i] = uint(v)
		if i < len(shape)-1 {
			rows *= v
		}
	}
	cols := shape[len(shape)-1]
	space, err := hdf5.CreateSimpleDataspace(dims, nil)
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
	if rows == 0 || cols == 0 {
		return nil
	}
	mem, err := hdf5.CreateSimpleDataspace([]uint{1, uint(cols)}, nil)
	if err != nil {
		return err
	}
	defer mem.Close()
	row := make([]float64, cols)
	start, count := make([]uint, len(dims)), make([]uint, len(dims))
	for i := range count {
		count[i] = 1
	}
	count[len(dims)-1] = uint(cols)
	for i := range rows {
		if err := ds.Row(i, row); err != nil {
			return err
		}
		for k, r := len(dims)-2, i; k >= 0; k-- { // row i's index in the leading axes
			start[k], r = uint(r%int(dims[k])), r/int(dims[k])
		}
		fs := d.Space()
		err := fs.SelectHyperslab(start, nil, count, nil)
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

// File is an HDF5 file open for reading. Its methods hold the package's
// lock, so it may be used from any goroutine.
type File struct {
	f    *hdf5.File
	path string
}

// Open opens an HDF5 file for reading.
func Open(path string) (*File, error) {
	mu.Lock()
	defer mu.Unlock()
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	f, err := hdf5.OpenFile(path, hdf5.F_ACC_RDONLY)
	if err != nil {
		return nil, fmt.Errorf("%s is not a readable HDF5 file (%w); if another program has it open for writing, close it, and on NFS/Lustre, where HDF5's file locks fail, set HDF5_USE_FILE_LOCKING=FALSE", path, err)
	}
	return &File{f: f, path: path}, nil
}

// Close closes the file.
func (r *File) Close() error {
	mu.Lock()
	defer mu.Unlock()
	return r.f.Close()
}

// AttrString reads a string attribute of a group ("/" for the root).
func (r *File) AttrString(group, name string) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if strings.Trim(group, "/") != "" && !r.exists(group) {
		return "", fmt.Errorf("%s: no group %s", r.path, group)
	}
	g, err := r.f.OpenGroup(group)
	if err != nil {
		return "", fmt.Errorf("%s: no group %s", r.path, group)
	}
	defer g.Close()
	a, err := g.OpenAttribute(name)
	if err != nil {
		return "", fmt.Errorf("%s: group %s has no attribute %s", r.path, group, name)
	}
	defer a.Close()
	var s string
	if err := a.Read(&s, nil); err != nil {
		return "", fmt.Errorf("%s: attribute %s of %s: %w", r.path, name, group, err)
	}
	return s, nil
}

// exists reports whether every link of a path exists (without libhdf5
// printing an error stack for a missing one).
func (r *File) exists(name string) bool {
	parts := strings.Split(strings.Trim(name, "/"), "/")
	for i := range parts {
		if !r.f.LinkExists(strings.Join(parts[:i+1], "/")) {
			return false
		}
	}
	return true
}

// Read reads a float64 dataset ("params/p000") whole: its shape and values.
func (r *File) Read(name string) ([]int, []float64, error) {
	mu.Lock()
	defer mu.Unlock()
	if !r.exists(name) {
		return nil, nil, fmt.Errorf("%s: no dataset %s", r.path, name)
	}
	d, err := r.f.OpenDataset(name)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: no dataset %s", r.path, name)
	}
	defer d.Close()
	sp := d.Space()
	defer sp.Close()
	dims, _, err := sp.SimpleExtentDims()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: dataset %s: %w", r.path, name, err)
	}
	shape := make([]int, len(dims))
	n := 1
	for i, v := range dims {
		shape[i] = int(v)
		n *= int(v)
	}
	data := make([]float64, n)
	if n > 0 {
		if err := d.Read(&data); err != nil {
			return nil, nil, fmt.Errorf("%s: dataset %s: %w", r.path, name, err)
		}
	}
	return shape, data, nil
}
