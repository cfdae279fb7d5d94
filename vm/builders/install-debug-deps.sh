#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What `make check-debug` needs beyond vm/builders/install-deps.sh to build a kernel
# from source: libelf for objtool (ORC unwinder), OpenSSL for the build's
# certificate tools.  Installed on first use, like the build dependencies.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

pkgs=(build-essential bc bison flex libelf-dev libssl-dev xz-utils cpio kmod)

vs_install_packages "debug kernel build dependencies" "${pkgs[@]}"
