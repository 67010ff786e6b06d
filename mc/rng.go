package mc

import "math/rand/v2"

// splitmix64 is the finaliser of Vigna's SplitMix64: a bijection of uint64
// that spreads every input bit over the output.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// StreamSeeds returns the two PCG seeds of the stream of chain `chain` of
// task `task` under the job seed `seed`. The mapping is a contract: changing
// it changes every result ever produced (see TestStreamGolden).
func StreamSeeds(seed uint64, task, chain int) (hi, lo uint64) {
	h := splitmix64(seed)
	h = splitmix64(h ^ uint64(task)*0xd1342543de82ef95)
	hi = splitmix64(h ^ 0x5851f42d4c957f2d)
	lo = splitmix64(h ^ uint64(chain)*0xaf251af3b0f025b5 ^ 0x14057b7ef767814f)
	return hi, lo
}

// NewStream returns the RNG stream of a chain: a math/rand/v2 PCG generator,
// whose state marshals to 20 bytes for checkpoints.
func NewStream(seed uint64, task, chain int) *rand.PCG {
	return rand.NewPCG(StreamSeeds(seed, task, chain))
}
