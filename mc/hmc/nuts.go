package hmc

import (
	"encoding/binary"
	"math"

	"github.com/mcflow/mcflow/mc"
)

// The No-U-Turn sampler (Hoffman and Gelman 2014) in Stan's form
// (Betancourt 2017): a trajectory doubled forwards or backwards at random
// until the generalised no-U-turn criterion fails across it or across
// either half of the last doubling, or MaxDepth doublings; the draw is
// picked among all its states with weights e^{−H} (multinomial), the new
// half preferred over the old (biased progressive sampling). A state whose
// energy error exceeds Divergence ends the doubling: the transition is
// divergent. The warmup is HMC's: dual averaging toward a mean Metropolis
// acceptance of the trajectory's states, and the windowed diagonal metric.

// NUTSSeries names what a NUTS chain's AppendSeries appends: HMC's Series,
// then the mean tree depth and the number of transitions cut at MaxDepth
// of the interval.
var NUTSSeries = append(append([]string(nil), Series...), "tree_depth", "at_max_depth")

// phase is a point of phase space: position, momentum, gradient, ln p.
type phase struct {
	x, p, g []float64
	lp      float64
}

func newPhase(n int) phase {
	return phase{x: make([]float64, n), p: make([]float64, n), g: make([]float64, n)}
}

func (z *phase) set(o *phase) {
	copy(z.x, o.x)
	copy(z.p, o.p)
	copy(z.g, o.g)
	z.lp = o.lp
}

// setPoint copies position, gradient and ln p (a proposal's momentum is
// never used).
func (z *phase) setPoint(o *phase) {
	copy(z.x, o.x)
	copy(z.g, o.g)
	z.lp = o.lp
}

// level is the scratch space of one depth of the recursion.
type level struct {
	propose                                 phase
	pSharpInitEnd, pInitEnd, rhoInit        []float64
	pSharpFinalBeg, pFinalBeg, rhoFinal, rx []float64
}

// nuts is a NUTS chain's scratch space and interval counters.
type nuts struct {
	fwd, bwd, cur, sample, propose          phase
	pSharpFB, pSharpFF, pSharpBF, pSharpBB  []float64 // M⁻¹p at the ends of the two halves
	pFB, pFF, pBF, pBB, rho, rhoF, rhoB, rx []float64
	levels                                  []level

	// of a transition
	h0, sumMetro float64
	nLeapfrog    int
	divergent    bool

	// of the measurement interval
	depthSum, atMax float64
}

func newNUTS(n, maxDepth int) *nuts {
	v := func() []float64 { return make([]float64, n) }
	u := &nuts{fwd: newPhase(n), bwd: newPhase(n), cur: newPhase(n), sample: newPhase(n), propose: newPhase(n),
		pSharpFB: v(), pSharpFF: v(), pSharpBF: v(), pSharpBB: v(), pFB: v(), pFF: v(), pBF: v(), pBB: v(),
		rho: v(), rhoF: v(), rhoB: v(), rx: v()}
	for range maxDepth {
		u.levels = append(u.levels, level{propose: newPhase(n), pSharpInitEnd: v(), pInitEnd: v(), rhoInit: v(),
			pSharpFinalBeg: v(), pFinalBeg: v(), rhoFinal: v(), rx: v()})
	}
	return u
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func add(dst, a, b []float64) []float64 {
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
	return dst
}

// uturn reports whether the criterion holds: both ends still move apart
// along ρ, the sum of the momenta between them.
func uturn(pSharpMinus, pSharpPlus, rho []float64) bool {
	return dot(pSharpPlus, rho) > 0 && dot(pSharpMinus, rho) > 0
}

// uturnSum is uturn for ρ = a + b, in one pass; with acc not nil it adds
// ρ to acc as well.
func uturnSum(pSharpMinus, pSharpPlus, a, b, acc []float64) bool {
	n := len(a)
	pm, pp, b := pSharpMinus[:n], pSharpPlus[:n], b[:n]
	var dm, dp float64
	if acc != nil {
		acc = acc[:n]
		for i, v := range a {
			r := v + b[i]
			acc[i] += r
			dp += pp[i] * r
			dm += pm[i] * r
		}
	} else {
		for i, v := range a {
			r := v + b[i]
			dp += pp[i] * r
			dm += pm[i] * r
		}
	}
	return dp > 0 && dm > 0
}

func logAddExp(a, b float64) float64 {
	if a == math.Inf(-1) {
		return b
	}
	if b == math.Inf(-1) {
		return a
	}
	m := math.Max(a, b)
	return m + math.Log(math.Exp(a-m)+math.Exp(b-m))
}

// stepNUTS is one NUTS transition.
func (h *HMC) stepNUTS() error {
	u := h.nuts
	copy(u.cur.x, h.x)
	copy(u.cur.g, h.g)
	u.cur.lp = h.lp
	u.h0 = h.momenta() - h.lp
	copy(u.cur.p, h.p)
	u.fwd.set(&u.cur)
	u.bwd.set(&u.cur)
	u.sample.set(&u.cur)
	h.sharp(u.pSharpFB, u.cur.p)
	for _, v := range [][]float64{u.pSharpFF, u.pSharpBF, u.pSharpBB} {
		copy(v, u.pSharpFB)
	}
	for _, v := range [][]float64{u.pFB, u.pFF, u.pBF, u.pBB, u.rho} {
		copy(v, u.cur.p)
	}
	logSumW := 0.0
	u.sumMetro, u.nLeapfrog, u.divergent = 0, 0, false
	depth := 0
	for depth < h.o.MaxDepth {
		clear(u.rhoF)
		clear(u.rhoB)
		logSumWSub := math.Inf(-1)
		var valid bool
		if mc.Uniform(h.rng) > 0.5 { // forwards from the forward end
			copy(u.rhoB, u.rho) // the trajectory so far is the backward half
			copy(u.pBF, u.pFF)
			copy(u.pSharpBF, u.pSharpFF)
			u.cur.set(&u.fwd)
			valid = h.buildTree(depth, &u.propose, u.pSharpFB, u.pSharpFF, u.rhoF, u.pFB, u.pFF, 1, &logSumWSub)
			u.fwd.set(&u.cur)
		} else { // backwards from the backward end
			copy(u.rhoF, u.rho) // the trajectory so far is the forward half
			copy(u.pFB, u.pBB)
			copy(u.pSharpFB, u.pSharpBB)
			u.cur.set(&u.bwd)
			valid = h.buildTree(depth, &u.propose, u.pSharpBF, u.pSharpBB, u.rhoB, u.pBF, u.pBB, -1, &logSumWSub)
			u.bwd.set(&u.cur)
		}
		if !valid {
			break
		}
		depth++
		if logSumWSub > logSumW || mc.Uniform(h.rng) < math.Exp(logSumWSub-logSumW) {
			u.sample.setPoint(&u.propose)
		}
		logSumW = logAddExp(logSumW, logSumWSub)
		add(u.rho, u.rhoB, u.rhoF)
		persist := uturn(u.pSharpBB, u.pSharpFF, u.rho)
		persist = persist && uturn(u.pSharpBB, u.pSharpFB, add(u.rx, u.rhoB, u.pFB))
		persist = persist && uturn(u.pSharpBF, u.pSharpFF, add(u.rx, u.rhoF, u.pBF))
		if !persist {
			break
		}
	}
	acc := u.sumMetro / float64(max(u.nLeapfrog, 1))
	h.proposed++
	h.accSum += acc
	if !equal(u.sample.x, h.x) {
		h.accepted++
	}
	copy(h.x, u.sample.x)
	copy(h.g, u.sample.g)
	h.lp = u.sample.lp
	h.energy = u.h0 // the starting Hamiltonian, as Stan's energy__
	h.lastDivergent = u.divergent
	if u.divergent {
		h.divergent++
	}
	u.depthSum += float64(depth)
	h.leapfrogs += u.nLeapfrog
	if depth == h.o.MaxDepth {
		u.atMax++
	}
	h.addEnergy(h.energy)
	if h.iter < h.warmup {
		h.adapt(acc)
	}
	h.iter++
	return nil
}

func equal(a, b []float64) bool {
	for i, v := range a {
		if v != b[i] {
			return false
		}
	}
	return true
}

// buildTree extends the trajectory from u.cur by 2^depth leapfrog steps
// in the direction sign, picks a proposal among them (into propose) and
// accumulates ρ and the log of the sum of their weights. It reports
// whether the subtree is valid (no divergence, no U-turn inside it).
func (h *HMC) buildTree(depth int, propose *phase, pSharpBeg, pSharpEnd, rho, pBeg, pEnd []float64, sign float64, logSumW *float64) bool {
	u := h.nuts
	if depth == 0 {
		z := &u.cur
		hz := h.leaf(z, sign*h.eps, pSharpBeg, pSharpEnd, rho, pBeg, pEnd) - z.lp
		u.nLeapfrog++
		if math.IsNaN(hz) {
			hz = math.Inf(1)
		}
		if hz-u.h0 > Divergence {
			u.divergent = true
		}
		*logSumW = logAddExp(*logSumW, u.h0-hz)
		if u.h0-hz > 0 {
			u.sumMetro++
		} else {
			u.sumMetro += math.Exp(u.h0 - hz)
		}
		propose.setPoint(z)
		return !u.divergent
	}
	l := &u.levels[depth-1]
	// The inner ends of the halves; a half of one point has one end.
	pSharpInitEnd, pInitEnd, pSharpFinalBeg, pFinalBeg := l.pSharpInitEnd, l.pInitEnd, l.pSharpFinalBeg, l.pFinalBeg
	if depth == 1 {
		pSharpInitEnd, pInitEnd, pSharpFinalBeg, pFinalBeg = pSharpBeg, pBeg, pSharpEnd, pEnd
	}
	logSumWInit := math.Inf(-1)
	clear(l.rhoInit)
	if !h.buildTree(depth-1, propose, pSharpBeg, pSharpInitEnd, l.rhoInit, pBeg, pInitEnd, sign, &logSumWInit) {
		return false
	}
	logSumWFinal := math.Inf(-1)
	clear(l.rhoFinal)
	if !h.buildTree(depth-1, &l.propose, pSharpFinalBeg, pSharpEnd, l.rhoFinal, pFinalBeg, pEnd, sign, &logSumWFinal) {
		return false
	}
	logSumWSub := logAddExp(logSumWInit, logSumWFinal)
	*logSumW = logAddExp(*logSumW, logSumWSub)
	if mc.Uniform(h.rng) < math.Exp(logSumWFinal-logSumWSub) {
		propose.setPoint(&l.propose)
	}
	// ρ of the subtree, added to rho, and the criterion across it and
	// across each half extended by the other's nearest point
	// (for two points the three are the same test)
	persist := uturnSum(pSharpBeg, pSharpEnd, l.rhoInit, l.rhoFinal, rho)
	if depth == 1 {
		return persist
	}
	persist = persist && uturnSum(pSharpBeg, pSharpFinalBeg, l.rhoInit, pFinalBeg, nil)
	persist = persist && uturnSum(pSharpInitEnd, pSharpEnd, l.rhoFinal, pInitEnd, nil)
	return persist
}

// leaf takes one leapfrog step of size eps from z (in place) and records
// the new point as a one-point subtree: M⁻¹p at both its ends (pSharpBeg,
// pSharpEnd), p at both (pBeg, pEnd), p added to ρ. It returns the kinetic
// energy. With the diagonal metric these passes are fused with the last
// half kick.
func (h *HMC) leaf(z *phase, eps float64, pSharpBeg, pSharpEnd, rho, pBeg, pEnd []float64) float64 {
	if h.dense != nil || !h.drift(z, eps) {
		if h.dense != nil {
			h.leapfrogOne(z, eps)
		}
		h.sharp(pSharpBeg, z.p)
		copy(pSharpEnd, pSharpBeg)
		add(rho, rho, z.p)
		copy(pBeg, z.p)
		copy(pEnd, z.p)
		return h.kinetic(z.p)
	}
	n := len(z.p)
	p, g, invM := z.p[:n], z.g[:n], h.invM[:n]
	sb, se, r, pb, pe := pSharpBeg[:n], pSharpEnd[:n], rho[:n], pBeg[:n], pEnd[:n]
	var k float64
	if &sb[0] == &se[0] { // one slice for both ends
		for i, v := range p {
			v += 0.5 * eps * g[i]
			p[i] = v
			sb[i] = invM[i] * v
			k += 0.5 * v * v * invM[i]
			r[i] += v
			pb[i] = v
		}
		return k
	}
	for i, v := range p {
		v += 0.5 * eps * g[i]
		p[i] = v
		s := invM[i] * v
		k += 0.5 * v * v * invM[i]
		sb[i], se[i] = s, s
		r[i] += v
		pb[i], pe[i] = v, v
	}
	return k
}

// drift is the diagonal metric's leapfrog step up to the last half kick:
// kick ½ε, drift ε, gradient. It reports whether ln p is finite (if not,
// ln p is −∞ and the step ends there, as leapfrogOne's).
func (h *HMC) drift(z *phase, eps float64) bool {
	n := len(z.p)
	p, x, g, invM := z.p[:n], z.x[:n], z.g[:n], h.invM[:n]
	for i := range p {
		p[i] += 0.5 * eps * g[i]
	}
	for i := range x {
		x[i] += eps * invM[i] * p[i]
	}
	z.lp = h.t.GradLogProb(g, x)
	if math.IsNaN(z.lp) || math.IsInf(z.lp, 0) {
		z.lp = math.Inf(-1)
		return false
	}
	return true
}

// leapfrogOne is one leapfrog step of size eps from z, in place.
func (h *HMC) leapfrogOne(z *phase, eps float64) {
	for i := range z.p {
		z.p[i] += 0.5 * eps * z.g[i]
	}
	if d := h.dense; d != nil {
		v := d.mul(d.v, z.p)
		for i := range z.x {
			z.x[i] += eps * v[i]
		}
	} else {
		for i := range z.x {
			z.x[i] += eps * h.invM[i] * z.p[i]
		}
	}
	z.lp = h.t.GradLogProb(z.g, z.x)
	if math.IsNaN(z.lp) || math.IsInf(z.lp, 0) {
		z.lp = math.Inf(-1)
		return
	}
	for i := range z.p {
		z.p[i] += 0.5 * eps * z.g[i]
	}
}

// appendSeries appends the interval's tree depth (mean) and the
// transitions cut at MaxDepth and restarts them; proposed is the
// interval's transitions.
func (u *nuts) appendSeries(dst []float64, proposed int) []float64 {
	dst = append(dst, u.depthSum/float64(proposed), u.atMax)
	u.depthSum, u.atMax = 0, 0
	return dst
}

// marshal appends the interval counters.
func (u *nuts) marshal(b []byte) []byte {
	for _, v := range []float64{u.depthSum, u.atMax} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

// unmarshal reads the interval counters from the end of b and returns the
// rest.
func (u *nuts) unmarshal(b []byte) ([]byte, bool) {
	if len(b) < 16 {
		return nil, false
	}
	n := len(b) - 16
	for i, v := range []*float64{&u.depthSum, &u.atMax} {
		*v = math.Float64frombits(binary.LittleEndian.Uint64(b[n+8*i:]))
	}
	return b[:n], true
}
