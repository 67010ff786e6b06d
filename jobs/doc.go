// Package jobs turns a job file into results: it parses and validates the
// TOML spec, expands parameter scans into tasks, and runs tasks with locks,
// checkpoints, resume, signals and progress, writing the file layout of
// DESIGN.md (npy, HDF5, summaries, plots).
package jobs
