package multispin

import (
	"math"

	"github.com/mcflow/mcflow/mc"
)

// classes sorts the classes of a move by threshold (thr[c] of class c,
// from mc.Threshold): always lists those that always succeed (2⁶⁴ − 1),
// groups those that need a random decision, grouped by equal threshold
// (group g's threshold is gthr[g]); classes of threshold 0 never flip.
func classes(thr []uint64) (always []int, gthr []uint64, groups [][]int) {
	index := map[uint64]int{}
	for c, t := range thr {
		switch t {
		case math.MaxUint64:
			always = append(always, c)
		case 0:
		default:
			g, ok := index[t]
			if !ok {
				g = len(gthr)
				index[t] = g
				gthr = append(gthr, t)
				groups = append(groups, nil)
			}
			groups[g] = append(groups[g], c)
		}
	}
	return always, gthr, groups
}

// Unit is what a multispin unit decides with: its lanes, the levels of
// its thresholds and the decision planes of one row.
type Unit struct {
	Lanes  Streams
	levels *Levels
	planes []uint64
	stride int
	always []int   // the classes that always flip
	groups [][]int // the classes of each threshold group
	// Count, when set, counts the work of the unit's rows for a vector
	// kernel (benchmarks' instructions per flip); the rows are then
	// decided by the portable kernel, with the same decisions.
	Count *Count
}

// Count is the work of deciding rows on a vector kernel.
type Count struct {
	Groups int64 // groups of Lanes sites
	Levels int64 // level iterations, summed over the groups
	Fill   int64 // groups whose planes a vector kernel computed (the engine counts them)
}

// Instructions returns the instructions the AVX-512 kernel executes for
// the work c with G threshold groups, counted from kernels_amd64.s
// (TestInstructionCounts recounts the blocks): per group of eight sites
// the blocks group512 (8), und512 (4 per threshold group + 2), the last
// level's test (3) and done512's loop part (4); per level the block
// level512 (20) and thr512 (6 per threshold group + 5).
func Instructions(c Count, G int) int64 {
	return c.Groups*int64(17+4*G) + c.Levels*int64(25+6*G)
}

// NewUnit returns the decisions of a unit whose rows have at most L
// sites, with the lanes of rng's stream and the thresholds thr[c] of its
// move's classes (mc.Threshold of each class's acceptance probability).
func NewUnit(rng *mc.PCG, L int, thr []uint64) *Unit {
	stride := (L/2 + 1 + Lanes - 1) / Lanes * Lanes
	always, gthr, groups := classes(thr)
	return &Unit{Lanes: NewStreams(rng), levels: NewLevels(gthr...), planes: make([]uint64, (len(gthr)+1)*stride),
		stride: stride, always: always, groups: groups}
}

// Classes returns the classes that always flip and those of each
// threshold group (groups of equal threshold, in class order), for an
// engine's planes of its usual classes.
func (u *Unit) Classes() (always []int, groups [][]int) { return u.always, u.groups }

// SetClasses sets the planes of site k from its class masks (m[c]: the
// replicas of the site in class c).
func (u *Unit) SetClasses(k int, m []uint64) {
	var flip uint64
	for _, c := range u.always {
		flip |= m[c]
	}
	u.planes[k] = flip
	for g, cls := range u.groups {
		var v uint64
		for _, c := range cls {
			v |= m[c]
		}
		u.planes[(1+g)*u.stride+k] = v
	}
}

// Groups returns the number of threshold groups.
func (u *Unit) Groups() int { return len(u.levels.thr) }

// Plane returns decision plane i of the row (0: the replicas that flip
// without a decision; 1 + g: those in group g), indexed by site.
func (u *Unit) Plane(i int) []uint64 { return u.planes[i*u.stride : (i+1)*u.stride : (i+1)*u.stride] }

// Row updates the sites x = 2k + p of a row (of len(row) words): fill(k0,
// k1) sets the planes of the sites [k0, k1) from their neighbours, then
// they are decided and their words flipped. For odd len(row) and p = 0
// the last site neighbours the first through the boundary: it is filled
// and decided after the others are flipped, as a sequential sweep would.
func (u *Unit) Row(row []uint64, p int, fill func(k0, k1 int)) {
	L := len(row)
	n := (L - p + 1) / 2
	if L%2 == 1 && p == 0 {
		u.row(row, p, 0, n-1, fill)
		u.row(row, p, n-1, n, fill)
		return
	}
	u.row(row, p, 0, n, fill)
}

func (u *Unit) row(row []uint64, p, k0, k1 int, fill func(k0, k1 int)) {
	g0 := k0 / Lanes * Lanes // the first site of k0's lanes
	g1 := (k1 + Lanes - 1) / Lanes * Lanes
	for g := 0; g < len(u.planes); g += u.stride { // outside [k0, k1): nothing to decide
		clear(u.planes[g+g0 : g+k0])
		clear(u.planes[g+k1 : g+g1])
	}
	fill(k0, k1)
	if c := u.Count; c != nil && len(u.levels.thr) > 0 {
		c.Groups += int64(g1-g0) / Lanes
		c.Levels += int64(u.levels.decideCounting(u.planes[g0:], u.stride, g1-g0, &u.Lanes))
	} else {
		u.levels.Decide(u.planes[g0:], u.stride, g1-g0, &u.Lanes)
	}
	flip := u.planes[k0:k1]
	for i, f := range flip {
		row[2*(k0+i)+p] ^= f
	}
}
