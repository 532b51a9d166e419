#!/usr/bin/env bash
# The main job, as far as vigil goes today: install the dependencies, build,
# set the host up for vigil (mount bpffs and tracefs where missing) and show
# what this kernel and host can do for it. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root: vigil loads BPF programs and mounts bpffs" >&2
	exit 1
fi
scripts/install-deps.sh
make -j"$(nproc 2>/dev/null || echo 2)"
echo
echo "== vigil version"
build/vigil version
echo
echo "== vigil feature probe --mount"
build/vigil feature probe --mount
