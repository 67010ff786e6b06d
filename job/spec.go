package job

import (
	"crypto/sha256"
	"encoding/hex"
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

	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/kind"
	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

func (p *parser) slurm(c *SlurmSpec, t map[string]any) error {
	*c = DefaultSlurm()
	keys, err := p.table("slurm", t, []string{"time", "partition", "account", "cpus", "mem", "max_parallel", "signal_lead"})
	if err != nil {
		return err
	}
	for _, k := range keys {
		key, v := "slurm."+k, t[k]
		switch k {
		case "time":
			c.Time, err = p.str(key, v)
		case "partition":
			c.Partition, err = p.str(key, v)
		case "account":
			c.Account, err = p.str(key, v)
		case "mem":
			c.Mem, err = p.str(key, v)
		case "cpus":
			c.CPUs, err = p.integer(key, v, 1, "CPUs per array task (mcflow's workers)")
		case "max_parallel":
			c.MaxParallel, err = p.integer(key, v, 0, "array tasks running at once (0: no limit)")
		case "signal_lead":
			var s string
			if s, err = p.str(key, v); err == nil {
				if c.SignalLead, err = time.ParseDuration(s); err != nil {
					return p.errf(key, "= %q, want a duration such as \"5m\"", s)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	if err := c.Validate(); err != nil {
		return p.errf("slurm", "%v", err)
	}
	return nil
}

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

// keyLines maps "table.key" (and "table") to the line it is defined on;
// the k-th table of an array of tables is "table[k]".
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	var p unstable.Parser
	p.Reset(data)
	table := ""
	arrays := map[string]int{}
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
		case unstable.Table:
			table = name
			lines[name] = line
		case unstable.ArrayTable: // the k-th [[name]] is "name[k]"
			arrays[name]++
			if arrays[name] == 1 {
				lines[name] = line
			}
			table = fmt.Sprintf("%s[%d]", name, arrays[name])
			lines[table] = line
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
	return parse(data, name, dir, false)
}

// parseOutput parses a job copy that may name kinds this program does not
// have: their keys are taken as they are.
func parseOutput(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("could not read job file: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return parse(data, path, filepath.Dir(abs), true)
}

func parse(data []byte, name, dir string, lenient bool) (*Spec, error) {
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			return nil, &SpecError{File: name, Line: row, Msg: "TOML syntax: " + strings.TrimPrefix(de.Error(), "toml: ")}
		}
		return nil, &SpecError{File: name, Msg: "TOML syntax: " + err.Error()}
	}
	p := &parser{file: name, dir: dir, lines: keyLines(data), lenient: lenient}
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
	// lenient takes kinds this program does not have as they are (an
	// output of another program, read by merge, status, summary, export).
	lenient bool
}

func (p *parser) errf(key, format string, args ...any) error {
	line := p.lines[key]
	if i := strings.LastIndexByte(key, '.'); line == 0 && i > 0 {
		line = p.lines[key[:i]] // a missing key: its table's header
	}
	return &SpecError{File: p.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
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
			return nil, p.errf(full(k), "unknown key %s%s; known keys %s: %s", where, kind.DidYouMean(k, known), where, strings.Join(known, ", "))
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
	if err := p.overrides(s, tables["model"]); err != nil {
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
// numbers, keys in the model's order of keys (as `mcflow keys` lists
// them), the last varying fastest.
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
	fmt.Fprintf(&b, "name = %s\nseed = %d\n", TomlQuote(s.Name), s.Seed)
	s.writeModel(&b)
	s.writeSampler(&b, rel)
	fmts := make([]string, len(s.Output.Formats))
	for i, f := range s.Output.Formats {
		fmts[i] = TomlQuote(f)
	}
	fmt.Fprintf(&b, "\n[output]\ndir = %s\nformats = [%s]\n", TomlQuote(rel(s.Output.Dir)), strings.Join(fmts, ", "))
	if s.Output.ConfigsEvery > 0 {
		fmt.Fprintf(&b, "configs_every = %d\n", s.Output.ConfigsEvery)
	}
	if s.Checkpoint.Sweeps > 0 {
		fmt.Fprintf(&b, "\n[checkpoint]\nevery = %d\n", s.Checkpoint.Sweeps)
	} else {
		fmt.Fprintf(&b, "\n[checkpoint]\nevery = %s\n", TomlQuote(s.Checkpoint.Every))
	}
	if s.Train != nil {
		b.WriteString(s.Train.toml(rel))
	}
	if s.Slurm != DefaultSlurm() {
		b.WriteString(s.Slurm.toml())
	}
	return []byte(b.String())
}

// TomlQuote writes s as a TOML basic string: quotes, backslashes and
// control characters escaped (Go's %q would write \a or \x.., which TOML
// does not have).
func TomlQuote(s string) string {
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

// overrides refuses [model] keys that the sampler sets itself (a
// tempering ladder's beta) and drops them from the tasks' parameters.
func (p *parser) overrides(s *Spec, model map[string]any) error {
	if s.Sampler.Def == nil {
		return nil
	}
	for _, k := range s.Sampler.Def.Overrides {
		if _, given := model[k]; given {
			return p.errf("model."+k, "is set by sampler.kind = %q at every rung of its ladder (sampler.betas); drop it from [model]", s.Sampler.Kind)
		}
		s.Model.Params = slices.DeleteFunc(s.Model.Params, func(q Param) bool { return q.Name == k })
	}
	return nil
}
