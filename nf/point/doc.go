// Package point evaluates a trained RealNVP flow at one point without
// building an ad graph: ln q(x), a draw x = g(z) with its ln q, and the
// gradient of ln p(g(z)) + ln|det ∂g/∂z| that latent-space HMC needs, by a
// hand-written backward pass, for dense and periodic-convolution coupling
// networks with affine or rational-quadratic spline transforms. It is
// what flow-MH and latent HMC call per step; package nf's ad path stays
// the reference it is tested against. No allocation after New.
package point
