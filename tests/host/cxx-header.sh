#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# libvsimple's header from C++ and its version, on the host, no device:
# a C++ program including libvsimple.h (and through it the protocol
# header, whose size checks C++ spells static_assert) compiles with g++
# -pedantic and no warnings, links the library and runs; the version it
# was compiled against, LIBVSIMPLE_VERSION, is the one the library reports
# (vsimple_version()) and the project's (dkms.conf).  The same program
# builds as C11 too.  TAP output.  Needs `make tools`.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
lib=$top/build/tools/libvsimple.a
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -e "$lib" ] || { echo "not ok 1 - $lib is missing: run make tools"; echo "1..1"; exit 1; }

cat >"$tmp/prog.c" <<'PROG'
#include <stdio.h>
#include <string.h>
#include <libvsimple.h>

int main(void)
{
	struct vsimple *vs = vsimple_open(999, VSIMPLE_NONBLOCK);

	printf("%s %s %d.%d %s\n", LIBVSIMPLE_VERSION, vsimple_version(),
	       LIBVSIMPLE_VERSION_MAJOR, LIBVSIMPLE_VERSION_MINOR,
	       vs ? "opened" : "no-device");
	return strcmp(vsimple_status_name(VIRTIO_SIMPLE_S_OK), "") == 0;
}
PROG
cp "$tmp/prog.c" "$tmp/prog.cc"
inc=(-I"$top/include/uapi" -I"$top/tools/lib")

out=$(g++ -std=c++11 -Wall -Wextra -Werror -pedantic "${inc[@]}" -o "$tmp/cxx" \
	"$tmp/prog.cc" "$lib" 2>&1)
tap_result $? "a C++11 program including libvsimple.h builds with g++ -Wall -Wextra -pedantic -Werror and links the library" "$out"
out=$("$tmp/cxx" 2>&1)
tap_result $? "and runs (no device: vsimple_open() fails cleanly)" "$out"

want=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
read -r compiled runtime numbers _ <<<"$out"
tap_result "$([ "$compiled" = "$want" ] && [ "$runtime" = "$want" ] &&
	[ "$numbers" = "$want" ]; echo $?)" \
	"LIBVSIMPLE_VERSION, its numbers and vsimple_version() are the project's version ($want)" \
	"compiled $compiled, numbers $numbers, library $runtime"

out=$(gcc -std=c11 -Wall -Wextra -Werror -pedantic "${inc[@]}" -o "$tmp/c" \
	"$tmp/prog.c" "$lib" 2>&1)
tap_result $? "the same program builds as C11 with gcc -pedantic -Werror" "$out"

tap_done
