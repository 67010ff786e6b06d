// Package lattice holds what the lattice models share: the periodic
// d-dimensional torus with its neighbour table, Wolff cluster growth of
// discrete states given the model's bond probability, the interval counts
// of cluster moves that the cluster samplers report, and the layout of a
// lattice chain's checkpointed state. A model package (ising, ising3d,
// potts, xy, ea) keeps only what is its own: its moves, its observables
// and its exact references.
package lattice
