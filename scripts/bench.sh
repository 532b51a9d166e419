#!/usr/bin/env bash
# Runs every benchmark binary given, then times `vigil feature probe`
# (the cost of vigild's start-up check). Prints figures; asserts nothing.
set -uo pipefail

for bench in "$@"; do
	echo "== $(basename "$bench")"
	"$bench"
	status=$?
	# 77: the bench said why it skipped
	if [ "$status" -eq 77 ]; then
		echo "$(basename "$bench"): SKIPPED"
	elif [ "$status" -ne 0 ]; then
		echo "$(basename "$bench"): FAILED with status $status"
	fi
done

vigil=${VIGIL:-build/vigil}
if [ "$(id -u)" -eq 0 ]; then
	echo "== vigil feature probe (wall time, 9 runs)"
	times=()
	for _ in $(seq 9); do
		start=$(date +%s%N)
		"$vigil" -j feature probe >/dev/null
		times+=($(( ($(date +%s%N) - start) / 1000000 )))
	done
	sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
	echo "feature probe: median $(printf '%s\n' "${times[@]}" | sort -n | sed -n 5p) ms (runs: $sorted)"
else
	echo "== vigil feature probe: skipped, needs root"
fi
