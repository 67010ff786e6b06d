package lattice

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/mcflow/mcflow/mc"
)

var errCounts = errors.New("lattice: corrupt cluster counts")

// Format is the layout of a lattice chain's state in a checkpoint: the
// model's four-byte Magic, the sampler's kind byte, the lattice's header
// (L, and for Potts q: little-endian uint32s named by Header), the sites'
// bytes, the RNG's state (prefixed by its length, one byte) and the
// sampler's own bytes. Model names the package in errors; Corrupt is the
// model's error for bytes that are not such a state.
type Format struct {
	Model   string   // "ising"
	Magic   string   // "mcfI"
	Header  []string // the header's names: {"L"} or {"L", "q"}
	Corrupt error
}

// Marshal encodes a chain's state.
func (f Format) Marshal(kind byte, header []int, sites []byte, rng *mc.PCG, extra []byte) ([]byte, error) {
	r, err := rng.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(f.Magic)+1+4*len(header)+len(sites)+1+len(r)+len(extra))
	b = append(append(b, f.Magic...), kind)
	for _, h := range header {
		b = binary.LittleEndian.AppendUint32(b, uint32(h))
	}
	b = append(b, sites...)
	b = append(b, byte(len(r)))
	b = append(b, r...)
	return append(b, extra...), nil
}

// Unmarshal checks a state written by Marshal for this kind and header,
// restores the RNG, and returns the n bytes of the sites and the
// sampler's own bytes.
func (f Format) Unmarshal(kind byte, header []int, n int, rng *mc.PCG, b []byte) (sites, extra []byte, err error) {
	hl := 4 * len(header)
	if len(b) < len(f.Magic)+1+hl || string(b[:len(f.Magic)]) != f.Magic {
		return nil, nil, f.Corrupt
	}
	if b[len(f.Magic)] != kind {
		return nil, nil, fmt.Errorf("%s: chain state is of sampler kind %q, want %q", f.Model, b[len(f.Magic)], kind)
	}
	b = b[len(f.Magic)+1:]
	for i, h := range header {
		if int(binary.LittleEndian.Uint32(b[4*i:])) != h {
			return nil, nil, f.headerError(header, b)
		}
	}
	b = b[hl:]
	if len(b) < n+1 {
		return nil, nil, f.Corrupt
	}
	sites, b = b[:n], b[n:]
	nr := int(b[0])
	if len(b) < 1+nr {
		return nil, nil, f.Corrupt
	}
	if err := rng.UnmarshalBinary(b[1 : 1+nr]); err != nil {
		return nil, nil, fmt.Errorf("%s: chain RNG state: %w", f.Model, err)
	}
	return sites, b[1+nr:], nil
}

// headerError says which lattice the state is of: "ising: chain state has
// L = 8, want 16".
func (f Format) headerError(want []int, b []byte) error {
	got := make([]string, len(want))
	exp := make([]string, len(want))
	for i, name := range f.Header {
		got[i] = fmt.Sprintf("%s = %d", name, binary.LittleEndian.Uint32(b[4*i:]))
		exp[i] = fmt.Sprint(want[i])
	}
	return fmt.Errorf("%s: chain state has %s, want %s", f.Model, strings.Join(got, ", "), strings.Join(exp, ", "))
}
