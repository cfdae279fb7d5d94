#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# manifest.sh ROOT KVER: what `make install` (or DKMS) may touch in ROOT, one line a
# path (type, mode, owner, link target) then each file's sha256; run on the
# host before installing and in the guest after uninstalling, to compare.
cd "${1:?usage: manifest.sh ROOT KVER}" || exit 1
set -- ./usr/local ./usr/lib/modules/"${2:?}" ./etc/udev/rules.d ./usr/src \
	./var/lib/dkms/virtio-simple
find "$@" -printf '%y %m %U:%G %p %l\n' 2>/dev/null | LC_ALL=C sort
find "$@" -type f -exec sha256sum {} + 2>/dev/null | LC_ALL=C sort -k2
