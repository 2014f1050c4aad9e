#!/usr/bin/env bash
# scripts/mpi-test.sh — checks bsum's MPI reducer (internal/mpi, build tag
# mpi) on loopback with 1, 2 and 3 ranks:
#   * Sum and Broadcast give the right bits (rank-order sum) on every rank,
#   * two runs with the same rank count print identical result digests,
#   * a failure on one rank stops all ranks with that rank's message and a
#     non-zero exit code,
#   * the Go tests of internal/mpi pass in every rank,
#   * when Fashion-MNIST is installed, each rank's shard (dataset.FashionMNISTShard,
#     standardised) equals the same samples of an unsharded load bit for bit,
#   * equality (issue 11): `bsum train` (built with -tags mpi) on 1, 2 and 3
#     ranks, each rank holding only its rows, saves weights and f that agree
#     with the single-process run to 1e-12 relative, and two runs with the
#     same rank count save bitwise-equal weights and f (mpicheck digest): 10
#     LM iterations and 100 mini-batch BP iterations on BodyFat, 100
#     mini-batch BP iterations on a Fashion-MNIST subset (when installed),
#   * a bsum built without the tag refuses to run as 2 ranks (exit code 2).
# Open MPI is installed with apt-get if mpirun is missing (as root); if that
# is impossible the script prints SKIP and exits 0.
#   scripts/mpi-test.sh            # checks
#   scripts/mpi-test.sh --bench    # also time one Sum of 203,530 and 2,570² numbers
set -euo pipefail
cd "$(dirname "$0")/.."

bench=0
[[ "${1:-}" == "--bench" ]] && bench=1

if ! command -v mpirun >/dev/null || ! pkg-config --exists ompi-c 2>/dev/null; then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		echo "mpi-test: installing Open MPI (apt-get install -y libopenmpi-dev openmpi-bin)"
		if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenmpi-dev openmpi-bin pkg-config; } >/dev/null; then
			echo "SKIP mpi-test: Open MPI is not installed and apt-get failed"
			exit 0
		fi
	else
		echo "SKIP mpi-test: Open MPI is not installed (apt-get install -y libopenmpi-dev openmpi-bin needs root)"
		exit 0
	fi
fi

run=(mpirun --oversubscribe)
[[ $(id -u) == 0 ]] && run+=(--allow-run-as-root)
# Loopback only: shared memory and TCP on lo, no probing of other networks.
run+=(--mca btl self,vader,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -tags mpi -o "$tmp/mpicheck" ./internal/mpi/cmd/mpicheck
go test -c -tags mpi -o "$tmp/mpi.test" ./internal/mpi
go build -tags mpi -o "$tmp/bsum" ./cmd/bsum
go build -o "$tmp/bsum-nompi" ./cmd/bsum

fail=0
bad() { echo "FAIL: $*"; fail=1; }

for np in 1 2 3; do
	for k in 1 2; do
		if ! "${run[@]}" -np "$np" "$tmp/mpicheck" check >"$tmp/check.$np.$k" 2>"$tmp/check.$np.$k.err"; then
			bad "np=$np: check run $k failed:"; cat "$tmp/check.$np.$k.err"
		fi
	done
	if [[ $fail == 0 ]]; then
		if cmp -s "$tmp/check.$np.1" "$tmp/check.$np.2"; then
			echo "ok   np=$np: Sum and Broadcast correct and equal on every rank; two runs bitwise equal"
			sed 's/^/     /' "$tmp/check.$np.1"
		else
			bad "np=$np: two runs differ"; diff "$tmp/check.$np.1" "$tmp/check.$np.2" || true
		fi
	fi

	r=$((np - 1)) # the last rank fails
	set +e
	timeout 120 "${run[@]}" -np "$np" "$tmp/mpicheck" fail -rank "$r" >"$tmp/fail.out" 2>"$tmp/fail.err"
	code=$?
	set -e
	if [[ $code == 0 ]]; then
		bad "np=$np: a failing rank $r gave exit code 0"
	elif [[ $code == 124 ]]; then
		bad "np=$np: a failing rank $r did not stop the job (timeout)"
	elif ! grep -q "^rank $r: injected failure" "$tmp/fail.err"; then
		bad "np=$np: exit code $code but no 'rank $r: injected failure' message:"; cat "$tmp/fail.err"
	else
		echo "ok   np=$np: rank $r failed → all ranks stopped, exit code $code, message: $(grep "^rank $r:" "$tmp/fail.err")"
	fi

	if "${run[@]}" -np "$np" "$tmp/mpi.test" >"$tmp/test.out" 2>&1; then
		echo "ok   np=$np: go test -tags mpi ./internal/mpi passed on $(grep -c '^PASS$' "$tmp/test.out") ranks"
	else
		bad "np=$np: go test -tags mpi ./internal/mpi failed:"; cat "$tmp/test.out"
	fi

	if [[ -e "${BSUM_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}" ]]; then
		if "${run[@]}" -np "$np" "$tmp/mpicheck" fashion -n 3000 >"$tmp/fashion.out" 2>&1; then
			echo "ok   np=$np: $(tail -1 "$tmp/fashion.out")"
		else
			bad "np=$np: Fashion-MNIST shard loading:"; cat "$tmp/fashion.out"
		fi
	else
		echo "skip np=$np: Fashion-MNIST shard check (apt-get install -y dataset-fashion-mnist)"
	fi
done

# Equality of data-parallel training with the single-process run.
fashion_dir="${BSUM_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}"
cases=(
	"lm10|--data bodyfat --solver lm --iters 10"
	"bp100|--data bodyfat --solver bp --batch 32 --iters 100"
)
if [[ -e "$fashion_dir" ]]; then
	cases+=("fashion-bp100|--data fashion-mnist --data-dir $fashion_dir --train-n 3000 --test-n 500 --arch 784-16-10 --solver bp --batch 100 --iters 100")
else
	echo "skip Fashion-MNIST equality (apt-get install -y dataset-fashion-mnist)"
fi
for c in "${cases[@]}"; do
	name=${c%%|*}
	read -r -a args <<<"${c#*|}"
	args+=(--seed 7 --shards 1 -q)
	if ! "$tmp/bsum" train "${args[@]}" --save "$tmp/$name.single.json" >"$tmp/$name.single.out" 2>&1; then
		bad "$name: single-process run failed:"; cat "$tmp/$name.single.out"; continue
	fi
	for np in 1 2 3; do
		ok=1
		for k in 1 2; do
			if ! timeout 600 "${run[@]}" -np "$np" "$tmp/bsum" train "${args[@]}" --save "$tmp/$name.$np.$k.json" >"$tmp/$name.$np.$k.out" 2>&1; then
				bad "$name np=$np: run $k failed:"; cat "$tmp/$name.$np.$k.out"; ok=0
			fi
		done
		[[ $ok == 1 ]] || continue
		d1=$("$tmp/mpicheck" digest "$tmp/$name.$np.1.json") && d2=$("$tmp/mpicheck" digest "$tmp/$name.$np.2.json") || { bad "$name np=$np: digest failed"; continue; }
		if [[ "$d1" != "$d2" ]]; then
			bad "$name np=$np: two runs differ: $d1 / $d2"; continue
		fi
		if cmpout=$("$tmp/mpicheck" compare -tol 1e-12 "$tmp/$name.single.json" "$tmp/$name.$np.1.json" 2>&1); then
			echo "ok   $name np=$np: bitwise reproducible (digest ${d1%% *}); against one process: $cmpout"
		else
			bad "$name np=$np: against one process: $cmpout"
		fi
	done
done

# examples/fashion under mpirun: every rank trains on its shard; the
# per-epoch test accuracies and training losses (epochs.csv without the
# time columns) equal the one-process run's.
if [[ -e "$fashion_dir" ]]; then
	go build -tags mpi -o "$tmp/fashion-example" ./examples/fashion
	fargs=(-data "$fashion_dir" -train-n 3000 -test-n 1000 -epochs 2 -methods bp-recursive,adagrad -width 32)
	strip() { cut -d, -f1-6,9 "$1"; }
	if "$tmp/fashion-example" "${fargs[@]}" -out "$tmp/fx1" >"$tmp/fx1.out" 2>&1; then
		for np in 2 3; do
			if ! timeout 600 "${run[@]}" -np "$np" "$tmp/fashion-example" "${fargs[@]}" -out "$tmp/fx$np.mpi" >"$tmp/fx$np.out" 2>&1; then
				bad "examples/fashion np=$np failed:"; cat "$tmp/fx$np.out"; continue
			fi
			if paste -d, <(strip "$tmp/fx1/epochs.csv") <(strip "$tmp/fx$np.mpi/epochs.csv") | awk -F, '
				function bad(a, b) { d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a; return a != b && d > 1e-12 * m }
				NF != 14 { print "line " NR ": " NF " fields"; e = 1; next }
				{ for (i = 1; i <= 7; i++) if (($i ~ /^[-0-9.e+]+$/) ? bad($i + 0, $(i + 7) + 0) : $i != $(i + 7)) { print "line " NR " field " i ": " $i " vs " $(i + 7); e = 1 } }
				END { exit e }' >"$tmp/fx$np.diff"; then
				echo "ok   examples/fashion np=$np: test accuracies and training losses of every epoch equal the one-process run's"
			else
				bad "examples/fashion np=$np differs from one process:"; cat "$tmp/fx$np.diff"
			fi
		done
	else
		bad "examples/fashion single-process run failed:"; cat "$tmp/fx1.out"
	fi
fi

set +e
"${run[@]}" -np 2 "$tmp/bsum-nompi" train --data bodyfat --iters 1 -q >"$tmp/nompi.out" 2>&1
code=$?
set -e
if [[ $code != 0 ]] && grep -q "built without MPI support" "$tmp/nompi.out"; then
	echo "ok   bsum without -tags mpi under mpirun -np 2: refused, exit code $code"
else
	bad "bsum without -tags mpi under mpirun -np 2: exit code $code:"; cat "$tmp/nompi.out"
fi

if [[ $bench == 1 ]]; then
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
	for np in 1 2 3; do
		"${run[@]}" -np "$np" "$tmp/mpicheck" bench -reps 10 || bad "np=$np: bench failed"
	done
fi

if [[ $fail != 0 ]]; then
	echo "mpi-test: FAILED"
	exit 1
fi
echo "mpi-test: all checks passed"
