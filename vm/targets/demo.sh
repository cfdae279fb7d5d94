#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`: boot the guest with one virtio-simple device and show the
# PCI identity, the bindings, the interrupts, an ECHO and a clean power-off.
# The guest half is vm/targets/demo-guest.sh.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
"$top/vm/boot/run-guest.py" --timeout 300 --device virtio-simple-pci,label=demo \
	"$top/vm/targets/demo-guest.sh"
echo
echo "[vsimple] demo finished: the guest powered off cleanly."
