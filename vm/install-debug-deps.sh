#!/usr/bin/env bash
# What `make check-debug` needs beyond vm/install-deps.sh to build a kernel
# from source: libelf for objtool (ORC unwinder), OpenSSL for the build's
# certificate tools.  Installed on first use, like the build dependencies.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

pkgs=(build-essential bc bison flex libelf-dev libssl-dev xz-utils cpio kmod)

need=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -eq 0 ]; then
	vs_say "debug kernel build dependencies already installed"
	exit 0
fi
vs_apt_update
vs_say "installing: ${need[*]}"
vs_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${need[@]}"
