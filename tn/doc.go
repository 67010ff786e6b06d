// Package tn holds tensor-network solvers whose results are differentiated
// exactly:
//
//   - TRG, the tensor renormalization group of Levin and Nave for the 2D
//     Ising model: ln Z/N, and E/N and C/N as the exact first and second
//     β-derivatives of the truncated TRG's own ln Z, by forward-mode
//     differentiation: the tensor's jet (T, ∂_βT, ∂²_βT) is carried through
//     every step, SVDs and the randomized range finder included (closed-form
//     derivatives), so the memory is that of one step;
//   - HOTRG, the higher-order TRG of Xie et al. for the Ising model on the
//     square and simple cubic lattices, with E and C by the same jets;
//   - TFIM, the transverse-field Ising chain with site-dependent couplings
//     and fields, its ground state by ad's differentiable Eigh, and the
//     "Hamiltonian engineering" of (J, h) towards a target state.
package tn
