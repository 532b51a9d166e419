#!/usr/bin/env bash
# Builds the guest lane's microVM: Debian 12's own kernel and an initramfs
# holding busybox, the host tools the suites call (bash, iproute2, nftables,
# util-linux's nsenter, ping, curl, e2fsprogs), vigil's binaries and the
# chosen test suites with every shared library they load, and the kernel
# modules vigil needs with their dependencies (modprobe, run by the kernel
# itself for nf_tables expressions, finds them through modules.dep).
#
#   scripts/guest/build-lane.sh OUT_DIR BUILD_DIR SUITE...
#
# BUILD_DIR is a vigil build (build/: vigil, vigild, tests/); SUITE is a test
# binary's name (check_meter_cpu). With LANE_BENCHES="bench_volume ..." in the
# environment the guest runs those benchmarks (BUILD_DIR/bench/) instead of
# suites and prints their figures (make bench-guest). OUT_DIR gets vmlinuz, initrd.img and
# kernel.release. Needs busybox-static, cpio, kmod (install-deps.sh).
set -euo pipefail

out=${1:?usage: build-lane.sh OUT_DIR BUILD_DIR SUITE...}
build=${2:?usage: build-lane.sh OUT_DIR BUILD_DIR SUITE...}
shift 2
mkdir -p "$out"
out=$(cd "$out" && pwd)
build=$(cd "$build" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

. "$here/kernel.sh"
guest_kernel "$(dirname "$out")/kernel-cache"

# what vigil and the suites need of the kernel, beyond what Debian builds in
# xts and ecb: dm-crypt's aes-xts-plain64 (the kernel cannot load them without
# a modprobe that knows crypto aliases); algif_skcipher: libcryptsetup decrypts
# keyslots through AF_ALG, else through a temporary dm-crypt mapping each time;
# serpent_generic: the header check's test writes a serpent header
# crc32c_generic first: libcrc32c (nf_tables needs it) only soft-depends on it
modules=(crc32c_generic virtio_mmio virtio_blk virtio_net nf_tables nft_ct nft_limit nft_connlimit
	nft_nat nft_chain_nat nft_fib_inet nft_reject_inet nft_objref
	nf_conntrack veth tun loop dm_mod dm_crypt sch_ingress cls_bpf ext4
	xts ecb algif_skcipher serpent_generic)
# in the initramfs but left for the kernel to load when asked (legacy iptables' tables)
on_demand=(iptable_filter ip6table_filter)
tools=(/usr/bin/bash /usr/sbin/ip /usr/sbin/tc /usr/sbin/nft /usr/bin/nsenter /usr/bin/ping /usr/bin/curl
	/usr/sbin/mkfs.ext4 /usr/sbin/losetup /usr/bin/setpriv /usr/bin/timeout)

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,etc,root,usr/bin,usr/sbin,usr/lib64}
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
ln -s usr/sbin "$root/sbin"
cp /bin/busybox "$root/bin/busybox"
# the suites' scripts start with #!/usr/bin/env bash
ln -s /bin/busybox "$root/usr/bin/env"

copy_with_libs() {
	local f=$1 dest=${2:-$1}
	install -D -m 0755 "$f" "$root$dest"
	ldd "$f" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/lib64\// { print $1 }' |
		while read -r lib; do
			real=$(readlink -f "$lib")
			[ -e "$root$lib" ] && continue
			install -D -m 0755 "$real" "$root/usr${lib#/usr}"
		done
}

for t in "${tools[@]}"; do
	copy_with_libs "$t"
done
# glibc loads libgcc_s itself (dlopen, so ldd does not name it) when a thread
# exits: libcryptsetup's argon2id runs its lanes in threads
install -D -m 0644 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1 "$root/usr/lib/x86_64-linux-gnu/libgcc_s.so.1"
# legacy iptables, which `vigil net check` reads and its tests set; its matches are plugins
copy_with_libs /usr/sbin/xtables-legacy-multi
ln -s xtables-legacy-multi "$root/usr/sbin/iptables-legacy"
ln -s xtables-legacy-multi "$root/usr/sbin/ip6tables-legacy"
cp -a /usr/lib/x86_64-linux-gnu/xtables "$root/usr/lib/x86_64-linux-gnu/"

mkdir -p "$root/vigil/build/tests" "$root/vigil/tests"
copy_with_libs "$build/vigil" /vigil/build/vigil
copy_with_libs "$build/vigild" /vigil/build/vigild
for suite in "$@"; do
	copy_with_libs "$build/tests/$suite" "/vigil/build/tests/$suite"
done
install -m 0755 "$repo/tests/run-suites.sh" "$root/vigil/tests/run-suites.sh"
read -ra benches <<<"${LANE_BENCHES:-}"
for bench in "${benches[@]}"; do
	copy_with_libs "$build/bench/$bench" "/vigil/build/bench/$bench"
done
# the BPF objects of both headers, which the feature probe's suite loads
for dir in bpf bpf-compat; do
	install -D -m 0644 -t "$root/vigil/build/$dir" "$build/$dir"/*.bpf.o
done

printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' \
	>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf '%s\n' "$@" >"$root/vigil/suites"
printf '%s\n' "${benches[@]}" | sed '/^$/d' >"$root/vigil/benches"

moddir=$kernel_root/lib/modules/$kernel_release
for m in "${modules[@]}" "${on_demand[@]}"; do
	if ! deps=$(modprobe -d "$kernel_root" -S "$kernel_release" --show-depends "$m" 2>&1); then
		echo "build-lane: module $m: $deps" >&2
		exit 1
	fi
	awk '$1 == "insmod" { print $2 }' <<<"$deps"
done | sort -u | while read -r ko; do
	rel=${ko#"$kernel_root"}
	install -D -m 0644 "$ko" "$root$rel"
done
cp "$moddir"/modules.order "$moddir"/modules.builtin* "$root/lib/modules/$kernel_release/"
depmod -b "$root" "$kernel_release"
printf '%s\n' "${modules[@]}" >"$root/vigil/modules"

# where Debian keeps the kernel's configuration (no /proc/config.gz): the probe's tests read it
install -D -m 0644 "$kernel_root/boot/config-$kernel_release" "$root/boot/config-$kernel_release"
install -m 0755 "$here/lane-init" "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initrd.img"
cp "$kernel_root/boot/vmlinuz-$kernel_release" "$out/vmlinuz"
echo "$kernel_release" >"$out/kernel.release"
echo "build-lane: $out: kernel $kernel_release, $# suites, ${#benches[@]} benchmarks, initramfs" \
	"$(du -m "$out/initrd.img" | cut -f1) MiB"
