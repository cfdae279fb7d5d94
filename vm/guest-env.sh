#!/usr/bin/env bash
# Build QEMU, check the guest kernel and initramfs, probe the accelerator and
# write the settings vm/run-guest reads (KEY=VALUE lines).
#   guest-env.sh OUT INITRD
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
out=$1 initrd=$(readlink -f "$2")

qemu=$("$here/build-qemu.sh")/qemu-system-x86_64
kdir=$("$here/fetch-kernel.sh")
kernel="$kdir/boot/vmlinuz-$(vs_kernel_version)"
# The distro's QEMU source ships without firmware blobs; use the distro's
# SeaBIOS and QEMU option ROM packages.
firmware=/usr/share/seabios:/usr/share/qemu
accel=$("$here/probe-accel.sh" "$qemu" "$kernel" "$initrd" "$firmware")
cat > "$out.tmp" <<EOT
VSIMPLE_QEMU=$qemu
VSIMPLE_KERNEL=$kernel
VSIMPLE_INITRD=$initrd
VSIMPLE_FIRMWARE=$firmware
VSIMPLE_ACCEL=$accel
EOT
mv "$out.tmp" "$out"
