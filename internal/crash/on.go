//go:build crashpoints

package crash

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Enabled reports whether this build has crash points.
const Enabled = true

type arm struct {
	name string
	k    int
	hits int
}

var (
	mu           sync.Mutex
	crash, fault = parse("MCFLOW_CRASH"), parse("MCFLOW_FAULT")
)

func parse(env string) *arm {
	v := os.Getenv(env)
	name, ks, ok := strings.Cut(v, ":")
	k, err := strconv.Atoi(ks)
	if !ok || err != nil || k < 1 {
		return nil
	}
	return &arm{name: name, k: k}
}

// fires counts a pass through point name and reports whether it is the
// armed one.
func (a *arm) fires(name string) bool {
	if a == nil || (a.name != name && a.name != "any") {
		return false
	}
	mu.Lock()
	defer mu.Unlock()
	a.hits++
	return a.hits == a.k
}

// Point is a crash point: before runs first when the point fires.
func Point(name string, before func()) {
	if !crash.fires(name) {
		return
	}
	if before != nil {
		before()
	}
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	time.Sleep(time.Hour)
}

// Fault returns the injected error of the point, if any.
func Fault(name string) error {
	if fault.fires(name) {
		return &os.PathError{Op: "write", Path: "(injected at " + name + ")", Err: syscall.ENOSPC}
	}
	return nil
}

// delay is the armed delay point, MCFLOW_DELAY=name:duration.
var delay = func() (d struct {
	name string
	d    time.Duration
}) {
	name, v, ok := strings.Cut(os.Getenv("MCFLOW_DELAY"), ":")
	if dur, err := time.ParseDuration(v); ok && err == nil {
		d.name, d.d = name, dur
	}
	return d
}()

// Delay sleeps at point name for the duration MCFLOW_DELAY=name:duration
// gives (every pass): it widens a race window for a test.
func Delay(name string) {
	if delay.name == name {
		time.Sleep(delay.d)
	}
}
