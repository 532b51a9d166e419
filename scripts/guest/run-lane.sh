#!/usr/bin/env bash
# Boots the guest lane (build-lane.sh's OUT_DIR) with QEMU's microvm machine
# under TCG and reads its console: prints the guest kernel's release and the
# suites' output, and fails when the guest reports a failure, panics, or
# does not finish within TIMEOUT seconds (default 1500). Appends "passed
# failed skipped" to $RESULTS_FILE when set, as tests/run-suites.sh does.
#
#   scripts/guest/run-lane.sh OUT_DIR [TIMEOUT]
set -uo pipefail

dir=${1:?usage: run-lane.sh OUT_DIR [TIMEOUT]}
timeout_s=${2:-1500}
log=$dir/console.log
# TCG's PIT calibration of the TSC fails now and then: hand the guest the rate;
# and keep the TSC as the clock (tsc=reliable): TCG's jitter can have the
# clocksource watchdog drop it for one so coarse that a suite stalled on it
khz=$(awk -F': ' '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
cpus=$(nproc)
[ "$cpus" -gt 2 ] && cpus=2

echo "run-lane: booting $(cat "$dir/kernel.release") under TCG, $cpus vCPUs, timeout ${timeout_s} s"
# one TCG thread for both vCPUs: with a thread each, the kernel's text patching
# (a BPF tracepoint link released, its static call rewritten) and the IPI it
# waits on livelocked the guest ("soft lockup ... text_poke_bp") in 2 of 3 runs
timeout --foreground "$timeout_s" qemu-system-x86_64 -M microvm -accel tcg,thread=single \
	-cpu max -smp "$cpus" -m 3072 -nographic -no-reboot -nodefaults -serial stdio \
	-kernel "$dir/vmlinuz" -initrd "$dir/initrd.img" \
	-append "console=ttyS0 loglevel=5 panic=-1 cgroup_no_v1=all tsc_early_khz=$khz tsc=reliable" \
	</dev/null 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# a guest that reports nothing counts as one failure
record() {
	[ -n "${RESULTS_FILE:-}" ] && echo "$1 $2 $3" >>"$RESULTS_FILE"
	return 0
}

release=$(sed -n 's/^guest: kernel \([^,]*\),.*/\1/p' "$log" | tr -d '\r' | head -1)
summary=$(grep -E '^guest: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$log" | tr -d '\r' | tail -1)
echo "run-lane: guest kernel ${release:-unknown}"
if [ "$status" -eq 124 ]; then
	echo "run-lane: FAILED: the guest did not finish within $timeout_s s"
	record 0 1 0
	exit 1
fi
if grep -q "Kernel panic" "$log"; then
	echo "run-lane: FAILED: the guest kernel panicked"
	record 0 1 0
	exit 1
fi
if [ -z "$summary" ]; then
	echo "run-lane: FAILED: the guest printed no summary (QEMU exited with $status)"
	record 0 1 0
	exit 1
fi
echo "run-lane: $summary"
read -r passed failed skipped < <(sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1 \2 \3/' <<<"$summary")
record "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
