package nf

import (
	"fmt"
	"math"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/mc"
)

// Flow is a bijection from N(0, I) to ℝ^Dim.
type Flow interface {
	// Dim is the dimension of z and x.
	Dim() int
	// Forward maps the rows of z (batch, Dim) to x = g(z) and returns
	// ln|det ∂x/∂z| per row.
	Forward(z *ad.Var) (x, logDet *ad.Var)
	// Inverse maps x to z = g⁻¹(x) and returns ln|det ∂z/∂x| per row.
	Inverse(x *ad.Var) (z, logDet *ad.Var)
	// Params are the trainable parameters, in a fixed order.
	Params() []*ad.Var
	// Exact reports whether Forward's log-determinant is that of the map
	// itself and Inverse inverts Forward to round-off, so that LogProb is
	// the exact density of the samples (what Monte Carlo corrections need).
	Exact() bool
	// Config describes the architecture (what Save writes).
	Config() Config
}

// Symmetry is how a flow respects the φ → −φ symmetry of a target.
type Symmetry string

const (
	// NoSymmetry: a plain flow.
	NoSymmetry Symmetry = "none"
	// Equivariant: g(−z) = −g(z), so q(−x) = q(x). Every sampler can use it.
	Equivariant Symmetry = "equivariant"
	// Mixture: the density ½(q₀(x) + q₀(−x)) of a flow q₀; sampling flips
	// the sign of q₀'s samples with probability ½. Evaluating it needs
	// q₀ at −x, so only an exactly invertible flow (RealNVP) can be used.
	Mixture Symmetry = "mixture"
)

var log2Pi = math.Log(2 * math.Pi)

// LogNormal returns ln N(z; 0, I) of every row of z.
func LogNormal(z *ad.Var) *ad.Var {
	d := float64(z.Shape()[1])
	return ad.AddScalar(ad.Scale(ad.SumAxis(ad.Square(z), 1, false), -0.5), -0.5*d*log2Pi)
}

func LogNormalRow(z []float64) float64 {
	var s float64
	for _, v := range z {
		s += v * v
	}
	return -0.5*s - 0.5*float64(len(z))*log2Pi
}

// Model is a trained flow with its symmetry: what samplers use. Its
// density is the flow's, or the symmetrised mixture ½(q₀(x) + q₀(−x)).
type Model struct {
	Flow Flow
	Sym  Symmetry
}

// Dim is the flow's dimension.
func (m *Model) Dim() int { return m.Flow.Dim() }

// Exact reports whether LogProb is the exact density of Sample's draws.
func (m *Model) Exact() bool { return m.Flow.Exact() }

// LogProb returns ln q(x) of every row of x (batch, Dim).
func (m *Model) LogProb(x *ad.Var) *ad.Var {
	lq := func(x *ad.Var) *ad.Var {
		z, ld := m.Flow.Inverse(x)
		return ad.Add(LogNormal(z), ld)
	}
	if m.Sym != Mixture {
		return lq(x)
	}
	return mix(lq(x), lq(ad.Neg(x)))
}

// mix returns ln(½(e^a + e^b)) elementwise, stably.
func mix(a, b *ad.Var) *ad.Var {
	ab := ad.Concat(1, ad.Reshape(a, -1, 1), ad.Reshape(b, -1, 1))
	mx := ad.Const(ad.MaxAxis(ab.Detach(), 1, true).Value)
	s := ad.Log(ad.SumAxis(ad.Exp(ad.Sub(ab, mx)), 1, true))
	return ad.Reshape(ad.AddScalar(ad.Add(s, mx), -math.Ln2), -1)
}

// Push maps latent draws z (batch, Dim) to x and returns ln q(x), as a
// differentiable program (the reparametrisation that reverse-KL training
// differentiates). For the mixture, x = g(z) (the sign flip of Sample
// leaves E_q of a Z2-symmetric integrand unchanged) and ln q is the
// mixture's, which evaluates q₀ at −x through the inverse.
func (m *Model) Push(z *ad.Var) (x, logq *ad.Var) {
	x, ld := m.Flow.Forward(z)
	logq = ad.Sub(LogNormal(z), ld)
	if m.Sym == Mixture {
		zm, ldm := m.Flow.Inverse(ad.Neg(x))
		logq = mix(logq, ad.Add(LogNormal(zm), ldm))
	}
	return x, logq
}

// Sample draws n points from the model with rng and returns them (n, Dim)
// with their ln q, without recording gradients.
func (m *Model) Sample(rng *mc.PCG, n int) (x *ad.Tensor, logq []float64) {
	d := m.Dim()
	z := ad.Zeros(n, d)
	for i := range z.Data {
		z.Data[i] = mc.Normal(rng)
	}
	var flips []bool
	if m.Sym == Mixture {
		flips = make([]bool, n)
		for i := range flips {
			flips[i] = rng.Uint64()&1 == 1
		}
	}
	if vf, ok := m.Flow.(ValueForwarder); ok && m.Sym != Mixture {
		x, ld := vf.ForwardValues(z)
		for i := range ld {
			ld[i] = LogNormalRow(z.Data[i*d:(i+1)*d]) - ld[i]
		}
		return x, ld
	}
	// Push in blocks of rows: the parameters want gradients, so a push
	// keeps every intermediate of its graph until it is done, and a
	// 16-layer convolutional flow's graph of 2048 rows at L = 8 held GBs.
	// Rows are independent: the result is that of one push.
	x, logq = ad.Zeros(n, d), make([]float64, n)
	block := pushBlock(d)
	for r0 := 0; r0 < n; r0 += block {
		r1 := min(n, r0+block)
		xv, lq := m.Push(ad.Const(ad.NewTensor(z.Data[r0*d:r1*d], r1-r0, d)))
		copy(x.Data[r0*d:r1*d], xv.Value.Data)
		copy(logq[r0:r1], lq.Value.Data)
	}
	for i, f := range flips {
		if f {
			for j := range d {
				x.Data[i*d+j] = -x.Data[i*d+j]
			}
		}
	}
	return x, logq
}

// pushBlock is the rows Sample pushes through a flow's graph at once:
// 2¹² numbers (at least 16 rows), ~100 MB for a 16-layer
// convolutional flow.
func pushBlock(dim int) int { return max(16, (1<<12)/dim) }

// ValueForwarder is a flow with a graph-free forward map (x and
// ln|det ∂x/∂z|), which Sample uses.
type ValueForwarder interface {
	ForwardValues(z *ad.Tensor) (x *ad.Tensor, logDet []float64)
}

// params collects the parameters of MLPs.
func params(nets ...*ad.MLP) []*ad.Var {
	var ps []*ad.Var
	for _, n := range nets {
		ps = append(ps, n.Params()...)
	}
	return ps
}

// New builds the flow a Config describes, with weights drawn from rng.
func New(c Config, rng *mc.PCG) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var f Flow
	switch c.Kind {
	case "realnvp":
		f = newRealNVP(c, rng)
	case "monge-ampere":
		f = newMongeAmpere(c, rng)
	case "cnf":
		f = newCNF(c, rng)
	case "neuralrg":
		f = newNeuralRG(c, rng)
	}
	sym := c.Symmetric
	if sym == "" {
		sym = NoSymmetry
	}
	return &Model{Flow: f, Sym: sym}, nil
}

func errorf(format string, args ...any) error { return fmt.Errorf("nf: "+format, args...) }

// DensityError returns the measured bound on the spread of δ(x), the
// difference between ln q and the exact log-density of the map applied,
// for a flow whose ln q is integrated (cnf: the RK4 density), and whether
// it was measured. An exact flow returns 0, true.
func (m *Model) DensityError() (float64, bool) {
	if m.Exact() {
		return 0, true
	}
	if d, ok := m.Flow.(interface{ DensityError() float64 }); ok && d.DensityError() > 0 {
		return d.DensityError(), true
	}
	return math.NaN(), false
}

// WithExactDensity returns the model with an exact density: itself for
// RealNVP (always exact), the flow in exact mode for Monge–Ampère
// (sharing the parameters).
func (m *Model) WithExactDensity() *Model {
	if ma, ok := m.Flow.(*MongeAmpere); ok && !ma.Cfg.Exact {
		return &Model{Flow: ma.ExactMode(), Sym: m.Sym}
	}
	return m
}
