package nf

import "gonum.org/v1/gonum/dsp/fourier"

// fft2 is the unnormalised 2D discrete Fourier transform of real L×L
// fields (row-major) to their half spectrum, L rows of L/2+1 columns:
//
//	f̂(k) = Σ_x f(x) e^{−2πi k·x/L}.
//
// It holds gonum's plans and scratch: one per goroutine.
type fft2 struct {
	L, H int
	row  *fourier.FFT
	col  *fourier.CmplxFFT
	buf  []complex128
	tmp  []float64
}

func newFFT2(L int) *fft2 {
	return &fft2{L: L, H: L/2 + 1, row: fourier.NewFFT(L), col: fourier.NewCmplxFFT(L),
		buf: make([]complex128, L), tmp: make([]float64, L)}
}

// forward fills dst (L·H) with the half spectrum of src (L·L).
func (p *fft2) forward(dst []complex128, src []float64) {
	L, H := p.L, p.H
	for y := range L {
		p.row.Coefficients(dst[y*H:(y+1)*H], src[y*L:(y+1)*L])
	}
	p.columns(dst, false)
}

// inverse fills dst (L·L) with Σ_k src(k) e^{+2πi k·x/L}: L² times the
// field whose half spectrum is src. src is overwritten.
func (p *fft2) inverse(dst []float64, src []complex128) {
	L, H := p.L, p.H
	p.columns(src, true)
	for y := range L {
		p.row.Sequence(dst[y*L:(y+1)*L], src[y*H:(y+1)*H])
	}
}

// columns transforms each of the H columns of s (L·H) in place.
func (p *fft2) columns(s []complex128, inverse bool) {
	L, H := p.L, p.H
	for c := range H {
		for y := range L {
			p.buf[y] = s[y*H+c]
		}
		if inverse {
			p.col.Sequence(p.buf, p.buf)
		} else {
			p.col.Coefficients(p.buf, p.buf)
		}
		for y := range L {
			s[y*H+c] = p.buf[y]
		}
	}
}
