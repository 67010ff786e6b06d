//go:build !crashpoints

package crash

// Enabled reports whether this build has crash points.
const Enabled = false

// Point is a crash point: before runs first when the point fires.
func Point(name string, before func()) {}

// Fault returns the injected error of the point, if any.
func Fault(name string) error { return nil }

// Delay is a delay point: a no-op in normal builds.
func Delay(name string) {}
