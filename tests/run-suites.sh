#!/usr/bin/env bash
# Runs Check suite binaries and totals their results. A suite that exits 77
# was skipped (it prints why); one that dies without Check's summary counts
# as a failure. Ends with "LABEL: N passed, N failed, N skipped"; appends
# "passed failed skipped" to $RESULTS_FILE when set.
set -u

label=${SUITE_LABEL:-tests}
passed=0 failed=0 skipped=0

for suite in "$@"; do
	name=$(basename "$suite")
	out=$(mktemp)
	"$suite" 2>&1 | tee "$out"
	status=${PIPESTATUS[0]}
	summary=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$out" | tail -n 1)
	rm -f "$out"
	if [ "$status" -eq 77 ]; then
		skipped=$((skipped + 1))
		echo "$name: SKIPPED"
		continue
	fi
	if [ -z "$summary" ]; then
		echo "$name: FAILED: exited with status $status without a Check summary"
		failed=$((failed + 1))
		continue
	fi
	checks=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$summary")
	failures=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$summary")
	errors=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$summary")
	passed=$((passed + checks - failures - errors))
	failed=$((failed + failures + errors))
	if [ "$status" -ne 0 ] && [ $((failures + errors)) -eq 0 ]; then
		echo "$name: FAILED: exited with status $status after its tests passed"
		failed=$((failed + 1))
	fi
done

[ -n "${RESULTS_FILE:-}" ] && echo "$passed $failed $skipped" >>"$RESULTS_FILE"
echo "$label: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
