package nf

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/mc"
)

// FlowFormat identifies mcflow's flow files.
const FlowFormat = "mcflow-flow v1"

// Save writes the model to an HDF5 file (temp + rename): the architecture
// as root attributes (kind, dim, symmetric, ... and `config`, the whole
// Config as JSON, which Load reads) and each parameter as a float64
// dataset params/pNNN of its own shape, in Params order, with an
// attribute `name`. extra attributes (training results, the target) go to
// the root too. h5py reads it:
//
//	f = h5py.File("flow.h5"); json.loads(f.attrs["config"]); f["params/p000"][...]
func Save(path string, m *Model, extra h5.Attrs) error {
	c := m.Flow.Config()
	c.Symmetric = m.Sym
	cj, err := json.Marshal(c)
	if err != nil {
		return err
	}
	attrs := h5.Attrs{"format": FlowFormat, "config": string(cj), "kind": c.Kind, "dim": c.Dim,
		"symmetric": string(c.Symmetric), "hidden": joinInts(c.Hidden)}
	switch c.Kind {
	case "realnvp":
		attrs["layers"], attrs["mask"] = c.Layers, c.Mask
	case "monge-ampere":
		attrs["potential"], attrs["steps"], attrs["eps"] = c.Potential, c.Steps, c.Eps
		attrs["exact"] = fmt.Sprint(c.Exact)
	}
	for k, v := range extra {
		attrs[k] = v
	}
	var ds []h5.Dataset
	for i, p := range m.Flow.Params() {
		ds = append(ds, h5.Dataset{Name: paramName(i), Shape: slices.Clone(p.Value.Shape), Data: p.Value.Data,
			Attrs: h5.Attrs{"index": i}})
	}
	return h5.WriteFile(path, []h5.Group{{Path: "/", Attrs: attrs}, {Path: "params", Datasets: ds}})
}

func paramName(i int) string { return fmt.Sprintf("p%03d", i) }

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

// Load reads a flow written by Save, for use on an L×L lattice: L = 0
// (or the side it was trained on) keeps it as it was saved, another L
// carries it over (Model.Resize) where its architecture allows.
func Load(path string, L int) (*Model, error) {
	f, err := h5.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nf: %w", err)
	}
	defer f.Close()
	format, err := f.AttrString("/", "format")
	if err != nil || format != FlowFormat {
		return nil, fmt.Errorf("nf: %s is not an mcflow flow file (no format attribute %q); flows are written by `mcflow train`", path, FlowFormat)
	}
	cj, err := f.AttrString("/", "config")
	if err != nil {
		return nil, fmt.Errorf("nf: %w", err)
	}
	var c Config
	if err := json.Unmarshal([]byte(cj), &c); err != nil {
		return nil, fmt.Errorf("nf: %s: config attribute: %w", path, err)
	}
	m, err := New(c, mc.NewPCG(0, 0))
	if err != nil {
		return nil, fmt.Errorf("nf: %s: %w", path, err)
	}
	for i, p := range m.Flow.Params() {
		shape, data, err := f.Read("params/" + paramName(i))
		if err != nil {
			return nil, fmt.Errorf("nf: %w", err)
		}
		if !slices.Equal(shape, p.Value.Shape) {
			return nil, fmt.Errorf("nf: %s: params/%s has shape %v, the architecture wants %v", path, paramName(i), shape, p.Value.Shape)
		}
		copy(p.Value.Data, data)
	}
	if L == 0 {
		return m, nil
	}
	r, err := m.Resize(L)
	if err != nil {
		return nil, fmt.Errorf("nf: %s: %w", path, err)
	}
	return r, nil
}

var (
	_ Flow = (*RealNVP)(nil)
	_ Flow = (*MongeAmpere)(nil)
	_ Flow = (*CNF)(nil)
	_ Flow = (*NeuralRG)(nil)
)
