#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Print the project's source files, one relative path a line: what a clean
# clone holds, without git (CI's fresh roots have none) and without build
# outputs, which .gitignore lists and this mirrors.  For scratch copies of
# the tree (tests/extending.sh, vm/targets/new-device.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
find . \( -name .git -o -name build -o -name __pycache__ -o -name .tmp_versions \) -prune -o \
	-type f ! \( -name '*.o' -o -name '*.ko' -o -name '*.ko.*' -o -name '*.mod' \
	-o -name '*.mod.c' -o -name '*.cmd' -o -name '*.a' -o -name '*.so' -o -name '*.cpio' \
	-o -name Module.symvers -o -name modules.order -o -name '.checkpatch-camelcase.*' \
	-o -name '.*.d' -o -name '.*.tmp' \) \
	-print | sed 's|^\./||' | LC_ALL=C sort
