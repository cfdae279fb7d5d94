#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# link-sources.sh DEST: DEST/driver made of links to the driver's sources
# (Kbuild, Makefile, *.c, *.h) and DEST/include to the protocol header, so
# the module builds against another kernel in DEST while driver/ keeps its
# own build.  The one link farm: `make install` (install.mk) and the
# harness (vm/lib.sh) both use it.  Never virtio-simple.mod.c, which a build
# in driver/ leaves: modpost would write through that link into driver/,
# and each build would get the other's symbol table.
set -eu
dest=$1
src=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$src/.." && pwd)
# a tree built through such a link (an older harness made them) is suspect
[ ! -L "$dest/driver/virtio-simple.mod.c" ] || rm -rf "$dest/driver"
mkdir -p "$dest/driver"
ln -sfn "$top/include" "$dest/include"
for f in "$src/Kbuild" "$src/Makefile" "$src"/*.[ch]; do
	case $f in *.mod.c) ;; *) ln -sf "$f" "$dest/driver/" ;; esac
done
