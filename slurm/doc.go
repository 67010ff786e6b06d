// Package slurm writes the sbatch script of a job: an array over its tasks
// (or slices of their chains) whose elements run `mcflow run`, forward
// SLURM's pre-emption signal for a checkpoint, and requeue themselves
// until every task is finished.
package slurm
