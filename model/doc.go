// Package model holds the Boltzmann targets p(x) ∝ exp(−E(x)) on ℝⁿ that
// flows are trained against and gradient-based samplers sample.
//
// # Targets
//
//	Toy2D         ring2d, ring5, wave, gaussian, mog2 (the tutorial's 2D densities)
//	Phi4          lattice φ⁴ theory on an L×L torus
//	IsingRelaxed  the Ising model's continuous relaxation (NeuralRG)
//
// Every target gives ln p (up to a constant) and its gradient per point,
// hand-written for speed (Target.LogProb, Target.GradLogProb), and the same
// ln p on a batch as an ad program (Target.LogProbVar), so that flows can
// be trained through it. Optional capabilities are small interfaces:
// Symmetric (φ → −φ), Observer (physical observables).
//
// It sits just above ad/: both nf/ and mc/ import it.
package model
