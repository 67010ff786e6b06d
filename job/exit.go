package job

// Exit codes of `mcflow run`, documented in docs/jobs.md.
const (
	ExitDone     = 0  // every task finished (now or before)
	ExitError    = 1  // a runtime error; the last checkpoint is intact
	ExitUsage    = 2  // bad job file or flags; nothing was written
	ExitWarnings = 3  // finished, but a result has a warning that counts (--strict)
	ExitStopped  = 75 // stopped by a signal after a checkpoint: run again to resume (EX_TEMPFAIL)
)
