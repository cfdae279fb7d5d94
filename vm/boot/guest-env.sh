#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build QEMU, check the guest kernel and initramfs, probe the accelerator and
# write the settings vm/boot/run-guest.py reads (KEY=VALUE lines).
#   guest-env.sh OUT INITRD
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
out=$1 initrd=$(readlink -f "$2")

qemu=$("$VS_TOP/vm/builders/build-qemu.sh")/qemu-system-x86_64
kdir=$("$VS_TOP/vm/fetch/fetch-kernel.sh")
kernel="$kdir/boot/vmlinuz-$(vs_kernel_version)"
# The distro's QEMU source ships without firmware blobs; use the distro's
# SeaBIOS and QEMU option ROM packages.
firmware=/usr/share/seabios:/usr/share/qemu
accel=$("$VS_TOP/vm/boot/probe-accel.sh" "$qemu" "$kernel" "$initrd" "$firmware")
cat > "$out.tmp" <<EOT
VSIMPLE_QEMU=$qemu
VSIMPLE_KERNEL=$kernel
VSIMPLE_INITRD=$initrd
VSIMPLE_FIRMWARE=$firmware
VSIMPLE_ACCEL=$accel
EOT
mv "$out.tmp" "$out"
