package builtin

import (
	"fmt"
	"math"

	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ea"
	"github.com/mcflow/mcflow/mc/stats"
)

func init() {
	must(kind.RegisterModel(kind.Model{
		Name: "ea",
		Doc: "Edwards–Anderson spin glass on the periodic L^d lattice, E = −Σ J_ij s_i s_j, couplings ±1 or N(0, 1) of disorder sample `sample`; " +
			"a chain is two real replicas (overlaps q, q_l)",
		Version: 1,
		Sample:  "sample",
		Keys: []kind.Key{
			kind.IntKey("dim", 2, 2, 3, "the dimension d"),
			kind.IntKey("L", 8, 2, 256, "the linear size of the L^d torus"),
			{Name: "beta", Type: kind.Float, Default: 1.0, Min: 0, Max: math.Inf(1), MinOpen: true, Doc: "the inverse temperature β"},
			kind.ChoiceKey("couplings", "the couplings' distribution: ±1 with equal probability, or standard normal", "pm", "gaussian"),
			kind.IntKey("sample", 0, 0, math.MaxInt32, "the disorder sample: its couplings derive from (seed, dim, L, couplings, sample), the same at every β; a list is a scan over disorder"),
		},
		New: func(v kind.Values) (kind.Instance, error) {
			return &eaModel{dim: v.Int("dim"), L: v.Int("L"), beta: v.Float("beta"),
				gaussian: v.String("couplings") == "gaussian", sample: uint64(v.Int("sample"))}, nil
		},
	}))
}

// eaModel is one disorder sample at one β; Quench draws its couplings.
type eaModel struct {
	dim, L   int
	beta     float64
	gaussian bool
	sample   uint64
	lat      *ea.Lattice
}

func (m *eaModel) Observables() []string { return ea.Observables }

// Quench draws the sample's couplings from the job's seed.
func (m *eaModel) Quench(seed uint64) error {
	var err error
	m.lat, err = ea.NewLattice(m.dim, m.L, ea.Draw(seed, m.dim, m.L, m.gaussian, m.sample))
	return err
}

// Disorder returns the couplings as an array (d, L, …, L).
func (m *eaModel) Disorder() ([]int, []float64) {
	shape := []int{m.dim}
	for range m.dim {
		shape = append(shape, m.L)
	}
	return shape, m.lat.J
}

func (m *eaModel) NewMetropolis(c kind.ChainConfig) (mc.Chain, error) {
	if m.lat == nil {
		return nil, fmt.Errorf("ea: the sample's couplings were not drawn (Quench)")
	}
	return ea.NewMetropolis(m.lat, m.beta, !m.gaussian, c.Hot, c.RNG), nil
}

// NewMultispin returns 64 pairs of replicas in machine words (±J
// couplings only).
func (m *eaModel) NewMultispin(c kind.ChainConfig) (mc.Chain, error) {
	if m.gaussian {
		return nil, kind.Errorf("couplings", "= \"gaussian\": the multispin engine needs couplings = \"pm\" (use engine = \"plain\")")
	}
	return ea.NewMultispin(m.lat, m.beta, c.Hot, c.RNG)
}

func (m *eaModel) Replicas() int { return ea.Replicas }

// Odd: q is odd under flipping one replica, which no local sampler
// restores at low temperature.
func (m *eaModel) Odd() map[string]string { return map[string]string{"q": "absq"} }

// Derived: the spin-glass susceptibility χ_SG = N⟨q²⟩, the Binder ratio
// g = ½(3 − ⟨q⁴⟩/⟨q²⟩²) and the second-moment correlation length over L,
// ξ_L/L = √(⟨q²⟩/⟨|q(k_min)|²⟩ − 1) / (2L sin(π/L)).
func (m *eaModel) Derived(obs map[string][][]float64) map[string]stats.Value {
	n := float64(m.lat.N)
	q2, q4, qk2 := obs["q2"], obs["q4"], obs["qk2"]
	if len(q2) == 0 || len(q2[0]) == 0 {
		return map[string]stats.Value{}
	}
	L := float64(m.L)
	return map[string]stats.Value{
		"chi_SG": stats.JackknifeValue([][][]float64{q2}, func(mu []float64) float64 { return n * mu[0] }),
		"g":      stats.JackknifeValue([][][]float64{q2, q4}, func(mu []float64) float64 { return 0.5 * (3 - mu[1]/(mu[0]*mu[0])) }),
		"xi_L": stats.JackknifeValue([][][]float64{q2, qk2}, func(mu []float64) float64 {
			return math.Sqrt(math.Max(mu[0]/mu[1]-1, 0)) / (2 * L * math.Sin(math.Pi/L))
		}),
	}
}

// maxExact is the largest number of sites enumerated for Exact.
const maxExact = 16

// Exact enumerates the 2^N states of a small sample: e = ⟨E⟩/N,
// q2 = ⟨q²⟩ = (1/N²) Σ_ij ⟨s_i s_j⟩², ql = (1/(dN)) Σ_⟨ij⟩ ⟨s_i s_j⟩² and
// chi_SG = N q2, for two independent replicas.
func (m *eaModel) Exact() (map[string]float64, string) {
	N := m.lat.N
	if N > maxExact {
		return nil, ""
	}
	s := make([]int8, N)
	corr := make([]float64, N*N)
	var z, e, emin float64
	first := true
	energies := make([]float64, 1<<N)
	for c := range energies {
		for i := range s {
			s[i] = int8(1 - 2*(c>>i&1))
		}
		energies[c] = m.lat.Energy(s)
		if first || energies[c] < emin {
			emin, first = energies[c], false
		}
	}
	for c, E := range energies {
		w := math.Exp(-m.beta * (E - emin))
		z += w
		e += w * E
		for i := range N {
			si := 1 - 2*(c>>i&1)
			for j := range N {
				corr[i*N+j] += w * float64(si*(1-2*(c>>j&1)))
			}
		}
	}
	var q2, ql float64
	for i := range N {
		for j := range N {
			c := corr[i*N+j] / z
			q2 += c * c
		}
		for mu := range m.dim {
			j := m.lat.Neighbour(i, mu)
			c := corr[i*N+j] / z
			ql += c * c
		}
	}
	n := float64(N)
	q2 /= n * n
	return map[string]float64{"e": e / z / n, "q2": q2, "chi_SG": n * q2, "ql": ql / (float64(m.dim) * n)},
		fmt.Sprintf("exact enumeration of the 2^%d states of this sample", N)
}

// DisorderDerived: χ_SG = N[⟨q²⟩], g = ½(3 − [⟨q⁴⟩]/[⟨q²⟩]²) and
// ξ_L/L from [⟨q²⟩] and [⟨|q(k_min)|²⟩].
func (m *eaModel) DisorderDerived(avg map[string]float64) map[string]float64 {
	L := float64(m.L)
	return map[string]float64{
		"chi_SG": float64(m.lat.N) * avg["q2"],
		"g":      0.5 * (3 - avg["q4"]/(avg["q2"]*avg["q2"])),
		"xi_L":   math.Sqrt(math.Max(avg["q2"]/avg["qk2"]-1, 0)) / (2 * L * math.Sin(math.Pi/L)),
	}
}

// Residual is e + (zβ/2)(1 − q_l), z = 2d: its disorder average vanishes
// in equilibrium for Gaussian couplings of unit variance (Katzgraber,
// Palassini and Young 2001).
func (m *eaModel) Residual(means map[string]float64) (float64, bool) {
	if !m.gaussian {
		return 0, false
	}
	z := float64(2 * m.dim)
	return means["e"] + z*m.beta/2*(1-means["ql"]), true
}

// Histogram: P(q) on the N + 1 values q = (2k − N)/N, a bin around each.
func (m *eaModel) Histogram(name string) []float64 {
	if name != "q" {
		return nil
	}
	n := m.lat.N
	edges := make([]float64, n+2)
	for k := range edges {
		edges[k] = (2*float64(k) - 1 - float64(n)) / float64(n)
	}
	return edges
}
