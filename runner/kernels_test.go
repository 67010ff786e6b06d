package runner

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mcflow/mcflow/assemble"
	"github.com/mcflow/mcflow/internal/testflows"
	"github.com/mcflow/mcflow/io/ckpt"
	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/io/npy"
	"github.com/mcflow/mcflow/job"
)

// kernelGolden pins a short trajectory of every kernel: the SHA-256 of the
// recorded arrays of a small job, with the kernel versions it was recorded
// under. A kernel whose output changes fails here: bump its version in
// kernelVersions (checkpoints of the old one are then refused) and record
// the new sum printed below.
var kernelGolden = []struct {
	name, job string
	flow      string // a checked-in flow the job samples with ("" none)
	sum       string
}{
	{"metropolis", "[model]\nL = 8\nh = 0.1\n[sampler]\nchains = 2\nthermalize = 10\nsweeps = 20\n", "", "f7e078263b50208c"},
	{"metropolis-multispin", "[model]\nL = 8\n[sampler]\nengine = \"multispin\"\nchains = 64\nthermalize = 5\nsweeps = 10\n", "", "f05aa212899fdb65"},
	{"wolff", "[model]\nL = 8\n[sampler]\nkind = \"wolff\"\nchains = 2\nthermalize = 10\nsweeps = 20\n", "", "a9ca5672fe2263ea"},
	{"hmc-phi4", "[model]\nkind = \"phi4\"\nL = 4\n[sampler]\nkind = \"hmc\"\nchains = 2\nthermalize = 20\nsweeps = 20\n", "", "0ede0ab110774052"},
	{"hmc-relaxed", "[model]\nkind = \"ising2d-relaxed\"\nL = 4\n[sampler]\nkind = \"hmc\"\nchains = 2\nthermalize = 20\nsweeps = 20\n", "", "6c5ddfb5a6092e0f"},
	{"latent-hmc", "[model]\nkind = \"toy2d\"\n[sampler]\nkind = \"latent-hmc\"\nchains = 2\nthermalize = 20\nsweeps = 20\n", "ring2d-realnvp.h5", "e896f7aebee37242"},
	{"flow-mh", "[model]\nkind = \"toy2d\"\n[sampler]\nkind = \"flow-mh\"\nchains = 2\nthermalize = 20\nsweeps = 40\n", "ring2d-realnvp.h5", "5829a97cffac0eaa"},
	{"flow-mh-rw", "[model]\nkind = \"toy2d\"\n[sampler]\nkind = \"flow-mh\"\nlocal_kernel = \"rw\"\nchains = 2\nthermalize = 20\nsweeps = 40\n", "ring2d-realnvp.h5", "5dc752f35a7ad81f"},
	{"potts-metropolis", "[model]\nkind = \"potts\"\nL = 6\nh = 0.1\n[sampler]\nchains = 2\nthermalize = 10\nsweeps = 20\n", "", "b24189c93ee5d4f2"},
	{"potts-wolff", "[model]\nkind = \"potts\"\nL = 6\n[sampler]\nkind = \"wolff\"\nchains = 2\nthermalize = 10\nsweeps = 20\n", "", "f7296be442d142e0"},
	{"potts-swendsen-wang", "[model]\nkind = \"potts\"\nL = 6\n[sampler]\nkind = \"swendsen-wang\"\nchains = 2\nthermalize = 10\nsweeps = 20\n", "", "feaf1cbbb348c888"},
	{"xy-metropolis", "[model]\nkind = \"xy\"\nL = 6\n[sampler]\nchains = 2\nthermalize = 10\nsweeps = 20\n", "", "25257483689dc24e"},
	{"xy-wolff", "[model]\nkind = \"xy\"\nL = 6\n[sampler]\nkind = \"wolff\"\nchains = 2\nthermalize = 10\nsweeps = 20\n", "", "7919750803746a7b"},
	{"ising3d-metropolis", "[model]\nkind = \"ising3d\"\nL = 4\nh = 0.1\n[sampler]\nchains = 2\nthermalize = 10\nsweeps = 20\n", "", "c858dd4435ad8f99"},
	{"ising3d-multispin", "[model]\nkind = \"ising3d\"\nL = 4\n[sampler]\nengine = \"multispin\"\nchains = 64\nthermalize = 5\nsweeps = 10\n", "", "7a25eff3cee3c9fb"},
	{"ising3d-wolff", "[model]\nkind = \"ising3d\"\nL = 4\n[sampler]\nkind = \"wolff\"\nchains = 2\nthermalize = 10\nsweeps = 20\n", "", "cba9886373aa7825"},
	{"ea-metropolis", "[model]\nkind = \"ea\"\nL = 4\ncouplings = \"gaussian\"\n[sampler]\nchains = 2\nthermalize = 10\nsweeps = 20\n", "", "1d0f1e6ba9a6767a"},
	{"ea3d-metropolis-pm", "[model]\nkind = \"ea\"\ndim = 3\nL = 3\n[sampler]\nchains = 2\nthermalize = 10\nsweeps = 20\n", "", "2f6a95b4b04f4912"},
	{"ea-multispin", "[model]\nkind = \"ea\"\nL = 4\n[sampler]\nengine = \"multispin\"\nchains = 64\nthermalize = 5\nsweeps = 10\n", "", "c3b500d96c5d9d29"},
	{"pt-metropolis", "[model]\nL = 6\n[sampler]\nkind = \"pt\"\nbetas = [0.2, 0.3, 0.35, 0.7]\nladder_rounds = 2\nchains = 2\nthermalize = 40\nsweeps = 20\n", "", "9ddef1b936501590"},
	{"pt-hmc", "[model]\nkind = \"phi4\"\nL = 4\n[sampler]\nkind = \"pt\"\nbase = \"hmc\"\nbetas = [0.5, 1.0]\nchains = 2\nthermalize = 20\nsweeps = 20\n", "", "d00d2728a57c5052"},
	{"hmc-mvn", "[model]\nkind = \"mvn\"\ndim = 3\nrho = 0.5\n[sampler]\nkind = \"hmc\"\nchains = 2\nthermalize = 20\nsweeps = 20\n", "", "ef005eb0cb1dc3d0"},
	{"hmc-funnel", "[model]\nkind = \"funnel\"\ndim = 3\n[sampler]\nkind = \"hmc\"\nchains = 2\nthermalize = 20\nsweeps = 20\n", "", "02e6a27d1194af40"},
	{"mala", "[model]\nkind = \"phi4\"\nL = 4\n[sampler]\nkind = \"mala\"\nchains = 2\nthermalize = 20\nsweeps = 20\n", "", "b046075f501b2387"},
	{"latent-mala", "[model]\nkind = \"toy2d\"\n[sampler]\nkind = \"latent-mala\"\nchains = 2\nthermalize = 20\nsweeps = 20\n", "ring2d-realnvp.h5", "5bbf9e1cd74c56d7"},
	{"flow-mh-mala", "[model]\nkind = \"toy2d\"\n[sampler]\nkind = \"flow-mh\"\nlocal_kernel = \"mala\"\nchains = 2\nthermalize = 20\nsweeps = 40\n", "ring2d-realnvp.h5", "5aea1a71f961da88"},
	{"nuts", "[model]\nkind = \"phi4\"\nL = 4\n[sampler]\nkind = \"nuts\"\nchains = 2\nthermalize = 20\nsweeps = 20\n", "", "33fc40de7ae9a87a"},
	{"latent-nuts", "[model]\nkind = \"toy2d\"\n[sampler]\nkind = \"latent-nuts\"\nchains = 2\nthermalize = 20\nsweeps = 20\n", "ring2d-realnvp.h5", "a182a6f67e123f24"},
	{"flow-mh-nuts", "[model]\nkind = \"toy2d\"\n[sampler]\nkind = \"flow-mh\"\nlocal_kernel = \"nuts\"\nchains = 2\nthermalize = 20\nsweeps = 40\n", "ring2d-realnvp.h5", "32ce719651988794"},
	{"nuts-dense", "[model]\nkind = \"mvn\"\ndim = 3\nrho = 0.5\n[sampler]\nkind = \"nuts\"\ndense_metric = true\nchains = 2\nthermalize = 200\nsweeps = 20\n", "", "813dcd13da236152"},
	{"hmc-jitter", "[model]\nkind = \"phi4\"\nL = 4\n[sampler]\nkind = \"hmc\"\nsteps = 0\nlength = 1.0\njitter = 0.5\nchains = 2\nthermalize = 20\nsweeps = 20\n", "", "45889e95cd6d8f78"},
	{"train", "[model]\nkind = \"toy2d\"\n[train]\nepochs = 3\nbatch = 64\nhidden = [4]\nlayers = 2\neval_samples = 1000\n[sampler]\nkind = \"flow-mh\"\nchains = 1\nthermalize = 2\nsweeps = 4\n", "", "9fd98a202207a706"},
}

// kernelGoldenVersions are the versions the sums were recorded under.
var kernelGoldenVersions = map[string]int{
	"stream": 2, "sampler/metropolis": 2, "sampler/metropolis-multispin": 3, "sampler/wolff": 2, "sampler/hmc": 3,
	"sampler/latent-hmc": 3, "sampler/flow-mh": 3, "model/ising2d": 2, "model/phi4": 2, "model/ising2d-relaxed": 2,
	"model/toy2d": 2, "train": 3, "sampler/swendsen-wang": 1, "model/potts": 1, "model/xy": 1, "model/ising3d": 1,
	"model/ea": 1, "sampler/pt": 1, "sampler/mala": 2, "sampler/latent-mala": 2, "model/mvn": 1, "model/funnel": 2,
	"sampler/nuts": 2, "sampler/latent-nuts": 2,
}

func TestKernelGolden(t *testing.T) {
	if all := job.AllKernels(); !maps.Equal(kernelGoldenVersions, all) {
		t.Errorf("kernel versions changed (%s; golden sums recorded under %s): record the sums printed below and kernelGoldenVersions",
			job.FormatKernels(all), job.FormatKernels(kernelGoldenVersions))
	}
	for _, g := range kernelGolden {
		t.Run(g.name, func(t *testing.T) {
			doc := "seed = 11\n" + g.job
			if strings.Contains(g.job, "[train]") && !h5.Available {
				t.Skip("built without HDF5: trained flows are HDF5 files")
			}
			if g.flow != "" {
				doc += fmt.Sprintf("flow = %q\n", testflows.Path(t, g.flow))
			}
			dir := t.TempDir()
			s, err := job.Parse([]byte(doc), "job.toml", dir)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			if _, err := Run(context.Background(), s, Options{Out: out, Workers: 1, Task: -1, Progress: "none"}); err != nil {
				t.Fatal(err)
			}
			task := s.Tasks()[0]
			names, err := assemble.Observables(s, task)
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			for _, n := range names {
				a, err := npy.Read(job.Layout{Out: out}.NPY(task.Name(), n))
				if err != nil {
					t.Fatal(err)
				}
				for _, row := range a {
					for _, v := range row {
						h.Write(binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)))
					}
				}
			}
			if got := hex.EncodeToString(h.Sum(nil))[:16]; got != g.sum {
				t.Errorf("%s: trajectory %s, golden %s (kernels %s): if the change is meant, bump the kernel's version in kernelVersions and record this sum",
					g.name, got, g.sum, job.FormatKernels(s.Kernels()))
			}
		})
	}
}

// A checkpoint of other kernels, of none (written before kernel versions:
// this wave changed the streams) or of another architecture is refused
// with a message saying so; --force-spec resumes it anyway.
func TestKernelVersionsRefused(t *testing.T) {
	dir := t.TempDir()
	parse := func(sweeps int) *job.Spec {
		s, err := job.Parse([]byte(fmt.Sprintf("seed = 2\n[model]\nL = 4\n[sampler]\nchains = 2\nthermalize = 5\nsweeps = %d\n", sweeps)), "job.toml", dir)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	out := filepath.Join(dir, "out")
	o := Options{Out: out, Workers: 1, Task: -1, Progress: "none"}
	if _, err := Run(context.Background(), parse(20), o); err != nil {
		t.Fatal(err)
	}
	path := job.Layout{Out: out}.Ckpt(parse(20).Tasks()[0].Name())
	good, _, err := ckpt.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(good.Kernels, parse(20).Kernels()) || good.GOARCH != runtime.GOARCH {
		t.Fatalf("checkpoint kernels %v on %q, want %v on %q", good.Kernels, good.GOARCH, parse(20).Kernels(), runtime.GOARCH)
	}
	for _, c := range []struct {
		name   string
		change func(c *ckpt.Checkpoint)
		want   string
	}{
		{"none", func(c *ckpt.Checkpoint) { c.Kernels = nil }, "records no kernel versions"},
		{"older stream", func(c *ckpt.Checkpoint) {
			c.Kernels = map[string]int{"stream": 1, "sampler/metropolis": 2, "model/ising2d": 2}
		}, "stream v1"},
		{"arch", func(c *ckpt.Checkpoint) { c.GOARCH = "arm64" }, "written on arm64"},
	} {
		bad := *good
		c.change(&bad)
		if err := ckpt.Write(path, &bad); err != nil {
			t.Fatal(err)
		}
		_, err := Run(context.Background(), parse(40), o) // more sweeps: a resume
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "--force-spec") {
			t.Errorf("%s: %v, want an error with %q and --force-spec", c.name, err, c.want)
		}
	}
	forced := o
	forced.ForceSpec = true
	if _, err := Run(context.Background(), parse(40), forced); err != nil {
		t.Errorf("--force-spec: %v", err)
	}
}
