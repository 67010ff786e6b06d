// Package tn holds tensor-network solvers written with mcflow's ad package,
// so that their results can be differentiated:
//
//   - TRG, the tensor renormalization group of Levin and Nave for the 2D
//     Ising model: ln Z/N, and E/N and C/N by reverse-mode automatic
//     differentiation through the whole coarse-graining, SVDs included
//     (second order for C), with ad's broadened SVD backward;
//   - TFIM, the transverse-field Ising chain with site-dependent couplings
//     and fields, its ground state by ad's differentiable Eigh, and the
//     "Hamiltonian engineering" of (J, h) towards a target state.
package tn
