package ad

import "math"

// Dual is a forward-mode number v + d·ε with ε² = 0: carried through a
// scalar program it yields the value and the first derivative.
type Dual struct{ V, D float64 }

// DualVar returns the dual of an independent variable at v (derivative 1).
func DualVar(v float64) Dual { return Dual{v, 1} }

// DualConst returns a constant.
func DualConst(v float64) Dual { return Dual{v, 0} }

func (a Dual) Add(b Dual) Dual         { return Dual{a.V + b.V, a.D + b.D} }
func (a Dual) Sub(b Dual) Dual         { return Dual{a.V - b.V, a.D - b.D} }
func (a Dual) Mul(b Dual) Dual         { return Dual{a.V * b.V, a.D*b.V + a.V*b.D} }
func (a Dual) Div(b Dual) Dual         { return Dual{a.V / b.V, (a.D*b.V - a.V*b.D) / (b.V * b.V)} }
func (a Dual) Scale(c float64) Dual    { return Dual{c * a.V, c * a.D} }
func (a Dual) AddConst(c float64) Dual { return Dual{a.V + c, a.D} }
func (a Dual) chain(f, df float64) Dual {
	return Dual{f, df * a.D}
}
func (a Dual) Exp() Dual  { e := math.Exp(a.V); return a.chain(e, e) }
func (a Dual) Log() Dual  { return a.chain(math.Log(a.V), 1/a.V) }
func (a Dual) Sqrt() Dual { s := math.Sqrt(a.V); return a.chain(s, 0.5/s) }
func (a Dual) Sin() Dual  { return a.chain(math.Sin(a.V), math.Cos(a.V)) }
func (a Dual) Cos() Dual  { return a.chain(math.Cos(a.V), -math.Sin(a.V)) }
func (a Dual) Tanh() Dual { t := math.Tanh(a.V); return a.chain(t, 1-t*t) }
func (a Dual) Sinh() Dual { return a.chain(math.Sinh(a.V), math.Cosh(a.V)) }
func (a Dual) Cosh() Dual { return a.chain(math.Cosh(a.V), math.Sinh(a.V)) }
func (a Dual) Pow(p float64) Dual {
	return a.chain(math.Pow(a.V, p), p*math.Pow(a.V, p-1))
}

// HyperDual is v + d₁ε₁ + d₂ε₂ + d₁₂ε₁ε₂ with ε₁² = ε₂² = 0: seeded with
// d₁ = d₂ = 1 it yields exact first and second derivatives of a scalar
// program (Fike & Alonso 2011), with no step size and no cancellation.
type HyperDual struct{ V, D1, D2, D12 float64 }

// HyperVar returns the hyper-dual of an independent variable at v.
func HyperVar(v float64) HyperDual { return HyperDual{v, 1, 1, 0} }

// HyperConst returns a constant.
func HyperConst(v float64) HyperDual { return HyperDual{V: v} }

func (a HyperDual) Add(b HyperDual) HyperDual {
	return HyperDual{a.V + b.V, a.D1 + b.D1, a.D2 + b.D2, a.D12 + b.D12}
}
func (a HyperDual) Sub(b HyperDual) HyperDual {
	return HyperDual{a.V - b.V, a.D1 - b.D1, a.D2 - b.D2, a.D12 - b.D12}
}
func (a HyperDual) Mul(b HyperDual) HyperDual {
	return HyperDual{a.V * b.V, a.D1*b.V + a.V*b.D1, a.D2*b.V + a.V*b.D2,
		a.D12*b.V + a.D1*b.D2 + a.D2*b.D1 + a.V*b.D12}
}
func (a HyperDual) Scale(c float64) HyperDual {
	return HyperDual{c * a.V, c * a.D1, c * a.D2, c * a.D12}
}
func (a HyperDual) AddConst(c float64) HyperDual { a.V += c; return a }

// chain applies f with f(v), f'(v), f”(v).
func (a HyperDual) chain(f, df, ddf float64) HyperDual {
	return HyperDual{f, df * a.D1, df * a.D2, df*a.D12 + ddf*a.D1*a.D2}
}

// Apply returns f(a) for a scalar function given its value f, first
// derivative df and second derivative ddf at a.V: the chain rule to second
// order, for functions this type does not have as methods.
func (a HyperDual) Apply(f, df, ddf float64) HyperDual { return a.chain(f, df, ddf) }
func (a HyperDual) Div(b HyperDual) HyperDual          { return a.Mul(b.Recip()) }
func (a HyperDual) Recip() HyperDual {
	r := 1 / a.V
	return a.chain(r, -r*r, 2*r*r*r)
}
func (a HyperDual) Exp() HyperDual { e := math.Exp(a.V); return a.chain(e, e, e) }
func (a HyperDual) Log() HyperDual { return a.chain(math.Log(a.V), 1/a.V, -1/(a.V*a.V)) }
func (a HyperDual) Sqrt() HyperDual {
	s := math.Sqrt(a.V)
	return a.chain(s, 0.5/s, -0.25/(s*a.V))
}
func (a HyperDual) Sin() HyperDual {
	s, c := math.Sin(a.V), math.Cos(a.V)
	return a.chain(s, c, -s)
}
func (a HyperDual) Cos() HyperDual {
	s, c := math.Sin(a.V), math.Cos(a.V)
	return a.chain(c, -s, -c)
}
func (a HyperDual) Tanh() HyperDual {
	t := math.Tanh(a.V)
	return a.chain(t, 1-t*t, -2*t*(1-t*t))
}
func (a HyperDual) Sinh() HyperDual {
	s, c := math.Sinh(a.V), math.Cosh(a.V)
	return a.chain(s, c, s)
}
func (a HyperDual) Cosh() HyperDual {
	s, c := math.Sinh(a.V), math.Cosh(a.V)
	return a.chain(c, s, c)
}
func (a HyperDual) Pow(p float64) HyperDual {
	return a.chain(math.Pow(a.V, p), p*math.Pow(a.V, p-1), p*(p-1)*math.Pow(a.V, p-2))
}
