package results

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/io/npy"
	"github.com/mcflow/mcflow/job"
)

// Export writes every task's observables from the HDF5 results of an
// output directory (results.h5, or h5/<task>.h5 for the tasks of an
// unmerged array run) as dir/<task>/<observable>.npy, (chain, draw)
// float64, and returns the files written.
func Export(out, dir string) ([]string, error) {
	s, err := job.OpenOutput(out)
	if err != nil {
		return nil, err
	}
	if !h5.Available {
		return nil, fmt.Errorf("export reads HDF5: %w", h5.ErrUnavailable)
	}
	lay := job.Layout{Out: out}
	var written []string
	for _, t := range s.Tasks() {
		src, err := h5Results(t, lay)
		if err != nil {
			return written, err
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
			if err := WriteRows(path, rows, shape); err != nil {
				f.Close()
				return written, fmt.Errorf("could not write %s: %w", path, err)
			}
			written = append(written, path)
		}
		f.Close()
	}
	return written, nil
}

// h5Results returns the HDF5 file that holds a finished task's series:
// results.h5, or h5/<task>.h5 for the tasks of an unmerged array run.
func h5Results(t job.Task, lay job.Layout) (string, error) {
	for _, src := range []string{lay.Results(), lay.H5(t.Name())} {
		if _, err := os.Stat(src); err == nil {
			return src, nil
		}
	}
	return "", fmt.Errorf("task %s: no HDF5 results (%s or %s): the task is not finished, or the job's [output] formats has no \"hdf5\"; `mcflow status %s` shows where it stands",
		t.Name(), lay.Results(), lay.H5(t.Name()), lay.Out)
}

// seriesSource reads a task's recorded series: from npy/<task>/ when the
// run wrote NPY, else from its HDF5 results.
type seriesSource struct {
	task string
	lay  job.Layout
	f    *h5.File // nil when reading NPY
}

func openSeries(t job.Task, lay job.Layout) (*seriesSource, error) {
	src := &seriesSource{task: t.Name(), lay: lay}
	if _, err := os.Stat(lay.NPYDir(t.Name())); err == nil {
		return src, nil
	}
	path, err := h5Results(t, lay)
	if err == nil {
		src.f, err = h5.Open(path)
	}
	return src, err
}

func (s *seriesSource) read(name string) ([]int, []float64, error) {
	if s.f == nil {
		return npy.ReadAny(s.lay.NPY(s.task, name))
	}
	return s.f.Read(s.task + "/obs/" + name)
}

// ladder returns a finished tempering task's inverse temperatures, or
// nil (not a ladder, or not finished).
func (s *seriesSource) ladder() []float64 {
	var betas []float64
	var err error
	if s.f == nil {
		_, betas, err = npy.ReadAny(s.lay.NPY(s.task, "beta"))
	} else {
		_, betas, err = s.f.Read(s.task + "/ladder/beta")
	}
	if err != nil {
		return nil
	}
	return betas
}

func (s *seriesSource) close() {
	if s.f != nil {
		s.f.Close()
	}
}

// WriteRows writes an array of the given shape, whose last axis is the
// rows' length, as .npy, durably.
func WriteRows(path string, a [][]float64, shape []int) error {
	f, err := npy.CreateShape(path, shape)
	if err == nil {
		err = f.Regroup(len(a), shape[len(shape)-1])
	}
	if err != nil {
		return err
	}
	for i, row := range a {
		if err := f.WriteRow(i, 0, row); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
