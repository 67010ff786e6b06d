// Package optim updates parameters from gradients: Adam (PyTorch's
// defaults and update rule) and SGD with momentum. Optimizer state
// marshals to bytes for checkpoints.
package optim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/mcflow/mcflow/ad"
)

// Optimizer updates params in place from grads (same order and shapes).
type Optimizer interface {
	Step(params, grads []*ad.Var) error
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// Adam is torch.optim.Adam: with g ← g + λp (weight decay),
//
//	m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
//	p ← p − (lr/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε).
type Adam struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64

	t    int64
	m, v [][]float64
}

// NewAdam returns Adam with PyTorch's defaults (β = 0.9, 0.999, ε = 1e-8).
func NewAdam(lr float64) *Adam { return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

func checkShapes(params, grads []*ad.Var, state [][]float64) error {
	if len(params) != len(grads) {
		return fmt.Errorf("optim: %d params, %d gradients", len(params), len(grads))
	}
	for i := range params {
		if params[i].Value.Size() != grads[i].Value.Size() {
			return fmt.Errorf("optim: param %d has %d values, its gradient %d", i, params[i].Value.Size(), grads[i].Value.Size())
		}
		if state != nil && len(state[i]) != params[i].Value.Size() {
			return fmt.Errorf("optim: param %d has %d values, the optimizer state %d", i, params[i].Value.Size(), len(state[i]))
		}
	}
	if state != nil && len(state) != len(params) {
		return fmt.Errorf("optim: %d params, optimizer state for %d", len(params), len(state))
	}
	return nil
}

func zerosLike(params []*ad.Var) [][]float64 {
	s := make([][]float64, len(params))
	for i, p := range params {
		s[i] = make([]float64, p.Value.Size())
	}
	return s
}

// Step applies one update.
func (a *Adam) Step(params, grads []*ad.Var) error {
	if a.m == nil {
		a.m, a.v = zerosLike(params), zerosLike(params)
	}
	if err := checkShapes(params, grads, a.m); err != nil {
		return err
	}
	a.t++
	bc1 := 1 - math.Pow(a.Beta1, float64(a.t))
	bc2 := 1 - math.Pow(a.Beta2, float64(a.t))
	stepSize := a.LR / bc1
	bc2Sqrt := math.Sqrt(bc2)
	for i, p := range params {
		pd, gd, m, v := p.Value.Data, grads[i].Value.Data, a.m[i], a.v[i]
		for j, g := range gd {
			if a.WeightDecay != 0 {
				g += a.WeightDecay * pd[j]
			}
			m[j] = a.Beta1*m[j] + (1-a.Beta1)*g
			v[j] = a.Beta2*v[j] + (1-a.Beta2)*g*g
			denom := math.Sqrt(v[j])/bc2Sqrt + a.Eps
			pd[j] -= stepSize * m[j] / denom
		}
	}
	return nil
}

// SGD is torch.optim.SGD with momentum μ, dampening τ and optional
// Nesterov: b ← μb + (1−τ)g (b = g at the first step), p ← p − lr·(g + μb
// if Nesterov, else b).
type SGD struct {
	LR, Momentum, Dampening, WeightDecay float64
	Nesterov                             bool

	started bool
	buf     [][]float64
}

// NewSGD returns SGD with the given learning rate and momentum.
func NewSGD(lr, momentum float64) *SGD { return &SGD{LR: lr, Momentum: momentum} }

// Step applies one update.
func (s *SGD) Step(params, grads []*ad.Var) error {
	if s.buf == nil {
		s.buf = zerosLike(params)
	}
	if err := checkShapes(params, grads, s.buf); err != nil {
		return err
	}
	for i, p := range params {
		pd, gd, b := p.Value.Data, grads[i].Value.Data, s.buf[i]
		for j, g := range gd {
			if s.WeightDecay != 0 {
				g += s.WeightDecay * pd[j]
			}
			if s.Momentum != 0 {
				if !s.started {
					b[j] = g
				} else {
					b[j] = s.Momentum*b[j] + (1-s.Dampening)*g
				}
				if s.Nesterov {
					g += s.Momentum * b[j]
				} else {
					g = b[j]
				}
			}
			pd[j] -= s.LR * g
		}
	}
	s.started = true
	return nil
}

// state encoding: magic, then float64 hyper-parameters, counters and the
// moment buffers, little-endian.
func writeSlices(w *bytes.Buffer, s [][]float64) {
	binary.Write(w, binary.LittleEndian, int64(len(s)))
	for _, x := range s {
		binary.Write(w, binary.LittleEndian, int64(len(x)))
		binary.Write(w, binary.LittleEndian, x)
	}
}

func readSlices(r *bytes.Reader) ([][]float64, error) {
	var n int64
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return nil, err
	}
	if n < 0 || n > int64(r.Len()) {
		return nil, errors.New("optim: corrupt state")
	}
	s := make([][]float64, n)
	for i := range s {
		var k int64
		if err := binary.Read(r, binary.LittleEndian, &k); err != nil {
			return nil, err
		}
		if k < 0 || k*8 > int64(r.Len()) {
			return nil, errors.New("optim: corrupt state")
		}
		s[i] = make([]float64, k)
		if err := binary.Read(r, binary.LittleEndian, s[i]); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// MarshalBinary encodes hyper-parameters, step count and moments.
func (a *Adam) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("adam1")
	binary.Write(&b, binary.LittleEndian, []float64{a.LR, a.Beta1, a.Beta2, a.Eps, a.WeightDecay})
	binary.Write(&b, binary.LittleEndian, a.t)
	writeSlices(&b, a.m)
	writeSlices(&b, a.v)
	return b.Bytes(), nil
}

// UnmarshalBinary restores a state written by MarshalBinary.
func (a *Adam) UnmarshalBinary(data []byte) error {
	r := bytes.NewReader(data)
	magic := make([]byte, 5)
	if _, err := r.Read(magic); err != nil || string(magic) != "adam1" {
		return errors.New("optim: not an Adam state")
	}
	h := make([]float64, 5)
	if err := binary.Read(r, binary.LittleEndian, h); err != nil {
		return err
	}
	var t int64
	if err := binary.Read(r, binary.LittleEndian, &t); err != nil {
		return err
	}
	m, err := readSlices(r)
	if err != nil {
		return err
	}
	v, err := readSlices(r)
	if err != nil {
		return err
	}
	if len(m) != len(v) || r.Len() != 0 {
		return errors.New("optim: corrupt Adam state")
	}
	a.LR, a.Beta1, a.Beta2, a.Eps, a.WeightDecay = h[0], h[1], h[2], h[3], h[4]
	a.t = t
	a.m, a.v = m, v
	if len(m) == 0 {
		a.m, a.v = nil, nil
	}
	return nil
}

// MarshalBinary encodes hyper-parameters and momentum buffers.
func (s *SGD) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("sgd01")
	binary.Write(&b, binary.LittleEndian, []float64{s.LR, s.Momentum, s.Dampening, s.WeightDecay})
	flags := []byte{0, 0}
	if s.Nesterov {
		flags[0] = 1
	}
	if s.started {
		flags[1] = 1
	}
	b.Write(flags)
	writeSlices(&b, s.buf)
	return b.Bytes(), nil
}

// UnmarshalBinary restores a state written by MarshalBinary.
func (s *SGD) UnmarshalBinary(data []byte) error {
	r := bytes.NewReader(data)
	magic := make([]byte, 5)
	if _, err := r.Read(magic); err != nil || string(magic) != "sgd01" {
		return errors.New("optim: not an SGD state")
	}
	h := make([]float64, 4)
	if err := binary.Read(r, binary.LittleEndian, h); err != nil {
		return err
	}
	flags := make([]byte, 2)
	if _, err := r.Read(flags); err != nil {
		return err
	}
	buf, err := readSlices(r)
	if err != nil {
		return err
	}
	if r.Len() != 0 {
		return errors.New("optim: corrupt SGD state")
	}
	s.LR, s.Momentum, s.Dampening, s.WeightDecay = h[0], h[1], h[2], h[3]
	s.Nesterov, s.started = flags[0] == 1, flags[1] == 1
	s.buf = buf
	if len(buf) == 0 {
		s.buf = nil
	}
	return nil
}

var (
	_ Optimizer = (*Adam)(nil)
	_ Optimizer = (*SGD)(nil)
)
