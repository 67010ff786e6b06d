#!/usr/bin/env bash
# Stops the daemons scripts/slurm/up.sh started (by their pid files).
set -u
for f in /run/slurmd.pid /run/slurmctld.pid; do
  if [ -f "$f" ]; then
    kill "$(cat "$f")" 2>/dev/null || true
  fi
done
pkill -x munged 2>/dev/null || true
for i in $(seq 1 20); do
  pgrep -x 'slurmctld|slurmd|munged' >/dev/null || exit 0
  sleep 0.5
done
pkill -9 -x 'slurmctld|slurmd|munged' 2>/dev/null || true
exit 0
