#!/usr/bin/env bash
# Installs what mcflow needs on a Debian/Ubuntu machine, idempotently:
# the Debian packages named as arguments (with apt-get when root), then the
# Go modules. Without root it prints the exact install line instead.
set -euo pipefail

need_go="1.26"
if ! command -v go >/dev/null 2>&1; then
  echo "mcflow: Go >= $need_go is required and 'go' is not on PATH." >&2
  echo "  Install it from https://go.dev/dl/ (Debian's golang package is too old), or 'module load go' on a cluster." >&2
  exit 1
fi
have_go=$(go env GOVERSION | sed 's/^go//')
if [ "$(printf '%s\n%s\n' "$need_go" "$have_go" | sort -V | head -n1)" != "$need_go" ]; then
  echo "mcflow: Go >= $need_go is required, found $have_go (see https://go.dev/dl/)." >&2
  exit 1
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "mcflow deps: installing ${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
      echo "mcflow: missing packages: ${missing[*]}" >&2
      echo "  install them with:  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
      echo "  on a cluster without root: 'module load hdf5' (and a Python with numpy, h5py, matplotlib)," >&2
      echo "  or build without HDF5: make build-nohdf5" >&2
      exit 1
    fi
  fi
else
  # Not Debian: check what the build needs and say what is missing.
  command -v gcc >/dev/null 2>&1 || missing+=(gcc)
  command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
  pkg-config --exists hdf5 2>/dev/null || [ -n "${HDF5_DIR:-}" ] || missing+=("HDF5 development files")
  if [ ${#missing[@]} -gt 0 ]; then
    echo "mcflow: missing: ${missing[*]}. Install them with your package manager, or 'module load hdf5' on a cluster;" >&2
    echo "  or build without HDF5: make build-nohdf5" >&2
    exit 1
  fi
fi
go mod download
