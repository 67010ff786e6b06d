// Package assemble turns one task of a job into what runs: the model instance
// from the [model] table's registration, the chains of the [sampler]
// table's registration (each seeded from the job's seed, the task and the
// chain), a tempering ladder, and the flow a flow sampler reads. It names
// no model or sampler kind: everything comes from the registrations in
// kind, filled by builtin and by a user's own program.
package assemble
