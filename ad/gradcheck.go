package ad

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// GradCheck compares the reverse-mode gradient of the scalar program f at
// xs with central differences (Richardson-extrapolated, O(h⁴)), and
// returns an error if the largest difference exceeds tol times the largest
// gradient component (a relative error). f receives Params with the
// values of xs and must not keep them.
func GradCheck(f func(xs []*Var) *Var, xs []*Tensor, tol float64) error {
	params := make([]*Var, len(xs))
	for i, x := range xs {
		params[i] = Param(x.Clone())
	}
	y := f(params)
	if y.Value.Size() != 1 {
		return fmt.Errorf("gradcheck: f returned shape %v, want a scalar", y.Shape())
	}
	g, err := Grad(y, params)
	if err != nil {
		return err
	}
	gc, err := Grad(f(params), params, CreateGraph())
	if err != nil {
		return err
	}
	eval := func(i, j int, h float64) float64 {
		p := make([]*Var, len(xs))
		for k, x := range xs {
			p[k] = Const(x)
		}
		t := xs[i].Clone()
		t.Data[j] += h
		p[i] = Const(t)
		return f(p).Item()
	}
	for i, x := range xs {
		num := make([]float64, x.Size())
		for j, v := range x.Data {
			h := 1e-4 * math.Max(1, math.Abs(v))
			d1 := (eval(i, j, h) - eval(i, j, -h)) / (2 * h)
			d2 := (eval(i, j, h/2) - eval(i, j, -h/2)) / h
			num[j] = (4*d2 - d1) / 3
		}
		if err := compare(fmt.Sprintf("gradient of input %d", i), g[i].Value.Data, num, tol); err != nil {
			return err
		}
		if err := compare(fmt.Sprintf("create-graph gradient of input %d", i), gc[i].Value.Data, g[i].Value.Data, 1e-12); err != nil {
			return err
		}
	}
	return nil
}

// GradCheck2 checks second derivatives: for `dirs` random directions v it
// compares the Hessian-vector product from double reverse mode with the
// central difference of reverse-mode gradients along v.
func GradCheck2(f func(xs []*Var) *Var, xs []*Tensor, tol float64, dirs int, rng *rand.Rand) error {
	grad := func(vals []*Tensor, create bool) ([]*Var, []*Var) {
		p := make([]*Var, len(vals))
		for i, x := range vals {
			p[i] = Param(x)
		}
		var opts []GradOption
		if create {
			opts = append(opts, CreateGraph())
		}
		g, err := Grad(f(p), p, opts...)
		if err != nil {
			panic(err)
		}
		return p, g
	}
	for range dirs {
		v := make([]*Tensor, len(xs))
		for i, x := range xs {
			v[i] = Zeros(x.Shape...)
			for j := range v[i].Data {
				v[i].Data[j] = rng.NormFloat64()
			}
		}
		p, g := grad(xs, true)
		var gv *Var
		for i := range g {
			t := Sum(Mul(g[i], Const(v[i])))
			if gv == nil {
				gv = t
			} else {
				gv = Add(gv, t)
			}
		}
		hv, err := Grad(gv, p)
		if err != nil {
			return err
		}
		shifted := func(h float64) []*Var {
			vals := make([]*Tensor, len(xs))
			for i, x := range xs {
				vals[i] = x.Clone()
				for j := range vals[i].Data {
					vals[i].Data[j] += h * v[i].Data[j]
				}
			}
			_, g := grad(vals, false)
			return g
		}
		h := gc2Step
		gp, gm, gp2, gm2 := shifted(h), shifted(-h), shifted(h/2), shifted(-h/2)
		for i := range xs {
			num := make([]float64, xs[i].Size())
			for j := range num {
				d1 := (gp[i].Value.Data[j] - gm[i].Value.Data[j]) / (2 * h)
				d2 := (gp2[i].Value.Data[j] - gm2[i].Value.Data[j]) / h
				num[j] = (4*d2 - d1) / 3
			}
			if err := compare(fmt.Sprintf("Hessian-vector product, input %d", i), hv[i].Value.Data, num, tol); err != nil {
				return err
			}
		}
	}
	return nil
}

func compare(what string, got, want []float64, tol float64) error {
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	scale = math.Max(scale, 1e-12)
	for j := range want {
		if d := math.Abs(got[j] - want[j]); !(d <= tol*scale) {
			return fmt.Errorf("gradcheck: %s, element %d: %.15g, numerical %.15g (relative error %.3g > %.3g)", what, j, got[j], want[j], d/scale, tol)
		}
	}
	return nil
}

var gc2Step = 1e-4
