package builtin

import (
	"math"

	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
	"github.com/mcflow/mcflow/mc/stats"
	"github.com/mcflow/mcflow/model"
)

func init() {
	must(kind.RegisterModel(kind.Model{
		Name:    "phi4",
		Doc:     "Lattice φ⁴ theory on the L×L torus, S = Σ_x [Σ_μ φ_x(2φ_x − φ_{x+μ} − φ_{x−μ}) + m²φ_x² + λφ_x⁴]",
		Version: 2,
		Lattice: true,
		Keys: []kind.Key{
			kind.IntKey("L", 8, 2, 1024, "the linear size of the L×L torus"),
			kind.AnyKey("m2", -4, "the mass term m²"),
			kind.FloatKey("lam", 8, 0, math.Inf(1), "the quartic coupling λ"),
		},
		New: func(p kind.Values) (kind.Instance, error) {
			tg, err := model.NewPhi4(p.Int("L"), p.Float("m2"), p.Float("lam"))
			return phi4{target{tg}}, err
		},
	}))
	must(kind.RegisterModel(kind.Model{
		Name:    "ising2d-relaxed",
		Doc:     "The L×L Ising torus (J = 1, h = 0) as a continuous target by the Hubbard–Stratonovich relaxation; spins drawn at measurements",
		Version: 2,
		Lattice: true,
		Keys: []kind.Key{
			kind.IntKey("L", 8, 2, 64, "the linear size of the L×L torus"),
			{Name: "beta", Type: kind.Float, Default: 0.4406868, Min: 0, Max: math.Inf(1), MinOpen: true, Doc: "the inverse temperature β"},
		},
		New: func(p kind.Values) (kind.Instance, error) {
			tg, err := model.NewIsingRelaxed(p.Int("L"), p.Float("beta"))
			return relaxed{target{tg}, tg}, err
		},
	}))
	must(kind.RegisterModel(kind.Model{
		Name:    "toy2d",
		Doc:     "Two-dimensional test densities with quadrature references",
		Version: 2,
		Keys:    []kind.Key{kind.ChoiceKey("name", "which density", model.Toy2DNames...)},
		New: func(p kind.Values) (kind.Instance, error) {
			tg, err := model.NewToy2D(p.String("name"))
			return toy2d{target{tg}, tg}, err
		},
	}))
}

// target is a continuous model measured by its target (model.Observer).
type target struct{ tg model.Target }

func (t target) Target() model.Target { return t.tg }

func (t target) Observables() []string {
	if o, ok := t.tg.(model.Observer); ok {
		return o.ObservableNames()
	}
	return nil
}

func (t target) Shape() []int { return []int{t.tg.Dim()} }

type phi4 struct{ target }

func (m phi4) Odd() map[string]string { return map[string]string{"m": "absm"} }

func (m phi4) Shape() []int {
	L := m.tg.(*model.Phi4).L
	return []int{L, L}
}

// Derived: chi = V(⟨m2⟩ − ⟨|m|⟩²) and U4, as the Ising model's at β = 1.
func (m phi4) Derived(obs map[string][][]float64) map[string]stats.Value {
	d := ising.Derived(ising.Params{L: m.tg.(*model.Phi4).L, Beta: 1, J: 1}, obs)
	delete(d, "C")
	return d
}

type relaxed struct {
	target
	r *model.IsingRelaxed
}

func (m relaxed) Observables() []string               { return []string{"e", "m", "absm", "m2", "e_rb"} }
func (m relaxed) Odd() map[string]string              { return map[string]string{"m": "absm"} }
func (m relaxed) Shape() []int                        { return []int{m.r.L, m.r.L} }
func (m relaxed) p() ising.Params                     { return ising.Params{L: m.r.L, Beta: m.r.Beta, J: 1} }
func (m relaxed) Exact() (map[string]float64, string) { return kaufman(m.r.L, m.r.Beta, 1) }

// ExactAt is Exact at another β (kind.ExactCurve).
func (m relaxed) ExactAt(beta float64) map[string]float64 {
	v, _ := kaufman(m.r.L, beta, 1)
	return v
}

func (m relaxed) Derived(obs map[string][][]float64) map[string]stats.Value {
	return ising.Derived(m.p(), obs)
}

func (m relaxed) LogZ() (float64, string, error) {
	k, err := exact.Kaufman(m.r.L, m.r.Beta, 1)
	return m.r.LogZFromIsing(k.LnZ * float64(m.r.L*m.r.L)), "Kaufman's exact Ising ln Z (finite torus)", err
}

// NewMeasure draws the Ising spins given x from the chain's own stream and
// measures them: e, m, |m|, m², and the Rao–Blackwellised energy.
func (m relaxed) NewMeasure(rng *mc.PCG) func(dst, x []float64) []float64 {
	spins := make([]int8, m.r.Dim())
	return func(dst, x []float64) []float64 {
		m.r.Spins(spins, x, func() float64 { return mc.Uniform(rng) })
		lat := ising.Lattice{L: m.r.L, Spin: spins}
		bonds, mag := lat.Sums()
		n := float64(len(x))
		mm := float64(mag) / n
		return append(dst, -float64(bonds)/n, mm, math.Abs(mm), mm*mm, m.r.ERB(x))
	}
}

type toy2d struct {
	target
	t *model.Toy2D
}

func (m toy2d) Exact() (map[string]float64, string) {
	mo, err := exact.Toy2D(m.t, 0.25)
	if err != nil {
		return nil, ""
	}
	return map[string]float64{"x1": mo.Mean[0], "x2": mo.Mean[1], "x1x1": mo.Second[0], "x2x2": mo.Second[1]}, "2D Gauss–Legendre quadrature"
}

func (m toy2d) LogZ() (float64, string, error) {
	mo, err := exact.Toy2D(m.t, 0.25)
	return mo.LnZ, "2D Gauss–Legendre quadrature", err
}
