// Package results computes and writes what a job reports: a task's
// summary (means with errors from the integrated autocorrelation time,
// ESS, R-hat, exact references, honest warnings), tempering ladders,
// disorder averages over samples, the run's results.h5, summary.json and
// plots, `mcflow status`, and the exports to NPZ, HDF5 and netCDF (ArviZ).
// It reads finished outputs as well as computing them, so status and
// export work on any run's directory.
package results
