package exact

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mat"

	"github.com/mcflow/mcflow/model"
)

// ln Z of the Ising relaxation at L = 2 by 4-D Gauss–Hermite quadrature,
// against the closed form from the exact Ising ln Z.
func TestIsingRelaxedLogZ(t *testing.T) {
	for _, beta := range []float64{0.2, 0.4406868} {
		r, err := model.NewIsingRelaxed(2, beta)
		if err != nil {
			t.Fatal(err)
		}
		N := 4
		// A = K + αI, K = β·adjacency (each 2×2-torus bond doubled).
		A := mat.NewSymDense(N, nil)
		for i := range N {
			A.SetSym(i, i, r.Alpha)
			for j := range N {
				if i != j && (i/2 == j/2 || i%2 == j%2) {
					A.SetSym(i, j, 2*beta)
				}
			}
		}
		var ch mat.Cholesky
		if !ch.Factorize(A) {
			t.Fatal("A not positive definite")
		}
		var C mat.TriDense
		ch.LTo(&C)
		// x = √2 C y: ∫ e^{−½xᵀA⁻¹x} Π cosh x dx = 2^{N/2} √det A ∫ e^{−|y|²} Π cosh((√2Cy)_i) dy
		const n = 40
		nodes, w := make([]float64, n), make([]float64, n)
		quad.Hermite{}.FixedLocations(nodes, w, math.Inf(-1), math.Inf(1))
		var sum float64
		y := make([]float64, N)
		var idx [4]int
		for k := 0; k < n*n*n*n; k++ {
			rest := k
			wt := 1.0
			for d := range N {
				idx[d] = rest % n
				rest /= n
				y[d] = nodes[idx[d]]
				wt *= w[idx[d]]
			}
			prod := 1.0
			for i := range N {
				var xi float64
				for j := 0; j <= i; j++ {
					xi += math.Sqrt2 * C.At(i, j) * y[j]
				}
				prod *= math.Cosh(xi)
			}
			sum += wt * prod
		}
		got := math.Log(sum) + float64(N)/2*math.Ln2 + 0.5*math.Log(mat.Det(A))
		th, err := BruteForce(2, beta, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := r.LogZFromIsing(th.LnZ * float64(N))
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("beta=%v: ln Z_x by quadrature %v, closed form %v", beta, got, want)
		}
	}
}
