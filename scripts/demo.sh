#!/usr/bin/env bash
# The main job: install the dependencies, build, set the host up (bpffs),
# start vigild on private paths (its own state directory, socket,
# pins, cgroup parent and HTTP port: nothing of an admin's vigild is
# touched), run a demonstration workload jailed in its own cgroup and
# namespaces (CPU, memory, disk and network use), and show what the kernel
# metered for it, cross-checked against cgroup v2 where it can be, as
# Prometheus metrics, and as the signed ledger record of its deletion.
#
#   scripts/demo.sh            run for DEMO_SECONDS (default 12), then clean up
#   scripts/demo.sh --keep     leave vigild and the workload running
#
# Run as root.
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
	echo "demo: run as root: vigil loads BPF programs and makes cgroups and interfaces" >&2
	exit 1
fi
scripts/install-deps.sh
make -j"$(nproc 2>/dev/null || echo 2)"

seconds=${DEMO_SECONDS:-12}
# the demo's own paths, none of them vigild's defaults
demo=/run/vigil-demo
state=$demo/state
sock=$demo/run/vigil.sock
pins=/sys/fs/bpf/vigil-demo
images=/var/tmp/vigil-demo-images
port=19477
vigil=(build/vigil --socket "$sock" --pin-dir "$pins")
# deleted workloads keep their id until their usage is exported: a fresh one per run
id="demo-$(date +%s)"
data="$images/$id.data"
log=$demo/vigild.log
spec=$(mktemp /tmp/vigil-demo-XXXXXX.json)
vigild_pid=""

cleanup() {
	rm -f "$spec" "$data"
	if ! $keep; then
		"${vigil[@]}" workload delete "$id" >/dev/null 2>&1 || true
		if [ -n "$vigild_pid" ]; then
			kill "$vigild_pid" 2>/dev/null || true
			wait "$vigild_pid" 2>/dev/null || true
			# the table and the pins outlive vigild by design; the demo's go with it
			nft delete table inet vigil 2>/dev/null || true
			nft delete table arp vigil 2>/dev/null || true
			rm -rf "$pins"
			rmdir "$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)/vigil-demo" 2>/dev/null || true
		fi
	fi
}
trap cleanup EXIT

echo
echo "== vigil version"
"${vigil[@]}" version
echo
echo "== vigil feature probe --mount"
"${vigil[@]}" feature probe --mount

echo
if "${vigil[@]}" workload list >/dev/null 2>&1; then
	echo "== the demo's vigild is already running (--keep); using it"
else
	echo "== starting vigild on the demo's paths under $demo (log: $log)"
	mkdir -p "$demo/run" "$images"
	build/vigild --state-dir "$state" --socket "$sock" --pin-dir "$pins" \
		--cgroup-parent vigil-demo --listen "127.0.0.1:$port" --image-dir "$images" \
		>"$log" 2>&1 &
	vigild_pid=$!
	for _ in $(seq 100); do
		"${vigil[@]}" workload list >/dev/null 2>&1 && break
		if ! kill -0 "$vigild_pid" 2>/dev/null; then
			cat "$log" >&2
			exit 1
		fi
		sleep 0.1
	done
fi

# Each round: 4 x 64 MiB through a 64 MiB buffer (CPU and memory), 16 MiB
# written with O_DIRECT to the one host file its jail may write (disk), and
# a datagram to the host, which its isolation drops and counts (nothing to
# the host but declared services). The host pings it (network). It runs
# jailed, as the default is: its own uid, no capabilities, a private root
# and /proc, the generic seccomp profile.
: >"$data"
chmod 0666 "$data"
cat >"$spec" <<EOF
{
  "id": "$id",
  "owner": "demo-tenant",
  "vcpus": 1,
  "memory_mib": 256,
  "command": ["bash", "-c",
    "while :; do dd if=/dev/zero of=/dev/null bs=64M count=4 2>/dev/null; dd if=/dev/zero of=$data bs=1M count=16 oflag=direct conv=notrunc 2>/dev/null; echo x >/dev/udp/198.18.0.1/9; sleep 1; done"],
  "network": {"mode": "veth", "ipv4": "198.18.0.2/30", "host_ipv4": "198.18.0.1/30",
              "inbound": ["tcp/3001"], "egress_mbit": 100, "max_connections": 512},
  "jail": {"rw_paths": ["$data"]}
}
EOF
echo
echo "== vigil workload create + start ($id)"
"${vigil[@]}" workload create "$spec"
"${vigil[@]}" workload start "$id"
echo
echo "== vigil workload show $id (its jail, and the limits this host enforces)"
"${vigil[@]}" workload show "$id"
echo
echo "== metering for $seconds s"
ping -i 0.5 -w "$seconds" -q 198.18.0.2 >/dev/null 2>&1 || true
echo
echo "== vigil usage show $id"
"${vigil[@]}" usage show "$id"
echo
echo "== vigil usage show $id --check (the kernel's cgroup v2 figures beside vigil's)"
"${vigil[@]}" usage show "$id" --check
echo
echo "== vigil -j usage show $id"
"${vigil[@]}" -j -p usage show "$id"
echo
echo "== vigil net show $id (its nftables isolation and drop counters)"
"${vigil[@]}" net show "$id"
echo
echo "== vigil prog show"
"${vigil[@]}" prog show
echo
echo "== GET http://127.0.0.1:$port/metrics (the workload's series)"
curl -s "http://127.0.0.1:$port/metrics" | grep "workload=\"$id\""
if ! $keep; then
	echo
	echo "== vigil workload delete $id: its final ledger record"
	"${vigil[@]}" workload delete "$id" >/dev/null
	"${vigil[@]}" ledger show --db "$state/ledger.db" --limit 1
	echo
	echo "== vigil ledger verify --db $state/ledger.db"
	"${vigil[@]}" ledger verify --db "$state/ledger.db"
fi
if $keep; then
	echo
	echo "vigild and workload $id keep running; 'build/vigil --socket $sock workload delete $id' and"
	echo "'kill ${vigild_pid:-<vigild pid>}' end them."
fi
