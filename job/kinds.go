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
	"strconv"
	"strings"

	"github.com/mcflow/mcflow/kind"
)

// Param is one numeric [model] key: a single value or a scan.
type Param struct {
	Name   string
	Values []float64
	Int    bool
}

// ModelSpec is the [model] table.
type ModelSpec struct {
	Kind   string
	Params []Param     // the numeric keys, in the model's order of keys
	Fixed  kind.Values // the other keys (toy2d's name), the same for every task
	// Def is the registered kind; nil when the program that reads the job
	// file does not have it (an output of another program, read by merge,
	// status, summary or export: keys are then taken as they are).
	Def *kind.Model `json:"-"`
}

// SamplerSpec is the [sampler] table.
type SamplerSpec struct {
	Kind         string
	Chains       int
	Thermalize   int
	Sweeps       int
	MeasureEvery int
	Start        string
	// Values are the sampler kind's own keys, resolved (see kind.Sampler).
	Values kind.Values
	Def    *kind.Sampler `json:"-"` // nil as ModelSpec.Def
	// Base is the sampler that Def runs (a wrapper's `base`), or nil.
	Base *kind.Sampler `json:"-"`
}

// keys returns the sampler's own keys and its base's, in order (a key of
// both is the wrapper's).
func (sm *SamplerSpec) keys() []kind.Key {
	if sm.Def == nil {
		return nil
	}
	keys := slices.Clone(sm.Def.Keys)
	if sm.Base != nil {
		for _, k := range sm.Base.Keys {
			if !slices.ContainsFunc(keys, func(x kind.Key) bool { return x.Name == k.Name }) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// keyType returns the type of one of the sampler's keys (kind.String for
// an unknown one).
func (sm *SamplerSpec) keyType(name string) kind.Type {
	for _, k := range sm.keys() {
		if k.Name == name {
			return k.Type
		}
	}
	return kind.String
}

// Plan returns the common keys as the kind package has them.
func (sm *SamplerSpec) Plan() kind.Plan {
	return kind.Plan{Chains: sm.Chains, Thermalize: sm.Thermalize, Sweeps: sm.Sweeps, MeasureEvery: sm.MeasureEvery, Hot: sm.Start == "hot"}
}

// Unit is the number of chains per pool chain (64 for a multispin engine).
func (sm *SamplerSpec) Unit() int {
	if sm.Def == nil {
		return 1
	}
	return sm.Def.UnitOf(sm.Values)
}

// FlowSampler reports whether the sampler uses a trained flow.
func (sm *SamplerSpec) FlowSampler() bool { return sm.Def != nil && sm.Def.Flow }

// TrainsFlow reports whether the job trains the flow its sampler uses
// (a [train] table and no flow key).
func (s *Spec) TrainsFlow() bool {
	return s.Train != nil && s.Sampler.FlowSampler() && !s.Sampler.Values.Has("flow")
}

// ModelValues returns a task's [model] keys (a key that the sampler
// overrides at its default).
func (s *Spec) ModelValues(t Task) kind.Values {
	v := kind.Values{}
	if s.Model.Def != nil && s.Sampler.Def != nil {
		for _, k := range s.Model.Def.Keys {
			if slices.Contains(s.Sampler.Def.Overrides, k.Name) && k.Default != nil {
				v[k.Name] = k.Default
			}
		}
	}
	for k, x := range s.Model.Fixed {
		v[k] = x
	}
	for _, p := range t.Params {
		if p.Int {
			v[p.Name] = int(p.Value)
		} else {
			v[p.Name] = p.Value
		}
	}
	return v
}

// keyValue reads one value of a kind's key.
func (p *parser) keyValue(full string, k kind.Key, v any) (any, error) {
	switch k.Type {
	case kind.Int:
		n, err := p.integer(full, v, math.MinInt32, k.Doc)
		if err != nil {
			return nil, err
		}
		if msg := k.CheckNumber(float64(n)); msg != "" {
			return nil, p.errf(full, "= %v: %s (%s)", v, msg, k.Doc)
		}
		return n, nil
	case kind.Float:
		f, ok := number(v)
		if !ok {
			return nil, p.errf(full, "is %s, want a number (%s)", typeName(v), k.Doc)
		}
		if msg := k.CheckNumber(f); msg != "" {
			return nil, p.errf(full, "= %v: %s (%s)", v, msg, k.Doc)
		}
		return f, nil
	case kind.Bool:
		return p.boolean(full, v)
	case kind.Choice:
		return p.choice(full, v, k.Choices...)
	case kind.Floats:
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return nil, p.errf(full, "is %s, want a non-empty list of numbers (%s)", typeName(v), k.Doc)
		}
		out := make([]float64, len(list))
		for i, e := range list {
			f, ok := number(e)
			if !ok {
				return nil, p.errf(full, "has %s at position %d, want a number (%s)", typeName(e), i+1, k.Doc)
			}
			if msg := k.CheckNumber(f); msg != "" {
				return nil, p.errf(full, "has %v at position %d: %s (%s)", e, i+1, msg, k.Doc)
			}
			out[i] = f
		}
		return out, nil
	case kind.Path:
		path, err := p.str(full, v)
		if err != nil {
			return nil, err
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(p.dir, path)
		}
		// A job names existing files: refused here, before a run creates
		// anything (outputs read back leniently may outlive them).
		if _, err := os.Stat(path); err != nil && !p.lenient {
			return nil, p.errf(full, "= %q: no such file (%s; relative paths resolve against the job file's folder)", v, path)
		}
		return path, nil
	}
	return p.str(full, v)
}

// kindOf reads a table's kind: the registered one, or the default.
func (p *parser) kindOf(table string, t map[string]any, def string) (string, error) {
	v, ok := t["kind"]
	if !ok {
		return def, nil
	}
	return p.str(table+".kind", v)
}

func (p *parser) model(m *ModelSpec, t map[string]any) error {
	var err error
	if m.Kind, err = p.kindOf("model", t, "ising2d"); err != nil {
		return err
	}
	def, ok := kind.LookupModel(m.Kind)
	if !ok {
		if p.lenient {
			return p.unknownModel(m, t)
		}
		return p.errf("model.kind", "= %q is not a model this program knows%s; known: %s (`mcflow keys` lists their keys)", m.Kind, kind.DidYouMean(m.Kind, kind.ModelNames()), strings.Join(kind.ModelNames(), ", "))
	}
	m.Def = def
	known := []string{"kind"}
	for _, k := range def.Keys {
		known = append(known, k.Name)
	}
	if _, err := p.table("model", t, known); err != nil {
		return err
	}
	m.Fixed = kind.Values{}
	for _, k := range def.Keys {
		raw, given := t[k.Name]
		switch {
		case k.Numeric():
			par, err := p.param(k, raw, given)
			if err != nil {
				return err
			}
			if par != nil {
				m.Params = append(m.Params, *par)
			}
		case given:
			v, err := p.keyValue("model."+k.Name, k, raw)
			if err != nil {
				return err
			}
			m.Fixed[k.Name] = v
		case k.Default != nil:
			m.Fixed[k.Name] = k.Default
		}
	}
	return nil
}

// param reads a numeric [model] key: one value or a list to scan.
func (p *parser) param(k kind.Key, raw any, given bool) (*Param, error) {
	par := &Param{Name: k.Name, Int: k.Type == kind.Int}
	if !given {
		switch d := k.Default.(type) {
		case int:
			par.Values = []float64{float64(d)}
		case float64:
			par.Values = []float64{d}
		default:
			return nil, nil
		}
		return par, nil
	}
	key := "model." + k.Name
	vals := []any{raw}
	if list, isList := raw.([]any); isList {
		if len(list) == 0 {
			return nil, p.errf(key, "is an empty list; give one value or a list of values to scan (%s)", k.Doc)
		}
		vals = list
	}
	for i, v := range vals {
		x, err := p.keyValue(key, k, v)
		if err != nil {
			return nil, err
		}
		f := kind.Values{"x": x}.Float("x")
		if j := slices.Index(par.Values, f); j >= 0 {
			return nil, p.errf(key, "has %v twice (values %d and %d of the list): a point of a scan is one task; drop the repeat (replicas are sampler.chains)", v, j+1, i+1)
		}
		par.Values = append(par.Values, f)
	}
	return par, nil
}

// unknownModel takes the [model] keys of a kind this program does not
// have as they are: numbers (and lists of numbers) are parameters in file
// order, which is the model's order in the job copies mcflow writes.
func (p *parser) unknownModel(m *ModelSpec, t map[string]any) error {
	keys, err := p.table("model", t, slices.Collect(maps.Keys(t)))
	if err != nil {
		return err
	}
	m.Fixed = kind.Values{}
	for _, k := range keys {
		if k == "kind" {
			continue
		}
		raw := t[k]
		list, isList := raw.([]any)
		if !isList {
			list = []any{raw}
		}
		par := Param{Name: k, Int: true}
		for _, v := range list {
			f, ok := number(v)
			if !ok {
				par.Values = nil
				break
			}
			_, isInt := v.(int64)
			par.Int = par.Int && isInt
			par.Values = append(par.Values, f)
		}
		if par.Values == nil {
			m.Fixed[k] = raw
			continue
		}
		m.Params = append(m.Params, par)
	}
	return nil
}

func (p *parser) sampler(s *SamplerSpec, t map[string]any) error {
	*s = SamplerSpec{Values: kind.Values{}}
	for _, k := range commonSamplerKeys[1:] {
		s.setCommon(k.Name, k.Default)
	}
	var err error
	if s.Kind, err = p.kindOf("sampler", t, "metropolis"); err != nil {
		return err
	}
	def, ok := kind.LookupSampler(s.Kind)
	if !ok && !p.lenient {
		return p.errf("sampler.kind", "= %q is not a sampler this program knows%s; known: %s (`mcflow keys` lists their keys)", s.Kind, kind.DidYouMean(s.Kind, kind.SamplerNames()), strings.Join(kind.SamplerNames(), ", "))
	}
	s.Def = def
	if def != nil && def.Wraps {
		if s.Base, err = p.baseOf(s.Kind, t); err != nil {
			return err
		}
	}
	known := append([]string(nil), kind.CommonSamplerKeys...)
	if def != nil {
		for _, k := range s.keys() {
			known = append(known, k.Name)
		}
	} else {
		known = slices.Collect(maps.Keys(t))
	}
	if err := p.othersKey("sampler", s.Kind, t, known); err != nil {
		return err
	}
	keys, err := p.table("sampler", t, known)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := p.commonKey(s, k, t[k]); err != nil {
			return err
		}
	}
	if s.Sweeps < s.MeasureEvery {
		return p.errf("sampler.sweeps", "= %d is less than measure_every = %d: nothing would be recorded", s.Sweeps, s.MeasureEvery)
	}
	if def == nil {
		for _, k := range keys {
			if !slices.Contains(kind.CommonSamplerKeys, k) {
				s.Values[k] = tomlValue(t[k])
			}
		}
		return nil
	}
	for _, k := range s.keys() {
		if raw, given := t[k.Name]; given {
			if s.Values[k.Name], err = p.keyValue("sampler."+k.Name, k, raw); err != nil {
				return err
			}
		} else if k.Default != nil {
			s.Values[k.Name] = k.Default
		}
	}
	given := func(k string) bool { _, ok := t[k]; return ok }
	for _, d := range []*kind.Sampler{s.Base, def} { // the base's keys first
		if d != nil && d.Resolve != nil {
			if err := d.Resolve(s.Values, given, s.Plan()); err != nil {
				return p.keyErr("sampler", err)
			}
		}
	}
	return nil
}

// baseOf reads a wrapping sampler's base: a registered sampler that wraps
// none.
func (p *parser) baseOf(wrapper string, t map[string]any) (*kind.Sampler, error) {
	def, _ := kind.LookupSampler(wrapper)
	name, _ := def.Keys[slices.IndexFunc(def.Keys, func(k kind.Key) bool { return k.Name == "base" })].Default.(string)
	if raw, ok := t["base"]; ok {
		var err error
		if name, err = p.str("sampler.base", raw); err != nil {
			return nil, err
		}
	}
	b, ok := kind.LookupSampler(name)
	if !ok || b.Wraps {
		var bases []string
		for _, n := range kind.SamplerNames() {
			if d, _ := kind.LookupSampler(n); !d.Wraps {
				bases = append(bases, strconv.Quote(n))
			}
		}
		return nil, p.errf("sampler.base", "= %q: want a sampler that kind = %q can run at its rungs: one of %s", name, wrapper, strings.Join(bases, ", "))
	}
	return b, nil
}

// othersKey refuses a key of other sampler kinds, naming them.
func (p *parser) othersKey(table, kindName string, t map[string]any, known []string) error {
	for _, k := range slices.Sorted(maps.Keys(t)) {
		if slices.Contains(known, k) {
			continue
		}
		var owners []string
		for _, n := range kind.SamplerNames() {
			if o, _ := kind.LookupSampler(n); slices.ContainsFunc(o.Keys, func(x kind.Key) bool { return x.Name == k }) {
				owners = append(owners, strconv.Quote(n))
			}
		}
		if len(owners) > 0 {
			return p.errf(table+"."+k, "applies to kind = %s, not %q", strings.Join(owners, " or "), kindName)
		}
	}
	return nil
}

// tomlValue converts a decoded TOML value to a kind.Values one.
func tomlValue(v any) any {
	if i, ok := v.(int64); ok {
		return int(i)
	}
	return v
}

// keyErr places a kind's *KeyError at its key in table.
func (p *parser) keyErr(table string, err error) error {
	if ke, ok := err.(*kind.KeyError); ok {
		return p.errf(table+"."+ke.Key, "%s", ke.Msg)
	}
	return &SpecError{File: p.file, Line: p.lines[table], Key: table, Msg: err.Error()}
}

// commonKey reads one of the keys every sampler has (commonSamplerKeys).
func (p *parser) commonKey(s *SamplerSpec, k string, v any) error {
	i := slices.IndexFunc(commonSamplerKeys, func(c kind.Key) bool { return c.Name == k })
	if k == "kind" || i < 0 {
		return nil
	}
	x, err := p.keyValue("sampler."+k, commonSamplerKeys[i], v)
	if err != nil {
		return err
	}
	s.setCommon(k, x)
	return nil
}

// setCommon sets one of the common keys.
func (sm *SamplerSpec) setCommon(k string, x any) {
	switch k {
	case "chains":
		sm.Chains = x.(int)
	case "thermalize":
		sm.Thermalize = x.(int)
	case "sweeps":
		sm.Sweeps = x.(int)
	case "measure_every":
		sm.MeasureEvery = x.(int)
	case "start":
		sm.Start = x.(string)
	}
}

func (p *parser) crossCheck(s *Spec) error {
	sm := &s.Sampler
	if sm.FlowSampler() && !sm.Values.Has("flow") && s.Train == nil {
		return p.errf("sampler.kind", "= %q needs a trained flow: set flow = \"path/to/flow.h5\" (written by `mcflow train` as OUT/flow/<task>.h5), or add a [train] table to train one first in this job", sm.Kind)
	}
	if s.Output.ConfigsEvery > 0 && sm.Def != nil && !sm.Def.Configs {
		return p.errf("output.configs_every", "saves the configurations of the samplers of continuous targets (hmc, latent-hmc, flow-mh), not of %q", sm.Kind)
	}
	if s.Model.Def == nil || sm.Def == nil {
		return nil
	}
	// The sampler must apply to every task; a task that cannot be built at
	// all is refused by the run (with its id).
	for _, t := range s.Tasks() {
		m, err := s.Model.Def.New(s.ModelValues(t))
		if err != nil {
			if ke, ok := err.(*kind.KeyError); ok {
				return p.keyErr("model", ke)
			}
			continue
		}
		if err := sm.Def.Accepts(m, sm.Values); err != nil {
			return p.acceptErr(s, err)
		}
	}
	return nil
}

// acceptErr places a sampler's refusal of the model.
func (p *parser) acceptErr(s *Spec, err error) error {
	ke, ok := err.(*kind.KeyError)
	switch {
	case !ok && s.Train != nil:
		// A job for `mcflow train` may name a sampler it does not run.
		return nil
	case !ok:
		return p.errf("sampler.kind", "= %q does not apply to model.kind = %q: %v", s.Sampler.Kind, s.Model.Kind, err)
	case slices.ContainsFunc(s.Model.Def.Keys, func(k kind.Key) bool { return k.Name == ke.Key }):
		return p.keyErr("model", ke)
	}
	return p.keyErr("sampler", ke)
}

// taskID names a task by its parameters, in the model's order of keys,
// "L=16_beta=0.44_J=1_h=0", so that adding a point to a scan leaves every
// other task's name, files and results alone; a model without numeric
// keys is named by its other keys' values (toy2d: the density) or "task".
func (s *Spec) taskID(vals []NamedValue) string {
	var parts []string
	for _, v := range vals {
		parts = append(parts, v.Name+"="+formatID(v.Value, v.Int))
	}
	if len(parts) > 0 {
		return strings.Join(parts, "_")
	}
	for _, k := range slices.Sorted(maps.Keys(s.Model.Fixed)) {
		if str, ok := s.Model.Fixed[k].(string); ok && str != "" && !strings.ContainsAny(str, "/\\") {
			parts = append(parts, str)
		}
	}
	if len(parts) > 0 {
		return strings.Join(parts, "_")
	}
	return "task"
}

// Hash identifies what a task computes: everything but sweeps (a larger
// sweeps extends a run), the job's name, output, checkpoint and display
// settings, and where anything is. The task enters by its parameters (not
// its position in the scan); a path key (a flow) by the SHA-256 of its
// file's content (not its path), or by the [train] table that trains it;
// so a run moved to another directory, or a scan grown by a point,
// resumes.
func (s *Spec) Hash(t Task) string {
	v := struct {
		Seed         uint64
		Model        string
		Fixed        kind.Values `json:",omitempty"`
		Params       []NamedValue
		Sampler      string
		Values       kind.Values `json:",omitempty"`
		Chains       int
		Thermalize   int
		MeasureEvery int
		Start        string
		Train        *TrainSpec `json:",omitempty"`
	}{s.Seed, s.Model.Kind, s.Model.Fixed, t.Params, s.Sampler.Kind, s.hashedValues(), s.Sampler.Chains,
		s.Sampler.Thermalize, s.Sampler.MeasureEvery, s.Sampler.Start, nil}
	if s.TrainsFlow() {
		tr := s.Train.hashed() // the job trains the flow it samples with
		v.Train = &tr
	}
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// hashedValues are the sampler's values with paths replaced by their
// files' content.
func (s *Spec) hashedValues() kind.Values {
	v := kind.Values{}
	for k, x := range s.Sampler.Values {
		v[k] = x
		if s.Sampler.Def != nil && s.Sampler.keyType(k) == kind.Path {
			v[k] = fileSum(x.(string))
		}
	}
	return v
}

// writeModel writes the [model] table: the kind's keys in its order.
func (s *Spec) writeModel(b *strings.Builder) {
	fmt.Fprintf(b, "\n[model]\nkind = %s\n", TomlQuote(s.Model.Kind))
	for _, k := range slices.Sorted(maps.Keys(s.Model.Fixed)) {
		fmt.Fprintf(b, "%s = %s\n", k, tomlAny(s.Model.Fixed[k], nil))
	}
	for _, p := range s.Model.Params {
		strs := make([]string, len(p.Values))
		for i, v := range p.Values {
			strs[i] = formatNumber(v, p.Int)
		}
		if len(strs) == 1 {
			fmt.Fprintf(b, "%s = %s\n", p.Name, strs[0])
		} else {
			fmt.Fprintf(b, "%s = [%s]\n", p.Name, strings.Join(strs, ", "))
		}
	}
}

// writeSampler writes the [sampler] table: the common keys, then the
// kind's in its order (exactly the resolved ones, so that the file parses
// back to the same spec).
func (s *Spec) writeSampler(b *strings.Builder, rel func(string) string) {
	sm := s.Sampler
	fmt.Fprintf(b, "\n[sampler]\nkind = %s\nchains = %d\nthermalize = %d\nsweeps = %d\nmeasure_every = %d\nstart = %s\n",
		TomlQuote(sm.Kind), sm.Chains, sm.Thermalize, sm.Sweeps, sm.MeasureEvery, TomlQuote(sm.Start))
	var order []string
	if sm.Def != nil {
		for _, k := range sm.keys() {
			order = append(order, k.Name)
		}
	} else {
		order = slices.Sorted(maps.Keys(sm.Values))
	}
	for _, k := range order {
		if x, ok := sm.Values[k]; ok {
			r := rel
			if sm.Def == nil || sm.keyType(k) != kind.Path {
				r = nil
			}
			fmt.Fprintf(b, "%s = %s\n", k, tomlAny(x, r))
		}
	}
}

// tomlAny writes a value as TOML; rel, if not nil, makes a path relative.
func tomlAny(x any, rel func(string) string) string {
	switch v := x.(type) {
	case string:
		if rel != nil {
			v = rel(v)
		}
		return TomlQuote(v)
	case float64:
		return formatNumber(v, false)
	case int:
		return fmt.Sprint(v)
	case bool:
		return fmt.Sprint(v)
	case []float64:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = formatNumber(e, false)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = tomlAny(tomlValue(e), nil)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return TomlQuote(fmt.Sprint(x))
}
