#!/usr/bin/env bash
# Builds the workload microVM that the tests and the demo boot: Debian 12's
# own kernel (linux-image-amd64, downloaded from the archive, not installed
# on the host) and a busybox initramfs whose /init (scripts/guest/init, which
# lists its kernel command line knobs) does a configurable amount of CPU,
# disk and network work, tries what isolation must stop, and powers off or
# runs until QEMU's power button (system_powerdown) stops it.
#
#   scripts/guest/build-microvm.sh OUT_DIR
#
# OUT_DIR gets vmlinuz, initrd.img and kernel.release; the kernel package is
# cached beside it, in kernel-cache/. A second run with the same kernel
# package and scripts only touches OUT_DIR/stamp. Needs busybox-static and
# cpio (scripts/install-deps.sh installs them).
set -euo pipefail

out=${1:?usage: build-microvm.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

. "$here/kernel.sh"
guest_kernel "$(dirname "$out")/kernel-cache"
stamp="$kernel_pkg $(sha256sum "$here/init" "$here/serve" "$here/kernel.sh" "$0" | sha256sum | cut -c1-16)"
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] &&
	[ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
	# newer than the scripts make saw change, so make stops asking
	touch "$out/stamp"
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
release=$kernel_release
moddir="$kernel_root/lib/modules/$release/kernel"

root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,modules}
cp /bin/busybox "$root/bin/busybox"
for applet in sh mount insmod ip arp dd cat echo poweroff sleep sync kill tr sed grep head wc \
	blockdev nc ping traceroute; do
	ln -s busybox "$root/bin/$applet"
done
# the load order Debian's modules need (virtio before virtio_ring fails);
# the ACPI power button and its input device (evdev), both modules in Debian
for m in virtio/virtio_ring virtio/virtio virtio/virtio_mmio block/virtio_blk \
	../net/core/failover net/net_failover net/virtio_net input/evdev acpi/button; do
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
install -m 0755 "$here/serve" "$root/bin/vigil-serve"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) >"$out/initrd.img"
cp "$kernel_root/boot/vmlinuz-$release" "$out/vmlinuz"
echo "$release" >"$out/kernel.release"
echo "$stamp" >"$out/stamp"
