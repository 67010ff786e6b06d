// Package ckpt writes and reads mcflow's crash-safe checkpoints and the
// per-task lock.
//
// # Format (version 1)
//
// A checkpoint is an NPZ archive (numpy.load reads it): a zip of .npy
// entries, stored uncompressed.
//
//	manifest.npy        uint8 array: the Manifest as JSON
//	blob/<name>.npy     uint8 arrays: opaque state (chain states with their
//	                    RNG streams and adaptation, optimizer state)
//	float/<name>.npy    float64 arrays: parameters (flow weights)
//
// The manifest records the format version, mcflow's version, the spec hash,
// the task, the progress (the recorder's offsets), whether the task is
// finished, and the SHA-256 of every other entry's .npy bytes. The archive's
// comment is "mcflow-ckpt v1 sha256:<hex>", the SHA-256 of the manifest
// entry. Read verifies the comment, the manifest and every entry before
// anything is used.
//
// # Atomic replacement
//
// Write writes <path>.tmp, fsyncs it, makes the current checkpoint
// <prev> (a hard link, so the current name never disappears), renames the
// temp file over the current name and fsyncs the directory. A crash at any
// instant leaves a verified current or previous checkpoint; Load falls back
// to the previous one, with a warning, when the current one fails.
package ckpt
