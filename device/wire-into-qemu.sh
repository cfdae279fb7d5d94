#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Overlay virtio-simple onto a QEMU 7.2 or 10.0 source tree: copy our
# sources and the protocol header in, and add the few lines that register
# the device (meson.build, Kconfig, the device-name table, trace-events):
# virtio-simple-pci, and vhost-user-simple-pci, its front-end for a
# backend process (backend/).
#
# Idempotent, and a file is rewritten only when its content changes, so an
# edit under device/ leads to an incremental rebuild of just that file.
# The build cache is keyed by a hash of this script: change it and the
# build starts from a fresh configure.
set -euo pipefail
src=${1:?usage: wire-into-qemu.sh QEMU_SOURCE_DIR}
dev=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$dev/.." && pwd)
[ -f "$src/hw/virtio/virtio.c" ] || { echo "not a QEMU tree: $src" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# install_if_changed NEW DEST: keep DEST's mtime when nothing changed.
install_if_changed() {
	cmp -s "$1" "$2" 2>/dev/null || cp "$1" "$2"
}

# Our files.
for f in hw/virtio/virtio-simple.c hw/virtio/virtio-simple-pci.c \
	 hw/virtio/vhost-user-simple.c hw/virtio/vhost-user-simple-pci.c \
	 include/hw/virtio/virtio-simple.h include/hw/virtio/vhost-user-simple.h \
	 include/hw/virtio/virtio-simple-compat.h \
	 include/hw/virtio/virtio-simple-label.h \
	 tests/qtest/virtio-simple-test.c \
	 tests/qtest/libqos/virtio-simple.c tests/qtest/libqos/virtio-simple.h; do
	install_if_changed "$dev/$f" "$src/$f"
done

# The protocol's device side, shared with the vhost-user backend
# (common/): compiled into the device as a file of its own.
install_if_changed "$top/common/virtio-simple-ops.c" "$src/hw/virtio/virtio-simple-ops.c"
install_if_changed "$top/common/virtio-simple-ops.h" "$src/include/hw/virtio/virtio-simple-ops.h"

# The protocol header, converted by QEMU's own cp_portable().
eval "$(sed -n '/^cp_portable() {/,/^}/p' "$src/scripts/update-linux-headers.sh")"
arch=""	# QEMU 10's cp_portable reads it; empty: a linux/ standard header
cp_portable "$top/include/uapi/virtio_simple.h" "$tmp"
install_if_changed "$tmp/virtio_simple.h" \
	"$src/include/standard-headers/linux/virtio_simple.h"

# A marked block (or a line ending in the mark), replaced wholesale, so
# re-running never duplicates it.
begin='# virtio-simple begin'
end='# virtio-simple end'
mark='# virtio-simple'
strip_block() { sed -e "/^$begin\$/,/^$end\$/d" -e "/ $mark\$/d" "$1"; }

# add_after FILE ANCHOR LINE: put LINE (marked) after the line ANCHOR.
add_after() {
	strip_block "$src/$1" | awk -v a="$2" -v l="$3 $mark" '
		{ print } $0 == a { print l; found = 1 }
		END { if (!found) exit 1 }' > "$tmp/edit" ||
		{ echo "$1: anchor not found: $2" >&2; exit 1; }
	install_if_changed "$tmp/edit" "$src/$1"
}

# meson.build: before the PCI source set is folded into virtio_ss (7.2),
# or specific_virtio_ss (10.0), the set virtio-rng.c is in.
strip_block "$src/hw/virtio/meson.build" | awk -v b="$begin" -v e="$end" '
	/^(specific_)?virtio_ss.add_all\(when: .CONFIG_VIRTIO_PCI./ {
		set = substr($0, 1, index($0, ".") - 1)
		print b
		print set ".add(when: '\''CONFIG_VIRTIO_SIMPLE'\'', if_true: files('\''virtio-simple.c'\'', '\''virtio-simple-ops.c'\''))"
		print "virtio_pci_ss.add(when: '\''CONFIG_VIRTIO_SIMPLE'\'', if_true: files('\''virtio-simple-pci.c'\''))"
		print set ".add(when: '\''CONFIG_VHOST_USER_SIMPLE'\'', if_true: files('\''vhost-user-simple.c'\''))"
		print "virtio_pci_ss.add(when: '\''CONFIG_VHOST_USER_SIMPLE'\'', if_true: files('\''vhost-user-simple-pci.c'\''))"
		print e
	}
	{ print }' > "$tmp/meson.build"
grep -q virtio-simple-pci.c "$tmp/meson.build" || { echo "hw/virtio/meson.build: anchor not found" >&2; exit 1; }
install_if_changed "$tmp/meson.build" "$src/hw/virtio/meson.build"

# Kconfig: on wherever virtio is.
{ strip_block "$src/hw/virtio/Kconfig"
  printf '%s\nconfig VIRTIO_SIMPLE\n    bool\n    default y\n    depends on VIRTIO\n' "$begin"
  printf 'config VHOST_USER_SIMPLE\n    bool\n    default y\n    depends on VIRTIO && VHOST_USER\n%s\n' "$end"
} > "$tmp/Kconfig"
install_if_changed "$tmp/Kconfig" "$src/hw/virtio/Kconfig"

# virtio.c: virtio_init() asserts on IDs missing from virtio_device_names[].
sed -e '/standard-headers\/linux\/virtio_simple.h/d' \
    -e '/\[VIRTIO_ID_SIMPLE\] = "virtio-simple"/d' \
    -e 's/^\(    \[VIRTIO_ID_GPIO\] = "virtio-gpio"\),\{0,1\}$/\1,\n    [VIRTIO_ID_SIMPLE] = "virtio-simple"/' \
    -e 's|^#include "standard-headers/linux/virtio_ids.h"$|&\n#include "standard-headers/linux/virtio_simple.h"|' \
    "$src/hw/virtio/virtio.c" > "$tmp/virtio.c"
grep -q '\[VIRTIO_ID_SIMPLE\]' "$tmp/virtio.c" || { echo "hw/virtio/virtio.c: anchor not found" >&2; exit 1; }
install_if_changed "$tmp/virtio.c" "$src/hw/virtio/virtio.c"

# trace-events: ours appended to the folder's file.
{ strip_block "$src/hw/virtio/trace-events"
  echo "$begin"; cat "$dev/trace-events"; echo "$end"
} > "$tmp/trace-events"
install_if_changed "$tmp/trace-events" "$src/hw/virtio/trace-events"

# qtests: our test in qos-test, our driver node in libqos.
add_after tests/qtest/meson.build "  'virtio-rng-test.c'," "  'virtio-simple-test.c',"
add_after tests/qtest/libqos/meson.build "        'virtio-rng.c'," "        'virtio-simple.c',"
