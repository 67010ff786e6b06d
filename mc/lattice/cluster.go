package lattice

import "github.com/mcflow/mcflow/mc"

// Site is the state of a discrete site: an Ising spin (±1) or a Potts
// state.
type Site interface{ ~int8 | ~uint8 }

// FlipCluster is one Wolff move on the torus: it sets site seed, in state
// a, to b and grows the cluster from it depth first, adding each
// neighbour still in state a with probability thr/2⁶⁴ (one
// rng.Uint64() < thr per bond tried), and setting it to b. It returns the
// cluster's size; stack is scratch space, returned for reuse.
func FlipCluster[S Site](t *Torus, s []S, seed int32, a, b S, thr uint64, rng *mc.PCG, stack []int32) ([]int32, int64) {
	k := 2 * t.D
	nbr := t.nbr
	s[seed] = b
	stack = append(stack[:0], seed)
	size := int64(1)
	for len(stack) > 0 {
		i := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		for _, j := range nbr[k*i : k*i+k] {
			if s[j] == a && rng.Uint64() < thr {
				s[j] = b
				stack = append(stack, j)
				size++
			}
		}
	}
	return stack, size
}
