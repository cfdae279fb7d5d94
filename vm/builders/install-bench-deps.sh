#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What `make bench` needs beyond vm/builders/install-deps.sh: gnuplot (without X)
# for its plot.  Installed on first use, like the build dependencies.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

pkgs=(gnuplot-nox)

vs_install_packages "bench dependencies" "${pkgs[@]}"
