package nf

import (
	"math"

	"github.com/mcflow/mcflow/ad"
)

// dft2 is the 2D discrete Fourier transform of real L×L fields (row-major)
// to their half spectrum, f̂(k) = Σ_x f(x) e^{−2πi k·x/L} for kx ≤ L/2,
// and back, for many fields at once as four matrix products: the rows'
// and the columns' transforms are each one GEMM over all fields (with a
// transposition between them). For the lattice sizes of flows (L ≤ 64)
// this runs several times faster than fast transforms one field at a time.
//
// A spectrum is stored per field as two planes, real and imaginary parts,
// each H×L with H = L/2+1 rows kx and L columns ky.
type dft2 struct {
	L, H, S    int       // side, kx rows, plane size H·L
	fwdX, fwdY []float64 // L×2H [cos | sin](kx·x), L×2L [cos | sin](ky·y)
	invX       []float64 // 2H×L [w cos; −w sin](kx·x)/L², w = 1 at kx = 0, L/2, else 2
	t1, t2     []float64
}

func newDFT2(L int) *dft2 {
	H := L/2 + 1
	p := &dft2{L: L, H: H, S: H * L, fwdX: make([]float64, L*2*H), fwdY: make([]float64, L*2*L), invX: make([]float64, 2*H*L)}
	for x := range L {
		for k := range H {
			s, c := math.Sincos(2 * math.Pi * float64(k*x%L) / float64(L))
			p.fwdX[x*2*H+k], p.fwdX[x*2*H+H+k] = c, s
			w := 2.0
			if k == 0 || 2*k == L {
				w = 1
			}
			w /= float64(L * L)
			p.invX[k*L+x], p.invX[(H+k)*L+x] = w*c, -w*s
		}
		for k := range L {
			s, c := math.Sincos(2 * math.Pi * float64(k*x%L) / float64(L))
			p.fwdY[x*2*L+k], p.fwdY[x*2*L+L+k] = c, s
		}
	}
	return p
}

// scratch returns the two scratch buffers sized for n fields.
func (p *dft2) scratch(n int) ([]float64, []float64) {
	if m := n * 4 * p.S; len(p.t1) < m {
		p.t1, p.t2 = make([]float64, m), make([]float64, m)
	}
	return p.t1, p.t2
}

// forward fills spec (n·2S) with the half spectra of the n fields x.
func (p *dft2) forward(spec, x []float64, n int) {
	L, H, S := p.L, p.H, p.S
	t1, t2 := p.scratch(n)
	ad.Gemm(false, false, n*L, 2*H, L, x, L, p.fwdX, 2*H, 0, t1) // [f][y][c]
	for f := range n {
		src, dst := t1[f*2*S:(f+1)*2*S], t2[f*2*S:(f+1)*2*S]
		for y := range L {
			for c := range 2 * H {
				dst[c*L+y] = src[y*2*H+c]
			}
		}
	}
	ad.Gemm(false, false, n*2*H, 2*L, L, t2, L, p.fwdY, 2*L, 0, t1) // [f][c][ky | L+ky]
	for f := range n {
		q, re, im := t1[f*4*S:(f+1)*4*S], spec[f*2*S:f*2*S+S], spec[f*2*S+S:(f+1)*2*S]
		for kx := range H {
			a, b := q[kx*2*L:(kx+1)*2*L], q[(H+kx)*2*L:(H+kx+1)*2*L]
			r, i := re[kx*L:(kx+1)*L], im[kx*L:(kx+1)*L]
			for ky := range L {
				r[ky] = a[ky] - b[L+ky]
				i[ky] = -b[ky] - a[L+ky]
			}
		}
	}
}

// inverse fills x (n·L·L) with the real fields of the n half spectra spec
// (normalised: inverse∘forward is the identity).
func (p *dft2) inverse(x, spec []float64, n int) {
	L, H, S := p.L, p.H, p.S
	t1, t2 := p.scratch(n)
	ad.Gemm(false, false, n*2*H, 2*L, L, spec, L, p.fwdY, 2*L, 0, t1) // [f][c][y | L+y]
	for f := range n {
		q, u := t1[f*4*S:(f+1)*4*S], t2[f*2*S:(f+1)*2*S]
		for kx := range H {
			a, b := q[kx*2*L:(kx+1)*2*L], q[(H+kx)*2*L:(H+kx+1)*2*L]
			for y := range L {
				u[y*2*H+kx] = a[y] - b[L+y]
				u[y*2*H+H+kx] = b[y] + a[L+y]
			}
		}
	}
	ad.Gemm(false, false, n*L, L, 2*H, t2, 2*H, p.invX, L, 0, x)
}
