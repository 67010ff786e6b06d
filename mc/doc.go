// Package mc is mcflow's sampling engine: the Chain interface that every
// sampler implements, per-chain random-number streams, and the Pool that
// advances many chains on a fixed number of workers.
//
// # Determinism
//
// A chain owns its state and its RNG stream, derived from (seed, task,
// chain) alone. The Pool runs chains in blocks of rounds separated by
// barriers; which worker advances which chain, and how long a block is,
// never changes what a chain computes. Results are therefore bit-identical
// for any number of workers and for a run interrupted at any barrier and
// resumed from a checkpoint.
//
// # Rounds and barriers
//
// One round is MeasureEvery steps of every chain followed (in the recorded
// phase) by one call to Observe. A block is a number of rounds that the
// Pool runs without synchronising; at the barrier after a block the caller
// receives every chain's observations, writes them and may checkpoint.
package mc
