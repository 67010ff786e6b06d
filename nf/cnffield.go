package nf

import (
	"math"

	"github.com/mcflow/mcflow/ad"
)

// cnfRun evaluates a CNF on a batch of b configurations: the kernels'
// spectra at every distinct time of the RK4 grid (t = ti·h/2, ti =
// 0…2·Steps) and the scratch of the per-sample work. One per goroutine
// and call; nothing is allocated per stage.
type cnfRun struct {
	*cnfGeom
	f     *CNF
	b, n  int
	h     float64
	kh    [][]float64 // per time index: A half-spectrum planes (real), A·S
	kappa [][]float64 // per time index: κ_a = K_a(0)
	u     [][]float64 // per time index: u_j = Σ_a κ_a F_aj
	tau   [][]float64 // per time index: τ_b
	dft   *dft2

	hs  []float64 // b·A·V: the features h_a
	vh  []float64 // b·2S: spectra of v, then of its cotangent
	gh  []float64 // b·A·V, then A·V: the features' cotangents
	gs  []float64 // b·A·2S: their spectra
	gp  []float64 // V·J1
	kr  []float64 // A·V
	v   []float64 // b·V
	div []float64 // b
	xs  []float64 // b·V
}

// cnfStage is what one stage's evaluation keeps for its gradient: the
// features P_j(φ) (φ, sin ω_j φ), their derivatives C_j (1, ω_j cos ω_j φ)
// per site, the spectra of h_a per sample and Σ_x C_j per sample.
type cnfStage struct {
	P, C []float64 // b·V·J1
	hh   []float64 // b·A·2S
	cbar []float64 // b·J1
}

func (r *cnfRun) newStage() *cnfStage {
	return &cnfStage{P: make([]float64, r.b*r.V*r.J1), C: make([]float64, r.b*r.V*r.J1),
		hh: make([]float64, r.b*r.A*2*r.S), cbar: make([]float64, r.b*r.J1)}
}

func (f *CNF) newRun(b int) *cnfRun {
	g := f.geom
	n := f.cfg.Steps
	r := &cnfRun{cnfGeom: g, f: f, b: b, n: n, h: 1 / float64(n), dft: newDFT2(g.L),
		hs: make([]float64, b*g.A*g.V), vh: make([]float64, b*2*g.S), gh: make([]float64, b*g.A*g.V),
		gs: make([]float64, b*g.A*2*g.S), gp: make([]float64, g.V*g.J1),
		kr: make([]float64, g.A*g.V), v: make([]float64, b*g.V), div: make([]float64, b), xs: make([]float64, b*g.V)}
	kspec := make([]float64, g.A*2*g.S)
	W, F := f.W.Value.Data, f.F.Value.Data
	w := make([]float64, g.O*g.A)
	for ti := range 2*n + 1 {
		tau := make([]float64, g.Nb)
		timeBasis(tau, float64(ti)*r.h/2)
		for i := range w {
			var s float64
			for b, t := range tau {
				s += W[i*g.Nb+b] * t
			}
			w[i] = s
		}
		kh, kappa, u := make([]float64, g.A*g.S), make([]float64, g.A), make([]float64, g.J1)
		for a := range g.A {
			for d, o := range g.orbit {
				r.kr[a*g.V+d] = w[o*g.A+a]
			}
		}
		r.dft.forward(kspec, r.kr, g.A)
		for a := range g.A {
			copy(kh[a*g.S:(a+1)*g.S], kspec[a*2*g.S:]) // real: K is even
			kappa[a] = w[a]                            // orbit 0 is the displacement 0
			for j := range g.J1 {
				u[j] += kappa[a] * F[a*g.J1+j]
			}
		}
		r.kh, r.kappa, r.u, r.tau = append(r.kh, kh), append(r.kappa, kappa), append(r.u, u), append(r.tau, tau)
	}
	return r
}

// features fills the stage's P and C at the configurations x (b·V).
func (r *cnfRun) features(st *cnfStage, x []float64) {
	J1 := r.J1
	w0 := r.omega[min(1, J1-1)]
	for i, phi := range x {
		P, C := st.P[i*J1:(i+1)*J1], st.C[i*J1:(i+1)*J1]
		P[0], C[0] = phi, 1
		s1, c1 := math.Sincos(w0 * phi)
		s, c := s1, c1
		for j := 1; j < J1; j++ {
			P[j], C[j] = s, r.omega[j]*c
			s, c = s*c1+c*s1, c*c1-s*s1
		}
	}
}

// field fills v (b·V) and div (b) with the velocity and its divergence at
// x (b·V) at time index ti, keeping in st what the gradient needs.
func (r *cnfRun) field(st *cnfStage, x []float64, ti int, v, div []float64) {
	r.features(st, x)
	V, A, J1, S := r.V, r.A, r.J1, r.S
	kh, u, F := r.kh[ti], r.u[ti], r.f.F.Value.Data
	for s := range r.b {
		ad.Gemm(false, true, A, V, J1, F, J1, st.P[s*V*J1:(s+1)*V*J1], J1, 0, r.hs[s*A*V:(s+1)*A*V])
	}
	r.dft.forward(st.hh, r.hs, r.b*A)
	clear(r.vh)
	for s := range r.b {
		vh := r.vh[s*2*S : (s+1)*2*S]
		for a := range A {
			hh, k := st.hh[(s*A+a)*2*S:(s*A+a+1)*2*S], kh[a*S:(a+1)*S]
			for i, kv := range k {
				vh[i] += kv * hh[i]
				vh[S+i] += kv * hh[S+i]
			}
		}
	}
	r.dft.inverse(v, r.vh, r.b)
	for s := range r.b {
		cb := st.cbar[s*J1 : (s+1)*J1]
		clear(cb)
		C := st.C[s*V*J1 : (s+1)*V*J1]
		for x := range V {
			for j, c := range C[x*J1 : (x+1)*J1] {
				cb[j] += c
			}
		}
		var d float64
		for j, c := range cb {
			d += c * u[j]
		}
		div[s] = d
	}
}

// cnfGrad accumulates the gradient of the parameters over stages.
type cnfGrad struct {
	W, F []float64
	gw   []float64 // O·A: the kernel values' gradient at one time
	G    []float64 // A·2S: Σ_samples conj(ĝ_v)·ĥ_a
	gk   []float64 // A: the gradient of κ_a
}

func (r *cnfRun) newGrad() *cnfGrad {
	return &cnfGrad{W: make([]float64, r.O*r.A*r.Nb), F: make([]float64, r.A*r.J1),
		gw: make([]float64, r.O*r.A), G: make([]float64, r.A*2*r.S), gk: make([]float64, r.A)}
}

// fieldVJP adds to gx (b·V) the vector–Jacobian product of (v, div) at
// the stage st (time index ti) with cotangents gv (b·V) and gdiv (b), and
// the parameters' to gr.
func (r *cnfRun) fieldVJP(st *cnfStage, ti int, gv, gdiv, gx []float64, gr *cnfGrad) {
	V, A, J1, S := r.V, r.A, r.J1, r.S
	kh, F := r.kh[ti], r.f.F.Value.Data
	clear(gr.G)
	clear(gr.gk)
	r.dft.forward(r.vh, gv, r.b)
	for s := range r.b {
		gs := r.vh[s*2*S : (s+1)*2*S]
		for a := range A {
			k, hh := kh[a*S:(a+1)*S], st.hh[(s*A+a)*2*S:(s*A+a+1)*2*S]
			G, out := gr.G[a*2*S:(a+1)*2*S], r.gs[(s*A+a)*2*S:(s*A+a+1)*2*S]
			for i, kv := range k {
				gre, gim, hre, him := gs[i], gs[S+i], hh[i], hh[S+i]
				out[i], out[S+i] = kv*gre, kv*gim
				G[i] += gre*hre + gim*him
				G[S+i] += gre*him - gim*hre
			}
		}
	}
	r.dft.inverse(r.gh, r.gs, r.b*A)
	for s := range r.b {
		gh := r.gh[s*A*V : (s+1)*A*V]
		P, C := st.P[s*V*J1:(s+1)*V*J1], st.C[s*V*J1:(s+1)*V*J1]
		ad.Gemm(true, false, V, J1, A, gh, V, F, J1, 0, r.gp)
		ad.Gemm(false, false, A, J1, V, gh, V, P, J1, 1, gr.F)
		r.siteVJP(P, C, gdiv[s], ti, gx[s*V:(s+1)*V])
		if gd := gdiv[s]; gd != 0 {
			cb, kappa := st.cbar[s*J1:(s+1)*J1], r.kappa[ti]
			for a := range A {
				var dot float64
				for j, c := range cb {
					dot += F[a*J1+j] * c
					gr.F[a*J1+j] += gd * kappa[a] * c
				}
				gr.gk[a] += gd * dot
			}
		}
	}
	r.kernelVJP(ti, gr)
}

// siteVJP adds to gx (V) the gradient through the features at each site:
// ∂/∂φ of Σ_j gp_j P_j(φ) and of gd·Σ_j u_j C_j(φ).
func (r *cnfRun) siteVJP(P, C []float64, gd float64, ti int, gx []float64) {
	J1 := r.J1
	u := r.u[ti]
	for x := range gx {
		p, c, gp := P[x*J1:(x+1)*J1], C[x*J1:(x+1)*J1], r.gp[x*J1:(x+1)*J1]
		acc := gp[0] * c[0]
		for j := 1; j < J1; j++ {
			w := r.omega[j]
			acc += gp[j]*c[j] - gd*u[j]*w*w*p[j]
		}
		gx[x] += acc
	}
}

// kernelVJP turns the stage's accumulated spectra into the gradient of the
// kernel values per orbit and adds it, times τ(t), to the gradient of W.
func (r *cnfRun) kernelVJP(ti int, gr *cnfGrad) {
	V, A, Nb := r.V, r.A, r.Nb
	clear(gr.gw)
	r.dft.inverse(r.kr, gr.G, A)
	for a := range A {
		for d, o := range r.orbit {
			gr.gw[o*A+a] += r.kr[a*V+d]
		}
		gr.gw[a] += gr.gk[a]
	}
	tau := r.tau[ti]
	for i, g := range gr.gw {
		if g == 0 {
			continue
		}
		row := gr.W[i*Nb : (i+1)*Nb]
		for b, t := range tau {
			row[b] += g * t
		}
	}
}
