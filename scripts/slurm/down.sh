#!/usr/bin/env bash
# Stops the daemons scripts/slurm/up.sh started (by their pid files).
set -u
for f in /run/slurmd.pid /run/slurmctld.pid; do
  if [ -f "$f" ]; then
    kill "$(cat "$f")" 2>/dev/null || true
  fi
done
pkill -x munged 2>/dev/null || true
running() {
  for p in slurmctld slurmd munged; do
    pgrep -x "$p" >/dev/null && return 0
  done
  return 1
}
for i in $(seq 1 20); do
  running || exit 0
  sleep 0.5
done
for p in slurmctld slurmd munged; do pkill -9 -x "$p" 2>/dev/null || true; done
exit 0
