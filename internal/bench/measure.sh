#!/bin/bash
# Reproduce the numbers in README.md: every measurement of cmd/compare, pure
# Go and OpenBLAS builds, PyTorch with the system BLAS (ref) and with
# OpenBLAS, OPENBLAS_CORETYPE unset and SkylakeX. Before each block it waits
# for the 1-minute load average to drop below 1.0 (the machine is shared),
# polling every 60 s, at most WAIT_MAX seconds in total (default 900); the
# load is printed before every block and inside every record.
# Usage: bash internal/bench/measure.sh [OUT.txt]   (from the module root)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/tmp/bsum-bench-$(date +%F-%H%M).txt}
WAIT_MAX=${WAIT_MAX:-900}
go build -o /tmp/compare-go ./internal/bench/cmd/compare
if go build -tags openblas -o /tmp/compare-obl ./internal/bench/cmd/compare 2>/dev/null; then
  obl=1
else
  obl=0; echo "openblas build failed (apt-get install -y libopenblas-dev): skipping OpenBLAS runs" | tee -a "$out"
fi
waited=0
quiet() {  # wait for load < 1.0, within the total budget
  while awk '{exit !($1 >= 1.0)}' /proc/loadavg && [ "$waited" -lt "$WAIT_MAX" ]; do
    sleep 60; waited=$((waited + 60))
  done
  echo "## load before next run: $(cut -d' ' -f1-3 /proc/loadavg) (waited ${waited}s in total)" | tee -a "$out"
}
run() { echo "## $*" | tee -a "$out"; "$@" 2>&1 | tee -a "$out"; }
{ lscpu | grep -E 'Model name|^CPU\(s\)|Thread|L2|L3'; go version; } | tee -a "$out"
quiet; run /tmp/compare-go -what step-bodyfat
quiet; run /tmp/compare-go -what memory
quiet; run /tmp/compare-go -what ops
quiet; run /tmp/compare-go -what tta
quiet; run /tmp/compare-go -what step-large -threads 1
quiet; run /tmp/compare-go -what step-large -threads 2
if [ "$obl" = 1 ]; then
  quiet; run /tmp/compare-obl -what step-large -threads 1 -torch-blas openblas
  quiet; run env OPENBLAS_CORETYPE=SkylakeX /tmp/compare-obl -what step-large -threads 1 -torch-blas openblas
  quiet; run /tmp/compare-obl -what step-large -threads 2 -torch-blas openblas
  quiet; run /tmp/compare-obl -what step-bodyfat -torch-blas openblas
  quiet; run /tmp/compare-obl -what ops
fi
echo "results in $out"
