// Package kind is mcflow's open engine: the registry of model kinds and
// sampler kinds that a job file names (model.kind, sampler.kind).
//
// A kind is a description (its name, its job-file keys with types,
// defaults, ranges and one-line docs, a kernel version) and a constructor.
// Everything else — the job file's parsing with line-numbered errors,
// scans over numeric [model] keys, random streams, the worker pool,
// checkpoints and bit-identical resume, SLURM arrays and slices, statistics,
// diagnostics and plots — is mcflow's, for every registered kind alike.
//
// A model kind builds an Instance per task (one point of the scan). What a
// sampler can do with it is decided by capability interfaces, so that a
// model implements only what it supports:
//
//   - discrete and custom-move models implement Metropolis (and, where a
//     cluster algorithm applies, Wolff or SwendsenWang): they return an
//     mc.Chain that owns its state and advances it with the random stream
//     it is given, as Carlo.jl's sweep!/measure! do;
//   - continuous targets implement Continuous: a model.Target (ln p and its
//     gradient) on which HMC, latent HMC, flow-MH and flow training run.
//
// Optional capabilities add derived quantities (Deriver), exact references
// (Exacter), symmetry hints for the diagnostics (Symmetric) and the shape
// of a configuration (Shaper).
//
// The built-in kinds (package builtin) register through exactly this API.
// A user's program registers its own kinds in an init function or in main
// before calling cli.Main; registering a name twice is an error that
// cli.Main reports at start-up (Err).
package kind
