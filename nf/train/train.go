package train

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/ad/optim"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/model"
	"github.com/mcflow/mcflow/nf"
)

// ShardRows returns the number of rows of a batch one worker
// differentiates at a time: an eighth of the batch, at least 16 and at
// most 128 rows, so that a small batch (the lattice tutorial's 64) still
// keeps several workers busy. It depends on the batch alone and shards are
// summed in a fixed order, so a step's result is the same for any number
// of workers.
func ShardRows(batch int) int { return min(128, max(16, (batch+7)/8)) }

// Loss is what training minimises.
type Loss string

const (
	// ReverseKL is the variational free energy F_q = E_q[ln q(x) − ln p(x)]
	// with the target's unnormalised ln p: F_q ≥ −ln Z, with equality when
	// q = p. Needs only the target.
	ReverseKL Loss = "reverse"
	// ForwardKL is maximum likelihood on samples of p: −E_p[ln q(x)].
	ForwardKL Loss = "forward"
)

// TrainOptions configure a Trainer.
type TrainOptions struct {
	Loss    Loss
	Batch   int
	LR      float64
	Workers int // goroutines per step (results do not depend on it)
	// Streams: the draws of epoch e come from Streams.Stream(e+1) (index 0
	// is for the initial parameters, drawn by the caller), its Hutchinson
	// probes from Streams.Stream(e+1, shard).
	Streams mc.Streams
	Data    *ad.Tensor
	// Epochs and Schedule: with Schedule "cosine" the learning rate of
	// epoch e is LR·(0.01 + 0.99·½(1 + cos(πe/Epochs))); "constant" (or
	// "") keeps LR.
	Epochs   int
	Schedule string
	// Warmup > 0 raises the rate linearly over the first Warmup epochs
	// (epoch e gets (e+1)/Warmup of it): Adam's first steps move every
	// parameter by about the rate, which throws a trained flow that
	// training starts from (a smaller lattice's, carried over) far off.
	Warmup int
}

// lr returns the learning rate of an epoch.
func (o *TrainOptions) lr(epoch int) float64 {
	lr := o.LR
	if o.Schedule == "cosine" && o.Epochs >= 1 {
		f := math.Min(1, float64(epoch)/float64(o.Epochs))
		lr *= 0.01 + 0.99*0.5*(1+math.Cos(math.Pi*f))
	}
	if epoch < o.Warmup {
		lr *= float64(epoch+1) / float64(o.Warmup)
	}
	return lr
}

// Trainer trains a flow's parameters with Adam. Its state (epoch,
// parameters, optimizer, losses) is marshalled for checkpoints; the random
// draws of every epoch derive from (Seed, epoch), so no RNG state is kept.
type Trainer struct {
	Model  *nf.Model
	Target model.Target
	Opt    *optim.Adam
	Epoch  int
	Losses []float64 // per epoch
	o      TrainOptions
}

// NewTrainer checks the options against the model and target.
func NewTrainer(m *nf.Model, t model.Target, o TrainOptions) (*Trainer, error) {
	if m.Dim() != t.Dim() {
		return nil, errorf("flow of dimension %d for a target of dimension %d", m.Dim(), t.Dim())
	}
	if o.Batch < 1 || !(o.LR > 0) {
		return nil, errorf("batch = %d, lr = %v: want batch >= 1 and lr > 0", o.Batch, o.LR)
	}
	if o.Workers < 1 {
		o.Workers = 1
	}
	if o.Schedule != "" && o.Schedule != "constant" && o.Schedule != "cosine" {
		return nil, errorf("schedule = %q, want \"constant\" or \"cosine\"", o.Schedule)
	}
	switch o.Loss {
	case ReverseKL:
	case ForwardKL:
		if o.Data == nil || len(o.Data.Shape) != 2 || o.Data.Shape[1] != m.Dim() || o.Data.Shape[0] == 0 {
			return nil, errorf("forward KL needs data of shape (n, %d)", m.Dim())
		}
		if _, ok := m.Flow.(*nf.CNF); ok {
			return nil, errorf("forward KL differentiates the inverse, which the cnf flow finds by iteration without gradients: train it by reverse KL")
		}
		if ma, ok := m.Flow.(*nf.MongeAmpere); ok && ma.Cfg.Exact {
			return nil, errorf("forward KL differentiates the inverse, which exact mode computes by Newton's method without gradients: train with exact = false (or by reverse KL) and switch exact mode on for sampling")
		}
	default:
		return nil, errorf("loss = %q, want \"reverse\" or \"forward\"", o.Loss)
	}
	return &Trainer{Model: m, Target: t, Opt: optim.NewAdam(o.LR), o: o}, nil
}

// SetData replaces the forward-KL training data (adaptive training: each
// round trains on the chains' latest states).
func (tr *Trainer) SetData(d *ad.Tensor) error {
	if tr.o.Loss != ForwardKL || d == nil || len(d.Shape) != 2 || d.Shape[1] != tr.Model.Dim() || d.Shape[0] == 0 {
		return errorf("SetData: forward KL data of shape (n, %d) wanted", tr.Model.Dim())
	}
	tr.o.Data = d
	return nil
}

// shard is one slice of a batch.
type shard struct {
	rows  *ad.Tensor // z (reverse) or x (forward)
	probe *mc.PCG    // Hutchinson probes, or nil
}

// Step runs one epoch (one batch and one Adam step) and returns its loss.
func (tr *Trainer) Step() (float64, error) {
	e := uint64(tr.Epoch) + 1
	rng := tr.o.Streams.Stream(e)
	d := tr.Model.Dim()
	batch := ad.Zeros(tr.o.Batch, d)
	switch tr.o.Loss {
	case ReverseKL:
		for i := range batch.Data {
			batch.Data[i] = mc.Normal(rng)
		}
	case ForwardKL:
		n := tr.o.Data.Shape[0]
		for i := range tr.o.Batch {
			j := rand.New(rng).IntN(n)
			copy(batch.Data[i*d:(i+1)*d], tr.o.Data.Data[j*d:(j+1)*d])
		}
	}
	var shards []shard
	rows := ShardRows(tr.o.Batch)
	for lo := 0; lo < tr.o.Batch; lo += rows {
		hi := min(lo+rows, tr.o.Batch)
		sh := shard{rows: ad.NewTensor(batch.Data[lo*d:hi*d], hi-lo, d)}
		if ma, ok := tr.Model.Flow.(*nf.MongeAmpere); ok && ma.Cfg.Hutchinson {
			sh.probe = tr.o.Streams.Stream(e, uint64(len(shards)))
		}
		shards = append(shards, sh)
	}
	params := tr.Model.Flow.Params()
	losses := make([]float64, len(shards))
	grads := make([][]*ad.Var, len(shards))
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	next := make(chan int, len(shards))
	for i := range shards {
		next <- i
	}
	close(next)
	for range min(tr.o.Workers, len(shards)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				losses[i], grads[i], errs[i] = tr.shardLoss(shards[i], params)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return math.NaN(), err
	}
	var loss float64
	total := grads[0]
	for i := range shards {
		loss += losses[i]
		if i == 0 {
			continue
		}
		for k, g := range grads[i] {
			dst := total[k].Value.Data
			for j, v := range g.Value.Data {
				dst[j] += v
			}
		}
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("nf: loss is %v at epoch %d: lower lr, or a smaller eps or scale of the flow", loss, tr.Epoch)
	}
	tr.Opt.LR = tr.o.lr(tr.Epoch)
	if err := tr.Opt.Step(params, total); err != nil {
		return loss, err
	}
	tr.Epoch++
	tr.Losses = append(tr.Losses, loss)
	return loss, nil
}

// shardLoss returns the shard's part of the batch's mean loss and its
// gradient (owned copies, so they can be summed in place).
func (tr *Trainer) shardLoss(sh shard, params []*ad.Var) (float64, []*ad.Var, error) {
	scale := 1 / float64(tr.o.Batch)
	var terms *ad.Var
	switch tr.o.Loss {
	case ReverseKL:
		var x, logq *ad.Var
		if ma, ok := tr.Model.Flow.(*nf.MongeAmpere); ok && sh.probe != nil {
			var ld *ad.Var
			z := ad.Const(sh.rows)
			x, ld = ma.ForwardProbe(z, sh.probe)
			logq = ad.Sub(nf.LogNormal(z), ld)
		} else {
			x, logq = tr.Model.Push(ad.Const(sh.rows))
		}
		terms = ad.Sub(logq, model.LogProbVar(tr.Target, x))
	case ForwardKL:
		terms = ad.Neg(tr.Model.LogProb(ad.Const(sh.rows)))
	}
	loss := ad.Scale(ad.Sum(terms), scale)
	g, err := ad.Grad(loss, params)
	if err != nil {
		return 0, nil, err
	}
	owned := make([]*ad.Var, len(g))
	for i, v := range g {
		owned[i] = ad.Const(v.Value.Clone())
	}
	return loss.Item(), owned, nil
}

// Estimate is a Monte Carlo estimate with its standard error.
type Estimate struct {
	Value, Stderr float64
}

// Evaluation is what a trained flow achieves on fresh samples.
type Evaluation struct {
	N int
	// Fq is the variational free energy E_q[ln q − ln p] (≥ −ln Z).
	Fq Estimate
	// ESSPerSample is the importance-sampling efficiency (Σw)²/(N Σw²)
	// of the weights w = p/q, in (0, 1].
	ESSPerSample Estimate
	// LogZ is the importance-sampling estimate ln E_q[p/q] of ln Z (the
	// target's, for its unnormalised ln p), with its delta-method error.
	LogZ Estimate
}

// Evaluate draws n fresh samples (chunk c from streams.Stream(c), on
// workers goroutines; the result does not depend on workers) and
// estimates F_q, the ESS per sample and ln Z.
func Evaluate(m *nf.Model, t model.Target, n, workers int, streams mc.Streams) (Evaluation, error) {
	chunk := EvalChunk(m.Dim())
	if _, ok := m.Flow.(nf.ValueForwarder); ok {
		chunk = 64 // no graph to bound: chunks as small as balance wants
	}
	nc := (n + chunk - 1) / chunk
	f := make([][]float64, nc)
	nf.Parallel(nc, workers, func(c int) {
		rows := min(chunk, n-c*chunk)
		x, lq := m.Sample(streams.Stream(uint64(c)), rows)
		d := m.Dim()
		out := make([]float64, rows)
		for i := range rows {
			out[i] = lq[i] - t.LogProb(x.Data[i*d:(i+1)*d])
		}
		f[c] = out
	})
	var all []float64
	for _, c := range f {
		all = append(all, c...)
	}
	return evaluation(all)
}

// EvalChunk is the number of samples Evaluate draws from one stream (64
// for a flow with a graph-free forward map, cnf, so that the workers share
// the work evenly): 2¹⁷ numbers, at most 4096 samples and at least 64. It
// fixes which stream draws which sample; Sample pushes a chunk through
// the flow in smaller blocks (pushBlock).
func EvalChunk(dim int) int { return min(4096, max(64, (1<<17)/dim)) }

// evaluation computes the estimates from f_i = ln q(x_i) − ln p(x_i).
func evaluation(f []float64) (Evaluation, error) {
	n := float64(len(f))
	var mean, m2 float64
	shift := math.Inf(1)
	for i, v := range f {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Evaluation{}, fmt.Errorf("nf: ln q − ln p is %v at sample %d: the flow or the target is not finite there", v, i)
		}
		d := v - mean
		mean += d / float64(i+1)
		m2 += d * (v - mean)
		shift = math.Min(shift, v)
	}
	ev := Evaluation{N: len(f), Fq: Estimate{mean, math.Sqrt(m2 / (n - 1) / n)}}
	// w = exp(−f) scaled by exp(shift) (the largest weight is 1).
	var a, b, saa, sab, sbb float64
	for _, v := range f {
		w := math.Exp(-(v - shift))
		a += w
		b += w * w
	}
	a, b = a/n, b/n
	for _, v := range f {
		w := math.Exp(-(v - shift))
		da, db := w-a, w*w-b
		saa += da * da
		sab += da * db
		sbb += db * db
	}
	saa, sab, sbb = saa/(n-1)/n, sab/(n-1)/n, sbb/(n-1)/n
	r := a * a / b
	ga, gb := 2*a/b, -a*a/(b*b)
	ev.ESSPerSample = Estimate{r, math.Sqrt(math.Max(0, ga*ga*saa+2*ga*gb*sab+gb*gb*sbb))}
	ev.LogZ = Estimate{math.Log(a) - shift, math.Sqrt(saa) / a}
	return ev, nil
}

// MarshalBinary encodes the trainer's state: epoch, losses, parameters and
// the optimizer.
func (tr *Trainer) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	opt, err := tr.Opt.MarshalBinary()
	if err != nil {
		return nil, err
	}
	w := func(v any) { binary.Write(&buf, binary.LittleEndian, v) }
	w(uint64(tr.Epoch))
	w(uint64(len(tr.Losses)))
	w(tr.Losses)
	ps := tr.Model.Flow.Params()
	w(uint64(len(ps)))
	for _, p := range ps {
		w(uint64(len(p.Value.Data)))
		w(p.Value.Data)
	}
	w(uint64(len(opt)))
	buf.Write(opt)
	return buf.Bytes(), nil
}

// UnmarshalBinary restores a state written by MarshalBinary for the same
// architecture.
func (tr *Trainer) UnmarshalBinary(data []byte) error {
	r := bytes.NewReader(data)
	var n uint64
	rd := func(v any) error { return binary.Read(r, binary.LittleEndian, v) }
	bad := errors.New("nf: trainer state does not match this flow's architecture (or is corrupt)")
	var epoch uint64
	if rd(&epoch) != nil || rd(&n) != nil || n > 1<<32 {
		return bad
	}
	losses := make([]float64, n)
	if rd(losses) != nil {
		return bad
	}
	ps := tr.Model.Flow.Params()
	if rd(&n) != nil || n != uint64(len(ps)) {
		return bad
	}
	vals := make([][]float64, len(ps))
	for i, p := range ps {
		if rd(&n) != nil || n != uint64(len(p.Value.Data)) {
			return bad
		}
		vals[i] = make([]float64, n)
		if rd(vals[i]) != nil {
			return bad
		}
	}
	if rd(&n) != nil || n != uint64(r.Len()) {
		return bad
	}
	opt := optim.NewAdam(tr.o.LR)
	rest := make([]byte, n)
	r.Read(rest)
	if err := opt.UnmarshalBinary(rest); err != nil {
		return err
	}
	for i, p := range ps {
		copy(p.Value.Data, vals[i])
	}
	tr.Epoch, tr.Losses, tr.Opt = int(epoch), losses, opt
	return nil
}

// errorf is an error of the training options, named as nf's.
func errorf(format string, args ...any) error { return fmt.Errorf("nf: "+format, args...) }
