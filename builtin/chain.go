package builtin

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/hmc"
)

// contChain wraps an HMC or flow-MH chain with the task's observables.
type contChain struct {
	inner interface {
		mc.Chain
		AppendSeries(dst []float64) []float64
	}
	pos     func() []float64 // the state in the target's space
	observe func(dst, x []float64) []float64
	rng     *mc.PCG // a Measurer's stream (saved with the chain), or nil
	config  bool    // append the configuration after the observables
	adapt   *adaptBuf
	div     *divBuf // the divergent transitions' states, if inner reports them
}

// maxDivergences is the number of divergent transitions whose states a
// chain keeps (the series "divergent" counts them all).
const maxDivergences = 1000

// divBuf keeps the states after divergent transitions of the recorded
// steps: the draw (measurement interval) of each and the state, flat.
type divBuf struct {
	on     bool // thermalisation has ended
	every  int  // steps per draw
	step   int  // recorded steps taken
	dim    int
	draws  []int
	states []float64
}

// diverger is a kernel that reports whether its last transition diverged.
type diverger interface{ Diverged() bool }

// adaptBuf collects a chain's states for adaptive training: every
// every-th step of a round while on.
type adaptBuf struct {
	on    bool
	every int
	count int
	buf   []float64
}

func (c *contChain) Step() error {
	if err := c.inner.Step(); err != nil {
		return err
	}
	if d := c.div; d != nil && d.on {
		if c.inner.(diverger).Diverged() && len(d.draws) < maxDivergences {
			d.draws = append(d.draws, d.step/d.every)
			d.states = append(d.states, c.pos()...)
		}
		d.step++
	}
	if a := c.adapt; a != nil && a.on {
		if a.count++; a.count%a.every == 0 {
			a.buf = append(a.buf, c.pos()...)
		}
	}
	return nil
}

func (c *contChain) Observe(dst []float64) []float64 {
	x := c.pos()
	if c.observe != nil {
		dst = c.observe(dst, x)
	}
	dst = c.inner.AppendSeries(dst)
	if c.config {
		dst = append(dst, x...)
	}
	return dst
}

// EndThermalize passes the end of thermalisation on to the sampler.
func (c *contChain) EndThermalize() {
	if t, ok := c.inner.(mc.Thermalizer); ok {
		t.EndThermalize()
	}
	if c.div != nil {
		c.div.on = true
	}
}

// Divergences returns the kept states after divergent transitions
// (kind.Diverging).
func (c *contChain) Divergences() (draws []int, states [][]float64, ok bool) {
	d := c.div
	if d == nil {
		return nil, nil, false
	}
	for i := range d.draws {
		states = append(states, d.states[i*d.dim:(i+1)*d.dim])
	}
	return d.draws, states, true
}

// Adaptation returns the step size and metric of an HMC-family chain
// (kind.Adapted).
func (c *contChain) Adaptation() (hmc.Adaptation, bool) {
	if h, ok := c.inner.(*hmc.HMC); ok {
		return h.Adaptation(), true
	}
	return hmc.Adaptation{}, false
}

func (c *contChain) MarshalBinary() ([]byte, error) {
	b, err := c.inner.MarshalBinary()
	if err != nil {
		return nil, err
	}
	out := binary.LittleEndian.AppendUint32(nil, uint32(len(b)))
	out = append(out, b...)
	if c.rng != nil {
		r, err := c.rng.MarshalBinary()
		if err != nil {
			return nil, err
		}
		out = append(out, r...)
	}
	if d := c.div; d != nil {
		out = d.marshal(out)
	}
	if a := c.adapt; a != nil {
		out = appendFloats(appendHead(out, a.on, a.count, len(a.buf)), a.buf)
	}
	return out, nil
}

var errState = errors.New("builtin: corrupt chain state")

func (c *contChain) UnmarshalBinary(b []byte) error {
	if len(b) < 4 {
		return errState
	}
	n := int(binary.LittleEndian.Uint32(b))
	if len(b) < 4+n {
		return errState
	}
	if err := c.inner.UnmarshalBinary(b[4 : 4+n]); err != nil {
		return err
	}
	b = b[4+n:]
	if c.rng != nil {
		const rngSize = 20
		if len(b) < rngSize {
			return errState
		}
		if err := c.rng.UnmarshalBinary(b[:rngSize]); err != nil {
			return err
		}
		b = b[rngSize:]
	}
	if d := c.div; d != nil {
		var ok bool
		if b, ok = d.unmarshal(b); !ok {
			return errState
		}
	}
	if a := c.adapt; a != nil {
		on, count, m, rest, ok := readHead(b)
		if !ok || m > uint64(len(rest))/8 || uint64(len(rest)) != 8*m {
			return errState
		}
		a.on, a.count = on, int(count)
		a.buf = make([]float64, m, max(int(m), cap(a.buf)))
		b = readFloats(rest, a.buf)
	}
	if len(b) != 0 {
		return errState
	}
	return nil
}

// marshal appends on, step, the count and the draws and states.
func (d *divBuf) marshal(out []byte) []byte {
	out = appendHead(out, d.on, d.step, len(d.draws))
	for _, v := range d.draws {
		out = binary.LittleEndian.AppendUint64(out, uint64(v))
	}
	return appendFloats(out, d.states)
}

// unmarshal reads what marshal wrote from the start of b and returns the
// rest.
func (d *divBuf) unmarshal(b []byte) ([]byte, bool) {
	on, step, k, b, ok := readHead(b)
	if !ok || k > maxDivergences || uint64(len(b)) < 8*k*uint64(1+d.dim) {
		return nil, false
	}
	d.on, d.step = on, int(step)
	d.draws, d.states = make([]int, k), make([]float64, int(k)*d.dim)
	for i := range d.draws {
		d.draws[i] = int(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return readFloats(b[8*k:], d.states), true
}

// appendHead appends the header of a chain's buffer: a flag and two
// counts.
func appendHead(out []byte, on bool, a, n int) []byte {
	flag := byte(0)
	if on {
		flag = 1
	}
	out = binary.LittleEndian.AppendUint64(append(out, flag), uint64(a))
	return binary.LittleEndian.AppendUint64(out, uint64(n))
}

// readHead reads what appendHead wrote and returns the rest.
func readHead(b []byte) (on bool, a, n uint64, rest []byte, ok bool) {
	if len(b) < 17 {
		return false, 0, 0, nil, false
	}
	return b[0] == 1, binary.LittleEndian.Uint64(b[1:]), binary.LittleEndian.Uint64(b[9:]), b[17:], true
}

// appendFloats appends v's bits.
func appendFloats(out []byte, v []float64) []byte {
	for _, x := range v {
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(x))
	}
	return out
}

// readFloats fills dst from b (which holds at least len(dst) values) and
// returns the rest.
func readFloats(b []byte, dst []float64) []byte {
	for i := range dst {
		dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return b[8*len(dst):]
}
