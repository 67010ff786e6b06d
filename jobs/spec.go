package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/mc/flowmh"
	"github.com/mcflow/mcflow/model"
)

// Spec is a validated job file with every default filled in.
type Spec struct {
	Name       string
	Seed       uint64
	Model      ModelSpec
	Sampler    SamplerSpec
	Output     OutputSpec
	Checkpoint CheckpointSpec
	Train      *TrainSpec // the [train] table; nil when absent
	Slurm      SlurmSpec  // the [slurm] table: `mcflow slurm`'s defaults

	File string // path of the job file ("" for the embedded default)
	Dir  string // directory that relative paths resolve against
}

// Param is one [model] number: a single value or a scan.
type Param struct {
	Name   string
	Values []float64
	Int    bool
}

// ModelSpec is the [model] table.
type ModelSpec struct {
	Kind   string
	Params []Param // in file order (defaults after)
	Name   string  // toy2d: which density
}

// SamplerSpec is the [sampler] table.
type SamplerSpec struct {
	Kind         string
	Engine       string // metropolis: "plain" or "multispin"
	Chains       int
	Thermalize   int
	Sweeps       int
	MeasureEvery int
	Start        string

	// Gradient and flow samplers (hmc, latent-hmc, flow-mh).
	Cont *ContSampler `json:",omitempty"`
}

// ContSampler holds the [sampler] keys of the samplers of continuous
// targets.
type ContSampler struct {
	Eps          float64 // initial leapfrog step size (hmc, latent-hmc)
	Steps        int     // leapfrog steps per trajectory (0: ⌈length/eps⌉)
	Length       float64 // trajectory length when steps = 0
	TargetAccept float64 // step-size adaptation during thermalize
	Metric       bool    // adapt a diagonal mass matrix during thermalize
	Flow         string  // latent-hmc, flow-mh: a flow written by `mcflow train`
	FlowSum      string  `json:"-"` // "sha256:…" of the flow file's content when parsed ("" if unreadable)
	Batch        int     // flow-mh: proposals per flow evaluation
	Local        float64 // flow-mh: fraction of random-walk steps
	LocalStep    float64 // flow-mh: their step size

	// Adaptive flow-MH: thermalize is split into AdaptRounds rounds; after
	// each, the flow is trained by forward KL on the round's states of all
	// chains (every measure_every-th step) for AdaptEpochs epochs of
	// AdaptBatch rows at AdaptLR, then frozen for the recorded steps.
	AdaptRounds int     `json:",omitempty"`
	AdaptEpochs int     `json:",omitempty"`
	AdaptBatch  int     `json:",omitempty"`
	AdaptLR     float64 `json:",omitempty"`
	// LocalKernel: flow-mh's local steps (a fraction Local of all steps):
	// "rw" (random-walk Metropolis of step LocalStep) or "hmc" (one
	// trajectory with Eps and Steps or Length, its step size adapted
	// toward TargetAccept during thermalize unless NoAdapt, then frozen);
	// "" when Local = 0.
	LocalKernel string `json:",omitempty"`
	// NoAdapt (adapt = false): hmc and latent-hmc keep Eps and the unit
	// metric through thermalize, flow-mh's HMC local kernel keeps Eps.
	NoAdapt bool `json:",omitempty"`
}

// Adaptive reports whether the flow is trained on the chains during
// thermalize.
func (c *ContSampler) Adaptive() bool { return c != nil && c.AdaptRounds > 0 }

// OutputSpec is the [output] table.
type OutputSpec struct {
	Dir     string
	Formats []string
	// ConfigsEvery > 0 saves every ConfigsEvery-th recorded draw's
	// configuration of every chain in OUT/configs/<task>.npy.
	ConfigsEvery int
}

// CheckpointSpec is the [checkpoint] table: every Interval of wall time,
// or every Sweeps steps per chain.
type CheckpointSpec struct {
	Every    string
	Interval time.Duration
	Sweeps   int
}

// Draws is the number of recorded observations per chain.
func (s *Spec) Draws() int { return s.Sampler.Sweeps / s.Sampler.MeasureEvery }

// HDF5 reports whether HDF5 output is asked for.
func (s *Spec) HDF5() bool { return slices.Contains(s.Output.Formats, "hdf5") }

// SpecError is a problem in a job file: where it is and how to fix it.
type SpecError struct {
	File string
	Line int    // 0 when unknown
	Key  string // "sampler.chains"
	Msg  string
}

func (e *SpecError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Key != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// keyLines maps "table.key" (and "table") to the line it is defined on.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	var p unstable.Parser
	p.Reset(data)
	table := ""
	for p.NextExpression() {
		e := p.Expression()
		var parts []string
		line := 0
		it := e.Key()
		for it.Next() {
			n := it.Node()
			parts = append(parts, string(n.Data))
			if line == 0 {
				line = p.Shape(n.Raw).Start.Line
			}
		}
		name := strings.Join(parts, ".")
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = name
			lines[name] = line
		case unstable.KeyValue:
			if table != "" {
				name = table + "." + name
			}
			lines[name] = line
		}
	}
	return lines
}

// ParseFile reads and validates a job file.
func ParseFile(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("job file %s does not exist (check the path, or run `mcflow run` without a file for the default job)", path)
		}
		return nil, fmt.Errorf("could not read job file: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path, filepath.Dir(abs))
}

// Parse validates a job file's content; name is used in errors, dir is
// where relative paths resolve.
func Parse(data []byte, name, dir string) (*Spec, error) {
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			return nil, &SpecError{File: name, Line: row, Msg: "TOML syntax: " + strings.TrimPrefix(de.Error(), "toml: ")}
		}
		return nil, &SpecError{File: name, Msg: "TOML syntax: " + err.Error()}
	}
	p := &parser{file: name, dir: dir, lines: keyLines(data)}
	s := &Spec{File: name, Dir: dir}
	if err := p.spec(s, raw); err != nil {
		return nil, err
	}
	return s, nil
}

type parser struct {
	file  string
	dir   string // relative paths resolve against it
	lines map[string]int
}

func (p *parser) errf(key, format string, args ...any) error {
	return &SpecError{File: p.file, Line: p.lines[key], Key: key, Msg: fmt.Sprintf(format, args...)}
}

// table takes the keys of a table in file order and rejects unknown ones.
func (p *parser) table(prefix string, m map[string]any, known []string) ([]string, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	full := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := p.lines[full(a)] - p.lines[full(b)]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, k := range keys {
		if !slices.Contains(known, k) {
			where := "at the top level"
			if prefix != "" {
				where = "in [" + prefix + "]"
			}
			return nil, p.errf(full(k), "unknown key %s; known keys %s: %s", where, where, strings.Join(known, ", "))
		}
	}
	return keys, nil
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}

func (p *parser) str(key string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", p.errf(key, "is %s, want a string", typeName(v))
	}
	return s, nil
}

func (p *parser) integer(key string, v any, min int64, what string) (int, error) {
	i, ok := v.(int64)
	if !ok {
		if f, isF := v.(float64); isF && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			i, ok = int64(f), true
		}
	}
	if !ok {
		return 0, p.errf(key, "is %s, want an integer (%s)", typeName(v), what)
	}
	if i < min {
		return 0, p.errf(key, "= %d, want >= %d (%s)", i, min, what)
	}
	if i > math.MaxInt32 {
		return 0, p.errf(key, "= %d is too large (%s)", i, what)
	}
	return int(i), nil
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func (p *parser) table2(key string, v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, p.errf(key, "is %s, want a table [%s]", typeName(v), key)
	}
	return m, nil
}

func (p *parser) spec(s *Spec, raw map[string]any) error {
	keys, err := p.table("", raw, []string{"name", "seed", "model", "sampler", "output", "checkpoint", "train", "slurm"})
	if err != nil {
		return err
	}
	s.Name = strings.TrimSuffix(filepath.Base(p.file), filepath.Ext(p.file))
	s.Seed = 1
	tables := map[string]map[string]any{"model": {}, "sampler": {}, "output": {}, "checkpoint": {}, "slurm": {}}
	_, hasTrain := raw["train"]
	for _, k := range keys {
		v := raw[k]
		switch k {
		case "name":
			if s.Name, err = p.str(k, v); err != nil {
				return err
			}
			if s.Name == "" || strings.ContainsAny(s.Name, "/\\") {
				return p.errf(k, "= %q, want a non-empty name without slashes", s.Name)
			}
		case "seed":
			n, err := p.integer(k, v, 0, "the job's random seed")
			if err != nil {
				return err
			}
			s.Seed = uint64(n)
		default:
			if tables[k], err = p.table2(k, v); err != nil {
				return err
			}
		}
	}
	if err := p.model(&s.Model, tables["model"]); err != nil {
		return err
	}
	if err := p.sampler(&s.Sampler, tables["sampler"]); err != nil {
		return err
	}
	if err := p.output(s, tables["output"]); err != nil {
		return err
	}
	if err := p.checkpoint(&s.Checkpoint, tables["checkpoint"]); err != nil {
		return err
	}
	if err := p.slurm(&s.Slurm, tables["slurm"]); err != nil {
		return err
	}
	if hasTrain {
		s.Train = &TrainSpec{}
		if err := p.train(s, tables["train"]); err != nil {
			return err
		}
	}
	return p.crossCheck(s)
}

// modelKeys describes the numbers of each model kind: name, integer?,
// default, and a check of one value.
type modelKey struct {
	name  string
	isInt bool
	def   float64
	check func(v float64) string // "" when fine, else what is wanted
	what  string
}

var modelKinds = map[string][]modelKey{
	"ising2d": {
		{"L", true, 16, func(v float64) string {
			if v < 2 || v > 1<<15 {
				return "want 2 <= L <= 32768"
			}
			return ""
		}, "the linear size of the L×L torus"},
		{"beta", false, 0.4406868, func(v float64) string {
			if !(v >= 0) || math.IsInf(v, 0) {
				return "want a finite beta >= 0"
			}
			return ""
		}, "the inverse temperature"},
		{"J", false, 1, finite, "the coupling"},
		{"h", false, 0, finite, "the field"},
	},
	"toy2d": {},
	"phi4": {
		{"L", true, 8, func(v float64) string {
			if v < 2 || v > 1024 {
				return "want 2 <= L <= 1024"
			}
			return ""
		}, "the linear size of the L×L torus"},
		{"m2", false, -4, finite, "the mass term m²"},
		{"lam", false, 8, func(v float64) string {
			if !(v >= 0) || math.IsInf(v, 0) {
				return "want a finite lam >= 0"
			}
			return ""
		}, "the quartic coupling λ"},
	},
	"ising2d-relaxed": {
		{"L", true, 8, func(v float64) string {
			if v < 2 || v > 64 {
				return "want 2 <= L <= 64"
			}
			return ""
		}, "the linear size of the L×L torus"},
		{"beta", false, 0.4406868, func(v float64) string {
			if !(v > 0) || math.IsInf(v, 0) {
				return "want a finite beta > 0"
			}
			return ""
		}, "the inverse temperature"},
	},
}

// modelKindNames lists the model kinds for error messages.
const modelKindNames = "ising2d, phi4, ising2d-relaxed, toy2d"

func finite(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "want a finite number"
	}
	return ""
}

func (p *parser) model(m *ModelSpec, t map[string]any) error {
	m.Kind = "ising2d"
	if v, ok := t["kind"]; ok {
		k, err := p.str("model.kind", v)
		if err != nil {
			return err
		}
		m.Kind = k
	}
	defs, ok := modelKinds[m.Kind]
	if !ok {
		return p.errf("model.kind", "= %q is not a model mcflow knows; known: %s", m.Kind, modelKindNames)
	}
	known := []string{"kind"}
	if m.Kind == "toy2d" {
		known = append(known, "name")
		m.Name = "ring2d"
		if v, ok := t["name"]; ok {
			n, err := p.str("model.name", v)
			if err != nil {
				return err
			}
			if !slices.Contains(model.Toy2DNames, n) {
				return p.errf("model.name", "= %q, want one of %s", n, strings.Join(model.Toy2DNames, ", "))
			}
			m.Name = n
		}
	}
	for _, d := range defs {
		known = append(known, d.name)
	}
	keys, err := p.table("model", t, known)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if k == "kind" || k == "name" {
			continue
		}
		d := defs[slices.IndexFunc(defs, func(d modelKey) bool { return d.name == k })]
		key := "model." + k
		var vals []any
		if list, isList := t[k].([]any); isList {
			if len(list) == 0 {
				return p.errf(key, "is an empty list; give one value or a list of values to scan (%s)", d.what)
			}
			vals = list
		} else {
			vals = []any{t[k]}
		}
		param := Param{Name: k, Int: d.isInt}
		for i, v := range vals {
			var f float64
			if d.isInt {
				n, err := p.integer(key, v, math.MinInt32, d.what)
				if err != nil {
					return err
				}
				f = float64(n)
			} else {
				var ok bool
				if f, ok = number(v); !ok {
					return p.errf(key, "is %s, want a number or a list of numbers (%s)", typeName(v), d.what)
				}
			}
			if msg := d.check(f); msg != "" {
				return p.errf(key, "= %v: %s (%s)", v, msg, d.what)
			}
			if slices.Contains(param.Values, f) {
				return p.errf(key, "has %v twice (values %d and %d of the list): a point of a scan is one task; drop the repeat (replicas are sampler.chains)", v, slices.Index(param.Values, f)+1, i+1)
			}
			param.Values = append(param.Values, f)
		}
		m.Params = append(m.Params, param)
		seen[k] = true
	}
	for _, d := range defs {
		if !seen[d.name] {
			m.Params = append(m.Params, Param{Name: d.name, Values: []float64{d.def}, Int: d.isInt})
		}
	}
	return nil
}

func (p *parser) sampler(s *SamplerSpec, t map[string]any) error {
	*s = SamplerSpec{Kind: "metropolis", Engine: "plain", Chains: 8, Thermalize: 1000, Sweeps: 10000, MeasureEvery: 1, Start: "hot"}
	if v, ok := t["kind"]; ok {
		if k, isStr := v.(string); isStr && contKinds[k] {
			s.Cont = &ContSampler{Eps: 0.1, Steps: 10, TargetAccept: 0.8, Metric: true, Batch: 64}
			if k == "flow-mh" {
				// The mixed kernel: flow proposals and adapted HMC trajectories.
				s.Cont.Local, s.Cont.LocalKernel, s.Cont.Metric = 0.5, "hmc", false
			}
		}
	}
	known := []string{"kind", "engine", "chains", "thermalize", "sweeps", "measure_every", "start"}
	if s.Cont != nil {
		known = []string{"kind", "chains", "thermalize", "sweeps", "measure_every", "start",
			"eps", "steps", "length", "target_accept", "metric", "flow", "batch", "local", "local_step",
			"adapt_rounds", "adapt_epochs", "adapt_batch", "adapt_lr", "local_kernel", "adapt"}
	}
	keys, err := p.table("sampler", t, known)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := p.samplerKey(s, k, t[k]); err != nil {
			return err
		}
	}
	if s.Engine == "multispin" {
		if s.Kind != "metropolis" {
			return p.errf("sampler.engine", "= \"multispin\" is an engine of kind = \"metropolis\", not %q", s.Kind)
		}
		if s.Chains%64 != 0 {
			return p.errf("sampler.chains", "= %d, but the multispin engine runs chains in words of 64 replicas: use a multiple of 64 (64, 128, ...)", s.Chains)
		}
	}
	if s.Cont != nil {
		if err := p.contSampler(s, keys, t); err != nil {
			return err
		}
	}
	if s.Sweeps < s.MeasureEvery {
		return p.errf("sampler.sweeps", "= %d is less than measure_every = %d: nothing would be recorded", s.Sweeps, s.MeasureEvery)
	}
	return nil
}

// samplerKey reads one [sampler] key into s.
func (p *parser) samplerKey(s *SamplerSpec, k string, v any) error {
	key := "sampler." + k
	var err error
	switch k {
	case "kind":
		if s.Kind, err = p.str(key, v); err != nil {
			return err
		}
		if s.Kind != "metropolis" && s.Kind != "wolff" && !contKinds[s.Kind] {
			return p.errf(key, "= %q, want \"metropolis\" or \"wolff\" (ising2d), or \"hmc\", \"latent-hmc\" or \"flow-mh\" (phi4, ising2d-relaxed, toy2d)", s.Kind)
		}
	case "engine":
		s.Engine, err = p.choice(key, v, "plain", "multispin")
	case "eps":
		s.Cont.Eps, err = p.float(key, v, "the initial leapfrog step size, > 0", func(f float64) bool { return f > 0 })
	case "steps":
		s.Cont.Steps, err = p.integer(key, v, 0, "leapfrog steps per trajectory (0: use length)")
	case "length":
		s.Cont.Length, err = p.float(key, v, "the trajectory length, > 0", func(f float64) bool { return f > 0 })
	case "target_accept":
		s.Cont.TargetAccept, err = p.float(key, v, "the target acceptance of step-size adaptation, in (0, 1)", func(f float64) bool { return f > 0 && f < 1 })
	case "metric":
		s.Cont.Metric, err = p.boolean(key, v)
	case "adapt":
		var a bool
		a, err = p.boolean(key, v)
		s.Cont.NoAdapt = !a
	case "flow":
		if s.Cont.Flow, err = p.str(key, v); err == nil && !filepath.IsAbs(s.Cont.Flow) {
			s.Cont.Flow = filepath.Join(p.dir, s.Cont.Flow)
		}
		s.Cont.FlowSum = fileSum(s.Cont.Flow)
	case "batch":
		if s.Cont.Batch, err = p.integer(key, v, 1, "flow proposals per batch"); err == nil && s.Cont.Batch > flowmh.MaxBatch {
			err = p.errf(key, "= %d, want at most %d proposals per batch (a checkpoint holds a batch's unused proposals)", s.Cont.Batch, flowmh.MaxBatch)
		}
	case "local":
		s.Cont.Local, err = p.float(key, v, "the fraction of local steps, in [0, 1]", func(f float64) bool { return f >= 0 && f <= 1 })
	case "local_step":
		s.Cont.LocalStep, err = p.float(key, v, "the random-walk step size, > 0", func(f float64) bool { return f > 0 })
	case "local_kernel":
		s.Cont.LocalKernel, err = p.choice(key, v, "rw", "hmc")
	case "adapt_rounds":
		s.Cont.AdaptRounds, err = p.integer(key, v, 0, "rounds of flow training during thermalize (0: none)")
	case "adapt_epochs":
		s.Cont.AdaptEpochs, err = p.integer(key, v, 1, "training epochs after each round")
	case "adapt_batch":
		s.Cont.AdaptBatch, err = p.integer(key, v, 1, "rows per training epoch")
	case "adapt_lr":
		s.Cont.AdaptLR, err = p.float(key, v, "the learning rate of adaptive training, > 0", func(f float64) bool { return f > 0 })
	case "chains":
		s.Chains, err = p.integer(key, v, 1, "independent chains per task")
	case "thermalize":
		s.Thermalize, err = p.integer(key, v, 0, "steps discarded per chain")
	case "sweeps":
		s.Sweeps, err = p.integer(key, v, 1, "recorded steps per chain")
	case "measure_every":
		s.MeasureEvery, err = p.integer(key, v, 1, "steps between measurements")
	case "start":
		s.Start, err = p.choice(key, v, "hot", "cold")
	}
	return err
}

// contSampler checks the keys of the samplers of continuous targets
// against the kind and fills the defaults that depend on others. The
// result is canonical: keys that do not apply are left at their zero
// values, so that the resolved job file parses back to the same spec.
func (p *parser) contSampler(s *SamplerSpec, keys []string, t map[string]any) error {
	c := s.Cont
	given := func(k string) bool { return slices.Contains(keys, k) }
	flowKeys := []string{"batch", "local", "local_step", "local_kernel", "adapt_rounds", "adapt_epochs", "adapt_batch", "adapt_lr"}
	hmcKeys := []string{"eps", "steps", "length", "target_accept", "metric", "adapt"}
	if s.Kind == "flow-mh" {
		if c.Local == 0 {
			if given("local_kernel") || given("local_step") {
				return p.errf("sampler.local", "= 0 takes no local steps: drop local_kernel and local_step, or set local > 0")
			}
			c.LocalKernel = ""
		}
		if c.LocalKernel != "rw" && given("local_step") {
			return p.errf("sampler.local_step", "is the step of local_kernel = \"rw\"; the local kernel is %q", c.LocalKernel)
		}
		if c.LocalKernel == "rw" && c.LocalStep == 0 {
			c.LocalStep = 0.1
		}
		hmcKeys = []string{"eps", "steps", "length", "target_accept", "adapt"}
		if c.LocalKernel != "hmc" {
			hmcKeys = nil
		}
		c.Metric = false // the local kernel adapts its step size only
	}
	for _, k := range keys {
		switch {
		case slices.Contains(flowKeys, k) && s.Kind != "flow-mh":
			return p.errf("sampler."+k, "does not apply to kind = %q", s.Kind)
		case (k == "eps" || k == "steps" || k == "length" || k == "target_accept" || k == "metric" || k == "adapt") && !slices.Contains(hmcKeys, k):
			if s.Kind == "flow-mh" {
				return p.errf("sampler."+k, "applies to local_kernel = \"hmc\" (the local kernel is %q)", c.LocalKernel)
			}
			return p.errf("sampler."+k, "does not apply to kind = %q", s.Kind)
		}
	}
	if c.NoAdapt && (given("target_accept") || given("metric")) {
		return p.errf("sampler.adapt", "= false keeps eps and the unit metric: drop target_accept and metric, or set adapt = true")
	}
	if c.NoAdapt {
		c.TargetAccept, c.Metric = 0, false
	}
	if hmcKeys == nil {
		c.Eps, c.Steps, c.Length, c.TargetAccept, c.NoAdapt = 0, 0, 0, 0, false
	} else if c.Steps == 0 && c.Length == 0 {
		return p.errf("sampler.steps", "= 0 needs a trajectory length: set length (or steps >= 1)")
	}
	if s.Kind == "hmc" && c.Flow != "" {
		return p.errf("sampler.flow", "is set, but kind = \"hmc\" samples x directly: use kind = \"latent-hmc\" or \"flow-mh\" to use the flow")
	}
	if s.Kind != "flow-mh" {
		c.Batch = 0
	}
	return p.adaptRounds(s, t)
}

// adaptRounds checks adaptive flow-MH's keys and fills their defaults.
func (p *parser) adaptRounds(s *SamplerSpec, t map[string]any) error {
	c := s.Cont
	if c.AdaptRounds == 0 {
		for _, k := range []string{"adapt_epochs", "adapt_batch", "adapt_lr"} {
			if _, ok := t[k]; ok {
				return p.errf("sampler."+k, "applies with adapt_rounds >= 1 only")
			}
		}
		return nil
	}
	if c.AdaptEpochs == 0 {
		c.AdaptEpochs = 100
	}
	if c.AdaptBatch == 0 {
		c.AdaptBatch = 256
	}
	if c.AdaptLR == 0 {
		c.AdaptLR = 1e-3
	}
	if s.Thermalize < c.AdaptRounds*s.MeasureEvery {
		return p.errf("sampler.adapt_rounds", "= %d rounds of thermalize = %d steps leave fewer than measure_every = %d steps per round: raise thermalize or lower adapt_rounds", c.AdaptRounds, s.Thermalize, s.MeasureEvery)
	}
	return nil
}

func (p *parser) output(s *Spec, t map[string]any) error {
	keys, err := p.table("output", t, []string{"dir", "formats", "configs_every"})
	if err != nil {
		return err
	}
	s.Output.Dir = filepath.Join("out", s.Name)
	s.Output.Formats = []string{"npy"}
	if h5.Available {
		s.Output.Formats = []string{"hdf5", "npy"}
	}
	for _, k := range keys {
		key, v := "output."+k, t[k]
		switch k {
		case "dir":
			if s.Output.Dir, err = p.str(key, v); err != nil {
				return err
			}
		case "configs_every":
			if s.Output.ConfigsEvery, err = p.integer(key, v, 0, "save every k-th recorded configuration (0: none)"); err != nil {
				return err
			}
		case "formats":
			list, ok := v.([]any)
			if !ok {
				return p.errf(key, "is %s, want a list such as [\"hdf5\", \"npy\"]", typeName(v))
			}
			s.Output.Formats = nil
			for _, f := range list {
				name, ok := f.(string)
				if !ok || (name != "hdf5" && name != "npy") {
					return p.errf(key, "has %v, want \"hdf5\" and/or \"npy\"", f)
				}
				if !slices.Contains(s.Output.Formats, name) {
					s.Output.Formats = append(s.Output.Formats, name)
				}
			}
			if len(s.Output.Formats) == 0 {
				return p.errf(key, "is empty, want \"hdf5\" and/or \"npy\"")
			}
		}
	}
	if s.HDF5() && !h5.Available {
		return p.errf("output.formats", "asks for hdf5, but %v", h5.ErrUnavailable)
	}
	if !filepath.IsAbs(s.Output.Dir) {
		s.Output.Dir = filepath.Join(s.Dir, s.Output.Dir)
	}
	return nil
}

func (p *parser) checkpoint(c *CheckpointSpec, t map[string]any) error {
	c.Every, c.Interval = "2m", 2*time.Minute
	keys, err := p.table("checkpoint", t, []string{"every"})
	if err != nil {
		return err
	}
	for _, k := range keys {
		v := t[k]
		const key = "checkpoint.every"
		switch x := v.(type) {
		case string:
			d, err := time.ParseDuration(x)
			if err != nil || d <= 0 {
				return p.errf(key, "= %q, want a positive duration such as \"2m\" or \"30s\", or a number of sweeps", x)
			}
			c.Every, c.Interval, c.Sweeps = x, d, 0
		default:
			n, err := p.integer(key, v, 1, "sweeps between checkpoints, or a duration such as \"2m\"")
			if err != nil {
				return err
			}
			c.Every, c.Interval, c.Sweeps = fmt.Sprint(n), 0, n
		}
	}
	return nil
}

// contKinds are the samplers of continuous targets.
var contKinds = map[string]bool{"hmc": true, "latent-hmc": true, "flow-mh": true}

func (p *parser) crossCheck(s *Spec) error {
	if c := s.Sampler.Cont; c != nil && s.Sampler.Kind != "hmc" && c.Flow == "" && s.Train == nil {
		return p.errf("sampler.kind", "= %q needs a trained flow: set flow = \"path/to/flow.h5\" (written by `mcflow train` as OUT/flow/<task>.h5), or add a [train] table to train one first in this job", s.Sampler.Kind)
	}
	if s.Output.ConfigsEvery > 0 && !contKinds[s.Sampler.Kind] {
		return p.errf("output.configs_every", "saves the configurations of the samplers of continuous targets (hmc, latent-hmc, flow-mh), not of %q", s.Sampler.Kind)
	}
	cont := s.Model.Kind != "ising2d"
	if cont && !contKinds[s.Sampler.Kind] && s.Train == nil {
		return p.errf("sampler.kind", "= %q samples ising2d; model.kind = %q needs \"hmc\", \"latent-hmc\" or \"flow-mh\"", s.Sampler.Kind, s.Model.Kind)
	}
	if !cont && contKinds[s.Sampler.Kind] {
		return p.errf("sampler.kind", "= %q samples continuous targets (phi4, ising2d-relaxed, toy2d); model.kind = \"ising2d\" needs \"metropolis\" or \"wolff\"", s.Sampler.Kind)
	}
	if s.Sampler.Kind == "wolff" {
		for _, par := range s.Model.Params {
			for _, v := range par.Values {
				if par.Name == "h" && v != 0 {
					return p.errf("model.h", "= %v, but the Wolff sampler needs h = 0; use kind = \"metropolis\" for a field", v)
				}
				if par.Name == "J" && !(v > 0) {
					return p.errf("model.J", "= %v, but the Wolff sampler needs J > 0; use kind = \"metropolis\"", v)
				}
			}
		}
	}
	return nil
}

// Task is one point of the parameter scan.
type Task struct {
	Index  int          // its position in the scan (--task, --array-index)
	ID     string       // its name, from its parameters (see Tasks)
	Params []NamedValue // every [model] number, in spec order
}

// NamedValue is a parameter's value in a task.
type NamedValue struct {
	Name  string
	Value float64
	Int   bool
}

// Name returns the task's id: its folder name under npy/, summary/,
// ckpt/…, the summary's name and part of its random streams.
func (t Task) Name() string { return t.ID }

// Get returns the value of a parameter.
func (t Task) Get(name string) float64 {
	for _, p := range t.Params {
		if p.Name == name {
			return p.Value
		}
	}
	panic("jobs: no parameter " + name)
}

// Tasks expands the scan: the Cartesian product of the list-valued [model]
// numbers, keys in file order, the last varying fastest.
func (s *Spec) Tasks() []Task {
	n := 1
	for _, p := range s.Model.Params {
		n *= len(p.Values)
	}
	tasks := make([]Task, n)
	for i := range tasks {
		rest := i
		vals := make([]NamedValue, len(s.Model.Params))
		for j := len(s.Model.Params) - 1; j >= 0; j-- {
			p := s.Model.Params[j]
			vals[j] = NamedValue{p.Name, p.Values[rest%len(p.Values)], p.Int}
			rest /= len(p.Values)
		}
		tasks[i] = Task{Index: i, ID: s.taskID(vals), Params: vals}
	}
	return tasks
}

// taskID names a task by its parameters, in the model's order of keys
// (not the file's), "L=16_beta=0.44_J=1_h=0", so that adding a point to a
// scan leaves every other task's name, files and results alone; a model
// without parameters is named by its model name (toy2d) or "task".
func (s *Spec) taskID(vals []NamedValue) string {
	var parts []string
	for _, d := range modelKinds[s.Model.Kind] {
		for _, v := range vals {
			if v.Name == d.name {
				parts = append(parts, v.Name+"="+formatID(v.Value, v.Int))
			}
		}
	}
	if len(parts) == 0 {
		if s.Model.Name != "" {
			return s.Model.Name
		}
		return "task"
	}
	return strings.Join(parts, "_")
}

func formatID(v float64, isInt bool) string {
	if isInt {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// TaskOf returns the task that --task names: a position in the scan
// (0, 1, …) or a task id.
func (s *Spec) TaskOf(arg string) (Task, error) {
	tasks := s.Tasks()
	if i, err := strconv.Atoi(arg); err == nil {
		if i < 0 || i >= len(tasks) {
			return Task{}, &SpecError{File: s.File, Msg: fmt.Sprintf("--task %d: the job has %d tasks (positions 0..%d); `mcflow tasks` lists them", i, len(tasks), len(tasks)-1)}
		}
		return tasks[i], nil
	}
	for _, t := range tasks {
		if t.ID == arg {
			return t, nil
		}
	}
	return Task{}, &SpecError{File: s.File, Msg: fmt.Sprintf("--task %q: no task of the job has this id or position; `mcflow tasks` lists them", arg)}
}

// Scanned returns the names of the list-valued parameters, in order.
func (s *Spec) Scanned() []string {
	var out []string
	for _, p := range s.Model.Params {
		if len(p.Values) > 1 {
			out = append(out, p.Name)
		}
	}
	return out
}

// fileSum returns "sha256:" and the SHA-256 of a file's content, or ""
// when it cannot be read (the run that needs it then says why).
func fileSum(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Hash identifies what a task computes: everything but sweeps (a larger
// sweeps extends a run), the job's name, output, checkpoint and display
// settings, and where anything is. The task enters by its parameters (not
// its position in the scan); the flow of a flow sampler by the SHA-256 of
// its file's content (not its path), or by the [train] table that trains
// it; so a run moved to another directory, or a scan grown by a point,
// resumes.
func (s *Spec) Hash(t Task) string {
	v := struct {
		Seed         uint64
		Model        string
		ModelName    string `json:",omitempty"`
		Params       []NamedValue
		Sampler      string
		Engine       string `json:",omitempty"`
		Chains       int
		Thermalize   int
		MeasureEvery int
		Start        string
		Cont         *ContSampler `json:",omitempty"`
		Train        *TrainSpec   `json:",omitempty"`
	}{s.Seed, s.Model.Kind, s.Model.Name, t.Params, s.Sampler.Kind, engineHash(s.Sampler.Engine), s.Sampler.Chains,
		s.Sampler.Thermalize, s.Sampler.MeasureEvery, s.Sampler.Start, nil, nil}
	if c := s.Sampler.Cont; c != nil {
		cc := *c
		cc.Flow = c.FlowSum // the content, not the path
		v.Cont = &cc
		if c.Flow == "" && s.Train != nil && s.Sampler.Kind != "hmc" {
			tr := s.Train.hashed() // the job trains the flow it samples with
			v.Train = &tr
		}
	}
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// engineHash keeps the hash of a plain-engine job what it was before
// engines existed.
func engineHash(e string) string {
	if e == "plain" {
		return ""
	}
	return e
}

// TOML renders the spec with every default filled in, as a job file in
// directory dir: its paths (output.dir, sampler.flow, train.data) are
// written relative to dir when dir is not "", so that the file still
// resolves when the directory moves.
func (s *Spec) TOML(dir string) []byte {
	rel := func(path string) string {
		if dir == "" {
			return path
		}
		if r, err := filepath.Rel(dir, path); err == nil {
			return r
		}
		return path
	}
	var b strings.Builder
	fmt.Fprintf(&b, "name = %s\nseed = %d\n\n[model]\nkind = %s\n", tomlQuote(s.Name), s.Seed, tomlQuote(s.Model.Kind))
	if s.Model.Kind == "toy2d" {
		fmt.Fprintf(&b, "name = %s\n", tomlQuote(s.Model.Name))
	}
	for _, p := range s.Model.Params {
		strs := make([]string, len(p.Values))
		for i, v := range p.Values {
			strs[i] = formatNumber(v, p.Int)
		}
		if len(strs) == 1 {
			fmt.Fprintf(&b, "%s = %s\n", p.Name, strs[0])
		} else {
			fmt.Fprintf(&b, "%s = [%s]\n", p.Name, strings.Join(strs, ", "))
		}
	}
	sm := s.Sampler
	fmt.Fprintf(&b, "\n[sampler]\nkind = %s\n", tomlQuote(sm.Kind))
	if sm.Kind == "metropolis" {
		fmt.Fprintf(&b, "engine = %s\n", tomlQuote(sm.Engine))
	}
	fmt.Fprintf(&b, "chains = %d\nthermalize = %d\nsweeps = %d\nmeasure_every = %d\nstart = %s\n",
		sm.Chains, sm.Thermalize, sm.Sweeps, sm.MeasureEvery, tomlQuote(sm.Start))
	if c := sm.Cont; c != nil {
		c.writeTOML(&b, sm.Kind, rel)
	}
	fmts := make([]string, len(s.Output.Formats))
	for i, f := range s.Output.Formats {
		fmts[i] = tomlQuote(f)
	}
	fmt.Fprintf(&b, "\n[output]\ndir = %s\nformats = [%s]\n", tomlQuote(rel(s.Output.Dir)), strings.Join(fmts, ", "))
	if s.Output.ConfigsEvery > 0 {
		fmt.Fprintf(&b, "configs_every = %d\n", s.Output.ConfigsEvery)
	}
	if s.Checkpoint.Sweeps > 0 {
		fmt.Fprintf(&b, "\n[checkpoint]\nevery = %d\n", s.Checkpoint.Sweeps)
	} else {
		fmt.Fprintf(&b, "\n[checkpoint]\nevery = %s\n", tomlQuote(s.Checkpoint.Every))
	}
	if s.Train != nil {
		b.WriteString(s.Train.toml(rel))
	}
	if s.Slurm != DefaultSlurm() {
		b.WriteString(s.Slurm.toml())
	}
	return []byte(b.String())
}

// writeTOML writes the [sampler] keys of a sampler of continuous targets:
// exactly those that apply to kind, so that the file parses back.
func (c *ContSampler) writeTOML(b *strings.Builder, kind string, rel func(string) string) {
	hmcKeys := func() {
		fmt.Fprintf(b, "eps = %s\nsteps = %d\n", formatNumber(c.Eps, false), c.Steps)
		if c.Length > 0 {
			fmt.Fprintf(b, "length = %s\n", formatNumber(c.Length, false))
		}
		switch {
		case c.NoAdapt:
			b.WriteString("adapt = false\n")
		case kind == "flow-mh":
			fmt.Fprintf(b, "target_accept = %s\n", formatNumber(c.TargetAccept, false))
		default:
			fmt.Fprintf(b, "target_accept = %s\nmetric = %v\n", formatNumber(c.TargetAccept, false), c.Metric)
		}
	}
	if kind != "flow-mh" {
		hmcKeys()
	}
	if c.Flow != "" {
		fmt.Fprintf(b, "flow = %s\n", tomlQuote(rel(c.Flow)))
	}
	if kind != "flow-mh" {
		return
	}
	fmt.Fprintf(b, "batch = %d\nlocal = %s\n", c.Batch, formatNumber(c.Local, false))
	if c.Local > 0 {
		fmt.Fprintf(b, "local_kernel = %q\n", c.LocalKernel)
	}
	switch c.LocalKernel {
	case "rw":
		fmt.Fprintf(b, "local_step = %s\n", formatNumber(c.LocalStep, false))
	case "hmc":
		hmcKeys()
	}
	if c.Adaptive() {
		fmt.Fprintf(b, "adapt_rounds = %d\nadapt_epochs = %d\nadapt_batch = %d\nadapt_lr = %s\n", c.AdaptRounds, c.AdaptEpochs, c.AdaptBatch, formatNumber(c.AdaptLR, false))
	}
}

// tomlQuote writes s as a TOML basic string: quotes, backslashes and
// control characters escaped (Go's %q would write \a or \x.., which TOML
// does not have).
func tomlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func formatNumber(v float64, isInt bool) string {
	if isInt {
		return fmt.Sprintf("%d", int64(v))
	}
	s := fmt.Sprintf("%g", v)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}
