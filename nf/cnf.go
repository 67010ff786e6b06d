package nf

import (
	"math"
	"sync"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/mc"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// CNF is the equivariant continuous flow of Gerdes, de Haan, Rainone,
// Bondesan and Cheng (arXiv:2207.00283) on an L×L periodic lattice: the
// solution at t = 1 of dφ/dt = v(φ, t) from φ(0) = z, with
//
//	v(φ, t)_x = Σ_r Σ_a K_a(r, t) h_a(φ_{x+r}),
//	h_a(s) = F_a0 s + Σ_{j=1..J} F_aj sin(ω_j s),   ω_j = ω_max·j/J,
//	K_a(r, t) = Σ_b W[o(r), a, b] τ_b(t),
//
// where τ is the Fourier basis 1, sin 2πkt, cos 2πkt on [0, 1] and o(r)
// the orbit of the displacement r under the lattice's rotations and
// reflections (the kernel covers the whole torus). The convolution makes v
// commute with translations, tying W over orbits with the point group, and
// h being odd with φ → −φ. Because v_x depends on φ_y only through
// h(φ_y), the divergence is exact and cheap:
//
//	∇·v = Σ_a κ_a(t) Σ_x h′_a(φ_x),   κ_a(t) = K_a(0, t).
//
// The flow is integrated by Steps RK4 steps; the convolutions run by FFT
// over the torus (the kernel is real and symmetric, so its transform is
// real). ln q is the RK4-integrated divergence along the forward
// trajectory from z = g⁻¹(x), where g is the discrete RK4 map and its
// inverse is found to round-off by a fixed-point refinement of each step
// (backward RK4 alone is only O(h⁴) accurate). It differs from the log-
// Jacobian of the discrete map by δ(x) = O(V h⁴): Exact is false, and
// DensityError, measured after training, bounds δ's spread. The frequencies
// are fixed (so that sin ω_j s comes from one sincos per site by angle
// addition); F and W are trained, W from zero (the identity map).
type CNF struct {
	cfg  Config
	W    *ad.Var // (orbits, Features, TimeBasis)
	F    *ad.Var // (Features, Frequencies+1): column 0 the linear term
	geom *cnfGeom
}

// cnfMaxFrequency is ω_J, the largest frequency of the features (the
// reference initialises its trainable frequencies uniformly in [0, 5]).
const cnfMaxFrequency = 5.0

// cnfGeom is what the flow's evaluation derives from its configuration.
type cnfGeom struct {
	L, V, S   int // side, sites, half-spectrum plane size (L/2+1)·L
	A, J1, Nb int // features, frequencies + 1, time-basis functions
	O         int // orbits of displacements
	orbit     []int
	omega     []float64 // ω_0 = 1 (the linear term), ω_j
}

// Orbits returns the number of orbits of displacements of an L×L torus
// under its rotations and reflections: (m+1)(m+2)/2 with m = ⌊L/2⌋.
func Orbits(L int) int { m := L / 2; return (m + 1) * (m + 2) / 2 }

// orbitOf numbers the orbit of the displacement (dx, dy) of an L×L torus
// by its torus distances a ≤ b along the axes as b(b+1)/2 + a: the number
// of a displacement does not depend on L, so that a kernel transfers
// across lattice sizes.
func orbitOf(dx, dy, L int) int {
	a, b := min(dx, L-dx), min(dy, L-dy)
	if a > b {
		a, b = b, a
	}
	return b*(b+1)/2 + a
}

func newCNFGeom(c Config) *cnfGeom {
	L := c.L
	g := &cnfGeom{L: L, V: L * L, S: (L/2 + 1) * L, A: c.Features, J1: c.Frequencies + 1, Nb: c.TimeBasis, O: Orbits(L)}
	g.orbit = make([]int, g.V)
	for dy := range L {
		for dx := range L {
			g.orbit[dy*L+dx] = orbitOf(dx, dy, L)
		}
	}
	g.omega = make([]float64, g.J1)
	g.omega[0] = 1
	for j := 1; j < g.J1; j++ {
		g.omega[j] = cnfMaxFrequency * float64(j) / float64(c.Frequencies)
	}
	return g
}

// timeBasis fills tau with τ_b(t): 1, then sin 2πkt and cos 2πkt.
func timeBasis(tau []float64, t float64) {
	tau[0] = 1
	for b := 1; b < len(tau); b += 2 {
		s, c := math.Sincos(2 * math.Pi * float64((b+1)/2) * t)
		tau[b] = s
		if b+1 < len(tau) {
			tau[b+1] = c
		}
	}
}

func newCNF(c Config, rng *mc.PCG) *CNF {
	g := newCNFGeom(c)
	F := ad.Zeros(g.A, g.J1)
	// The reference's orthogonal rows scaled by 1/(J+1): entries of
	// about (J+1)^(−3/2).
	s := math.Pow(float64(g.J1), -1.5)
	for i := range F.Data {
		F.Data[i] = s * mc.Normal(rng)
	}
	return &CNF{cfg: c, W: ad.Param(ad.Zeros(g.O, g.A, g.Nb)), F: ad.Param(F), geom: g}
}

func (f *CNF) Dim() int          { return f.cfg.Dim }
func (f *CNF) Exact() bool       { return false }
func (f *CNF) Config() Config    { return f.cfg }
func (f *CNF) Params() []*ad.Var { return []*ad.Var{f.W, f.F} }

// DensityError is the measured standard deviation of δ, the difference
// between ln q and the log-density of the discrete map (0: not measured).
func (f *CNF) DensityError() float64 { return f.cfg.DensityError }

// SetDensityError records a measured DensityError (saved with the flow).
func (f *CNF) SetDensityError(d float64) { f.cfg.DensityError = d }

// jacobianLogDet returns ln|det ∂g/∂z| of a flow's forward map at one
// point z, from Dim reverse passes and an LU factorisation: the
// brute-force reference for a flow whose log-determinant is integrated
// (affordable to a few hundred dimensions).
func jacobianLogDet(f Flow, z []float64) float64 {
	d := len(z)
	zv := ad.Param(ad.NewTensor(append([]float64(nil), z...), 1, d))
	x, _ := f.Forward(zv)
	J := mat.NewDense(d, d, nil)
	for i := range d {
		g := ad.MustGrad(ad.Sum(ad.Slice(x, 1, i, i+1)), []*ad.Var{zv})[0]
		J.SetRow(i, g.Value.Data)
	}
	var lu mat.LU
	lu.Factorize(J)
	ld, _ := lu.LogDet()
	return ld
}

// MeasureDensityError estimates the spread of δ(x), the difference between
// the flow's RK4-integrated ln q and the log-density of its discrete map,
// by step doubling on n draws: the standard deviation over the draws of
// the log-determinant with Steps and with 2·Steps RK4 steps, times 16/15
// (Richardson's factor for a fourth-order rule). A constant δ cancels in
// Monte Carlo; its spread is what biases it. Draws come in chunks of 64
// from streams.Stream(c), on workers goroutines (the result does not
// depend on workers).
func (f *CNF) MeasureDensityError(n, workers int, streams mc.Streams) float64 {
	z := f.draws(n, streams)
	return richardson(f.logDets(z, f.cfg.Steps, workers), f.logDets(z, 2*f.cfg.Steps, workers))
}

// TuneSteps holds the density error below tol: it measures it as
// MeasureDensityError does (the same n draws at every size) and, while it
// is above tol, doubles Steps, up to maxSteps. The error is recorded
// (DensityError), and when Steps grew the steps the flow was trained with
// (TrainSteps): the map saved and sampled is the one with Steps. It
// reports whether tol was met. Each doubling divides the error by about
// 16 and doubles the cost of a sample.
func (f *CNF) TuneSteps(tol float64, maxSteps, n, workers int, streams mc.Streams) bool {
	z := f.draws(n, streams)
	prev := f.logDets(z, f.cfg.Steps, workers)
	for {
		next := f.logDets(z, 2*f.cfg.Steps, workers)
		f.cfg.DensityError = richardson(prev, next)
		if f.cfg.DensityError <= tol || 2*f.cfg.Steps > maxSteps {
			return f.cfg.DensityError <= tol
		}
		if f.cfg.TrainSteps == 0 {
			f.cfg.TrainSteps = f.cfg.Steps
		}
		f.cfg.Steps *= 2
		prev = next
	}
}

// draws returns n standard normal configurations in chunks of 64, chunk
// c from streams.Stream(c).
func (f *CNF) draws(n int, streams mc.Streams) []*ad.Tensor {
	const chunk = 64
	z := make([]*ad.Tensor, (n+chunk-1)/chunk)
	for c := range z {
		rng := streams.Stream(uint64(c))
		z[c] = ad.Zeros(min(chunk, n-c*chunk), f.cfg.Dim)
		for i := range z[c].Data {
			z[c].Data[i] = mc.Normal(rng)
		}
	}
	return z
}

// logDets is the RK4-integrated log-determinant of the map with the given
// steps at each row of z.
func (f *CNF) logDets(z []*ad.Tensor, steps, workers int) []float64 {
	g := *f
	g.cfg.Steps = steps
	d := make([][]float64, len(z))
	Parallel(len(z), workers, func(c int) { _, d[c] = g.ForwardValues(z[c]) })
	var all []float64
	for _, v := range d {
		all = append(all, v...)
	}
	return all
}

// richardson is the step-doubling estimate of the spread of the error of
// the coarse log-determinants: 16/15 times the standard deviation of their
// differences from the fine ones.
func richardson(coarse, fine []float64) float64 {
	d := make([]float64, len(coarse))
	for i := range d {
		d[i] = coarse[i] - fine[i]
	}
	return 16.0 / 15 * stat.StdDev(d, nil)
}

// Parallel runs do(0…n−1) on up to workers goroutines.
func Parallel(n, workers int, do func(i int)) {
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				do(i)
			}
		}()
	}
	wg.Wait()
}
