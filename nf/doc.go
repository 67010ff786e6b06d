// Package nf holds normalizing flows: bijections g: z → x from the
// standard normal on ℝⁿ to a target's space with a tractable density
//
//	ln q(x) = ln N(z; 0, I) − ln|det ∂x/∂z|,   z = g⁻¹(x),
//
// built on ad/ so that they are differentiable with respect to their
// parameters and their input.
//
// # Flows
//
// RealNVP (affine coupling layers, exact inverse and log-determinant) and
// the Monge–Ampère flow (Zhang, E and Wang, arXiv:1809.10188: the gradient
// flow of a learned potential, integrated by RK4, with an exact mode for
// the discrete map's density). A Model pairs a Flow with its treatment of
// the φ → −φ symmetry (none, equivariant, or the symmetrised mixture).
//
// # Training
//
// Trainer minimises the reverse KL divergence (the variational free energy
// F_q = E_q[ln q − ln p] ≥ −ln Z) or the forward KL divergence (maximum
// likelihood on samples) with Adam, data-parallel over fixed shards so
// that the result does not depend on the number of workers; its state is
// marshalled for checkpoints. Evaluate estimates F_q, the importance
// sampling ESS per sample and ln Z on fresh samples. Save and Load write
// and read flows as HDF5.
//
// Flows work on batches: rows of a (batch, dim) Var. Evaluating a flow
// never modifies it, so goroutines may evaluate one flow concurrently;
// training changes the parameters in place between steps.
package nf
