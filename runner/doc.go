// Package runner runs the tasks of a job: a pool of workers advances the
// chains of each task in blocks between barriers, where it records
// observables, checkpoints (crash-safe, bit-identical on resume for any
// worker count) and honours stop requests. It takes the task's lock,
// resumes from checkpoints, adapts step sizes and flows during thermalize,
// trains flows (`mcflow train`, staged and resumable), shows progress, and
// merges the slices of a SLURM array run. Results are written by package
// results; the job file is package job's.
package runner
