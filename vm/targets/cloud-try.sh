#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make cloud-try`: docs/usage.md's cloud-init section, tried.  A cloud
# image boots under the project's QEMU with a virtio-simple-pci device, its
# NoCloud seed (vm/image/cloud-user-data.sh) served over HTTP from the host
# and named by the SMBIOS serial, as the section says; the user-data
# installs the driver through DKMS and checks it with one ECHO; vendor-data
# (this script's) powers the guest off afterwards.  Prints the guest's
# result lines, exits 0 only when the ECHO passed.  Logs: build/cloud/.
#   VSIMPLE_CLOUD_IMAGE=FILE   a real cloud image (qcow2 or raw, a copy is
#       booted through its own boot loader)
# Without one (this machine reaches Debian's packages, not its cloud
# images), a stand-in: a Debian root made by mmdebstrap from the host's
# apt sources with the cloud image's essentials (cloud-init, the cloud
# kernel linux-image-cloud-amd64, ifupdown), cached, written to an ext4 disk
# and booted with its own kernel and initramfs instead of a boot loader.
# The guest needs the network: apt-get fetches dkms and the headers.  The
# stand-in needs root (mmdebstrap, a root file system with its owners).
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
out=$VS_TOP/build/cloud
rm -rf "$out" && mkdir -p "$out/seed"
env_get() { sed -n "s/^$1=//p" "$VS_TOP/build/guest.env"; }
qemu=$(env_get VSIMPLE_QEMU)
[ -x "$qemu" ] || vs_die "no QEMU in build/guest.env: run make guest first"
"$VS_TOP/vm/image/cloud-user-data.sh" "$out/seed"
printf '#cloud-config\npower_state: {mode: poweroff, condition: true}\n' > "$out/seed/vendor-data"

work=$(mktemp -d "$VS_CACHE/cloud-try.XXXXXX")
trap 'kill "${server:-}" 2>/dev/null; rm -rf "$work"' EXIT
boot=()
if [ -n "${VSIMPLE_CLOUD_IMAGE:-}" ]; then
	cp --sparse=always "$VSIMPLE_CLOUD_IMAGE" "$work/disk"
	boot=(-drive "file=$work/disk,if=virtio")
else
	[ "$(id -u)" -eq 0 ] ||
		vs_die "the stand-in image needs root (mmdebstrap, its files' owners): run as root, or give VSIMPLE_CLOUD_IMAGE"
	vs_need_tool mmdebstrap mmdebstrap	# make deps installs it
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	pkgs=cloud-init,linux-image-cloud-amd64,ifupdown,isc-dhcp-client,netbase,ca-certificates,python3
	key=$(echo "$codename $pkgs" | sha256sum | cut -c1-12)
	tar=$VS_CACHE/cloud/$codename-standin-$key.tar
	mkdir -p "$(dirname "$tar")"
	(
		flock 8
		[ ! -f "$tar" ] || exit 0
		vs_say "mmdebstrap $codename (important + $pkgs), cached in $tar"
		# the host's own entries (no address in the tree), kept in the
		# image: its apt-get reaches the same archive.  Built in the
		# cache, not in /tmp (it may be a small tmpfs).
		"$VS_TOP/vm/fetch/apt-src-entry.py" --type deb --format one-line |
			TMPDIR=$work timeout --foreground 1800 mmdebstrap --variant=important \
				--format=tar --include="$pkgs" "$codename" "$tar.tmp" - \
				> "$work/mmdebstrap.log" 2>&1 ||
			{ rm -f "$tar.tmp"; tail -n 20 "$work/mmdebstrap.log" >&2; exit 1; }
		mv "$tar.tmp" "$tar"
	) 8>>"$tar.lock" || vs_die "mmdebstrap failed"
	# mke2fs -d reads a tarball only from e2fsprogs 1.47.1 (bookworm: 1.47.0)
	mkdir "$work/root"
	tar -C "$work/root" --numeric-owner -xf "$tar"
	mke2fs -q -F -t ext4 -L cloudimg-rootfs -d "$work/root" "$work/disk" 4G
	boot=(-kernel "$(ls "$work"/root/boot/vmlinuz-*)"
		-initrd "$(ls "$work"/root/boot/initrd.img-*)"
		-append "root=/dev/vda rw console=ttyS0"
		-drive "file=$work/disk,if=virtio,format=raw")
fi

# the seed over HTTP on a free port, which the server writes down
. "$VS_TOP/tests/lib/tap.sh"	# wait_for
vs_http_serve "$out/seed" "$work/port"
server=$!
wait_for "$work/port" 10 >/dev/null || vs_die "the seed's HTTP server did not start"

firmware=()
IFS=: read -ra dirs <<< "$(env_get VSIMPLE_FIRMWARE)"
for d in "${dirs[@]}"; do [ -z "$d" ] || firmware+=(-L "$d"); done
# TCG in one thread: QEMU 7.2's multi-threaded TCG wedges on cross-vCPU
# code patching (vm/boot/run-guest.py), which a first boot does plenty of
accel=$(env_get VSIMPLE_ACCEL)
[ "$accel" != tcg ] || accel=tcg,thread=single
vs_say "booting (about 4 minutes under TCG: apt-get and a DKMS build in the guest)"
start=$SECONDS
rc=0
# --foreground: ^C reaches QEMU
timeout --foreground "${VSIMPLE_CLOUD_TIMEOUT:-1800}" "$qemu" -M pc -accel "$accel" \
	-m 1024 -smp 2 -nodefaults -display none -no-reboot "${firmware[@]}" \
	-serial "file:$out/console.log" "${boot[@]}" \
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0 \
	-smbios "type=1,serial=ds=nocloud-net;s=http://10.0.2.2:$(cat "$work/port")/" \
	-device virtio-simple-pci || rc=$?
vs_say "guest ended after $((SECONDS - start)) s (status $rc; console: $out/console.log)"
tr -d '\r' < "$out/console.log" | grep -E 'virtio-simple|virtio_simple|DKMS|Cloud-init v\.' || true
grep -q 'virtio-simple: ECHO ok' "$out/console.log"
