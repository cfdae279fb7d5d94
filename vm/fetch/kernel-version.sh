#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Print the distro kernel version the guest runs and modules build against.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
vs_kernel_version
