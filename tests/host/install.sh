#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make install / make uninstall on the host, into DESTDIRs: the module goes
# through Kbuild's modules_install into lib/modules/KVER/extra with depmod's
# modalias (KVER = the guest kernel, whose headers `make deps` installs);
# the rule, libvsimple (static, shared with its soname, pkg-config: a program
# built from the .pc links and runs), the CLI and its man page land under
# PREFIX; uninstall leaves the tree exactly as it was.  TAP output.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
kver=${VSIMPLE_KVER:-$("$top/vm/fetch/kernel-version.sh")}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# a kernel's module tree as a distro ships it (depmod runs only where the
# kernel's own modules are), indexed once as a real system would be
root=$tmp/root
# and the directories a Debian root has
mkdir -p "$root/lib/modules/$kver" "$root/etc/udev/rules.d" \
	"$root"/usr/local/{bin,include,lib,share/man}
for f in modules.builtin modules.builtin.modinfo modules.order; do
	: > "$root/lib/modules/$kver/$f"
done
depmod -b "$root" "$kver"

# snapshot DIR: every path with its type, mode and content (or link target)
snapshot() {
	(cd "$1" && find . -printf '%y %m %p %l\n' | LC_ALL=C sort &&
		find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2)
}
snapshot "$root" > "$tmp/before"

m() { make -s -C "$top" KVER="$kver" "$@"; }
check "make install DESTDIR=... KVER=$kver" m install DESTDIR="$root"

mod=$root/lib/modules/$kver/extra/virtio-simple.ko
check "the module is in lib/modules/$kver/extra" test -f "$mod"
vermagic() { [ "$(modinfo -F vermagic "$mod" | cut -d' ' -f1)" = "$kver" ]; }
check "its vermagic is $kver" vermagic
check "depmod recorded its modalias" \
	grep -qx 'alias virtio:d0000003Fv\* virtio_simple' "$root/lib/modules/$kver/modules.alias"
check "the udev rule is in /etc/udev/rules.d" \
	cmp "$top/driver/99-virtio-simple.rules" "$root/etc/udev/rules.d/99-virtio-simple.rules"
lib=$root/usr/local/lib
check "libvsimple.a" test -f "$lib/libvsimple.a"
soname() { objdump -p "$lib/libvsimple.so.0" | grep -q 'SONAME *libvsimple.so.0$'; }
check "libvsimple.so.0 with its soname" soname
check "libvsimple.so links to it" test "$(readlink "$lib/libvsimple.so")" = libvsimple.so.0
# its exports: the vsimple_ functions, each at its version (LIBVSIMPLE_0.1,
# the batches LIBVSIMPLE_0.2, the ring LIBVSIMPLE_0.3:
# tools/lib/libvsimple.map), nothing else (liburing, linked in, included)
exports() {
	local syms
	syms=$(objdump -T "$lib/libvsimple.so.0" | awk '$4 == ".text" { print $6, $7 }')
	[ -n "$syms" ] && ! grep -qv '^LIBVSIMPLE_0\.[123] vsimple_' <<<"$syms" &&
		grep -q '^LIBVSIMPLE_0\.1 vsimple_version$' <<<"$syms" &&
		grep -q '^LIBVSIMPLE_0\.2 vsimple_submit_batch$' <<<"$syms" &&
		[ "$(grep -c '^LIBVSIMPLE_0\.2 ' <<<"$syms")" = 4 ] &&
		[ "$(grep -c '^LIBVSIMPLE_0\.3 vsimple_ring_' <<<"$syms")" = 6 ]
}
check "libvsimple.so.0 exports only vsimple_ functions: 0.1, the batches at 0.2, the ring at 0.3" exports
check "libvsimple.so.0 needs no liburing at run time (linked in)" \
	sh -c "! objdump -p '$lib/libvsimple.so.0' | grep -q 'NEEDED.*liburing'"
check "headers" test -f "$root/usr/local/include/libvsimple.h" -a \
	-f "$root/usr/local/include/virtio_simple.h"
check "the CLI runs" "$root/usr/local/bin/vsimple" --help
check "the man page" test -s "$root/usr/local/share/man/man1/vsimple.1"
# groff: vm/builders/install-deps.sh installs it (groff-base), so this
# check runs everywhere, and tests/expected-counts counts it
check "the man page renders without warnings" \
	bash -c '! groff -man -Tutf8 -ww -z "$0" 2>&1 | grep .' \
	"$root/usr/local/share/man/man1/vsimple.1"

check "the library's man page, libvsimple(3), renders without warnings" \
	bash -c 'test -s "$0" && ! groff -man -Tutf8 -ww -z "$0" 2>&1 | grep .' \
	"$root/usr/local/share/man/man3/libvsimple.3"
# every function of the header has its line in the man page's synopsis
documented() {
	local f missing=
	# the name before the parenthesis: not a struct type in the return type
	for f in $(grep -o '^[a-z].*[ *]\(vsimple_[a-z_]*\)(' "$top/tools/lib/libvsimple.h" |
			grep -o 'vsimple_[a-z_]*($' | tr -d '('); do
		grep -q "^\.BI\? \"[^\"]*\b$f(" "$top/tools/lib/libvsimple.3" || missing+=" $f"
	done
	[ -z "$missing" ] || { echo "not in libvsimple.3:$missing"; return 1; }
}
check "libvsimple(3) lists every function libvsimple.h declares" documented

# a program built the way the .pc says, against the shared library
cat > "$tmp/prog.c" <<'EOF'
#include <stdio.h>
#include <libvsimple.h>
int main(void) { puts(vsimple_status_name(VIRTIO_SIMPLE_S_OK)); return 0; }
EOF
pc_build() {
	local flags
	flags=$(PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root \
		pkg-config --cflags --libs libvsimple) &&
	cc -o "$tmp/prog" "$tmp/prog.c" $flags &&
	[ "$(LD_LIBRARY_PATH=$lib "$tmp/prog")" = OK ] &&
	objdump -p "$tmp/prog" | grep -q 'NEEDED *libvsimple.so.0$'
}
check "pkg-config libvsimple: builds, links the shared library, runs" pc_build

check "make uninstall DESTDIR=..." m uninstall DESTDIR="$root"
snapshot "$root" > "$tmp/after"
check "uninstall leaves the tree as it was (depmod's index too)" \
	diff "$tmp/before" "$tmp/after"

# PREFIX and a staging DESTDIR with no kernel in it: no depmod there
stage=$tmp/stage
check "make install PREFIX=/usr DESTDIR=(staging)" m install PREFIX=/usr DESTDIR="$stage"
check "files under /usr" test -x "$stage/usr/bin/vsimple" -a \
	-f "$stage/usr/lib/pkgconfig/libvsimple.pc"
check "the .pc says prefix=/usr" grep -qx 'prefix=/usr' "$stage/usr/lib/pkgconfig/libvsimple.pc"
check "no module index in a tree without the kernel" \
	test ! -e "$stage/lib/modules/$kver/modules.dep"
check "make uninstall PREFIX=/usr DESTDIR=(staging)" m uninstall PREFIX=/usr DESTDIR="$stage"
check "only directories are left" test -z "$(find "$stage" ! -type d)"

# DKMS builds the staged source for a given kernel, in private trees (the
# host's dkms state and /lib/modules are left alone)
ver=$(make -s --no-print-directory -C "$top" -f install.mk print-version)
dk=$tmp/dkms-root
mkdir -p "$tmp/dkms"
d() { dkms --sourcetree "$dk/usr/src" --dkmstree "$tmp/dkms" "$@"; }
check "make install-dkms DESTDIR=... stages the source" m install-dkms DESTDIR="$dk"
check "dkms add virtio-simple/$ver" d add "virtio-simple/$ver"
check "dkms build -k $kver" d build "virtio-simple/$ver" -k "$kver" \
	--kernelsourcedir "/usr/src/linux-headers-$kver"
built=$(find "$tmp/dkms/virtio-simple/$ver/$kver" -path '*/module/virtio-simple.ko*' | head -n 1)
check "dkms built virtio-simple.ko for $kver" test -n "$built" -a \
	"$(modinfo -F vermagic "$built" 2>/dev/null | cut -d' ' -f1)" = "$kver"
check "make uninstall-dkms DESTDIR=..." m uninstall-dkms DESTDIR="$dk"
check "it leaves no file" test -z "$(find "$dk" ! -type d)"

# the cloud-init seed of docs/usage.md (make cloud-try boots it): the DKMS
# source it carries is what install-dkms stages, its ECHO check is Python
# that compiles, its commands name this version
seed=$tmp/seed
check "make cloud-user-data's script writes user-data and meta-data" \
	"$top/vm/image/cloud-user-data.sh" "$seed"
m install-dkms DESTDIR="$tmp/ref" && mkdir -p "$tmp/inline" &&
	sed -n 's/^    content: \(H4sI.*\)$/\1/p' "$seed/user-data" | base64 -d | tar -C "$tmp/inline" -xzf -
check "user-data carries the DKMS source install-dkms stages, whole" \
	diff -r "$tmp/ref/usr/src/virtio-simple-$ver" "$tmp/inline/virtio-simple-$ver"
sed -n '/^    content: |$/,/^runcmd:$/p' "$seed/user-data" | sed '1d;$d' | sed 's/^      //' > "$tmp/check.py"
check "its ECHO check compiles (python3)" python3 -c 'import sys
src = open(sys.argv[1]).read()
assert "OP_ECHO" in src, "no check found in user-data"
compile(src, "check", "exec")' "$tmp/check.py"
# $(uname -r) stays for the guest's shell: the guest's kernel, not ours
check "it installs the running kernel's headers, named in the guest" \
	grep -qF '"linux-headers-$(uname -r)"' "$seed/user-data"
check "its commands add and install virtio-simple/$ver" \
	test "$(grep -cE "^  - \[dkms, (add|install), virtio-simple/$ver\]$" "$seed/user-data")" -eq 2
tap_done
