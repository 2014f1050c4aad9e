#!/bin/bash
# Reproduce results-*.jsonl: every subcommand under four BLAS set-ups.
#   ref      : what `apt-get install python3-torch` gives (Debian libblas3,
#              the netlib reference BLAS), OPENBLAS_CORETYPE unset
#   ref+SKX  : same, OPENBLAS_CORETYPE=SkylakeX (no OpenBLAS loaded: no-op)
#   obl      : Debian OpenBLAS 0.3.21 (pthread), autodetected kernels
#   obl+SKX  : same, OPENBLAS_CORETYPE=SkylakeX
# Both BLAS choices are pinned with LD_LIBRARY_PATH, so the result does not
# depend on where the system's libblas.so.3 alternative points (on a shared
# machine somebody may install libopenblas0 or flip the alternative mid-run).
# OpenBLAS comes from the system (libopenblas0-pthread) if installed, else
# its .deb is unpacked to $OBL_DIR without touching the system.
# Usage: bash run.sh [OUT.jsonl] [DATA.csv]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/results-$(date +%F).jsonl}
data=${2:-/work/shared/data/bodyfat.csv}
PY=/usr/bin/python3
ML=/usr/lib/x86_64-linux-gnu
ref_lib=$ML/blas:$ML/lapack
[ -e $ML/blas/libblas.so.3 ] || { echo "need libblas3 (comes with python3-torch)" >&2; exit 1; }
OBL_DIR=${OBL_DIR:-/tmp/bsum-openblas}
obl_lib=$ML/openblas-pthread
[ -e "$obl_lib/libblas.so.3" ] || obl_lib=$OBL_DIR/root$ML/openblas-pthread
if [ ! -e "$obl_lib/libblas.so.3" ]; then
  mkdir -p "$OBL_DIR" && chmod 777 "$OBL_DIR"
  (cd "$OBL_DIR" && apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb root)
fi
: > "$out"
export BENCH_RUN=${BENCH_RUN:-$(date +%FT%T)}
bench() {  # bench ENV... -- ARGS...
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
  echo ">> ${envs[*]} $*" >&2
  env "${envs[@]}" "$PY" "$here/bench.py" "$@" | tee -a "$out"
}
for setup in ref ref+SKX obl obl+SKX; do
  case $setup in
    ref)     E=(-u OPENBLAS_CORETYPE LD_LIBRARY_PATH=$ref_lib) ;;
    ref+SKX) E=(OPENBLAS_CORETYPE=SkylakeX LD_LIBRARY_PATH=$ref_lib) ;;
    obl)     E=(-u OPENBLAS_CORETYPE LD_LIBRARY_PATH=$obl_lib) ;;
    obl+SKX) E=(OPENBLAS_CORETYPE=SkylakeX LD_LIBRARY_PATH=$obl_lib) ;;
  esac
  E+=(BENCH_SETUP=$setup)
  bench "${E[@]}" -- step-bodyfat --data "$data" --threads 1
  bench "${E[@]}" -- step-large --threads 1 --n 10000
  bench "${E[@]}" -- step-large --threads 2 --n 10000
  bench "${E[@]}" -- tta --data "$data" --seeds 1,2,3 --threads 1
done
