package jobs

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"

	"github.com/mcflow/mcflow/io/ckpt"
)

// kernelVersions is the version of every kernel: a sampler's moves, a
// model's observables and measurements, the random streams, the training
// of flows. Bump a kernel's version whenever its output for the same
// stream changes; TestKernelGolden fails until the version is bumped and
// the new golden trajectory recorded. A checkpoint records the versions of
// the kernels that wrote it and resumes only with the same.
var kernelVersions = map[string]int{
	"stream":                       2, // mc.NewStream, mc.Uniform, mc.Normal
	"sampler/metropolis":           2,
	"sampler/metropolis-multispin": 2,
	"sampler/wolff":                2,
	"sampler/hmc":                  2,
	"sampler/latent-hmc":           2,
	"sampler/flow-mh":              2,
	"model/ising2d":                2,
	"model/phi4":                   2,
	"model/ising2d-relaxed":        2,
	"model/toy2d":                  2,
	"train":                        2, // flow training and evaluation
}

// trainKernels are the kernels of flow training.
var trainKernels = map[string]int{"stream": kernelVersions["stream"], "train": kernelVersions["train"]}

// Kernels returns the versions of the kernels a job runs.
func (s *Spec) Kernels() map[string]int {
	sampler := "sampler/" + s.Sampler.Kind
	if s.Sampler.Engine == "multispin" {
		sampler += "-multispin"
	}
	k := map[string]int{}
	names := []string{"stream", sampler, "model/" + s.Model.Kind}
	if c := s.Sampler.Cont; c != nil && c.LocalKernel == "hmc" {
		names = append(names, "sampler/hmc")
	}
	if s.Train != nil || s.Sampler.Cont.Adaptive() {
		names = append(names, "train")
	}
	for _, n := range names {
		k[n] = kernelVersions[n]
	}
	return k
}

// checkKernels refuses a checkpoint written by other kernels or on another
// architecture, unless force.
func checkKernels(path string, c *ckpt.Checkpoint, want map[string]int, force bool) error {
	if force {
		return nil
	}
	if len(c.Kernels) == 0 {
		return fmt.Errorf("%s was written by mcflow %s, whose kernels and random streams differ from this version's (it records no kernel versions): "+
			"its chains cannot continue bit for bit; start afresh with another --out, or resume anyway with --force-spec", path, c.Version)
	}
	if !maps.Equal(c.Kernels, want) {
		return fmt.Errorf("%s was written by other kernels (%s; this mcflow runs %s): its chains cannot continue bit for bit; "+
			"start afresh with another --out, or resume anyway with --force-spec", path, formatKernels(c.Kernels), formatKernels(want))
	}
	if c.GOARCH != runtime.GOARCH {
		return fmt.Errorf("%s was written on %s, this is %s: results are bit-identical on one architecture only; start afresh with another --out, or resume anyway with --force-spec", path, c.GOARCH, runtime.GOARCH)
	}
	return nil
}

func formatKernels(k map[string]int) string {
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(k)) {
		parts = append(parts, fmt.Sprintf("%s v%d", n, k[n]))
	}
	return strings.Join(parts, ", ")
}
