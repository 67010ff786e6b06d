package lattice

import "sync"

// Torus is the periodic lattice of L^D sites, numbered row-major with x
// fastest: site (x, y, z) is x + L·(y + L·z). Each site has 2D
// neighbours, in the order +x, −x, +y, −y, +z, −z (the order in which
// the cluster samplers visit them, and so draw their random numbers).
type Torus struct {
	L, D, N int
	nbr     []int32 // 2D neighbours per site
}

var tori sync.Map // [2]int{L, D} → *Torus

// NewTorus returns the L^D torus. Its neighbour table is built once per
// (L, D) and shared, read-only, by every chain of that size.
func NewTorus(L, D int) *Torus {
	key := [2]int{L, D}
	if t, ok := tori.Load(key); ok {
		return t.(*Torus)
	}
	n := 1
	for range D {
		n *= L
	}
	t := &Torus{L: L, D: D, N: n, nbr: make([]int32, 2*D*n)}
	for i := range n {
		stride := 1
		for a := range D {
			c := i / stride % L
			base := i - c*stride
			t.nbr[2*D*i+2*a] = int32(base + (c+1)%L*stride)
			t.nbr[2*D*i+2*a+1] = int32(base + (c+L-1)%L*stride)
			stride *= L
		}
	}
	got, _ := tori.LoadOrStore(key, t)
	return got.(*Torus)
}

// Neighbours returns the 2D neighbours of site i (+x, −x, +y, …).
func (t *Torus) Neighbours(i int) []int32 {
	k := 2 * t.D
	return t.nbr[k*i : k*i+k : k*i+k]
}
