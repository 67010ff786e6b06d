package ad

import "fmt"

// Conv2D returns the cross-correlation of x (batch, cin, H, W) with the
// kernels k (cout, cin, kh, kw), kh and kw odd, on the periodic lattice
// (circular padding: the output keeps x's H×W), as PyTorch's conv2d with
// padding_mode = "circular" and padding (kh/2, kw/2):
//
//	y[b, o, i, j] = Σ_{c,u,v} k[o, c, u, v] · x[b, c, (i + u − kh/2) mod H, (j + v − kw/2) mod W].
//
// It commutes with the lattice's translations. Its derivatives are
// convolutions again (Conv2D with the flipped, transposed kernels for x;
// a correlation of x with the output gradient for k), so it is
// differentiable to any order.
func Conv2D(x, k *Var) *Var {
	b, cin, h, w := conv2DShape(x, k)
	cout, kh, kw := k.Shape()[0], k.Shape()[2], k.Shape()[3]
	kdim, hw := cin*kh*kw, h*w
	out := Zeros(b, cout, h, w)
	// Per chunk of samples whose columns stay in cache: y (cout × m·HW) =
	// k (cout × cin·kh·kw) · cols (cin·kh·kw × m·HW), then to (m, cout, H, W).
	m := convChunk(kdim, hw, b)
	cols := make([]float64, kdim*m*hw)
	y := make([]float64, cout*m*hw)
	for n0 := 0; n0 < b; n0 += m {
		mm := min(m, b-n0)
		im2col(cols[:kdim*mm*hw], x.Value.Data[n0*cin*hw:][:mm*cin*hw], mm, cin, h, w, kh, kw)
		gemm(false, false, cout, mm*hw, kdim, k.Value.Data, kdim, cols, mm*hw, 0, y[:cout*mm*hw])
		for o := range cout {
			for n := range mm {
				copy(out.Data[((n0+n)*cout+o)*hw:][:hw], y[(o*mm+n)*hw:][:hw])
			}
		}
	}
	return record1(out, func(g, in, _ []*Var) []*Var {
		X, K, G := in[0], in[1], g[0]
		var gx, gk *Var
		if needs(X) {
			gx = Conv2D(G, flipT(K))
		}
		if needs(K) {
			gk = conv2DKernelGrad(X, G, kh, kw)
		}
		return []*Var{gx, gk}
	}, x, k)
}

// conv2DShape checks the shapes of Conv2D's operands.
func conv2DShape(x, k *Var) (b, cin, h, w int) {
	xs, ks := x.Shape(), k.Shape()
	if len(xs) != 4 || len(ks) != 4 || xs[1] != ks[1] || ks[2]%2 == 0 || ks[3]%2 == 0 || ks[2] > xs[2] || ks[3] > xs[3] {
		panic(fmt.Sprintf("ad: Conv2D of x %v and kernels %v: want (batch, cin, H, W) and (cout, cin, kh, kw) with odd kh <= H, kw <= W", xs, ks))
	}
	return xs[0], xs[1], xs[2], xs[3]
}

// convChunk is how many samples' columns to build at once: about 32 Ki
// numbers (256 KiB, in cache), at least one sample.
func convChunk(kdim, hw, b int) int {
	return max(1, min(b, (1<<15)/(kdim*hw)))
}

// im2col writes the shifted copies of b samples' channels x (b × cin × H
// × W) into cols as a (cin·kh·kw) × (b·H·W) matrix: row (c, u, v), column
// (n, i, j) holds x[n, c, (i + u − kh/2) mod H, (j + v − kw/2) mod W], so
// that the convolution of the b samples is one matrix product. Each row is
// a gather through the table of the shift (u, v) (rows of an 8×8 lattice
// are too short for copies to pay).
func im2col(cols, x []float64, b, cin, h, w, kh, kw int) {
	hw := h * w
	tab := ConvShifts(h, w, kh, kw)
	for c := range cin {
		for uv := range kh * kw {
			t := tab[uv*hw:][:hw]
			row := cols[(c*kh*kw+uv)*b*hw:][:b*hw]
			for n := range b {
				src, d := x[(n*cin+c)*hw:][:hw], row[n*hw:][:hw]
				for p, s := range t {
					d[p] = src[s]
				}
			}
		}
	}
}

// ConvShifts returns the gather table of Conv2D's periodic shifts on an
// H×W lattice with kh×kw kernels: entry (u·kw + v)·H·W + p is the site
// that output site p reads at kernel offset (u, v). Graph-free code
// (point.Point) convolves single images through it.
func ConvShifts(h, w, kh, kw int) []int32 {
	hw := h * w
	tab := make([]int32, kh*kw*hw)
	for u := range kh {
		for v := range kw {
			t := tab[(u*kw+v)*hw:][:hw]
			for i := range h {
				si := wrapIndex(i+u-kh/2, h) * w
				for j := range w {
					t[i*w+j] = int32(si + wrapIndex(j+v-kw/2, w))
				}
			}
		}
	}
	return tab
}

// wrapIndex returns i mod n for i in (−n, 2n).
func wrapIndex(i, n int) int {
	if i < 0 {
		return i + n
	}
	if i >= n {
		return i - n
	}
	return i
}

// conv2DKernelGrad returns Conv2D's gradient with respect to its kernels
// for the output gradient g: dk[o, c, u, v] = Σ_{b,i,j} g[b, o, i, j] ·
// x[b, c, (i + u − kh/2) mod H, (j + v − kw/2) mod W]. It is bilinear in x
// and g, and its own derivatives are Conv2Ds.
func conv2DKernelGrad(x, g *Var, kh, kw int) *Var {
	xs, gs := x.Shape(), g.Shape()
	b, cin, h, w := xs[0], xs[1], xs[2], xs[3]
	cout := gs[1]
	kdim, hw := cin*kh*kw, h*w
	out := Zeros(cout, cin, kh, kw)
	// Per chunk of samples: g as (cout × m·HW), dk += g · colsᵀ.
	m := convChunk(kdim, hw, b)
	cols := make([]float64, kdim*m*hw)
	gt := make([]float64, cout*m*hw)
	for n0 := 0; n0 < b; n0 += m {
		mm := min(m, b-n0)
		im2col(cols[:kdim*mm*hw], x.Value.Data[n0*cin*hw:][:mm*cin*hw], mm, cin, h, w, kh, kw)
		for n := range mm {
			for o := range cout {
				copy(gt[(o*mm+n)*hw:][:hw], g.Value.Data[((n0+n)*cout+o)*hw:][:hw])
			}
		}
		gemm(false, true, cout, kdim, mm*hw, gt, mm*hw, cols, mm*hw, 1, out.Data)
	}
	return record1(out, func(gg, in, _ []*Var) []*Var {
		X, G, GG := in[0], in[1], gg[0]
		var gx, gy *Var
		if needs(X) {
			gx = Conv2D(G, flipT(GG))
		}
		if needs(G) {
			gy = Conv2D(X, GG)
		}
		return []*Var{gx, gy}
	}, x, g)
}

// FlipT returns the kernels of Conv2D's adjoint (the transposed
// convolution): kT[c, o, u, v] = k[o, c, kh−1−u, kw−1−v], so that
// Σ g·Conv2D(x, k) = Σ x·Conv2D(g, FlipT(k)). It is an involution, and so
// is its gradient.
func FlipT(k *Var) *Var { return flipT(k) }

func flipT(k *Var) *Var {
	ks := k.Shape()
	cout, cin, kh, kw := ks[0], ks[1], ks[2], ks[3]
	out := Zeros(cin, cout, kh, kw)
	for o := range cout {
		for c := range cin {
			for u := range kh {
				for v := range kw {
					out.Data[((c*cout+o)*kh+u)*kw+v] = k.Value.Data[((o*cin+c)*kh+kh-1-u)*kw+kw-1-v]
				}
			}
		}
	}
	return record1(out, func(g, _, _ []*Var) []*Var { return []*Var{flipT(g[0])} }, k)
}
