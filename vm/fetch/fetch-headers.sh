#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Print the kernel build tree the driver builds against.  stable: the
# distro's linux-headers package, installed by `make deps`.  backports
# (VSIMPLE_TARGET): linux-headers-KVER, its -common part and linux-kbuild,
# unpacked into the cache (apt-get download + dpkg -x, never installed),
# keyed by version.  Their own compiler is the system's (built for Debian 12).
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

kver=$(vs_kernel_version)
if [ "$(vs_target)" = stable ]; then
	echo "/usr/src/linux-headers-$kver"
	exit 0
fi
# 6.12's config has module BTF: Kbuild runs pahole on the module
vs_install_packages "pahole (module BTF)" dwarves
vs_lock_cache
dest="$VS_CACHE/headers/$kver"
tree="$dest/usr/src/linux-headers-$kver"
if [ ! -f "$dest/.unpacked" ]; then
	vs_apt_private
	# the flavour's package names its -common part and linux-kbuild
	mapfile -t pkgs < <(echo "linux-headers-$kver"
		apt-cache "${vs_apt[@]}" depends --important "linux-headers-$kver" |
		sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-[^ ]*\)$/\1/p')
	[ ${#pkgs[@]} -ge 3 ] || vs_die "linux-headers-$kver: no -common or linux-kbuild dependency found"
	vs_say "fetching ${pkgs[*]} (unpacked into the cache, not installed)"
	vs_unpack_debs "$dest" "${pkgs[@]}"
	# absolute links into /usr (scripts, tools -> linux-kbuild) made relative
	find "$dest/usr" -type l -lname '/usr/*' | while read -r l; do
		ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$dest$(readlink "$l")")" "$l"
	done
	# the flavour's Makefile includes the -common one by its /usr path
	sed -i "s|^include /usr/src/|include $dest/usr/src/|" "$tree/Makefile"
	[ -f "$tree/Makefile" ] || vs_die "no Makefile in $tree"
	touch "$dest/.unpacked"
fi
echo "$tree"
