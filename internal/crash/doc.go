// Package crash holds the crash points and injected faults of the
// fault-injection tests. In a normal build both are no-ops that the
// compiler removes; a binary built with the crashpoints tag reads
//
//	MCFLOW_CRASH=name:k   SIGKILL itself at the k-th pass through point name
//	MCFLOW_FAULT=name:k   fail the k-th pass through point name with ENOSPC
//	MCFLOW_DELAY=name:d   sleep for the duration d at every pass through delay point name
//
// (k counts from 1; "any" matches every point). Points sit where a crash
// or a full disk is most dangerous: inside checkpoint writing, between a
// result block and its checkpoint, between a task's last checkpoint and
// its summary, before the renames of atomic writes.
package crash
