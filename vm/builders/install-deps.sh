#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what building and booting virtio-simple needs on a Debian 12 host:
# the QEMU build dependencies, the module build tools and the distro
# kernel's headers.  The guest kernel image is NOT installed into /boot: the
# harness unpacks it into the cache (vm/fetch/fetch-kernel.sh).
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

pkgs=(
	# QEMU build (x86_64 system target, few features)
	build-essential ninja-build meson pkg-config python3 python3-venv
	libglib2.0-dev libpixman-1-dev zlib1g-dev libfdt-dev flex bison
	dpkg-dev
	# user networking (-netdev user) in the plain build, for docs/usage.md
	libslirp-dev
	# sanitizer build of QEMU for the qtests
	clang libclang-rt-14-dev
	# kernel module build and checks; groff renders the CLI's man page
	# (tests/host/install.sh); perl brings TAP::Parser and prove, which
	# count every suite (tests/lib/tap-count.pl)
	kmod bc sparse perl groff-base
	# pgrep and pidwait: the runner's own tests look for a stopped suite's
	# processes (tests/host/runner.sh); a minimal root lacks them
	procps
	# the docs' diagrams (make diagrams; host-licence-docs checks them)
	graphviz
	# guest image
	busybox-static cpio zstd xz-utils gzip
	# io_uring for libvsimple's asynchronous API and the guest tests
	liburing-dev
	# make install tested in a systemd guest (tests/install-guest.sh):
	# its root file system (mmdebstrap; make fresh-check's pristine root:
	# debootstrap), its disk image; dkms.conf built by dkms
	mmdebstrap debootstrap e2fsprogs dkms
	# firmware for the guest (BIOS, -kernel boot option ROMs)
	seabios qemu-system-data ipxe-qemu
)

# the target kernel's headers: the distro's package, or for backports
# unpacked into the cache by vm/fetch/fetch-headers.sh instead
[ "$(vs_target)" != stable ] || pkgs+=("linux-headers-$(vs_kernel_version)")
vs_install_packages "build dependencies" "${pkgs[@]}"
