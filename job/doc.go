// Package job is the job file and what it names on disk. It parses and
// validates the TOML spec against the kinds' registrations ([model],
// [sampler], [train], [output], [checkpoint], [slurm]), expands parameter
// scans into tasks with stable ids and hashes, lists the keys of every kind
// (`mcflow keys`), holds the kernel versions that checkpoints record, and
// defines the output Layout (npy, HDF5, summaries, checkpoints, locks,
// slices of SLURM array runs), the exit codes of `mcflow run`, and the one
// way files are written atomically. It imports no other part of the runner:
// assemble, results and runner are above it.
package job
