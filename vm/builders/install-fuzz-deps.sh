#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What `make fuzz` needs beyond vm/builders/install-deps.sh: clang 14 and its
# compiler-rt, which holds libFuzzer and the sanitizer runtimes QEMU's
# --enable-fuzzing build links, and llvm-14 for llvm-symbolizer (function
# names in the coverage report and in crash stacks; clang-14 does not pull
# it in).  Installed on first use.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

vs_install_packages "fuzzer build dependencies" clang-14 libclang-rt-14-dev llvm-14
