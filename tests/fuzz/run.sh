#!/usr/bin/env bash
# Runs libFuzzer harnesses: first each one's regression inputs
# (tests/fuzz/regressions/NAME/: what it once found, kept so it stays fixed),
# then FUZZ_SECONDS (default 60) of fuzzing from its seed corpus
# (tests/fuzz/corpus/NAME/; what it finds new goes under OUTPUT/fuzz/corpus/).
# A crash or a failed property leaves its input in OUTPUT/fuzz/crashes/.
# Ends with "fuzz: N passed, N failed"; appends to $RESULTS_FILE when set.
#
#   tests/fuzz/run.sh OUTPUT HARNESS...
set -u
cd "$(dirname "$0")/../.."
out=$1
shift
seconds=${FUZZ_SECONDS:-60}
passed=0 failed=0

for harness in "$@"; do
	name=$(basename "$harness")
	seeds=tests/fuzz/corpus/$name
	regressions=tests/fuzz/regressions/$name
	corpus=$out/fuzz/corpus/$name
	crashes=$out/fuzz/crashes
	mkdir -p "$corpus" "$crashes"
	status=0
	if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
		"$harness" -runs=1 "$regressions"/* >"$out/fuzz/$name.log" 2>&1 || status=$?
	fi
	if [ "$status" -eq 0 ]; then
		"$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix="$crashes/$name-" -print_final_stats=1 \
			"$corpus" "$seeds" >>"$out/fuzz/$name.log" 2>&1 || status=$?
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz/$name.log" | tail -n 1)
	if [ "$status" -eq 0 ]; then
		passed=$((passed + 1))
		echo "$name: ${runs:-0} inputs in ${seconds} s, no crash ($(ls "$corpus" | wc -l) in its corpus)"
	else
		failed=$((failed + 1))
		echo "$name: FAILED (status $status); see $out/fuzz/$name.log and $crashes/"
		grep -E "ERROR|property failed|SUMMARY" "$out/fuzz/$name.log" | head -5
	fi
done

[ -n "${RESULTS_FILE:-}" ] && echo "$passed $failed 0" >>"$RESULTS_FILE"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
