package builtin

import (
	"math"
	"strconv"

	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/model"
)

// The calibration targets of gradient samplers: a multivariate normal of
// spread scales and correlation, and Neal's funnel.
func init() {
	must(kind.RegisterModel(kind.Model{
		Name:    "mvn",
		Doc:     "Zero-mean multivariate normal, scales log-spaced from scale_min to scale_max, AR(1) correlation rho; records every x_i and x_i² (exact moments)",
		Version: 1,
		Keys: []kind.Key{
			kind.IntKey("dim", 100, 1, 100000, "the dimension"),
			kind.PositiveKey("scale_min", 0.01, "the smallest standard deviation σ_1"),
			kind.PositiveKey("scale_max", 1, "the largest standard deviation σ_dim (σ_i log-spaced between)"),
			{Name: "rho", Type: kind.Float, Default: 0.0, Min: -1, Max: 1, Doc: "the AR(1) correlation: corr(x_i, x_j) = rho^|i−j| (|rho| < 1)"},
		},
		New: func(v kind.Values) (kind.Instance, error) {
			switch {
			case v.Float("scale_max") < v.Float("scale_min"):
				return nil, kind.Errorf("scale_max", "= %v is below scale_min = %v", v.Float("scale_max"), v.Float("scale_min"))
			case math.Abs(v.Float("rho")) >= 1:
				return nil, kind.Errorf("rho", "= %v: want -1 < rho < 1", v.Float("rho"))
			}
			tg, err := model.NewMVN(v.Int("dim"), v.Float("scale_min"), v.Float("scale_max"), v.Float("rho"))
			return mvn{target{tg}, tg}, err
		},
	}))
	must(kind.RegisterModel(kind.Model{
		Name:    "funnel",
		Doc:     "Neal's funnel: v ~ N(0, 3²), x_i | v ~ N(0, e^v), centred (v, x) or non-centred (v, z), x = z e^{v/2}; records v, v², x_1, the indicators of |x_1| < 0.1, 1, 10, and logp (the centred ln p)",
		Version: 2,
		Keys: []kind.Key{
			kind.IntKey("dim", 10, 2, 100000, "the dimension (v and dim − 1 x's)"),
			kind.BoolKey("centered", true, "sample (v, x) (true: the funnel's neck) or (v, z) (false)"),
		},
		New: func(v kind.Values) (kind.Instance, error) {
			tg, err := model.NewFunnel(v.Int("dim"), v.Bool("centered"))
			if err != nil {
				return nil, kind.Errorf("dim", "%v", err)
			}
			return funnel{target{tg}}, nil
		},
	}))
}

type mvn struct {
	target
	m *model.MVN
}

// Exact: E[x_i] = 0, E[x_i²] = σ_i².
func (m mvn) Exact() (map[string]float64, string) {
	out := map[string]float64{}
	for i, s := range m.m.Sigma {
		out["x"+strconv.Itoa(i+1)] = 0
		out["x"+strconv.Itoa(i+1)+"sq"] = s * s
	}
	return out, "the normal's moments"
}

// LogZ of ln p = −½ xᵀΣ⁻¹x: ½ ln det(2πΣ), det Σ = Π σ_i² (1 − ρ²)^{d−1}.
func (m mvn) LogZ() (float64, string, error) {
	d := float64(len(m.m.Sigma))
	lz := d / 2 * math.Log(2*math.Pi)
	for _, s := range m.m.Sigma {
		lz += math.Log(s)
	}
	return lz + (d-1)/2*math.Log(1-m.m.Rho*m.m.Rho), "the normal's determinant", nil
}

type funnel struct{ target }

// Exact: E[v] = 0, E[v²] = 9, E[x_1] = 0, P(|x_1| < c) by quadrature, and
// E[logp] = −1/2 − (d−1)/2 = −d/2.
func (f funnel) Exact() (map[string]float64, string) {
	d := f.tg.Dim()
	return map[string]float64{"v": 0, "v2": 9, "x1": 0,
			"x1_lt_0.1": model.FunnelExact(0.1), "x1_lt_1": model.FunnelExact(1), "x1_lt_10": model.FunnelExact(10), "logp": -float64(d) / 2},
		"v's moments; P(|x1| < c) by quadrature over v; E[logp] = −dim/2"
}
