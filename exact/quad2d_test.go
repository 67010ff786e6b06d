package exact

import (
	"math"
	"testing"

	"github.com/mcflow/mcflow/model"
)

// Toy2DMoments is how mcflow computes the toy densities' exact values.
func toyMoments(t *testing.T, name string, h float64) Moments2D {
	tg, err := model.NewToy2D(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Toy2D(tg, h)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Closed forms where they exist; convergence in the panel size elsewhere.
func TestQuad2DToys(t *testing.T) {
	w := 0.32
	ring2d := math.Log(2 * math.Pi * (w/2*math.Exp(-4/w) + math.Sqrt(math.Pi*w)*(1+math.Erf(2/math.Sqrt(w)))))
	closed := map[string]float64{
		"gaussian": math.Log(math.Pi),                                            // ∫e^{−xᵀPx}, det P = 1
		"mog2":     math.Log(2 * 2 * math.Pi * 0.25),                             // two Gaussians of σ² = 1/4
		"wave":     math.Log(math.Sqrt(2*math.Pi) * 0.4 * math.Sqrt(32*math.Pi)), // ∫e^{−u²/2}dx₂ · ∫e^{−x₁²/32}dx₁
		"ring2d":   ring2d,
	}
	for _, name := range model.Toy2DNames {
		m := toyMoments(t, name, 0.5)
		if want, ok := closed[name]; ok {
			if math.Abs(m.LnZ-want) > 1e-10 {
				t.Errorf("%s: ln Z = %.14f, closed form %.14f", name, m.LnZ, want)
			}
		}
		fine := toyMoments(t, name, 0.25)
		if math.Abs(m.LnZ-fine.LnZ) > 1e-10 {
			t.Errorf("%s: ln Z %.14f with h=0.5, %.14f with h=0.25", name, m.LnZ, fine.LnZ)
		}
		for k := range 3 {
			if math.Abs(m.Second[k]-fine.Second[k]) > 1e-9 {
				t.Errorf("%s: second moment %d: %v vs %v", name, k, m.Second[k], fine.Second[k])
			}
		}
	}
	g := toyMoments(t, "gaussian", 0.25) // covariance ½[[2,−1],[−1,1]]
	want := [3]float64{1, 0.5, -0.5}
	for k := range 3 {
		if math.Abs(g.Second[k]-want[k]) > 1e-12 {
			t.Errorf("gaussian: second moment %d = %v, want %v", k, g.Second[k], want[k])
		}
	}
}
