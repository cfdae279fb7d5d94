#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make trace`: show the seed's probe path (STEP 1..6) live.  Three guest
# boots, each starting without the device: hot-plug with function tracing
# (then one request and the removal), one request with ioeventfd off, and
# the seed's PCI ID 1af4:10f3.  vm/targets/trace_report.py prints the account;
# logs and the report go to build/trace/.
#   trace.sh [--check]   --check: TAP, one line per rule (every step found
#                        and confirmed, no run of more than 3 identical
#                        lines, ...); exit 1 if any fails
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
out=${VSIMPLE_TRACE_DIR:-$VS_TOP/build/trace}	# make matrix: one per combination
mkdir -p "$out"

# QEMU's side of a request: the notify write (only without ioeventfd),
# the queue notification, our device's handler, the interrupt.
qemu_trace=()
for ev in virtio_pci_notify_write virtio_queue_notify virtio_simple_request \
	  virtio_simple_response virtio_notify; do
	qemu_trace+=(--qemu-arg=-trace --qemu-arg="$ev")
done

boot() {	# boot LOG MODE [run-guest options]
	local log=$1 mode=$2; shift 2
	vs_say "trace: $mode boot (log $log)"
	"$VS_TOP/vm/boot/run-guest.py" --timeout 400 "${qemu_trace[@]}" "$@" \
		"$VS_TOP/tests/guest/trace_probe.sh" "$mode" > "$log" 2>&1 ||
		{ tail -n 20 "$log" >&2; vs_die "trace: $mode boot failed"; }
}
boot "$out/probe.log" probe
boot "$out/notify-ioeventfd-off.log" notify \
	--qemu-arg=-global --qemu-arg=virtio-simple-pci.ioeventfd=off
boot "$out/seed.log" seed
python3 "$VS_TOP/vm/targets/trace_report.py" "$@" "$out/probe.log" \
	"$out/notify-ioeventfd-off.log" "$out/seed.log" | tee "$out/report.txt"
