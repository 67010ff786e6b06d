// Package hmc is Hamiltonian Monte Carlo on any target with a gradient
// (model.Target), with Stan's warmup adaptation.
//
// # Sampler
//
// One Step is one trajectory: momenta p ~ N(0, M) with a diagonal mass
// matrix M, Steps leapfrog steps of size ε (or ⌈Length/ε⌉ steps for a
// fixed trajectory length), and a Metropolis test on the change of
// H = −ln p(x) + ½ pᵀM⁻¹p.
//
// # Adaptation
//
// During warmup (the first Warmup steps, which the caller discards) the
// step size follows Stan's dual averaging towards a target acceptance
// probability (0.8; γ = 0.05, t₀ = 10, κ = 0.75, μ = ln 10ε₀) and the
// diagonal inverse metric is the regularised variance of x over Stan's
// windows (an initial buffer of 75 steps, a final one of 50, slow windows
// of 25, 50, 100, … steps in between); after each window the step size
// restarts from its current value. After warmup ε is the dual average and
// nothing adapts, so the recorded chain is a plain, exact HMC chain. The
// adaptation state is part of MarshalBinary.
package hmc
