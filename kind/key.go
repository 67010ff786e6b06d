package kind

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Type is the type of a job-file key.
type Type int

const (
	Int    Type = iota // an integer
	Float              // a number
	Bool               // true or false
	String             // any string
	Choice             // one of Key.Choices
	Path               // a file path, relative to the job file; a task's hash uses the file's content
	Floats             // a list of numbers, each in the key's range ([]float64)
)

func (t Type) String() string {
	return [...]string{"integer", "number", "boolean", "string", "choice", "path", "list of numbers"}[t]
}

// Key is one key of a kind's table ([model] or [sampler]).
//
// Numeric keys have the range [Min, Max] (Min excluded when MinOpen); a
// key whose Min and Max are both 0 (and MinOpen false) takes any finite
// number. The numeric keys of a model can be scanned (a list of values is
// one task per value); its other keys are fixed for the job.
type Key struct {
	Name    string
	Type    Type
	Default any // int, float64, bool or string; nil: the key is absent unless given
	Min     float64
	Max     float64
	MinOpen bool
	Choices []string // the values of a Choice key
	Doc     string   // one line: what it is (and its unit)
}

// IntKey is an integer key in [min, max].
func IntKey(name string, def, min, max int, doc string) Key {
	return Key{Name: name, Type: Int, Default: def, Min: float64(min), Max: float64(max), Doc: doc}
}

// FloatKey is a number in [min, max]; use math.Inf for an open end.
func FloatKey(name string, def, min, max float64, doc string) Key {
	return Key{Name: name, Type: Float, Default: def, Min: min, Max: max, Doc: doc}
}

// PositiveKey is a finite number > 0.
func PositiveKey(name string, def float64, doc string) Key {
	return Key{Name: name, Type: Float, Default: def, Min: 0, Max: math.Inf(1), MinOpen: true, Doc: doc}
}

// AnyKey is any finite number.
func AnyKey(name string, def float64, doc string) Key {
	return Key{Name: name, Type: Float, Default: def, Doc: doc}
}

// ChoiceKey is one of choices; the default is the first.
func ChoiceKey(name, doc string, choices ...string) Key {
	return Key{Name: name, Type: Choice, Default: choices[0], Choices: choices, Doc: doc}
}

// BoolKey is a boolean.
func BoolKey(name string, def bool, doc string) Key {
	return Key{Name: name, Type: Bool, Default: def, Doc: doc}
}

// Numeric reports whether the key holds a number.
func (k Key) Numeric() bool { return k.Type == Int || k.Type == Float }

func (k Key) unbounded() bool { return k.Min == 0 && k.Max == 0 && !k.MinOpen }

// CheckNumber returns "" when v is allowed, else what is wanted.
func (k Key) CheckNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "want a finite number"
	}
	if k.unbounded() {
		return ""
	}
	if v < k.Min || (k.MinOpen && v == k.Min) || v > k.Max {
		return "want " + k.Range()
	}
	return ""
}

// Range describes the allowed values: "2 <= L <= 32768", "beta > 0", …
func (k Key) Range() string {
	switch {
	case k.Type == Choice:
		q := make([]string, len(k.Choices))
		for i, c := range k.Choices {
			q[i] = strconv.Quote(c)
		}
		return "one of " + strings.Join(q, ", ")
	case !k.Numeric() && k.Type != Floats:
		return ""
	case k.unbounded():
		return "any finite number"
	}
	op := "<="
	if k.MinOpen {
		op = "<"
	}
	lo, hi := !math.IsInf(k.Min, -1), !math.IsInf(k.Max, 1)
	f := func(v float64) string {
		if k.Type == Int {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	switch {
	case lo && hi:
		return fmt.Sprintf("%s %s %s <= %s", f(k.Min), op, k.Name, f(k.Max))
	case lo && k.MinOpen:
		return fmt.Sprintf("%s > %s", k.Name, f(k.Min))
	case lo:
		return fmt.Sprintf("%s >= %s", k.Name, f(k.Min))
	case hi:
		return fmt.Sprintf("%s <= %s", k.Name, f(k.Max))
	}
	return "any finite number"
}

// FormatDefault writes the default as in a job file ("" when none).
func (k Key) FormatDefault() string {
	switch d := k.Default.(type) {
	case nil:
		return ""
	case string:
		return strconv.Quote(d)
	case float64:
		return FormatFloat(d)
	case []float64:
		f := make([]string, len(d))
		for i, x := range d {
			f[i] = FormatFloat(x)
		}
		return "[" + strings.Join(f, ", ") + "]"
	}
	return fmt.Sprint(k.Default)
}

// FormatFloat writes a number as TOML reads it back as a float.
func FormatFloat(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}

func checkKeys(owner string, keys []Key, reserved []string) error {
	seen := map[string]bool{}
	for _, k := range keys {
		switch {
		case k.Name == "" || strings.ContainsAny(k.Name, " .=\"[]"):
			return fmt.Errorf("%s: key %q is not a valid job-file key name", owner, k.Name)
		case seen[k.Name] || slices.Contains(reserved, k.Name):
			return fmt.Errorf("%s: key %q declared twice (or it is one of mcflow's own: %s)", owner, k.Name, strings.Join(reserved, ", "))
		case k.Type == Choice && len(k.Choices) == 0:
			return fmt.Errorf("%s: choice key %q has no choices", owner, k.Name)
		case k.Doc == "":
			return fmt.Errorf("%s: key %q has no doc line", owner, k.Name)
		}
		if err := checkDefault(k); err != nil {
			return fmt.Errorf("%s: key %q: %v", owner, k.Name, err)
		}
		seen[k.Name] = true
	}
	return nil
}

func checkDefault(k Key) error {
	if k.Default == nil {
		return nil
	}
	var ok bool
	switch k.Type {
	case Int:
		var v int
		if v, ok = k.Default.(int); ok {
			if msg := k.CheckNumber(float64(v)); msg != "" {
				return fmt.Errorf("default %d: %s", v, msg)
			}
		}
	case Float:
		var v float64
		if v, ok = k.Default.(float64); ok {
			if msg := k.CheckNumber(v); msg != "" {
				return fmt.Errorf("default %v: %s", v, msg)
			}
		}
	case Bool:
		_, ok = k.Default.(bool)
	case String, Path:
		_, ok = k.Default.(string)
	case Floats:
		var v []float64
		if v, ok = k.Default.([]float64); ok {
			for _, x := range v {
				if msg := k.CheckNumber(x); msg != "" {
					return fmt.Errorf("default %v: %s", v, msg)
				}
			}
		}
	case Choice:
		var v string
		if v, ok = k.Default.(string); ok && !slices.Contains(k.Choices, v) {
			return fmt.Errorf("default %q is not one of its choices", v)
		}
	}
	if !ok {
		return fmt.Errorf("default %v (%T) is not of the key's type %s", k.Default, k.Default, k.Type)
	}
	return nil
}
