package job

import (
	_ "embed"
	"os"
)

//go:embed default.toml
var defaultJob []byte

// DefaultJobName is how errors and listings name the embedded job.
const DefaultJobName = "<default job>"

// Default returns the embedded default job; its relative output directory
// resolves against the working directory.
func Default() (*Spec, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	return Parse(defaultJob, DefaultJobName, wd)
}

// DefaultTOML is the text of the embedded default job.
func DefaultTOML() []byte { return defaultJob }
