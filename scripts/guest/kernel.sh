# Sourced by the guest builders: Debian 12's own kernel, from the archive,
# unpacked (never installed on the host) and cached.
#
#   guest_kernel CACHE_DIR
#
# sets kernel_pkg (linux-image-6.1.0-N-amd64), kernel_release (6.1.0-N-amd64)
# and kernel_root (CACHE_DIR/<package>: boot/vmlinuz-*, lib/modules/*, with
# depmod's indexes); downloads only when the package changed.

guest_kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

guest_kernel() {
	local cache=$1 work
	kernel_pkg=$(guest_kernel_pkg)
	if [ -z "$kernel_pkg" ] && [ "$(id -u)" -eq 0 ]; then
		apt-get update -qq && kernel_pkg=$(guest_kernel_pkg)
	fi
	if [ -z "$kernel_pkg" ]; then
		echo "guest: apt-cache knows no linux-image-amd64 (run apt-get update)" >&2
		return 1
	fi
	kernel_release=${kernel_pkg#linux-image-}
	kernel_root=$cache/$kernel_pkg
	if [ -f "$kernel_root/.done" ]; then
		return 0
	fi
	rm -rf "$kernel_root"
	mkdir -p "$cache"
	work=$(mktemp -d)
	if ! (cd "$work" && apt-get download -q "$kernel_pkg" >/dev/null 2>&1); then
		echo "guest: downloading $kernel_pkg from the Debian archive failed" >&2
		rm -rf "$work"
		return 1
	fi
	dpkg-deb -x "$work"/"$kernel_pkg"_*.deb "$kernel_root"
	rm -rf "$work"
	depmod -b "$kernel_root" "$kernel_release"
	touch "$kernel_root/.done"
}
