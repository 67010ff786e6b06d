// Package exact holds exact references for the 2D Ising model, the numbers
// that Monte Carlo results are checked against:
//
//   - Kaufman's partition function of the finite L×L torus at h = 0
//     (Kaufman 1949; Ferdinand & Fisher 1969), with E/N and C/N from exact
//     first and second derivatives in K = βJ;
//   - Onsager's infinite-lattice free energy (by quadrature), energy and
//     specific heat (closed forms with complete elliptic integrals);
//   - brute-force enumeration of small lattices, any field h.
//
// Units: k_B = 1; E/N and C/N per site; C = β² ∂² ln Z / ∂β².
package exact
