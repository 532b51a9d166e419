#!/usr/bin/env bash
# The main job: installs the dependencies, builds vigil and the workload
# microVM image, starts vigild on paths of its own, runs the demonstration
# microVM (deploy/examples/demo-vm.json: QEMU under TCG, jailed under the
# qemu seccomp profile) and shows it being metered live, then its isolation,
# its Prometheus series, its final ledger record and the ledger's
# verification, and cleans up.
#
#   scripts/demo.sh            watch for DEMO_SECONDS (default 20), then clean up
#   scripts/demo.sh --keep     leave vigild and the microVM running
#
# Nothing of an admin's vigild is touched: the demo's vigild runs in a network
# namespace of its own (its nftables table, the microVM's tap and the peer it
# talks to are in there), with its own state directory, control socket, bpffs
# mount, cgroup parent and HTTP port. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

keep=false
case "${1:-}" in
--keep) keep=true ;;
"") ;;
*)
	echo "usage: scripts/demo.sh [--keep]" >&2
	exit 2
	;;
esac
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root: vigil loads BPF programs and makes cgroups, namespaces and taps" >&2
	exit 1
fi

seconds=${DEMO_SECONDS:-20}
demo=/run/vigil-demo
state=$demo/state
sock=$demo/run/vigil.sock
bpffs=$demo/bpffs
pins=$bpffs/vigil
images=$demo/images/demo-vm
netns=vigil-demo
peer=vigil-demo-peer
port=19477
id=demo-vm
build_log=/tmp/vigil-demo-build.log
started=$(date +%s)
vigild_pid=""
peer_pid=""

step() {
	printf '\n== %s\n' "$*"
}

in_ns() {
	nsenter --net="/run/netns/$netns" "$@"
}

vigil() {
	in_ns build/vigil --socket "$sock" --pin-dir "$pins" "$@"
}

cleanup() {
	local status=$?

	if $keep && [ "$status" -eq 0 ]; then
		return
	fi
	if [ -n "$vigild_pid" ]; then
		vigil workload delete "$id" >/dev/null 2>&1 || true
		kill "$vigild_pid" 2>/dev/null || true
		wait "$vigild_pid" 2>/dev/null || true
	fi
	if [ -n "$peer_pid" ]; then
		kill "$peer_pid" 2>/dev/null || true
		wait "$peer_pid" 2>/dev/null || true
	fi
	# the namespaces take the tap, the peer's link and vigil's table with them
	ip netns del "$peer" 2>/dev/null || true
	ip netns del "$netns" 2>/dev/null || true
	# removing the pins detaches the programs
	if mountpoint -q "$bpffs"; then
		rm -rf "${pins:?}"
		umount "$bpffs"
	fi
	rmdir "$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)/vigil-demo" 2>/dev/null || true
	rm -rf "$demo"
	[ "$status" -eq 0 ] || echo "demo: failed (status $status); vigild's log was $demo/vigild.log" >&2
}

step "installing what vigil needs (scripts/install-deps.sh)"
scripts/install-deps.sh
step "building vigil and the microVM image (make all guest; its output: $build_log)"
if ! make -j"$(nproc 2>/dev/null || echo 2)" all guest >"$build_log" 2>&1; then
	tail -n 30 "$build_log" >&2
	echo "demo: the build failed (all of it in $build_log)" >&2
	exit 1
fi
echo "built $(build/vigil version | head -1)"

if ip netns list | grep -qw "$netns"; then
	echo "demo: a demo is running already (network namespace $netns): 'ip netns del $netns' and" \
		"'scripts/demo.sh' after it, or leave it" >&2
	exit 1
fi
trap cleanup EXIT

step "a network namespace for the demo's vigild ($netns) and a peer on the internet ($peer)"
# the peer: 198.51.100.2 behind a /32 of the demo's own, so it is no subnet of
# its host (those are denied to workloads) and counts as public
mkdir -p "$demo/run" "$images"
ip netns add "$netns"
ip netns add "$peer"
ip -n "$netns" link set lo up
ip -n "$netns" link add vd-peer type veth peer name eth0 netns "$peer"
ip -n "$netns" addr add 198.51.100.1/32 dev vd-peer
ip -n "$netns" link set vd-peer up
ip -n "$netns" route add 198.51.100.2/32 dev vd-peer
# the denied prefix leads to the peer too: nothing leaves the namespaces
ip -n "$netns" route add 203.0.113.0/24 dev vd-peer
in_ns sysctl -qw net.ipv4.ip_forward=1
ip -n "$peer" addr add 198.51.100.2/32 dev eth0
ip -n "$peer" link set eth0 up
ip -n "$peer" link set lo up
ip -n "$peer" route add 198.51.100.1/32 dev eth0
ip -n "$peer" route add default via 198.51.100.1
# the peer reads what the microVM sends it and answers 4 KiB
printf '#!/bin/sh\nwc -c >/dev/null\nhead -c 4096 /dev/zero\n' >"$demo/run/answer"
chmod 0755 "$demo/run/answer"
nsenter --net="/run/netns/$peer" busybox nc -ll -p 5001 -e "$demo/run/answer" &
peer_pid=$!
echo "the microVM's peer listens on 198.51.100.2:5001; 203.0.113.0/24 is denied to workloads"

step "starting vigild (state $state, pins $pins, cgroup vigil-demo, HTTP 127.0.0.1:$port in $netns)"
mkdir -p "$bpffs"
mount -t bpf bpf "$bpffs"
# nsenter itself, not a function: $! is then vigild's own pid
nsenter --net="/run/netns/$netns" build/vigild --state-dir "$state" --socket "$sock" \
	--bpffs "$bpffs" --pin-dir "$pins" --cgroup-parent vigil-demo --listen "127.0.0.1:$port" --image-dir "$demo/images" \
	--deny 203.0.113.0/24 --epoch 5 >"$demo/vigild.log" 2>&1 &
vigild_pid=$!
for _ in $(seq 100); do
	vigil workload list >/dev/null 2>&1 && break
	if ! kill -0 "$vigild_pid" 2>/dev/null; then
		cat "$demo/vigild.log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "vigild is up (pid $vigild_pid, log $demo/vigild.log)"

step "the demonstration microVM (deploy/examples/demo-vm.json)"
cp build/guest/vmlinuz build/guest/initrd.img "$images/"
truncate -s 64M "$images/disk.img"
# TCG calibrates the guest's TSC against an emulated PIT, which fails now and
# then: the guest is told the host's rate
khz=$(awk -F': ' '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
sed -e "s|/srv/vigil/images/demo-vm|$images|g" \
	-e "s|\"console=ttyS0 |\"console=ttyS0 tsc_early_khz=$khz |" \
	deploy/examples/demo-vm.json >"$demo/demo-vm.json"
vigil workload create "$demo/demo-vm.json" >/dev/null
uid=$(vigil -j workload show "$id" | sed -n 's/.*"uid": *\([0-9]*\).*/\1/p' | head -1)
# the jail runs QEMU as the workload's own uid: its disk is that uid's
chown "$uid:$uid" "$images/disk.img"
vigil workload start "$id" >/dev/null
vigil workload show "$id" | grep -E "^(workload|state|pid|network|jail|  uid|  ro paths|  rw paths):"
echo "its guest burns CPU, writes its disk and sends to the peer in a loop; at boot it tries the"
echo "host, the denied prefix, and a spoofed source address, which its isolation drops"

step "vigil top: the microVM metered live, every second for $seconds s"
vigil top --delay 1 --iterations "$seconds"

step "vigil net show $id: its isolation, and what each rule dropped"
vigil net show "$id"

step "vigil usage show $id"
vigil usage show "$id"

step "its series on http://127.0.0.1:$port/metrics"
in_ns curl -s "http://127.0.0.1:$port/metrics" | grep "workload=\"$id\""

if $keep; then
	step "left running"
	echo "vigild (pid $vigild_pid) and $id keep running in network namespace $netns;"
	echo "'ip netns del $peer $netns', 'kill $vigild_pid', 'umount $bpffs' and 'rm -rf $demo' end them."
	exit 0
fi

step "vigil workload stop $id: QMP's system_powerdown presses the guest's power button"
vigil workload stop "$id" >/dev/null
vigil workload show "$id" | grep -E "^(state|ended):" || true
echo "the end of its console ($state/logs/$id.log):"
tail -n 3 "$state/logs/$id.log"

step "vigil workload delete $id: its final ledger record"
vigil workload delete "$id" >/dev/null
vigil ledger show --db "$state/ledger.db" --limit 1

step "vigil ledger verify --db $state/ledger.db"
vigil ledger verify --db "$state/ledger.db"

echo
echo "demo: done in $(($(date +%s) - started)) s; cleaning up"
