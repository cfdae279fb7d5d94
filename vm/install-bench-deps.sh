#!/usr/bin/env bash
# What `make bench` needs beyond vm/install-deps.sh: gnuplot (without X)
# for its plot.  Installed on first use, like the build dependencies.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

pkgs=(gnuplot-nox)

vs_install_packages "bench dependencies" "${pkgs[@]}"
