#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs the dependencies, builds
# vigil and its tests twice (plain, and with ASan+UBSan), runs every suite of
# both builds, the demo (scripts/demo.sh, timed), a short pass of the fuzzers,
# then the guest lane (make
# check-guest: the privileged suites that need Debian 12's kernel and pure
# cgroup v2, in a microVM), and ends
# with the total "N passed, N failed, N skipped".
# Privileged suites need root; without it they are reported as skipped.
set -uo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)
scripts/install-deps.sh || { echo "test: installing dependencies failed"; exit 1; }

results=$(mktemp)
trap 'rm -f "$results"' EXIT
status=0

echo "== format"
if make --no-print-directory format-check; then
	echo "1 0 0" >>"$results"
else
	echo "test: sources are not clang-formatted ('make format' fixes them)"
	echo "0 1 0" >>"$results"
	status=1
fi

for variant in plain sanitize; do
	if [ "$variant" = sanitize ]; then
		make_args=(SANITIZE=1)
	else
		make_args=()
	fi
	echo "== build ($variant)"
	if ! make -j"$jobs" "${make_args[@]}" tests; then
		echo "test: the $variant build failed"
		echo "0 1 0" >>"$results"
		status=1
		continue
	fi
	echo "== tests ($variant)"
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	RESULTS_FILE=$results SUITE_LABEL="$variant" \
		make "${make_args[@]}" check || status=1
done

echo "== demo (scripts/demo.sh, the README's main command: must end well within 60 s)"
if [ "$(id -u)" -ne 0 ]; then
	echo "test: the demo needs root: skipped"
	echo "0 0 1" >>"$results"
else
	demo_start=$(date +%s)
	if scripts/demo.sh; then
		demo_s=$(($(date +%s) - demo_start))
		if [ "$demo_s" -le 60 ]; then
			echo "demo: passed in $demo_s s"
			echo "1 0 0" >>"$results"
		else
			echo "demo: FAILED: it took $demo_s s, more than 60"
			echo "0 1 0" >>"$results"
			status=1
		fi
	else
		echo "demo: FAILED"
		echo "0 1 0" >>"$results"
		status=1
	fi
fi

echo "== fuzz (libFuzzer, ${FUZZ_SECONDS:-10} s per harness; make fuzz runs 60 s each)"
RESULTS_FILE=$results make -j"$jobs" fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-10}" || status=1

echo "== guest lane (Debian 12's kernel, pure cgroup v2, in a microVM)"
if [ "$(id -u)" -ne 0 ]; then
	echo "test: the guest lane needs root (its suites are privileged): skipped"
	echo "0 0 1" >>"$results"
else
	RESULTS_FILE=$results make -j"$jobs" check-guest || status=1
fi

read -r passed failed skipped < <(awk '{p += $1; f += $2; s += $3} END {print p+0, f+0, s+0}' "$results")
[ "$failed" -gt 0 ] && status=1
echo "total: $passed passed, $failed failed, $skipped skipped"
exit "$status"
