#!/usr/bin/env bash
# Builds what a QEMU microVM of the tests boots: Debian 12's own kernel
# (linux-image-amd64, downloaded from the archive, not installed on the
# host) and a busybox initramfs whose /init loads the virtio modules, brings
# up eth0, talks to the host over its tap, writes its disk, and powers off.
#
#   scripts/guest/build-microvm.sh OUT_DIR
#
# OUT_DIR gets vmlinuz, initrd.img and kernel.release; the kernel package is
# cached beside it, in kernel-cache/. A second run with the same kernel
# package does nothing. Needs busybox-static and cpio (scripts/install-deps.sh
# installs them).
set -euo pipefail

out=${1:?usage: build-microvm.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

. "$here/kernel.sh"
guest_kernel "$(dirname "$out")/kernel-cache"
stamp="$kernel_pkg $(sha256sum "$here/init" "$here/kernel.sh" "$0" | sha256sum | cut -c1-16)"
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] &&
	[ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
release=$kernel_release
moddir="$kernel_root/lib/modules/$release/kernel"

root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys,modules}
cp /bin/busybox "$root/bin/busybox"
for applet in sh mount insmod ip dd cat cut echo poweroff sleep; do
	ln -s busybox "$root/bin/$applet"
done
# the load order Debian's modules need (virtio before virtio_ring fails)
for m in virtio/virtio_ring virtio/virtio virtio/virtio_mmio block/virtio_blk \
	../net/core/failover net/net_failover net/virtio_net; do
	f="$moddir/drivers/$m.ko"
	[ -f "$f" ] || f=$(find "$moddir" -name "$(basename "$m").ko*" | head -1)
	case "$f" in
	*.ko.xz) xz -dc "$f" >"$root/modules/$(basename "$m").ko" ;;
	*.ko) cp "$f" "$root/modules/" ;;
	*)
		echo "build-microvm: module $m not in $kernel_pkg" >&2
		exit 1
		;;
	esac
done
install -m 0755 "$here/init" "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) >"$out/initrd.img"
cp "$kernel_root/boot/vmlinuz-$release" "$out/vmlinuz"
echo "$release" >"$out/kernel.release"
echo "$stamp" >"$out/stamp"
echo "build-microvm: $out: kernel $release, initramfs $(du -k "$out/initrd.img" | cut -f1) KiB"
