#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the debug guest kernel from the distro kernel's own source
# (vm/fetch/fetch-kernel-source.sh): x86_64_defconfig +
# vm/builders/debug-kernel.config.
# Cached under $VS_CACHE/debug-kernel/<source version>-<recipe hash>, laid
# out like an unpacked linux-image package (boot/vmlinuz-*, boot/config-*,
# lib/modules/*) plus build/, the tree modules are built against.
# Prints that directory.  The build runs at the lowest CPU and I/O
# priority, and holds only its own entry's lock, not the cache's.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

frag="$VS_TOP/vm/builders/debug-kernel.config"
src=$("$VS_TOP/vm/fetch/fetch-kernel-source.sh")
ver=$(cat "$src/.debian-version")
# the key: source version, base config + fragment, and the compiler
key=$( { echo "$ver x86_64_defconfig"; cat "$frag"; gcc --version | head -n 1; } |
	sha256sum | cut -c1-12)
dest="$VS_CACHE/debug-kernel/$ver-$key"
vs_lock_entry "$dest"
if [ -f "$dest/.built" ]; then
	echo "$dest"
	exit 0
fi

"$VS_TOP/vm/builders/install-debug-deps.sh" >&2
rm -rf "$dest" && mkdir -p "$dest/build"
kmake() { nice -n 19 ionice -c3 make -C "$src" O="$dest/build" "$@" >&2; }

vs_say "configuring the debug kernel ($ver, x86_64_defconfig + $(basename "$frag"))"
kmake -s x86_64_defconfig
"$src/scripts/kconfig/merge_config.sh" -m -O "$dest/build" "$dest/build/.config" "$frag" >/dev/null
kmake -s olddefconfig
# every line of the fragment must have survived (a missing dependency
# silently drops an option)
lost=()
while read -r line; do
	case $line in
	CONFIG_*=*) grep -qxF "$line" "$dest/build/.config" || lost+=("$line") ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		! grep -q "^$opt=" "$dest/build/.config" || lost+=("$line") ;;
	esac
done < "$frag"
[ ${#lost[@]} -eq 0 ] || vs_die "the debug config lost: ${lost[*]}"

vs_say "building the debug kernel in $dest/build (nice 19, idle I/O; takes a while)"
start=$(date +%s)
kmake -j"$(( $(nproc) + 1 ))" bzImage modules
secs=$(( $(date +%s) - start ))
krel=$(make -s -C "$src" O="$dest/build" kernelrelease 2>/dev/null | tail -n 1)
mkdir -p "$dest/boot"
kmake -s INSTALL_MOD_PATH="$dest" modules_install
ln -sfn ../../../build "$dest/lib/modules/$krel/build"	# relative: movable
cp "$dest/build/arch/x86/boot/bzImage" "$dest/boot/vmlinuz-$krel"
cp "$dest/build/.config" "$dest/boot/config-$krel"
echo "$krel" > "$dest/kernelrelease"
echo "$secs" > "$dest/build-seconds"
echo "$ver" > "$dest/source-version"
touch "$dest/.built"
vs_say "debug kernel $krel built in ${secs}s"
echo "$dest"
