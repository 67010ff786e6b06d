#!/usr/bin/env bash
# Runs one test binary for `go test -exec` under GNU time and fails it when
# its peak resident memory (its own or that of the largest process it
# waited for) exceeds MCFLOW_TEST_MAXRSS_MB, 2048 by default. Each binary's
# peak is appended to MCFLOW_MEMLOG when that is set:
#   MCFLOW_MEMLOG=out/test-memory.log go test -exec scripts/memcheck.sh ./...
set -uo pipefail
limit_mb=${MCFLOW_TEST_MAXRSS_MB:-2048}
rss=$(mktemp)
trap 'rm -f "$rss"' EXIT
/usr/bin/time -q -f '%M' -o "$rss" "$@"
code=$?
kb=$(tail -n 1 "$rss")
if ! [[ $kb =~ ^[0-9]+$ ]]; then
  echo "memcheck: no peak memory from /usr/bin/time for $1" >&2
  exit 1
fi
if [ -n "${MCFLOW_MEMLOG:-}" ]; then
  printf '%6d MB  %s %s\n' $((kb / 1024)) "$(basename "$1")" "${*:2}" >> "$MCFLOW_MEMLOG"
fi
if (( kb > limit_mb * 1024 )); then
  echo "memcheck: $(basename "$1"): peak resident memory $((kb / 1024)) MB > $limit_mb MB (MCFLOW_TEST_MAXRSS_MB)" >&2
  exit 1
fi
exit "$code"
