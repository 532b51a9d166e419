#!/usr/bin/env bash
# Writes a vmlinux.h generated from the BTF of the guest lane's kernel
# (Debian 12's linux-image-amd64, 6.1), so the BPF objects are compiled
# against a second kernel's types as well as the committed header.
#
#   kernel-btf.sh OUT_HEADER [CACHE_DIR]
#
# The BTF is inside the compressed vmlinux of the package's vmlinuz: each
# compressed stream the image holds is tried until one unpacks to an ELF.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1
cache=${2:-build/kernel-cache}
bpftool=${BPFTOOL:-bpftool}

# shellcheck source=scripts/guest/kernel.sh
. scripts/guest/kernel.sh
guest_kernel "$cache"
vmlinuz=$kernel_root/boot/vmlinuz-$kernel_release
header=$kernel_root/vmlinux.h

unpack_vmlinux() {
	local image=$1 dest=$2 magic tool offset
	for pair in '\xfd7zXZ\x00 xz' '\x28\xb5\x2f\xfd zstd' '\x1f\x8b\x08 gzip'; do
		read -r magic tool <<<"$pair"
		command -v "$tool" >/dev/null || continue
		for offset in $(LC_ALL=C grep -obUaP "$magic" "$image" | cut -d: -f1); do
			# the stream is followed by the rest of the image: the unpacker complains
			tail -c +$((offset + 1)) "$image" | "$tool" -dc >"$dest" 2>/dev/null || true
			if [ "$(head -c 4 "$dest" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
				return 0
			fi
		done
	done
	return 1
}

if [ ! -s "$header" ]; then
	vmlinux=$(mktemp)
	trap 'rm -f "$vmlinux" "$header.tmp"' EXIT
	if ! unpack_vmlinux "$vmlinuz" "$vmlinux"; then
		echo "kernel-btf: no compressed vmlinux found in $vmlinuz" >&2
		exit 1
	fi
	if ! "$bpftool" btf dump file "$vmlinux" format c >"$header.tmp"; then
		echo "kernel-btf: $kernel_release's vmlinux has no BTF bpftool can read" >&2
		exit 1
	fi
	mv "$header.tmp" "$header"
fi
mkdir -p "$(dirname "$out")"
cp "$header" "$out"
echo "kernel-btf: $out from $kernel_release's BTF"
