package runner

import (
	"runtime"
)

// numCPU is the size of the affinity mask (runtime.NumCPU reads it on Linux).
func numCPU() int { return runtime.NumCPU() }
