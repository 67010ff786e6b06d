// Package builtin registers mcflow's own model and sampler kinds through
// the public API of package kind, exactly as a user's program registers
// its own: one file per kind (or family of kinds).
//
// Models: ising2d, ising3d, potts, xy (discrete and continuous spins with
// local and cluster moves), phi4, ising2d-relaxed and toy2d (continuous
// targets). Samplers: metropolis, wolff, swendsen-wang (the model's own
// chains), hmc, latent-hmc and flow-mh (any continuous target).
package builtin

// must discards a registration's error: kind.Err keeps it, and cli.Main
// reports it at start-up before running anything.
func must(error) {}
