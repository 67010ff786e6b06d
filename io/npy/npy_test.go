package npy

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"
)

func TestCreateFillRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "e.npy")
	a, err := Create(path, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.WriteRow(1, 2, []float64{1.5, -2, 3}); err != nil {
		t.Fatal(err)
	}
	if err := a.WriteRow(2, 4, []float64{1, 2}); err == nil {
		t.Error("write past the end: no error")
	}
	a.Close()
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for r := range 3 {
		for c := range 5 {
			v := got[r][c]
			switch {
			case r == 1 && c >= 2:
				if want := []float64{1.5, -2, 3}[c-2]; v != want {
					t.Errorf("[%d][%d] = %v, want %v", r, c, v, want)
				}
			case !math.IsNaN(v):
				t.Errorf("[%d][%d] = %v, want NaN", r, c, v)
			}
		}
	}
	if _, err := Open(path, 3, 6); err == nil {
		t.Error("Open with the wrong shape: no error")
	}
	b, err := Open(path, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Reset(3); err != nil {
		t.Fatal(err)
	}
	b.Close()
	got, _ = Read(path)
	if got[1][2] != 1.5 || !math.IsNaN(got[1][3]) {
		t.Errorf("after Reset(3): row 1 = %v", got[1])
	}
	if err := Extend(path, 3, 5, 8); err != nil {
		t.Fatal(err)
	}
	got, _ = Read(path)
	if len(got[0]) != 8 || got[1][2] != 1.5 || !math.IsNaN(got[1][7]) {
		t.Errorf("after Extend: row 1 = %v", got[1])
	}
}

func TestHeaderAlignment(t *testing.T) {
	for _, s := range [][2]int{{1, 1}, {64, 1000000}, {123456, 7}} {
		if n := len(header([]int{s[0], s[1]})); n%64 != 0 {
			t.Errorf("shape %v: header of %d bytes, want a multiple of 64", s, n)
		}
	}
}

// An N-dimensional array is filled as (rows, product of the rest), read by
// NumPy with its shape, and extended along its second axis.
func TestShapeND(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.npy")
	f, err := CreateShape(path, []int{2, 3, 2, 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.WriteRow(1, 4, []float64{1, 2, 3, 4}); err != nil { // row 1, snapshot 1
		t.Fatal(err)
	}
	f.Close()
	if _, err := OpenShape(path, []int{2, 12}); err == nil {
		t.Error("opened a (2, 3, 2, 2) file as (2, 12)")
	}
	if err := ExtendShape(path, []int{2, 3, 2, 2}, []int{2, 5, 2, 2}); err != nil {
		t.Fatal(err)
	}
	shape, data, err := ReadAny(path)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(shape) != "[2 5 2 2]" || data[20+4] != 1 || data[20+7] != 4 || !math.IsNaN(data[20+8]) {
		t.Errorf("extended file: shape %v, row 1 %v", shape, data[20:])
	}
}
