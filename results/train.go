package results

// TrainSummary is the `train` section of a task's summary.
type TrainSummary struct {
	Flow        string `json:"flow"`
	Loss        string `json:"loss"`
	Epochs      int    `json:"epochs"`
	LossFinal   F      `json:"loss_final"`
	EvalSamples int    `json:"eval_samples"`
	// F_q = E_q[ln q − ln p] with the target's unnormalised ln p.
	Fq       F `json:"F_q"`
	FqStderr F `json:"F_q_stderr"`
	// −ln Z exactly (toy2d by quadrature, ising2d-relaxed from Kaufman),
	// else null; gap = F_q − (−ln Z) ≥ 0.
	MinusLnZ    F      `json:"minus_lnZ"`
	LnZSource   string `json:"minus_lnZ_source,omitempty"`
	Gap         F      `json:"gap"`
	GapStderr   F      `json:"gap_stderr"`
	ESS         F      `json:"ess_per_sample"`
	ESSStderr   F      `json:"ess_per_sample_stderr"`
	LnZIS       F      `json:"lnZ_is"` // importance-sampling estimate of ln Z
	LnZISStderr F      `json:"lnZ_is_stderr"`
	// Density is "exact" (q is the density of the map applied: RealNVP,
	// Monge–Ampère in exact mode) or "approximate" (Monge–Ampère's
	// RK4-integrated log-determinant: F_q and ln Z are then estimates of
	// a variational flow, not bounds, and Monte Carlo needs exact mode).
	//
	// "rk4" (cnf): ln q is the RK4-integrated divergence, off from the
	// density of the discrete map by δ(x); DensityError is the measured
	// standard deviation of δ (step doubling on 1000 draws) of the saved
	// map, the bound flow-MH prints.
	Density      string `json:"density"`
	DensityError *F     `json:"density_error,omitempty"`
	// RK4Steps are the steps of the saved map (cnf: the training's steps,
	// doubled until DensityError is below train.density_tolerance).
	RK4Steps int      `json:"rk4_steps,omitempty"`
	Warnings []string `json:"warnings,omitempty"` // what makes the flow's figures or use doubtful
	Params   int      `json:"flow_parameters"`
	Seconds  F        `json:"seconds"` // wall-clock training time (differs between identical runs)
	File     string   `json:"flow_file"`
}

// TrainTaskSummary is OUT/summary/<task>.json of a training run.
type TrainTaskSummary struct {
	Task   int                `json:"task"`
	Name   string             `json:"name"`
	Model  string             `json:"model"`
	Target string             `json:"target"`
	Params map[string]float64 `json:"params"`
	Train  *TrainSummary      `json:"train"`

	AlreadyDone bool `json:"-"` // found finished on disk, not run now
}
