#!/usr/bin/env bash
# Installs every build and test dependency of vigil from Debian's archive.
# Idempotent and non-interactive; a quick no-op when everything is present.
set -euo pipefail

packages=(
	# build chain
	make gcc clang llvm pkg-config git clang-format
	# BPF
	libbpf-dev bpftool libelf-dev zlib1g-dev
	# isolation and host facilities
	libnl-3-dev libnl-route-3-dev libseccomp-dev libcryptsetup-dev libkmod-dev
	libnftables-dev libmnl-dev libnftnl-dev nftables iproute2 kmod
	# export (metrics, ledger)
	libmicrohttpd-dev libsqlite3-dev libsodium-dev libjson-c-dev libgnutls28-dev
	# tests
	check libsubunit-dev libclang-rt-14-dev linux-perf
	e2fsprogs util-linux mount iputils-ping prometheus curl openssl
	# the tests' microVM (scripts/guest/build-microvm.sh downloads its kernel)
	qemu-system-x86 busybox-static cpio
	# legacy iptables, which `vigil net check` reads and its tests set
	iptables
)

missing=()
for pkg in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]} (run as root to install)" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
