#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check-debug`: every guest suite of tests/run.sh on the debug kernel
# (vm/builders/build-debug-kernel.sh), with the driver built against it;
# each suite also fails on any report in its guest consoles
# (tests/debug/scan-debug-reports.sh).
# Logs: build/debug/test-logs/.  VSIMPLE_SUITES narrows the suites (globs).
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
out="$VS_TOP/build/debug"

kd=$("$VS_TOP/vm/builders/build-debug-kernel.sh")
krel=$(cat "$kd/kernelrelease")

# The driver against the debug tree, in its own directory (6.1's Kbuild
# has no separate output dir for M=): links to the sources, so the stock
# driver/virtio-simple.ko that everyone else uses is left alone.
vs_link_driver "$out"
make -s -C "$kd/build" M="$out/driver" modules >&2

GUEST_KVER=$krel GUEST_KDIR=$kd GUEST_KO="$out/driver/virtio-simple.ko" \
	"$VS_TOP/vm/image/make-guest.sh" "$out/guest.cpio"

cfg="$kd/boot/config-$krel"
opts=$(grep -oE '^CONFIG_(KASAN|KASAN_GENERIC|KASAN_INLINE|KFENCE|PROVE_LOCKING|DEBUG_ATOMIC_SLEEP|DEBUG_LIST|DEBUG_KMEMLEAK|UBSAN|UBSAN_BOUNDS|UBSAN_SHIFT|DETECT_HUNG_TASK|FAULT_INJECTION|FAILSLAB|FAIL_PAGE_ALLOC|FAULT_INJECTION_DEBUG_FS|FAIL_FUNCTION|FUNCTION_TRACER|KPROBE_EVENTS)=y' "$cfg" |
	sed 's/^CONFIG_//; s/=y$//' | tr '\n' ' ')
echo "check-debug: kernel $krel from linux-source $(cat "$kd/source-version") ($kd, cold build $(cat "$kd/build-seconds") s)"
echo "check-debug: debug options: $opts"

# Slower guests: KASAN, lockdep and kmemleak under TCG.  loglevel=5 puts
# warnings on the console even where a suite asks for "quiet".
# acpi=noirq: PCI INTx routing from the BIOS's $PIR table, not ACPI's _PRT.
# The pc machine's _PRT is an AML While loop that this kernel, under TCG,
# runs into ACPICA's 30 s loop timeout at every pci_enable_device().  The
# device itself uses MSI-X.  Unlike pci=noacpi, ACPI still enumerates the
# PCI root bus, so acpiphp has its slots and hot-plug works.
export VSIMPLE_KERNEL="$kd/boot/vmlinuz-$krel"
export VSIMPLE_INITRD="$out/guest.cpio"
export VSIMPLE_APPEND="vsimple.debug=1 loglevel=5 acpi=noirq"
export VSIMPLE_MEMORY=${VSIMPLE_MEMORY:-1024}
export VSIMPLE_TIMEOUT_SCALE=${VSIMPLE_TIMEOUT_SCALE:-4}
export VSIMPLE_TEST_LOGS="$out/test-logs"
export VSIMPLE_SUITE_CHECK="$VS_TOP/tests/debug/scan-debug-reports.sh"
export VSIMPLE_SUITES=${VSIMPLE_SUITES:-guest-* trace-*}
# one suite at a time (tests/run.sh runs as many as the cores): these
# guests have not been measured side by side
export VSIMPLE_JOBS=${VSIMPLE_JOBS:-1}
# vm/targets/check-debug.sh CMD...: run CMD (make stress, make soak) on this
# kernel instead of the suites
[ $# -eq 0 ] || exec "$@"
rm -rf "$VSIMPLE_TEST_LOGS"

# First the positive control: each checker must report a planted bug, or a
# clean suite below would prove nothing.  VSIMPLE_SKIP_CONTROL=1 skips it.
if [ -z "${VSIMPLE_SKIP_CONTROL:-}" ]; then
	echo "=== debug-positive-control"
	mkdir -p "$VSIMPLE_TEST_LOGS"
	if ! "$VS_TOP/tests/debug/positive-control.sh" "$kd/build" "$out" \
		> "$VSIMPLE_TEST_LOGS/debug-positive-control.log" 2>&1; then
		sed 's/^/  /' "$VSIMPLE_TEST_LOGS/debug-positive-control.log"
		vs_die "the positive control failed: a checker is not reporting (see $out/plant-bugs.console)"
	fi
	grep -E '^(not )?ok ' "$VSIMPLE_TEST_LOGS/debug-positive-control.log" | sed 's/^/  /'
fi
exec "$VS_TOP/tests/run.sh"
