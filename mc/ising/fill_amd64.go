package ising

import "github.com/mcflow/mcflow/mc/multispin"

//go:noescape
func fillFerro512(row, up, dn, planes *uint64, stride, groups int)

//go:noescape
func fillFerro256(row, up, dn, planes *uint64, stride, groups int)

// fillFerroVector fills the planes of the whole groups of eight sites in
// [k0, k1) whose neighbour windows lie inside the row, on the AVX-512 or
// AVX2 kernel, and returns the first and last + 1 site it filled (k0, k0
// when it filled none).
func (c *Multispin) fillFerroVector(row, up, dn []uint64, p, k0, k1 int) (int, int) {
	fill := fillFerro512
	switch multispin.Active() {
	case multispin.AVX512:
	case multispin.AVX2:
		fill = fillFerro256
	default:
		return k0, k0
	}
	L := c.P.L
	g0 := (k0 + 7) / 8
	if 16*g0+p-1 < 0 {
		g0++
	}
	g1 := k1 / 8
	for g1 > g0 && 16*(g1-1)+p-1+18 > L {
		g1--
	}
	if g1 <= g0 {
		return k0, k0
	}
	q := 16*g0 + p - 1
	always := c.u.Plane(0)
	fill(&row[q], &up[q], &dn[q], &always[8*g0], 8*len(always), g1-g0)
	if c := c.u.Count; c != nil {
		c.Fill += int64(g1 - g0)
	}
	return 8 * g0, 8 * g1
}
