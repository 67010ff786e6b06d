package exact

import "math"

// t2 is a truncated Taylor expansion v + d·ε + ½dd·ε² in one variable:
// value, first and second derivative, propagated exactly by the chain rule.
type t2 struct{ v, d, dd float64 }

func cst(v float64) t2          { return t2{v: v} }
func variable(v float64) t2     { return t2{v: v, d: 1} }
func (a t2) add(b t2) t2        { return t2{a.v + b.v, a.d + b.d, a.dd + b.dd} }
func (a t2) sub(b t2) t2        { return t2{a.v - b.v, a.d - b.d, a.dd - b.dd} }
func (a t2) scale(c float64) t2 { return t2{c * a.v, c * a.d, c * a.dd} }
func (a t2) mul(b t2) t2 {
	return t2{a.v * b.v, a.d*b.v + a.v*b.d, a.dd*b.v + 2*a.d*b.d + a.v*b.dd}
}

// apply returns f(a) given f(a.v), f'(a.v), f”(a.v).
func (a t2) apply(f0, f1, f2 float64) t2 {
	return t2{f0, f1 * a.d, f2*a.d*a.d + f1*a.dd}
}

func (a t2) exp() t2 { e := math.Exp(a.v); return a.apply(e, e, e) }
func (a t2) log() t2 { return a.apply(math.Log(a.v), 1/a.v, -1/(a.v*a.v)) }
func (a t2) cosh() t2 {
	c, s := math.Cosh(a.v), math.Sinh(a.v)
	return a.apply(c, s, c)
}
func (a t2) sinh() t2 {
	c, s := math.Cosh(a.v), math.Sinh(a.v)
	return a.apply(s, c, s)
}
func (a t2) tanh() t2 {
	t := math.Tanh(a.v)
	return a.apply(t, 1-t*t, -2*t*(1-t*t))
}
func (a t2) coth() t2 {
	c := 1 / math.Tanh(a.v)
	return a.apply(c, 1-c*c, -2*c*(1-c*c))
}
func (a t2) acosh() t2 {
	x := a.v
	r := math.Sqrt(x*x - 1)
	return a.apply(math.Acosh(x), 1/r, -x/(r*r*r))
}

// log1pexp returns ln(1 + e^a).
func (a t2) log1pexp() t2 {
	s := 1 / (1 + math.Exp(-a.v)) // σ(a)
	return a.apply(math.Log1p(math.Exp(a.v)), s, s*(1-s))
}

// logCosh2 returns ln(2 cosh a) = |a| + ln(1 + e^{-2|a|}), smooth in a.
func (a t2) logCosh2() t2 {
	if a.v < 0 {
		a = a.scale(-1)
	}
	return a.add(a.scale(-2).log1pexp())
}

// logSinh2 returns ln(2 sinh a) for a > 0: a + ln(1 - e^{-2a}).
func (a t2) logSinh2() t2 {
	e := math.Exp(-2 * a.v) // d/da ln(1-e^{-2a}) = 2e/(1-e)
	g := 2 * e / (1 - e)
	g2 := -4 * e / ((1 - e) * (1 - e))
	return a.add(a.apply(math.Log1p(-e), g, g2))
}
