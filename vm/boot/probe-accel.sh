#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Decide between KVM and TCG for the guest: KVM only when /dev/kvm is usable
# and a probe boot with it reaches the guest's exit marker in time (nested
# KVM has been seen to hang in early boot).  The answer is cached per host
# kernel and QEMU binary.  VSIMPLE_ACCEL=kvm|tcg skips the probe.
#   probe-accel.sh QEMU KERNEL INITRD FIRMWARE
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
qemu=$1 kernel=$2 initrd=$3 firmware=$4

if [ -n "${VSIMPLE_ACCEL:-}" ]; then
	vs_say "accelerator: $VSIMPLE_ACCEL (from VSIMPLE_ACCEL)"
	echo "$VSIMPLE_ACCEL"; exit 0
fi
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	vs_say "accelerator: tcg (no usable /dev/kvm)"
	echo tcg; exit 0
fi
key=$( { uname -r; stat -c %Y "$qemu"; } | sha256sum | cut -c1-12)
cached="$VS_CACHE/accel-$key"
if [ ! -f "$cached" ]; then
	vs_say "probing KVM with a test boot (20 s at most)"
	job=$(mktemp)
	printf '#!/bin/sh\ntrue\n' > "$job"
	if "$VS_TOP/vm/boot/run-guest.py" --qemu "$qemu" --kernel "$kernel" --initrd "$initrd" \
		--firmware "$firmware" --accel kvm --timeout 20 "$job" >/dev/null 2>&1; then
		echo kvm > "$cached"
	else
		echo tcg > "$cached"
	fi
	rm -f "$job"
fi
accel=$(cat "$cached")
if [ "$accel" = kvm ]; then
	vs_say "accelerator: kvm (a probe boot with KVM worked)"
else
	vs_say "accelerator: tcg (/dev/kvm is there but a probe boot with it failed or hung)"
fi
echo "$accel"
