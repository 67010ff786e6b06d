package tn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mcflow/mcflow/ad"
)

// TestTFIMHamiltonian: the ground-state energy of the uniform ring at
// J = h = 1, L = 4, against the free-fermion solution
// E₀ = −Σ_k √(J² + h² − 2Jh cos k) over k = ±π/4, ±3π/4 (antiperiodic
// fermions, the even-parity sector).
func TestTFIMHamiltonian(t *testing.T) {
	m, _ := NewTFIM(4)
	p := ad.Const(ad.Full(1, 8))
	e0, psi := m.GroundState(p)
	var want float64
	for _, k := range []float64{math.Pi / 4, 3 * math.Pi / 4, -math.Pi / 4, -3 * math.Pi / 4} {
		want -= math.Sqrt(2 - 2*math.Cos(k))
	}
	if d := math.Abs(e0.Item() - want); d > 1e-12 {
		t.Errorf("E0 = %.15f, free fermions %.15f", e0.Item(), want)
	}
	var n float64
	for _, v := range psi.Value.Data {
		n += v * v
	}
	if math.Abs(n-1) > 1e-12 {
		t.Errorf("ground state norm² %v", n)
	}
	// The infidelity is differentiable: GradCheck through Eigh.
	rng := rand.New(rand.NewPCG(1, 1))
	target := RandomState(4, rng)
	f := func(x []*ad.Var) *ad.Var { return m.Infidelity(x[0], target) }
	if err := ad.GradCheck(f, []*ad.Tensor{RandomParams(4, 0.5, 1.5, rng)}, 1e-6); err != nil {
		t.Error(err)
	}
}

// TestTFIMLearn: a target that is the ground state of a random TFIM is
// reached to infidelity < 1e-6; for a random target the loss decreases.
func TestTFIMLearn(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	const L = 6
	m, _ := NewTFIM(L)
	truth := RandomParams(L, 0.5, 1.5, rng)
	_, psi := m.GroundState(ad.Const(truth))
	_, infid, err := m.Learn(psi.Value, ad.Full(1, 2*L), 1500, 0.05, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !(infid < 1e-6) {
		t.Errorf("learned infidelity %.3g, want < 1e-6", infid)
	}
	var first float64
	_, last, err := m.Learn(RandomState(L, rng), ad.Full(1, 2*L), 100, 0.05, func(step int, v float64) {
		if step == 0 {
			first = v
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !(last < first) {
		t.Errorf("random target: infidelity went from %v to %v", first, last)
	}
	t.Logf("TFIM target: infidelity %.3g; random target: %.4f -> %.4f", infid, first, last)
}
