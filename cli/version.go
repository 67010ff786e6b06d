package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/mc/multispin"
)

// cmdVersion prints mcflow's version, the commit of the build (Go's build
// information: vcs.revision, vcs.modified), the Go version, and what is
// built in.
func cmdVersion(args []string, stdout, stderr io.Writer) int {
	if code := parseNoArgs("version", args, stderr); code >= 0 {
		return code
	}
	commit, modified := "unknown (not built from a git checkout)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision":
				commit = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				modified = " (modified tree)"
			}
		}
	}
	hdf5 := "no (NPY output only: build without the nohdf5 tag for HDF5)"
	if h5.Available {
		hdf5 = "yes"
	}
	fmt.Fprintf(stdout, "mcflow %s\ncommit: %s%s\ngo: %s %s/%s\nhdf5: %s\nmatrix products: %s\nmultispin kernel: %s (this machine runs %v; MCFLOW_KERNEL chooses)\n",
		job.Version, commit, modified, runtime.Version(), runtime.GOOS, runtime.GOARCH, hdf5, ad.BLASName,
		multispin.Active(), multispin.Supported())
	return job.ExitDone
}
