package kind

import "fmt"

// Values are the resolved keys of a table: a task's [model] keys (one
// point of a scan) or the job's [sampler] keys. Integers are int, numbers
// float64, booleans bool, strings, choices and paths string (paths
// absolute), lists of numbers []float64. A key without a value is absent.
type Values map[string]any

// Has reports whether the key has a value.
func (v Values) Has(name string) bool {
	_, ok := v[name]
	return ok
}

// Float returns a numeric key's value (an Int key's too).
func (v Values) Float(name string) float64 {
	switch x := v[name].(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case nil:
		return 0
	}
	panic(fmt.Sprintf("kind: key %s is %T, not a number", name, v[name]))
}

// Int returns an integer key's value (0 when absent).
func (v Values) Int(name string) int {
	switch x := v[name].(type) {
	case int:
		return x
	case nil:
		return 0
	}
	panic(fmt.Sprintf("kind: key %s is %T, not an integer", name, v[name]))
}

// Bool returns a boolean key's value (false when absent).
func (v Values) Bool(name string) bool {
	b, _ := v[name].(bool)
	return b
}

// Floats returns a list key's values (nil when absent).
func (v Values) Floats(name string) []float64 {
	f, _ := v[name].([]float64)
	return f
}

// String returns a string, choice or path key's value ("" when absent).
func (v Values) String(name string) string {
	s, _ := v[name].(string)
	return s
}

// KeyError is a problem with one key's value, found by a kind's Resolve
// or constructor: mcflow reports it at the key's line in the job file.
type KeyError struct {
	Key string // the key's name in its table
	Msg string // what is wrong and how to fix it
}

func (e *KeyError) Error() string { return e.Key + " " + e.Msg }

// Errorf returns a *KeyError.
func Errorf(key, format string, args ...any) error {
	return &KeyError{Key: key, Msg: fmt.Sprintf(format, args...)}
}
