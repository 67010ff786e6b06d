package lattice

// Rows returns row y of an L×L torus held row-major in s, and the rows
// above (y − 1) and below (y + 1) it, wrapped: what a checkerboard sweep
// of a nearest-neighbour model reads, one row at a time (the sites of
// colour c in row y are x ≡ y + c mod 2). Each has length and capacity L,
// so that indexing them needs no further bounds checks.
func Rows[T any](s []T, L, y int) (row, up, dn []T) {
	yu, yd := y-1, y+1
	if y == 0 {
		yu = L - 1
	}
	if yd == L {
		yd = 0
	}
	return s[y*L : (y+1)*L : (y+1)*L], s[yu*L : (yu+1)*L : (yu+1)*L], s[yd*L : (yd+1)*L : (yd+1)*L]
}
