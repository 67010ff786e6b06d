package h5

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFilePython(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.h5")
	groups := []Group{{
		Path:  "0001/obs",
		Attrs: Attrs{"beta": 0.44, "L": 16, "kind": "ising2d"},
		Datasets: []Dataset{{
			Name: "e", Rows: 3, Cols: 4,
			Row: func(i int, dst []float64) error {
				for j := range dst {
					dst[j] = float64(10*i + j)
				}
				return nil
			},
			Attrs: Attrs{"draws": 4},
		}},
	}}
	err := WriteFile(path, groups)
	if !Available {
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("nohdf5 build: err %v, want ErrUnavailable", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Fatal("no /usr/bin/python3: run make deps-test")
	}
	out, err := exec.Command(py, "-c", `
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
g = f["0001/obs"]
assert abs(g.attrs["beta"] - 0.44) < 1e-15 and g.attrs["L"] == 16, dict(g.attrs)
k = g.attrs["kind"]; k = k.decode() if isinstance(k, bytes) else k
assert k == "ising2d", k
e = g["e"][()]
assert e.shape == (3, 4) and e[2, 3] == 23 and e.dtype == np.float64, e
assert g["e"].attrs["draws"] == 4
print("ok")
`, path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("h5py could not read the file: %v\n%s", err, out)
	}
}
