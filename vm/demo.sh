#!/usr/bin/env bash
# `make demo`: boot the guest with one virtio-simple device and show the
# PCI identity, the bindings, the interrupts, an ECHO and a clean power-off.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/run-guest" --timeout 300 --device virtio-simple-pci,label=demo \
	"$here/guest/demo.sh"
echo
echo "[vsimple] demo finished: the guest powered off cleanly."
