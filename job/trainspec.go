package job

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/nf"
)

// TrainSpec is the [train] table: the flow, its training and evaluation.
type TrainSpec struct {
	Flow     string  // "realnvp", "monge-ampere" or "cnf"
	Epochs   int     // optimizer steps (one batch each)
	Batch    int     // samples per step
	LR       float64 // Adam's learning rate
	Loss     string  // "reverse" (needs only the target) or "forward" (needs data)
	Schedule string  // "cosine" or "constant"
	Data     string  // forward KL: an .npy of configurations (…, dim)
	DataSum  string  `json:"-"` // "sha256:…" of Data's content when parsed

	// Architecture (documented defaults per flow).
	Layers     int
	Hidden     []int
	Mask       string
	Net        string  `json:",omitempty"` // realnvp: "mlp" or "conv"
	Kernel     int     `json:",omitempty"` // net = "conv": the kernel size
	Coupling   string  `json:",omitempty"` // realnvp: "spline", or "" for affine (so affine jobs hash as before)
	Bins       int     `json:",omitempty"` // coupling = "spline": bins per spline
	Bound      float64 `json:",omitempty"` // coupling = "spline": the splines' interval [−bound, bound]
	Potential  string
	Steps      int
	Eps        float64
	Symmetric  string
	Exact      bool
	Hutchinson bool

	// cnf: the features A, the frequencies J of h_a and the time-basis
	// functions of the kernels (Steps are its RK4 steps).
	Features    int `json:",omitempty"`
	Frequencies int `json:",omitempty"`
	TimeBasis   int `json:",omitempty"`

	// neuralrg: the scales transformed (from the finest) and the pairs of
	// block layers per scale (Layers and Hidden are each block's).
	Depth  int `json:",omitempty"`
	Repeat int `json:",omitempty"`
	// DensityTolerance bounds a cnf's density error: after training its
	// RK4 steps are doubled (up to 8×) until the measured error is below.
	DensityTolerance float64 `json:",omitempty"`

	EvalSamples int // fresh samples for F_q, ESS and ln Z at the end

	// Init starts training from a saved flow of the same architecture,
	// trained at another lattice size or model point (a lattice flow is
	// carried over to the task's L: nf.Model.Resize); InitSum is its
	// content's hash, which is what the training hash sees.
	Init    string `json:",omitempty"`
	InitSum string `json:"-"`
	// Warmup is the epochs over which the learning rate rises to LR (nil:
	// the default, 0 for a fresh flow, a tenth of the epochs when training
	// starts from a trained one: Init or a later stage).
	Warmup *int `json:",omitempty"`
	// Stages are the earlier stages of a multi-stage training
	// ([[train.stage]]), in order: each trains the flow on the model with
	// its values set for Epochs epochs, starting from the previous
	// stage's flow (the first from Init, or fresh); the job's own [model]
	// and epochs are the final stage.
	Stages []TrainStage `json:",omitempty"`
}

// TrainStage is one [[train.stage]] table.
type TrainStage struct {
	Values kind.Values // [model] keys set differently from the final stage
	Epochs int
	LR     float64 `json:",omitempty"` // the stage's learning rate (0: [train] lr)
}

// trainKey documents a [train] key: the reference (`mcflow keys`) and the
// parser's list of keys both come from trainKeyDocs.
type trainKey struct{ name, typ, def, doc string }

var trainKeyDocs = []trainKey{
	{"flow", "choice", `"realnvp"`, `"realnvp" (coupling layers), "monge-ampere" (a continuous flow), "cnf" (the equivariant continuous flow of lattices, Gerdes et al. 2022) or "neuralrg" (the hierarchical bijector of Li and Wang 2018, L a power of two)`},
	{"epochs", "integer", "500", "optimizer steps, one batch each"},
	{"batch", "integer", "1024", "samples per step"},
	{"lr", "number", "0.001 (monge-ampere: 0.01; cnf: 0.005)", "Adam's learning rate"},
	{"loss", "choice", `"reverse"`, `"reverse" (F_q, needs only the target) or "forward" (maximum likelihood on data)`},
	{"schedule", "choice", `"cosine"`, `"cosine" (to 1% of lr) or "constant"`},
	{"data", "path", "—", `loss = "forward": an .npy of configurations (…, dim)`},
	{"layers", "integer", `8 (net = "conv": 16; neuralrg: 4)`, "realnvp: coupling layers; neuralrg: coupling layers of each 2×2 block's RealNVP"},
	{"hidden", "list", "[64, 64] (conv: [8, 8]; monge-ampere: [32], mlp potential [32, 32], conv potential [4]; neuralrg: [32, 32])", "hidden widths (conv: channels; lncosh: its number of terms; conv potential: its features)"},
	{"mask", "choice", `"checkerboard" on lattices, else "halves"`, "realnvp: which coordinates a layer keeps"},
	{"net", "choice", `"mlp"`, `realnvp: the coupling networks, "mlp" (dense) or "conv" (periodic convolutions, translation-equivariant; lattices)`},
	{"kernel", "integer", "3", `net = "conv" or potential = "conv": the convolutions' kernel size (odd, <= L)`},
	{"coupling", "choice", `"affine"`, `realnvp: the layers' transform, "affine" (scale and shift) or "spline" (rational-quadratic, Durkan et al. 2019)`},
	{"bins", "integer", "8", `coupling = "spline": bins per spline (>= 2)`},
	{"bound", "number", "5", `coupling = "spline": the splines act on [-bound, bound], the identity outside`},
	{"potential", "choice", `"lncosh"`, `monge-ampere: "lncosh" (hand-written ∇u, ∇²u), "mlp", or "conv" (lattices: u = Σ K_ab(x−y) f_a(φ_x) f_b(φ_y), f_a = ln cosh(w_a φ); translation-invariant and even, exact ∇²u by convolutions)`},
	{"steps", "integer", "50", "monge-ampere and cnf: RK4 steps"},
	{"features", "integer", "20", "cnf: the features h_a(φ) = F_a0 φ + Σ_j F_aj sin(ω_j φ) the kernels act on"},
	{"frequencies", "integer", "49", "cnf: the frequencies ω_j = 5j/J of the features (fixed; F is trained)"},
	{"time_basis", "integer", "21", "cnf: the kernels' Fourier basis in t (odd: 1, then a sine and a cosine per frequency)"},
	{"eps", "number", "0.1", "monge-ampere: the RK4 step size"},
	{"symmetric", "choice", `"none"`, `"none", "equivariant" (g(−z) = −g(z)) or "mixture" (q symmetrised over ±x)`},
	{"exact", "boolean", "false", "monge-ampere: the exact density of the RK4 map (a d×d Jacobian per point; affordable to about 150 dimensions)"},
	{"hutchinson", "boolean", "false", "monge-ampere with the mlp potential: a stochastic trace for training"},
	{"depth", "integer", "log2(L)", "neuralrg: the scales transformed, from the finest (the sites left after the last are latent variables of the coarsest scale)"},
	{"repeat", "integer", "2", "neuralrg: pairs of block layers per scale (blocks at the origin, then shifted by the scale's spacing)"},
	{"density_tolerance", "number", "0.001", "cnf: after training, the RK4 steps of the saved map are doubled (up to 8×) until its density error (the spread of ln q minus the map's log-density, nats) is below"},
	{"eval_samples", "integer", "100000 (cnf: 10000)", "fresh samples for the final F_q, ESS and ln Z bounds (>= 1000)"},
	{"warmup", "integer", "0 (from a trained flow, init or a later stage: a tenth of the epochs)", "epochs over which the learning rate rises linearly to lr (Adam's first steps move every parameter by about lr, which throws a trained flow far off)"},
	{"init", "path", "—", "a saved flow of the same architecture to start from (e.g. OUT/flow/<task>.h5 of a job at a smaller L or another λ/β); convolutional and cnf flows are carried over to the task's L"},
	{"stage", "tables", "—", "[[train.stage]]: earlier stages of a multi-stage training, in order, each with its `epochs`, the [model] values it sets (e.g. `L = 8`) and optionally its own `lr` (a small lattice trains at a high rate, the final stage fine-tunes at a low one); each starts from the previous stage's flow and writes OUT/stages/<k>/; [model] and [train] epochs are the final stage"},
}

var trainKeys = func() []string {
	k := make([]string, len(trainKeyDocs))
	for i, d := range trainKeyDocs {
		k[i] = d.name
	}
	return k
}()

func (p *parser) float(key string, v any, what string, ok func(float64) bool) (float64, error) {
	f, isNum := number(v)
	if !isNum {
		return 0, p.errf(key, "is %s, want a number (%s)", typeName(v), what)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || !ok(f) {
		return 0, p.errf(key, "= %v is out of range (%s)", v, what)
	}
	return f, nil
}

func (p *parser) boolean(key string, v any) (bool, error) {
	b, ok := v.(bool)
	if !ok {
		return false, p.errf(key, "is %s, want true or false", typeName(v))
	}
	return b, nil
}

func (p *parser) choice(key string, v any, choices ...string) (string, error) {
	s, err := p.str(key, v)
	if err != nil {
		return "", err
	}
	for _, c := range choices {
		if s == c {
			return s, nil
		}
	}
	return "", p.errf(key, "= %q, want %s%s", s, quoteList(choices), kind.DidYouMean(s, choices))
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func (p *parser) train(s *Spec, t map[string]any) error {
	tr := s.Train
	keys, err := p.table("train", t, trainKeys)
	if err != nil {
		return err
	}
	*tr = TrainSpec{Flow: "realnvp", Epochs: 500, Batch: 1024, Loss: "reverse", Schedule: "cosine",
		Symmetric: "none", EvalSamples: 100000}
	if v, ok := t["flow"]; ok {
		if tr.Flow, err = p.choice("train.flow", v, "realnvp", "monge-ampere", "cnf", "neuralrg"); err != nil {
			return err
		}
	}
	lattice := s.Model.Def != nil && s.Model.Def.Lattice
	switch tr.Flow {
	case "realnvp":
		tr.LR, tr.Layers, tr.Hidden, tr.Mask, tr.Net = 1e-3, 8, []int{64, 64}, "halves", "mlp"
		if lattice {
			tr.Mask = "checkerboard"
		}
		if v, ok := t["net"]; ok {
			if tr.Net, err = p.choice("train.net", v, "mlp", "conv"); err != nil {
				return err
			}
		}
		if tr.Net == "conv" {
			// The lattice-field-theory tutorial's couplings (arXiv:2101.08176).
			tr.Layers, tr.Hidden, tr.Kernel = 16, []int{8, 8}, 3
		}
		if v, ok := t["coupling"]; ok {
			if tr.Coupling, err = p.choice("train.coupling", v, "affine", "spline"); err != nil {
				return err
			}
			if tr.Coupling == "affine" {
				tr.Coupling = ""
			}
		}
		if tr.Coupling == "spline" {
			tr.Bins, tr.Bound = 8, 5
		}
	case "monge-ampere":
		tr.LR, tr.Potential, tr.Hidden, tr.Steps, tr.Eps = 1e-2, "lncosh", []int{32}, 50, 0.1
	case "neuralrg":
		if !lattice {
			return p.errf("train.flow", "= \"neuralrg\" needs a lattice model (phi4, ising2d-relaxed)")
		}
		tr.LR, tr.Layers, tr.Hidden, tr.Repeat = 1e-3, 4, []int{32, 32}, 2
	case "cnf":
		if !lattice {
			return p.errf("train.flow", "= \"cnf\" needs a lattice model (phi4, ising2d-relaxed)")
		}
		tr.LR, tr.Hidden, tr.Steps, tr.Features, tr.Frequencies, tr.TimeBasis, tr.Symmetric = 5e-3, nil, 50, 20, 49, 21, "equivariant"
		tr.DensityTolerance, tr.EvalSamples = 1e-3, 10000
	}
	set := map[string]bool{}
	for _, k := range keys {
		key, v := "train."+k, t[k]
		set[k] = true
		switch k {
		case "flow":
		case "epochs":
			tr.Epochs, err = p.integer(key, v, 1, "optimizer steps")
		case "batch":
			tr.Batch, err = p.integer(key, v, 1, "samples per step")
		case "lr":
			tr.LR, err = p.float(key, v, "Adam's learning rate, > 0", func(f float64) bool { return f > 0 })
		case "loss":
			tr.Loss, err = p.choice(key, v, "reverse", "forward")
		case "schedule":
			tr.Schedule, err = p.choice(key, v, "cosine", "constant")
		case "data":
			if tr.Data, err = p.str(key, v); err == nil && !filepath.IsAbs(tr.Data) {
				tr.Data = filepath.Join(s.Dir, tr.Data)
			}
			tr.DataSum = fileSum(tr.Data)
		case "layers":
			tr.Layers, err = p.integer(key, v, 1, "coupling layers")
		case "hidden":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return p.errf(key, "is %s, want a non-empty list of widths such as [64, 64]", typeName(v))
			}
			tr.Hidden = nil
			for _, x := range list {
				n, err := p.integer(key, x, 1, "a hidden layer's width")
				if err != nil {
					return err
				}
				tr.Hidden = append(tr.Hidden, n)
			}
		case "mask":
			tr.Mask, err = p.choice(key, v, "halves", "checkerboard")
		case "net":
		case "kernel":
			tr.Kernel, err = p.integer(key, v, 1, "the convolutions' kernel size, odd")
		case "coupling":
		case "bins":
			if tr.Bins, err = p.integer(key, v, 2, "bins per spline"); err == nil && tr.Coupling != "spline" {
				err = p.errf(key, "applies to coupling = \"spline\"")
			}
		case "bound":
			if tr.Bound, err = p.float(key, v, "the splines' interval [-bound, bound], > 0", func(f float64) bool { return f > 0 }); err == nil && tr.Coupling != "spline" {
				err = p.errf(key, "applies to coupling = \"spline\"")
			}
		case "potential":
			tr.Potential, err = p.choice(key, v, "lncosh", "mlp", "conv")
		case "steps":
			tr.Steps, err = p.integer(key, v, 1, "RK4 steps")
		case "eps":
			tr.Eps, err = p.float(key, v, "the RK4 step size, > 0", func(f float64) bool { return f > 0 })
		case "symmetric":
			tr.Symmetric, err = p.choice(key, v, "none", "equivariant", "mixture")
		case "exact":
			tr.Exact, err = p.boolean(key, v)
		case "hutchinson":
			tr.Hutchinson, err = p.boolean(key, v)
		case "features":
			tr.Features, err = p.integer(key, v, 1, "the cnf's features")
		case "frequencies":
			tr.Frequencies, err = p.integer(key, v, 1, "the cnf's frequencies")
		case "time_basis":
			if tr.TimeBasis, err = p.integer(key, v, 1, "the cnf's time-basis functions, odd"); err == nil && tr.TimeBasis%2 == 0 {
				err = p.errf(key, "= %d: want an odd number (1, then a sine and a cosine per frequency)", tr.TimeBasis)
			}
		case "eval_samples":
			tr.EvalSamples, err = p.integer(key, v, 1000, "fresh samples for the final estimates")
		case "depth":
			tr.Depth, err = p.integer(key, v, 1, "scales, from the finest")
		case "repeat":
			tr.Repeat, err = p.integer(key, v, 1, "pairs of block layers per scale")
		case "density_tolerance":
			tr.DensityTolerance, err = p.float(key, v, "nats, > 0", func(f float64) bool { return f > 0 })
		case "warmup":
			var w int
			w, err = p.integer(key, v, 0, "epochs of rising learning rate")
			tr.Warmup = &w
		case "init":
			tr.Init, tr.InitSum, err = p.initPath(s, key, v)
		case "stage":
			tr.Stages, err = p.stages(s, v)
		}
		if err != nil {
			return err
		}
	}
	if !set["hidden"] && tr.Potential == "mlp" {
		tr.Hidden = []int{32, 32}
	}
	if tr.Potential == "conv" {
		if !lattice {
			return p.errf("train.potential", "= \"conv\" needs a lattice model (phi4, ising2d-relaxed)")
		}
		if !set["hidden"] {
			tr.Hidden = []int{4}
		}
		if !set["kernel"] {
			tr.Kernel = 3
		}
	}
	if set["kernel"] && tr.Net != "conv" && tr.Potential != "conv" {
		return p.errf("train.kernel", "applies to net = \"conv\" (realnvp) or potential = \"conv\" (monge-ampere)")
	}
	// Keys of the other flow are refused rather than ignored.
	cnfOnly := []string{"features", "frequencies", "time_basis", "density_tolerance", "depth", "repeat"}
	other := map[string][]string{"realnvp": append([]string{"potential", "steps", "eps", "exact", "hutchinson"}, cnfOnly...),
		"monge-ampere": append([]string{"layers", "mask", "net", "coupling", "bins", "bound"}, cnfOnly...),
		"cnf":          {"layers", "mask", "net", "coupling", "bins", "bound", "potential", "eps", "exact", "hutchinson", "hidden", "kernel", "depth", "repeat"},
		"neuralrg":     {"mask", "net", "coupling", "bins", "bound", "potential", "eps", "exact", "hutchinson", "kernel", "steps", "features", "frequencies", "time_basis", "density_tolerance"}}
	if tr.Flow == "cnf" && tr.Loss == "forward" {
		return p.errf("train.loss", "= \"forward\" does not apply to flow = \"cnf\": its inverse is found by iteration, without gradients; train it by reverse KL")
	}
	if tr.Flow == "cnf" && set["symmetric"] {
		return p.errf("train.symmetric", "does not apply to flow = \"cnf\": the flow is Z2-equivariant by construction (h_a is odd)")
	}
	for _, k := range other[tr.Flow] {
		if set[k] {
			return p.errf("train."+k, "does not apply to flow = %q", tr.Flow)
		}
	}
	if tr.Loss == "forward" && tr.Data == "" {
		return p.errf("train.loss", "= \"forward\" (maximum likelihood) needs samples: set train.data to an .npy of configurations, e.g. OUT/configs/0000.npy of a run with [output] configs_every")
	}
	if len(tr.Stages) > 0 && tr.Loss == "forward" {
		return p.errf("train.stage", "needs loss = \"reverse\": the data of loss = \"forward\" has one stage's size")
	}
	if tr.Data != "" && tr.Loss != "forward" {
		return p.errf("train.data", "is set but loss = %q; set loss = \"forward\" to train on it", tr.Loss)
	}
	if tr.Mask == "checkerboard" && !lattice {
		return p.errf("train.mask", "= \"checkerboard\" needs a lattice model (phi4, ising2d-relaxed)")
	}
	if tr.Net == "conv" && tr.Mask != "checkerboard" {
		return p.errf("train.net", "= \"conv\" needs a lattice model and mask = \"checkerboard\"")
	}
	c := tr.FlowConfig(2, 0)
	// A stand-in lattice: the checks below do not depend on its size (the
	// kernel is checked against the target's L when a task is built).
	c.L = max(2, tr.Kernel)
	if c.Kind == "neuralrg" { // the depth is checked against the target's L then too
		c.Depth = max(1, tr.Depth)
		c.L = 1 << c.Depth
	}
	c.Dim = c.L * c.L
	if err := c.Validate(); err != nil {
		return p.errf("train", "%s", strings.TrimPrefix(err.Error(), "nf: "))
	}
	return nil
}

// initPath reads train.init: an existing flow file.
func (p *parser) initPath(s *Spec, key string, v any) (path, sum string, err error) {
	if path, err = p.str(key, v); err != nil {
		return "", "", err
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(s.Dir, path)
	}
	if _, err := os.Stat(path); err != nil && !p.lenient {
		return "", "", p.errf(key, "= %q: no such file (%s; relative paths resolve against the job file's folder); it is a flow written by `mcflow train` (OUT/flow/<task>.h5)", v, path)
	}
	return path, fileSum(path), nil
}

// stages reads the [[train.stage]] tables: each an epochs count and
// single values of [model] keys.
func (p *parser) stages(s *Spec, v any) ([]TrainStage, error) {
	var list []map[string]any
	items, ok := v.([]any)
	for _, it := range items {
		t, isTable := it.(map[string]any)
		ok = ok && isTable
		list = append(list, t)
	}
	if !ok || len(list) == 0 {
		return nil, p.errf("train.stage", "is %s, want [[train.stage]] tables (each with epochs and the [model] values it sets)", typeName(v))
	}
	if s.Model.Def == nil {
		return nil, p.errf("train.stage", "needs a model kind this program knows")
	}
	known := []string{"epochs", "lr"}
	for _, k := range s.Model.Def.Keys {
		known = append(known, k.Name)
	}
	out := make([]TrainStage, len(list))
	for i, t := range list {
		table := fmt.Sprintf("train.stage[%d]", i+1)
		keys, err := p.table(table, t, known)
		if err != nil {
			return nil, err
		}
		st := TrainStage{Values: kind.Values{}}
		for _, k := range keys {
			if k == "epochs" {
				if st.Epochs, err = p.integer(table+".epochs", t[k], 1, "the stage's optimizer steps"); err != nil {
					return nil, err
				}
				continue
			}
			if k == "lr" {
				if st.LR, err = p.float(table+".lr", t[k], "the stage's learning rate, > 0", func(f float64) bool { return f > 0 }); err != nil {
					return nil, err
				}
				continue
			}
			def := s.Model.Def.Keys[slices.IndexFunc(s.Model.Def.Keys, func(d kind.Key) bool { return d.Name == k })]
			if st.Values[k], err = p.keyValue(table+"."+k, def, t[k]); err != nil {
				return nil, err
			}
		}
		if st.Epochs == 0 {
			return nil, p.errf(table, "has no epochs: give each stage its number of optimizer steps")
		}
		out[i] = st
	}
	return out, nil
}

// WarmupEpochs is the epochs of rising learning rate (see TrainSpec.Warmup).
func (tr *TrainSpec) WarmupEpochs() int {
	switch {
	case tr.Warmup != nil:
		return *tr.Warmup
	case tr.Init != "":
		return max(1, tr.Epochs/10)
	}
	return 0
}

// FlowConfig returns the flow's architecture for a target of dimension
// dim (lattice side l, or 0).
func (tr *TrainSpec) FlowConfig(dim, l int) nf.Config {
	c := nf.Config{Kind: tr.Flow, Layers: tr.Layers, Hidden: tr.Hidden, Mask: tr.Mask, Net: tr.Net, Kernel: tr.Kernel, Potential: tr.Potential,
		Coupling: tr.Coupling, Bins: tr.Bins, Bound: tr.Bound,
		Steps: tr.Steps, Eps: tr.Eps, Exact: tr.Exact, Hutchinson: tr.Hutchinson, Symmetric: nf.Symmetry(tr.Symmetric),
		Features: tr.Features, Frequencies: tr.Frequencies, TimeBasis: tr.TimeBasis, Depth: tr.Depth, Repeat: tr.Repeat}
	c.Defaults(dim, l)
	return c
}

func (tr *TrainSpec) toml(rel func(string) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n[train]\nflow = %q\nepochs = %d\nbatch = %d\nlr = %s\nloss = %q\nschedule = %q\n",
		tr.Flow, tr.Epochs, tr.Batch, formatNumber(tr.LR, false), tr.Loss, tr.Schedule)
	if tr.Data != "" {
		fmt.Fprintf(&b, "data = %s\n", TomlQuote(rel(tr.Data)))
	}
	h := make([]string, len(tr.Hidden))
	for i, v := range tr.Hidden {
		h[i] = fmt.Sprint(v)
	}
	if tr.Flow != "cnf" {
		fmt.Fprintf(&b, "hidden = [%s]\nsymmetric = %q\n", strings.Join(h, ", "), tr.Symmetric)
	}
	switch tr.Flow {
	case "realnvp":
		fmt.Fprintf(&b, "layers = %d\nmask = %q\nnet = %q\n", tr.Layers, tr.Mask, tr.Net)
		if tr.Net == "conv" {
			fmt.Fprintf(&b, "kernel = %d\n", tr.Kernel)
		}
		if tr.Coupling == "spline" {
			fmt.Fprintf(&b, "coupling = \"spline\"\nbins = %d\nbound = %s\n", tr.Bins, formatNumber(tr.Bound, false))
		}
	case "monge-ampere":
		fmt.Fprintf(&b, "potential = %q\nsteps = %d\neps = %s\nexact = %v\nhutchinson = %v\n",
			tr.Potential, tr.Steps, formatNumber(tr.Eps, false), tr.Exact, tr.Hutchinson)
		if tr.Potential == "conv" {
			fmt.Fprintf(&b, "kernel = %d\n", tr.Kernel)
		}
	case "neuralrg":
		fmt.Fprintf(&b, "layers = %d\nrepeat = %d\n", tr.Layers, tr.Repeat)
		if tr.Depth > 0 {
			fmt.Fprintf(&b, "depth = %d\n", tr.Depth)
		}
	case "cnf":
		fmt.Fprintf(&b, "features = %d\nfrequencies = %d\ntime_basis = %d\nsteps = %d\ndensity_tolerance = %s\n", tr.Features, tr.Frequencies, tr.TimeBasis, tr.Steps, formatNumber(tr.DensityTolerance, false))
	}
	fmt.Fprintf(&b, "eval_samples = %d\n", tr.EvalSamples)
	if tr.Warmup != nil {
		fmt.Fprintf(&b, "warmup = %d\n", *tr.Warmup)
	}
	if tr.Init != "" {
		fmt.Fprintf(&b, "init = %s\n", TomlQuote(rel(tr.Init)))
	}
	for _, st := range tr.Stages {
		fmt.Fprintf(&b, "\n[[train.stage]]\nepochs = %d\n", st.Epochs)
		if st.LR != 0 {
			fmt.Fprintf(&b, "lr = %s\n", formatNumber(st.LR, false))
		}
		for _, k := range slices.Sorted(maps.Keys(st.Values)) {
			fmt.Fprintf(&b, "%s = %s\n", k, tomlAny(st.Values[k], nil))
		}
	}
	return b.String()
}

// hashed is the [train] table as hashes see it: its data by content.
func (tr *TrainSpec) hashed() TrainSpec {
	c := *tr
	c.Data, c.Init = tr.DataSum, tr.InitSum
	return c
}

// TrainHash identifies what a task's training computes: the seed, the
// model point and every [train] setting but eval_samples, and but epochs
// under a constant learning rate (more epochs then extend a run; under the
// cosine schedule the rate of every epoch depends on their number).
func (s *Spec) TrainHash(t Task) string {
	tr := s.Train.hashed()
	tr.EvalSamples = 0
	if tr.Schedule == "constant" {
		tr.Epochs = 0 // with a constant rate more epochs extend a run; with cosine they change it
	}
	v := struct {
		Model  string
		Fixed  map[string]any `json:",omitempty"`
		Seed   uint64
		Params []NamedValue
		Train  TrainSpec
	}{s.Model.Kind, s.Model.Fixed, s.Seed, t.Params, tr}
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
