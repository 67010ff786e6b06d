package ckpt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mcflow/mcflow/internal/crash"
)

// LockInfo is the content of a lock file: who holds it. A holder is a
// process identified by host, pid and the process's start time (so that a
// reused pid is not mistaken for it) in the boot that started it.
type LockInfo struct {
	Host     string `json:"host"`
	PID      int    `json:"pid"`
	Start    uint64 `json:"start,omitempty"`   // start time in clock ticks since boot (/proc/PID/stat)
	BootID   string `json:"boot_id,omitempty"` // /proc/sys/kernel/random/boot_id
	SlurmJob string `json:"slurm_job_id,omitempty"`
	Since    string `json:"since"`
}

func currentLock() LockInfo {
	host, _ := os.Hostname()
	start, _ := processStart(os.Getpid())
	return LockInfo{Host: host, PID: os.Getpid(), Start: start, BootID: bootID(),
		SlurmJob: os.Getenv("SLURM_JOB_ID"), Since: time.Now().UTC().Format(time.RFC3339)}
}

// processStart returns the start time of a process in clock ticks since
// boot (field 22 of /proc/PID/stat).
func processStart(pid int) (uint64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0, false
	}
	v, err := strconv.ParseUint(f[19], 10, 64) // field 22: the 20th after the name
	return v, err == nil
}

func bootID() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}

// same reports whether two lock infos name the same process.
func (l LockInfo) same(o LockInfo) bool {
	return l.Host == o.Host && l.PID == o.PID && l.Start == o.Start && l.BootID == o.BootID
}

// live reports whether the holder still runs: on this host, a process with
// its pid and start time exists in this boot; another host's cannot be
// checked and counts as live.
func (l LockInfo) live() bool {
	host, _ := os.Hostname()
	if l.Host != host {
		return true
	}
	if l.BootID != "" && l.BootID != bootID() {
		return false // written before a reboot
	}
	if !alive(l.PID) {
		return false
	}
	if l.Start == 0 { // a lock without a start time: the pid decides
		return true
	}
	start, ok := processStart(l.PID)
	return !ok || start == l.Start
}

// Lock takes the lock file at path for this process and returns the
// function that releases it. A lock whose holder is gone (on this host:
// no process with its pid and start time), or that the same SLURM job
// holds (a requeue), is taken over; breakLock takes any lock. Otherwise
// the error names the holder and --break-lock.
//
// Acquisition is atomic: the lock is written whole to a temporary file and
// linked into place (create-exclusive: no process ever sees an empty or
// partial lock); a takeover replaces the lock it judged by an atomic
// rename, deciding under an flock(2) on the lock's directory so that two
// processes cannot both judge the same lock stale and both take it.
// Unlocking removes the lock only if it is still this process's.
func Lock(path string, breakLock bool) (unlock func() error, err error) {
	me := currentLock()
	js, _ := json.Marshal(me)
	tmp, err := writeTemp(path, js)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err == nil {
		return unlocker(path, me), nil
	} else if !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("could not create lock %s: %w", path, err)
	}
	release, err := guard(path)
	if err != nil {
		return nil, err
	}
	defer release()
	held, err := readLock(path)
	crash.Delay("lock-decide") // a test widens the window between judging and taking
	switch {
	case errors.Is(err, os.ErrNotExist): // released meanwhile
		if err := os.Link(tmp, path); err != nil {
			return nil, fmt.Errorf("could not create lock %s: %w", path, err)
		}
		return unlocker(path, me), nil
	case err != nil && !breakLock:
		return nil, fmt.Errorf("task is locked by %s, which is unreadable (%v); if no other mcflow runs this task, run again with --break-lock", path, err)
	case err == nil && held.same(me):
	case breakLock, held.SlurmJob != "" && held.SlurmJob == me.SlurmJob, !held.live():
	default:
		job := ""
		if held.SlurmJob != "" {
			job = ", SLURM job " + held.SlurmJob
		}
		return nil, fmt.Errorf("task is locked by pid %d on host %s%s since %s (%s); if that process is gone, run again with --break-lock",
			held.PID, held.Host, job, held.Since, path)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("could not take over lock %s: %w", path, err)
	}
	return unlocker(path, me), nil
}

// writeTemp writes data, fsynced, to a new file beside path.
func writeTemp(path string, data []byte) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return "", fmt.Errorf("could not write lock %s: %w", path, err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("could not write lock %s: %w", path, err)
	}
	return f.Name(), nil
}

// guard takes an exclusive flock on the lock's directory (Linux locks
// directories like files; no file is added), released by the returned
// function and by the kernel when the process dies. Where the file system
// has no flock, the guard is skipped (takeovers there rely on the rename).
func guard(path string) (release func(), err error) {
	f, err := os.Open(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("could not open the directory of lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		if errors.Is(err, syscall.ENOLCK) || errors.Is(err, syscall.EOPNOTSUPP) {
			return func() {}, nil
		}
		return nil, fmt.Errorf("could not lock the directory of %s: %w", path, err)
	}
	return func() { f.Close() }, nil // closing releases the flock
}

func readLock(path string) (LockInfo, error) {
	var held LockInfo
	b, err := os.ReadFile(path)
	if err != nil {
		return held, err
	}
	return held, json.Unmarshal(b, &held)
}

// unlocker removes the lock at path if it is still me's (under the guard,
// so that no takeover happens in between).
func unlocker(path string, me LockInfo) func() error {
	return func() error {
		release, err := guard(path)
		if err != nil {
			return err
		}
		defer release()
		held, err := readLock(path)
		if err != nil || !held.same(me) {
			return nil // taken over (--break-lock) or gone: not ours to remove
		}
		return os.Remove(path)
	}
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Holder reads the lock file at path: ok is false when there is none.
// live reports whether its process is known to run: on this host, a
// process with its pid and start time exists; on another host it cannot be
// checked and counts as live.
func Holder(path string) (held LockInfo, ok, live bool) {
	held, err := readLock(path)
	if errors.Is(err, os.ErrNotExist) {
		return held, false, false
	}
	if err != nil {
		return held, true, false
	}
	return held, true, held.live()
}
