package ckpt

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// LockInfo is the content of a lock file.
type LockInfo struct {
	Host     string `json:"host"`
	PID      int    `json:"pid"`
	SlurmJob string `json:"slurm_job_id,omitempty"`
	Since    string `json:"since"`
}

func currentLock() LockInfo {
	host, _ := os.Hostname()
	return LockInfo{Host: host, PID: os.Getpid(), SlurmJob: os.Getenv("SLURM_JOB_ID"), Since: time.Now().UTC().Format(time.RFC3339)}
}

// Lock takes the lock file at path for this process. A lock held by a
// process that is gone (same host, no such pid), or by the same SLURM job
// (a requeue), is taken over; breakLock takes any lock. Otherwise the error
// names the holder and --break-lock. The returned function releases it.
func Lock(path string, breakLock bool) (unlock func() error, err error) {
	me := currentLock()
	js, _ := json.Marshal(me)
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, werr := f.Write(js)
			serr := f.Sync()
			f.Close()
			if werr != nil || serr != nil {
				os.Remove(path)
				return nil, fmt.Errorf("could not write lock %s: %v", path, errors.Join(werr, serr))
			}
			return func() error { return os.Remove(path) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("could not create lock %s: %w", path, err)
		}
		var held LockInfo
		b, rerr := os.ReadFile(path)
		if rerr == nil {
			rerr = json.Unmarshal(b, &held)
		}
		stale := rerr != nil && len(b) == 0 // an empty lock: its writer died creating it
		switch {
		case breakLock, stale:
		case held.Host == me.Host && held.PID == me.PID:
		case held.SlurmJob != "" && held.SlurmJob == me.SlurmJob:
		case held.Host == me.Host && !alive(held.PID):
		default:
			if rerr != nil {
				return nil, fmt.Errorf("task is locked by %s, which is unreadable (%v); if no other mcflow runs this task, run again with --break-lock", path, rerr)
			}
			job := ""
			if held.SlurmJob != "" {
				job = ", SLURM job " + held.SlurmJob
			}
			return nil, fmt.Errorf("task is locked by pid %d on host %s%s since %s (%s); if that process is gone, run again with --break-lock",
				held.PID, held.Host, job, held.Since, path)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("could not take over lock %s: %w", path, err)
		}
	}
	return nil, fmt.Errorf("could not take lock %s: another process took it at the same time", path)
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Holder reads the lock file at path: ok is false when there is none.
// live reports whether its process is known to run: on this host, its pid
// exists; on another host it cannot be checked and counts as live.
func Holder(path string) (held LockInfo, ok, live bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return held, false, false
	}
	if json.Unmarshal(b, &held) != nil {
		return held, true, false
	}
	host, _ := os.Hostname()
	return held, true, held.Host != host || alive(held.PID)
}
