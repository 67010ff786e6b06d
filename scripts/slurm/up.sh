#!/usr/bin/env bash
# Starts a one-node SLURM cluster on localhost (munge, slurmctld, slurmd)
# for the SLURM tests, installing slurm-wlm first when missing (as root).
# The configuration (scripts/slurm/slurm.conf) is the one tested on these
# machines (Debian 12, slurm-wlm 22.05, no systemd, no cgroups).
# scripts/slurm/down.sh stops the daemons.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "$(id -u)" != 0 ]; then
  echo "slurm-up: starting the SLURM daemons needs root" >&2
  exit 1
fi
"$here/../deps.sh" slurmctld slurmd slurm-client munge
mkdir -p /run/munge /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /etc/slurm
chown munge:munge /run/munge
cp "$here/slurm.conf" /etc/slurm/slurm.conf
if ! pgrep -x munged >/dev/null; then
  runuser -u munge -- /usr/sbin/munged
fi
# Clear the state an earlier run may have left (-c), then the node.
if ! pgrep -x slurmctld >/dev/null; then
  slurmctld -c
fi
if ! pgrep -x slurmd >/dev/null; then
  slurmd -N localhost
fi
for i in $(seq 1 60); do
  state=$(sinfo -h -o %T 2>/dev/null | head -n1 || true)
  case "$state" in
    idle|mixed|allocated) echo "slurm-up: node localhost is $state"; exit 0 ;;
  esac
  sleep 0.5
done
echo "slurm-up: the node did not become idle in 30 s (state: ${state:-none}); see /var/log/slurm/" >&2
exit 1
