package runner

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mcflow/mcflow/job"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// progress shows how far each task is, in steps per chain.
type progress interface {
	start(task string, total, done int64)
	update(task string, done int64)
	finish(task string, done int64)
	stop(task string)
	wait()
	// annotate sets a short diagnostic shown with the task's speed
	// ("accept 0.91").
	annotate(task, note string)
}

func newProgress(o Options, tasks []job.Task, s *job.Spec, training bool) progress {
	mode := o.Progress
	if mode == "" || mode == "auto" {
		mode = "plain"
		if f, ok := o.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bar"
		}
	}
	switch mode {
	case "none":
		return nopProgress{}
	case "bar":
		return newBars(o.Stderr, tasks, s)
	}
	every := o.PlainEvery
	if every <= 0 {
		every = 30 * time.Second
	}
	unit := "steps per chain"
	if s.Train != nil && training {
		unit = "epochs"
	}
	return &plain{unit: unit, w: o.Stderr, every: every, state: map[string]*rate{}}
}

type nopProgress struct{}

func (nopProgress) start(string, int64, int64) {}
func (nopProgress) update(string, int64)       {}
func (nopProgress) finish(string, int64)       {}
func (nopProgress) stop(string)                {}
func (nopProgress) wait()                      {}
func (nopProgress) annotate(string, string)    {}

// rate tracks a task's speed since it (re)started.
type rate struct {
	total, from, done int64
	t0, last          time.Time
	note              string
}

func (r *rate) String() string {
	el := time.Since(r.t0).Seconds()
	speed := float64(r.done-r.from) / el
	eta := "?"
	if speed > 0 {
		eta = time.Duration(float64(r.total-r.done) / speed * float64(time.Second)).Round(time.Second).String()
	}
	if r.note != "" {
		return fmt.Sprintf("%.3g steps/s, ETA %s, %s", speed, eta, r.note)
	}
	return fmt.Sprintf("%.3g steps/s, ETA %s", speed, eta)
}

// plain writes one line per task per interval: for SLURM logs.
type plain struct {
	unit  string // "steps per chain", "epochs"
	mu    sync.Mutex
	w     io.Writer
	every time.Duration
	state map[string]*rate
}

func (p *plain) start(task string, total, done int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	p.state[task] = &rate{total: total, from: done, done: done, t0: now, last: now}
	verb := "starting"
	if done > 0 {
		verb = "resuming"
	}
	fmt.Fprintf(p.w, "task %s: %s at %d/%d %s\n", task, verb, done, total, p.unit)
}

func (p *plain) update(task string, done int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.state[task]
	if r == nil {
		return
	}
	r.done = done
	if time.Since(r.last) >= p.every {
		r.last = time.Now()
		fmt.Fprintf(p.w, "task %s: %d/%d %s (%.0f%%), %s\n", task, done, r.total, p.unit, 100*float64(done)/float64(r.total), r)
	}
}

func (p *plain) finish(task string, done int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.state[task]; r != nil {
		fmt.Fprintf(p.w, "task %s: finished %d %s in %s\n", task, done, p.unit, time.Since(r.t0).Round(time.Millisecond))
	}
}

func (p *plain) stop(task string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.state[task]; r != nil {
		fmt.Fprintf(p.w, "task %s: stopped at %d/%d %s; checkpoint written\n", task, r.done, r.total, p.unit)
	}
}

func (p *plain) wait() {}

func (p *plain) annotate(task, note string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.state[task]; r != nil {
		r.note = note
	}
}

// bars draws one live bar per task on a terminal.
type bars struct {
	p    *mpb.Progress
	bars map[string]*mpb.Bar
	rate map[string]*rate
	mu   sync.Mutex
	once sync.Once
}

func newBars(w io.Writer, tasks []job.Task, s *job.Spec) *bars {
	b := &bars{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(40)), bars: map[string]*mpb.Bar{}, rate: map[string]*rate{}}
	total := int64(s.Sampler.Thermalize) + int64(s.Draws())*int64(s.Sampler.MeasureEvery)
	for _, t := range tasks {
		name := t.Name()
		r := &rate{total: total, t0: time.Now()}
		b.rate[name] = r
		b.bars[name] = b.p.AddBar(total,
			mpb.PrependDecorators(decor.Name("task "+name+" "), decor.CountersNoUnit("%d/%d", decor.WCSyncWidth)),
			mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Any(func(decor.Statistics) string {
				b.mu.Lock()
				defer b.mu.Unlock()
				if r.done == r.from {
					return ""
				}
				return "  " + r.String()
			})),
		)
	}
	return b
}

func (b *bars) annotate(task, note string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r := b.rate[task]; r != nil {
		r.note = note
	}
}

func (b *bars) start(task string, total, done int64) {
	b.mu.Lock()
	r := b.rate[task]
	r.total, r.from, r.done, r.t0 = total, done, done, time.Now()
	b.mu.Unlock()
	b.bars[task].SetTotal(total, false)
	b.bars[task].SetCurrent(done)
}

func (b *bars) update(task string, done int64) {
	b.mu.Lock()
	b.rate[task].done = done
	b.mu.Unlock()
	b.bars[task].SetCurrent(done)
}

func (b *bars) finish(task string, done int64) {
	b.bars[task].SetCurrent(done)
	b.bars[task].SetTotal(done, true)
}

func (b *bars) stop(task string) {
	for _, bar := range b.bars {
		if !bar.Completed() {
			bar.Abort(false)
		}
	}
}

func (b *bars) wait() {
	b.once.Do(func() {
		for _, bar := range b.bars {
			if !bar.Completed() {
				bar.Abort(false)
			}
		}
		b.p.Wait()
	})
}
