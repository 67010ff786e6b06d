package job

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"

	"github.com/mcflow/mcflow/builtin"
	"github.com/mcflow/mcflow/io/ckpt"
	"github.com/mcflow/mcflow/kind"
)

// kernelVersions is the version of every kernel: a sampler's moves, a
// model's observables and measurements, the random streams, the training
// of flows. Bump a kernel's version whenever its output for the same
// stream changes; TestKernelGolden fails until the version is bumped and
// the new golden trajectory recorded. A checkpoint records the versions of
// the kernels that wrote it and resumes only with the same.
//
// The versions of model and sampler kinds are registered with them
// (kind.Model.Version, kind.Sampler.Kernels); these are mcflow's own.
var kernelVersions = map[string]int{
	"stream": 2,                    // mc.NewStream, mc.Uniform, mc.Normal
	"train":  builtin.TrainVersion, // flow training and evaluation
}

// TrainKernels are the kernels of flow training.
var TrainKernels = kernelVersions

// Kernels returns the versions of the kernels a job runs.
func (s *Spec) Kernels() map[string]int {
	k := map[string]int{"stream": kernelVersions["stream"]}
	if s.Model.Def != nil {
		k["model/"+s.Model.Kind] = s.Model.Def.Version
	}
	if s.Sampler.Def != nil {
		maps.Copy(k, s.Sampler.Def.KernelVersions(s.Sampler.Values))
	}
	if s.Train != nil {
		k["train"] = kernelVersions["train"]
	}
	return k
}

// CheckKernels refuses a checkpoint written by other kernels or on another
// architecture, unless force.
func CheckKernels(path string, c *ckpt.Checkpoint, want map[string]int, force bool) error {
	if force {
		return nil
	}
	if len(c.Kernels) == 0 {
		return fmt.Errorf("%s was written by mcflow %s, whose kernels and random streams differ from this version's (it records no kernel versions): "+
			"its chains cannot continue bit for bit; start afresh with another --out, or resume anyway with --force-spec", path, c.Version)
	}
	if !maps.Equal(c.Kernels, want) {
		return fmt.Errorf("%s was written by other kernels (%s; this mcflow runs %s): its chains cannot continue bit for bit; "+
			"start afresh with another --out, or resume anyway with --force-spec", path, FormatKernels(c.Kernels), FormatKernels(want))
	}
	if c.GOARCH != runtime.GOARCH {
		return fmt.Errorf("%s was written on %s, this is %s: results are bit-identical on one architecture only; start afresh with another --out, or resume anyway with --force-spec", path, c.GOARCH, runtime.GOARCH)
	}
	return nil
}

func FormatKernels(k map[string]int) string {
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(k)) {
		parts = append(parts, fmt.Sprintf("%s v%d", n, k[n]))
	}
	return strings.Join(parts, ", ")
}

// AllKernels returns the versions of mcflow's own kernels and of every
// registered kind (a sampler's with each value of its choice keys).
func AllKernels() map[string]int {
	k := maps.Clone(kernelVersions)
	for _, n := range kind.ModelNames() {
		m, _ := kind.LookupModel(n)
		k["model/"+n] = m.Version
	}
	for _, n := range kind.SamplerNames() {
		s, _ := kind.LookupSampler(n)
		v := kind.Values{}
		for _, key := range s.Keys {
			if key.Default != nil {
				v[key.Name] = key.Default
			}
		}
		maps.Copy(k, s.KernelVersions(v))
		for _, key := range s.Keys {
			for _, c := range key.Choices {
				w := maps.Clone(v)
				w[key.Name] = c
				maps.Copy(k, s.KernelVersions(w))
			}
		}
	}
	return k
}
