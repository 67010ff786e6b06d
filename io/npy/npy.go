// Package npy writes float64 (rows, cols) arrays in NumPy's .npy format
// as a run goes: the file is created at full size (undrawn entries are
// NaN) and filled in place, so that numpy.load reads it at any instant and
// nothing is held in memory. Reading goes through codeberg.org/sbinet/npyio,
// so every file mcflow writes is checked by an independent reader.
package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	npyio "codeberg.org/sbinet/npyio/npy"
	"github.com/mcflow/mcflow/internal/crash"
)

// header returns a version 1.0 header for a C-order float64 array of the
// given shape, padded to a multiple of 64 bytes.
func header(shape []int) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	dict := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }", tuple)
	n := 6 + 2 + 2 + len(dict) + 1
	pad := (64 - n%64) % 64
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(dict)+pad+1))
	b.WriteString(dict)
	b.WriteString(strings.Repeat(" ", pad))
	b.WriteByte('\n')
	return b.Bytes()
}

// File is an open (rows, cols) float64 array file. An array of more
// dimensions (rows, d₁, d₂, …) is filled as (rows, d₁·d₂·…): C order
// makes them the same bytes.
type File struct {
	f          *os.File
	rows, cols int
	off        int64 // size of the header
	buf        []byte
}

// rowsCols returns shape[0] and the product of the rest.
func rowsCols(shape []int) (int, int) {
	if len(shape) < 2 {
		return 0, -1
	}
	cols := 1
	for _, d := range shape[1:] {
		cols *= d
	}
	return shape[0], cols
}

// Create creates (or truncates) path as a (rows, cols) array of NaN.
func Create(path string, rows, cols int) (*File, error) {
	return CreateShape(path, []int{rows, cols})
}

// CreateShape creates (or truncates) path as an array of NaN of the given
// shape (at least two dimensions).
func CreateShape(path string, shape []int) (*File, error) {
	rows, cols := rowsCols(shape)
	if rows < 0 || cols < 0 || slices.ContainsFunc(shape, func(d int) bool { return d < 0 }) {
		return nil, fmt.Errorf("npy: bad shape %v", shape)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	h := header(shape)
	if _, err := f.Write(h); err != nil {
		f.Close()
		return nil, fmt.Errorf("npy: could not write header of %s: %w", path, err)
	}
	a := &File{f: f, rows: rows, cols: cols, off: int64(len(h))}
	if err := a.Reset(0); err != nil {
		f.Close()
		return nil, err
	}
	return a, nil
}

// Open opens an existing array file for filling; its header must be a
// C-order little-endian float64 array of the given shape.
func Open(path string, rows, cols int) (*File, error) {
	return OpenShape(path, []int{rows, cols})
}

// OpenShape is Open for an array of any shape (at least two dimensions).
func OpenShape(path string, shape []int) (*File, error) {
	rows, cols := rowsCols(shape)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	r, err := npyio.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("npy: %s: %w", path, err)
	}
	d := r.Header.Descr
	if strings.Trim(d.Type, "'\"") != "<f8" || d.Fortran || !slices.Equal(d.Shape, shape) {
		f.Close()
		return nil, fmt.Errorf("npy: %s holds %s, want a C-order <f8 array of shape %v", path, r.Header, shape)
	}
	h := header(shape)
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if want := int64(len(h)) + int64(rows)*int64(cols)*8; st.Size() != want {
		f.Close()
		return nil, fmt.Errorf("npy: %s is %d bytes, want %d", path, st.Size(), want)
	}
	return &File{f: f, rows: rows, cols: cols, off: int64(len(h))}, nil
}

// Regroup makes the array's rows the first axes of its shape whose
// product is rows (by default the first axis alone): a (chain, rung, draw)
// array is written and reset as chain·rung rows of draws.
func (a *File) Regroup(rows, cols int) error {
	if rows*cols != a.rows*a.cols || rows < 0 || cols < 0 {
		return fmt.Errorf("npy: cannot regroup (%d, %d) values as (%d, %d)", a.rows, a.cols, rows, cols)
	}
	a.rows, a.cols = rows, cols
	return nil
}

func prod(d []int) int {
	n := 1
	for _, x := range d {
		n *= x
	}
	return n
}

// Shape returns (rows, cols).
func (a *File) Shape() (rows, cols int) { return a.rows, a.cols }

// WriteRow writes vals into row `row` starting at column col.
func (a *File) WriteRow(row, col int, vals []float64) error {
	if row < 0 || row >= a.rows || col < 0 || col+len(vals) > a.cols {
		return fmt.Errorf("npy: write of %d values at (%d, %d) outside shape (%d, %d)", len(vals), row, col, a.rows, a.cols)
	}
	if cap(a.buf) < 8*len(vals) {
		a.buf = make([]byte, 8*len(vals))
	}
	b := a.buf[:8*len(vals)]
	for i, v := range vals {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	if err := crash.Fault("results-write"); err != nil {
		return err
	}
	crash.Point("results-write", nil)
	_, err := a.f.WriteAt(b, a.off+8*(int64(row)*int64(a.cols)+int64(col)))
	return err
}

// Reset fills columns col..cols-1 of every row with NaN: what lies past a
// checkpoint is cut back before a resume overwrites it.
func (a *File) Reset(col int) error {
	nan := make([]float64, min(a.cols-col, 1<<16))
	for i := range nan {
		nan[i] = math.NaN()
	}
	for r := range a.rows {
		for c := col; c < a.cols; c += len(nan) {
			n := min(len(nan), a.cols-c)
			if err := a.WriteRow(r, c, nan[:n]); err != nil {
				return err
			}
		}
	}
	return nil
}

// Sync flushes the file to stable storage.
func (a *File) Sync() error { return a.f.Sync() }

// Close closes the file.
func (a *File) Close() error { return a.f.Close() }

// Read reads a float64 array file of at least 2 dimensions whole as
// data[row][col], the last axis its columns.
func Read(path string) ([][]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// npyio reads element by element: buffer it.
	r, err := npyio.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("npy: %s: %w", path, err)
	}
	shape := r.Header.Descr.Shape
	if len(shape) < 2 || r.Header.Descr.Fortran {
		return nil, fmt.Errorf("npy: %s holds %s, want a C-order array of at least 2 dimensions", path, r.Header)
	}
	var flat []float64
	if err := r.Read(&flat); err != nil {
		return nil, fmt.Errorf("npy: could not read %s: %w", path, err)
	}
	rows, cols := prod(shape[:len(shape)-1]), shape[len(shape)-1]
	out := make([][]float64, rows)
	for i := range out {
		out[i] = flat[i*cols : (i+1)*cols : (i+1)*cols]
	}
	return out, nil
}

// Extend rewrites a (rows, cols) array file as (rows, newCols), keeping the
// first cols columns and filling the rest with NaN, by temp file + rename so
// that a crash leaves either the old or the new file.
func Extend(path string, rows, cols, newCols int) error {
	return ExtendShape(path, []int{rows, cols}, []int{rows, newCols})
}

// ExtendShape rewrites an array of shape old as shape new, which may only
// grow one axis k >= 1: each block of the axes from k on keeps its values
// in front and gets NaN after them (temp file + rename).
func ExtendShape(path string, old, new []int) error {
	k := 1
	for k < len(old) && k < len(new) && old[k] == new[k] {
		k++
	}
	if len(old) != len(new) || len(old) < 2 || k == len(old) || new[k] < old[k] || !slices.Equal(old[:k], new[:k]) || !slices.Equal(old[k+1:], new[k+1:]) {
		return fmt.Errorf("npy: cannot extend shape %v to %v", old, new)
	}
	rows, cols, newCols := prod(old[:k]), prod(old[k:]), prod(new[k:])
	oldF, err := OpenShape(path, old)
	if err != nil {
		return err
	}
	defer oldF.Close()
	if err := oldF.Regroup(rows, cols); err != nil {
		return err
	}
	tmp := path + ".tmp"
	nf, err := CreateShape(tmp, new)
	if err != nil {
		return err
	}
	if err := nf.Regroup(rows, newCols); err != nil {
		nf.Close()
		return err
	}
	row := make([]byte, 8*cols)
	for r := range rows {
		if _, err := oldF.f.ReadAt(row, oldF.off+8*int64(r)*int64(cols)); err != nil && err != io.EOF {
			nf.Close()
			return err
		}
		if _, err := nf.f.WriteAt(row, nf.off+8*int64(r)*int64(newCols)); err != nil {
			nf.Close()
			return err
		}
	}
	if err := nf.Sync(); err != nil {
		nf.Close()
		return err
	}
	if err := nf.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir fsyncs a directory, making renames in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// WriteVector writes a 1-D float64 array to path (temp file + rename).
func WriteVector(path string, v []float64) error { return WriteArray(path, []int{len(v)}, v) }

// WriteArray writes a float64 array of the given shape (C order) to path:
// a temp file, synced, renamed over path, the directory synced.
func WriteArray(path string, shape []int, v []float64) error {
	if prod(shape) != len(v) {
		return fmt.Errorf("npy: %d values for shape %v", len(v), shape)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	b := header(shape)
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("npy: could not write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// ReadAny reads a float64 (or float32, int) array file of any shape,
// C order, as float64.
func ReadAny(path string) (shape []int, data []float64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r, err := npyio.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("npy: %s: %w", path, err)
	}
	if r.Header.Descr.Fortran {
		return nil, nil, fmt.Errorf("npy: %s is in Fortran order; save it with numpy.ascontiguousarray", path)
	}
	if err := r.Read(&data); err != nil {
		return nil, nil, fmt.Errorf("npy: could not read %s: %w", path, err)
	}
	return append([]int(nil), r.Header.Descr.Shape...), data, nil
}
