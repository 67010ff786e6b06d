package job

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// SlurmSpec is the optional [slurm] table: defaults of `mcflow slurm`'s
// flags. It does not enter the spec hash.
type SlurmSpec struct {
	Time        string        // --time, e.g. "4:00:00" or "2-00:00:00"
	Partition   string        // --partition ("" = the cluster's default)
	Account     string        // --account ("" = none)
	CPUs        int           // --cpus-per-task
	Mem         string        // --mem, e.g. "4G" ("" = the cluster's default)
	MaxParallel int           // the %M of --array (0 = no limit)
	SignalLead  time.Duration // USR1 this long before the time limit
}

// DefaultSlurm are the defaults without a [slurm] table.
func DefaultSlurm() SlurmSpec {
	return SlurmSpec{Time: "1:00:00", CPUs: 1, SignalLead: 5 * time.Minute}
}

var (
	slurmTimeRE = regexp.MustCompile(`^(\d+-)?\d+(:\d+){0,2}$`)
	slurmMemRE  = regexp.MustCompile(`^\d+[KMGT]?$`)
	slurmNameRE = regexp.MustCompile(`^[A-Za-z0-9._+-]+$`)
)

// Validate checks the values that go into #SBATCH lines: they are
// interpreted by sbatch, not the shell, so they are restricted to what
// SLURM accepts rather than quoted.
func (c SlurmSpec) Validate() error {
	switch {
	case !slurmTimeRE.MatchString(c.Time):
		return fmt.Errorf("time = %q: want minutes, HH:MM:SS or D-HH:MM:SS", c.Time)
	case c.Partition != "" && !slurmNameRE.MatchString(c.Partition):
		return fmt.Errorf("partition = %q: want a partition name (letters, digits, . _ + -)", c.Partition)
	case c.Account != "" && !slurmNameRE.MatchString(c.Account):
		return fmt.Errorf("account = %q: want an account name (letters, digits, . _ + -)", c.Account)
	case c.CPUs < 1:
		return fmt.Errorf("cpus = %d: want at least 1", c.CPUs)
	case c.Mem != "" && !slurmMemRE.MatchString(c.Mem):
		return fmt.Errorf("mem = %q: want a size such as 4000, 4G or 512M", c.Mem)
	case c.MaxParallel < 0:
		return fmt.Errorf("max_parallel = %d: want 0 (no limit) or more", c.MaxParallel)
	case c.SignalLead < time.Second || c.SignalLead > 65535*time.Second:
		return fmt.Errorf("signal_lead = %v: want between 1s and 65535s", c.SignalLead)
	}
	return nil
}

func (c SlurmSpec) toml() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n[slurm]\ntime = %s\ncpus = %d\nsignal_lead = %q\n", TomlQuote(c.Time), c.CPUs, c.SignalLead.String())
	if c.Partition != "" {
		fmt.Fprintf(&b, "partition = %s\n", TomlQuote(c.Partition))
	}
	if c.Account != "" {
		fmt.Fprintf(&b, "account = %s\n", TomlQuote(c.Account))
	}
	if c.Mem != "" {
		fmt.Fprintf(&b, "mem = %s\n", TomlQuote(c.Mem))
	}
	if c.MaxParallel > 0 {
		fmt.Fprintf(&b, "max_parallel = %d\n", c.MaxParallel)
	}
	return b.String()
}
