// Package train trains the flows of package nf on a target: by reverse KL
// (the variational free energy F_q on the flow's own draws, with the
// model's symmetry) or forward KL (on given configurations), with Adam,
// warmup and a cosine schedule, on every core, deterministic for any
// worker count, its state (epoch, losses, parameters, Adam's moments) a
// checkpoint to resume from. Evaluate measures a flow against its target:
// F_q, the ESS per sample, and ln Z by importance sampling with errors.
package train
