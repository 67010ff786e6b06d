package xy

import (
	"encoding/binary"
	"math"

	"github.com/mcflow/mcflow/mc"
)

// Metropolis is a checkerboard single-site Metropolis chain: θ' = θ +
// step·(2u − 1), accepted with probability min(1, e^{−βΔE}).
//
// With Adapt, the step adapts after every sweep until EndThermalize,
// step ← step·exp(a − ½) for the sweep's acceptance a (clamped to
// [10⁻³, π]), then stays frozen: the recorded chain is a fixed kernel.
type Metropolis struct {
	P      Params
	Lat    Lattice
	rng    *mc.PCG
	step   float64
	adapt  bool
	accept int64 // accepted moves since the last Observe
	tried  int64
}

// DefaultStep is the adapted chain's first step.
const DefaultStep = 1.0

// NewMetropolis returns a chain started hot or cold from rng's stream,
// with a fixed step, or step adapted toward acceptance ½ during
// thermalisation when adapt.
func NewMetropolis(p Params, hot bool, rng *mc.PCG, step float64, adapt bool) *Metropolis {
	return &Metropolis{P: p, Lat: NewLattice(p.L, hot, rng), rng: rng, step: step, adapt: adapt}
}

// Step performs one checkerboard sweep.
func (c *Metropolis) Step() error {
	lat, L := &c.Lat, c.Lat.L
	bj := c.P.Beta * c.P.J
	var acc int64
	for color := range 2 {
		for y := range L {
			up, dn := ((y+L-1)%L)*L, ((y+1)%L)*L
			for x := (y + color) & 1; x < L; x += 2 {
				i := y*L + x
				xl, xr := y*L+(x+L-1)%L, y*L+(x+1)%L
				sc := lat.cos[up+x] + lat.cos[dn+x] + lat.cos[xl] + lat.cos[xr]
				ss := lat.sin[up+x] + lat.sin[dn+x] + lat.sin[xl] + lat.sin[xr]
				t := wrap(lat.Theta[i] + c.step*(2*mc.Uniform(c.rng)-1))
				sn, cs := math.Sincos(t)
				// −βΔE = βJ (Σ_j cos(θ' − θ_j) − Σ_j cos(θ − θ_j))
				lnA := bj * (cs*sc + sn*ss - lat.cos[i]*sc - lat.sin[i]*ss)
				if lnA >= 0 || mc.Uniform(c.rng) < math.Exp(lnA) {
					lat.Theta[i], lat.cos[i], lat.sin[i] = t, cs, sn
					acc++
				}
			}
		}
	}
	n := int64(L * L)
	c.accept += acc
	c.tried += n
	if c.adapt {
		c.step = min(max(c.step*math.Exp(float64(acc)/float64(n)-0.5), 1e-3), math.Pi)
	}
	return nil
}

// EndThermalize freezes the step.
func (c *Metropolis) EndThermalize() { c.adapt = false }

// StepSize returns the current step.
func (c *Metropolis) StepSize() float64 { return c.step }

// AcceptRate returns the acceptance since the last Observe.
func (c *Metropolis) AcceptRate() float64 { return float64(c.accept) / float64(c.tried) }

// Observe appends e, m, absm, m2, upsilon.
func (c *Metropolis) Observe(dst []float64) []float64 {
	c.accept, c.tried = 0, 0
	return c.Lat.observe(dst, c.P)
}

func (c *Metropolis) MarshalBinary() ([]byte, error) {
	extra := binary.LittleEndian.AppendUint64(nil, math.Float64bits(c.step))
	ad := byte(0)
	if c.adapt {
		ad = 1
	}
	extra = append(extra, ad)
	extra = binary.LittleEndian.AppendUint64(extra, uint64(c.accept))
	extra = binary.LittleEndian.AppendUint64(extra, uint64(c.tried))
	return marshalCommon('M', &c.Lat, c.rng, extra)
}

func (c *Metropolis) UnmarshalBinary(b []byte) error {
	extra, err := unmarshalCommon('M', &c.Lat, c.rng, b)
	if err != nil {
		return err
	}
	if len(extra) != 25 || extra[8] > 1 {
		return errState
	}
	c.step = math.Float64frombits(binary.LittleEndian.Uint64(extra))
	c.adapt = extra[8] == 1
	c.accept = int64(binary.LittleEndian.Uint64(extra[9:]))
	c.tried = int64(binary.LittleEndian.Uint64(extra[17:]))
	if !(c.step > 0) {
		return errState
	}
	return nil
}
