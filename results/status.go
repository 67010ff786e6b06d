package results

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcflow/mcflow/io/ckpt"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/mc"
)

// UnitStatus is where a task, or one slice of a task, stands.
type UnitStatus struct {
	Task     string // "0003", or "0003/001" for a slice
	State    string // done, running, checkpointed, not started, error
	Steps    int64  // steps per chain at the last checkpoint
	Total    int64  // steps per chain when done
	LastCkpt time.Time
	Seconds  float64       // compute time up to the last checkpoint
	ETA      time.Duration // compute time left at the speed so far; < 0 unknown
	Holder   string        // who runs it (host, pid, SLURM job)
	Note     string
	// Warnings of a finished task's summary, and how many count for
	// --strict.
	Warnings, Strict int
}

// Status reports every task (and every slice of a sliced task) of an
// output directory, from its checkpoints and locks alone: it reads no
// result file and may run while the job does.
func Status(out string) ([]UnitStatus, error) {
	s, err := job.OpenOutput(out)
	if err != nil {
		return nil, err
	}
	lay := job.Layout{Out: out}
	plan := mc.Plan{Thermalize: s.Sampler.Thermalize, Draws: s.Draws(), MeasureEvery: s.Sampler.MeasureEvery}
	total := mc.Progress{Thermalized: plan.Thermalize, Draws: plan.Draws}.Steps(plan)
	var st []UnitStatus
	for _, t := range s.Tasks() {
		name := t.Name()
		dirs, _ := filepath.Glob(filepath.Join(lay.SlicesDir(name), "[0-9][0-9][0-9]"))
		slices.Sort(dirs)
		// A merged task has its own finished checkpoint: one row.
		if c, _, err := ckpt.Load(lay.Ckpt(name)); len(dirs) == 0 || (err == nil && c.Finished) {
			st = append(st, unitStatus(name, lay, name, plan, total))
			continue
		}
		for _, d := range dirs {
			st = append(st, unitStatus(name+"/"+filepath.Base(d), job.Layout{Out: d}, name, plan, total))
		}
	}
	return st, nil
}

func unitStatus(label string, lay job.Layout, task string, plan mc.Plan, total int64) UnitStatus {
	u := UnitStatus{Task: label, Total: total, ETA: -1}
	held, locked, live := ckpt.Holder(lay.Lock(task))
	if locked {
		u.Holder = fmt.Sprintf("%s pid %d", held.Host, held.PID)
		if held.SlurmJob != "" {
			u.Holder += " job " + held.SlurmJob
		}
	}
	c, warn, err := ckpt.Load(lay.Ckpt(task))
	switch {
	case errors.Is(err, ckpt.ErrNone):
		u.State = "not started"
	case err != nil:
		u.State, u.Note = "error", err.Error()
	default:
		u.Note = warn
		u.Steps = mc.Progress{Thermalized: c.Thermalized, Draws: c.Draws}.Steps(plan)
		u.Seconds, _ = strconv.ParseFloat(c.Meta["seconds"], 64)
		if fi, err := os.Stat(lay.Ckpt(task)); err == nil {
			u.LastCkpt = fi.ModTime()
		}
		switch {
		case c.Finished && c.Draws == plan.Draws:
			u.State, u.ETA = "done", 0
			if sum, err := ReadSummary(lay.Summary(task)); err == nil {
				u.Warnings, u.Strict = len(sum.Warnings), len(Strict(sum.Warnings))
			}
		default:
			u.State = "checkpointed"
			if u.Steps > 0 && u.Seconds > 0 {
				u.ETA = time.Duration(float64(total-u.Steps) * u.Seconds / float64(u.Steps) * float64(time.Second))
			}
		}
	}
	if locked && u.State != "done" {
		if live {
			u.State = "running"
		} else {
			u.Note = "stale lock (its process is gone): the next run takes it over"
		}
	}
	return u
}

// StatusTable renders Status as a table.
func StatusTable(st []UnitStatus) string {
	rows := [][]string{{"task", "state", "sweeps", "done", "last checkpoint", "compute", "eta", "warnings", "held by"}}
	counts := map[string]int{}
	for _, u := range st {
		counts[u.State]++
		last, eta := "-", "-"
		if !u.LastCkpt.IsZero() {
			last = u.LastCkpt.Local().Format("2006-01-02 15:04:05")
		}
		if u.ETA >= 0 {
			eta = roundDur(u.ETA)
		}
		pct := 100 * float64(u.Steps) / math.Max(1, float64(u.Total))
		warn := "-"
		if u.State == "done" {
			warn = fmt.Sprintf("%d (%d strict)", u.Warnings, u.Strict)
		}
		row := []string{u.Task, u.State, fmt.Sprintf("%d/%d", u.Steps, u.Total), fmt.Sprintf("%.0f%%", pct), last,
			roundDur(time.Duration(u.Seconds * float64(time.Second))), eta, warn, u.Holder}
		if u.Note != "" {
			row[8] = u.Holder + " " + u.Note
		}
		rows = append(rows, row)
	}
	out := Columns(rows)
	var parts []string
	for _, k := range []string{"done", "running", "checkpointed", "not started", "error"} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	out += fmt.Sprintf("%d units: %s\n", len(st), strings.Join(parts, ", "))
	if slices.ContainsFunc(st, func(u UnitStatus) bool { return u.Warnings > 0 }) {
		out += "`mcflow summary OUTDIR` prints the results with their warnings\n"
	}
	return out
}

// roundDur shows a duration to 0.1 s below a minute, to 1 s above.
func roundDur(d time.Duration) string {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
