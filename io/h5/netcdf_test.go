package h5

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteNetCDFXarray writes two groups sharing dimension names and
// reads them with netCDF-C through xarray: named dimensions (no
// phony_dim), coordinates 0..n−1, the values, a bool, an int and the
// attributes.
func TestWriteNetCDFXarray(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.nc")
	seq := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = float64(i) + 0.5
		}
		return x
	}
	groups := []NCGroup{
		{Path: "", Attrs: Attrs{"task": "L=4", "beta": 0.44}},
		{Path: "posterior", Dims: []NCDim{{"chain", 2}, {"draw", 3}, {"x", 4}},
			Vars: []NCVar{
				{Name: "e", Dims: []string{"chain", "draw"}, Data: seq(6), Attrs: Attrs{"long_name": "E/N"}},
				{Name: "s", Dims: []string{"chain", "draw", "x"}, Data: seq(24)},
			}, Attrs: Attrs{"inference_library": "mcflow"}},
		{Path: "sample_stats", Dims: []NCDim{{"chain", 2}, {"draw", 3}},
			Vars: []NCVar{
				{Name: "diverging", Dims: []string{"chain", "draw"}, Type: NCBool, Data: []float64{0, 1, 0, 0, 0, 1}},
				{Name: "n_steps", Dims: []string{"chain", "draw"}, Type: NCInt64, Data: []float64{1, 3, 7, 15, 3, 1}},
			}},
	}
	err := WriteNetCDF(path, groups)
	if !Available {
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("nohdf5 build: err %v, want ErrUnavailable", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteNetCDF(path, []NCGroup{{Path: "g", Vars: []NCVar{{Name: "v", Dims: []string{"nope"}}}}}); err == nil ||
		!strings.Contains(err.Error(), "nope") {
		t.Errorf("an unknown dimension: err %v", err)
	}
	out, err := exec.Command("/usr/bin/python3", "-c", `
import sys, numpy as np, xarray as xr
p = xr.open_dataset(sys.argv[1], group="posterior")
assert p["e"].dims == ("chain", "draw"), p["e"].dims
assert p["s"].dims == ("chain", "draw", "x"), p["s"].dims
assert list(p["chain"].values) == [0, 1] and list(p["draw"].values) == [0, 1, 2]
assert p["e"].values[1, 2] == 5.5 and p["s"].values[1, 2, 3] == 23.5
assert p["e"].attrs["long_name"] == "E/N" and p.attrs["inference_library"] == "mcflow"
s = xr.open_dataset(sys.argv[1], group="sample_stats")
assert s["diverging"].dtype == bool and s["diverging"].values.sum() == 2, s["diverging"]
assert s["n_steps"].dtype == np.int64 and s["n_steps"].values[1, 0] == 15
r = xr.open_dataset(sys.argv[1])
assert r.attrs["task"] == "L=4" and r.attrs["beta"] == 0.44, r.attrs
assert not any(d.startswith("phony") for d in list(p.dims) + list(s.dims))
print("ok")
`, path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("xarray could not read the file: %v\n%s", err, out)
	}
}
