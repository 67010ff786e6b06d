package jobs

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mcflow/mcflow/io/h5"
)

// Export writes every task's observables from the HDF5 results of an
// output directory (results.h5, or h5/<task>.h5 for the tasks of an
// unmerged array run) as dir/<task>/<observable>.npy, (chain, draw)
// float64, and returns the files written.
func Export(out, dir string) ([]string, error) {
	s, err := OpenOutput(out)
	if err != nil {
		return nil, err
	}
	if !h5.Available {
		return nil, fmt.Errorf("export reads HDF5: %w", h5.ErrUnavailable)
	}
	lay := Layout{Out: out}
	var written []string
	for _, t := range s.Tasks() {
		src := lay.Results()
		if _, err := os.Stat(src); err != nil {
			src = lay.H5(t.Name())
		}
		if _, err := os.Stat(src); err != nil {
			return written, fmt.Errorf("task %s: no HDF5 results (%s or %s): the task is not finished, or the job's [output] formats has no \"hdf5\"; `mcflow status %s` shows where it stands",
				t.Name(), lay.Results(), lay.H5(t.Name()), out)
		}
		f, err := h5.Open(src)
		if err != nil {
			return written, err
		}
		names, err := recorded(s, t, lay)
		if err != nil {
			f.Close()
			return written, err
		}
		for _, n := range names {
			shape, data, err := f.Read(t.Name() + "/obs/" + n)
			if err != nil {
				f.Close()
				return written, err
			}
			if len(shape) != 2 && len(shape) != 3 {
				f.Close()
				return written, fmt.Errorf("%s: %s/obs/%s has shape %v, want (chain, draw) or (chain, rung, draw)", src, t.Name(), n, shape)
			}
			path := filepath.Join(dir, t.Name(), n+".npy")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				f.Close()
				return written, err
			}
			cols := shape[len(shape)-1]
			rows := make([][]float64, len(data)/max(cols, 1))
			for i := range rows {
				rows[i] = data[i*cols : (i+1)*cols]
			}
			if err := writeRows(path, rows, shape); err != nil {
				f.Close()
				return written, fmt.Errorf("could not write %s: %w", path, err)
			}
			written = append(written, path)
		}
		f.Close()
	}
	return written, nil
}
