#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Scripts whose stdout a caller captures (KDIR=$(vm/fetch/fetch-headers.sh) and
# the like) print their result there and nothing else, even when they
# install a package on the way; and a check that needs a missing tool says
# which.  Package installs are stubbed (dpkg-query says nothing is
# installed, apt-get install prints apt's chatter on stdout and installs
# nothing), so this runs the "machine without the package" path anywhere.
# TAP output.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
stub=$(mktemp -d)
trap 'rm -rf "$stub"' EXIT

cat > "$stub/dpkg-query" <<'STUB'
#!/bin/sh
exit 1
STUB
# update and look-ups go to the real apt-get: the lists are real
cat > "$stub/apt-get" <<'STUB'
#!/bin/sh
case " $* " in
*" install "*)
	echo "Reading package lists..."
	echo "Setting up stubbed-package (1.0) ..."
	exit 0 ;;
esac
exec /usr/bin/apt-get "$@"
STUB
printf '#!/bin/sh\nexec "$@"\n' > "$stub/sudo"
chmod +x "$stub"/*

# stdout_is NAME TEST CMD...: CMD's stdout is one line for which
# `test LINE` holds, and CMD exited 0
stdout_is() {
	local name=$1 test=$2 out rc
	shift 2
	out=$(PATH="$stub:$PATH" "$@" 2>"$stub/err"); rc=$?
	[ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && "$test" "$out"
	tap_result $? "$name: stdout is the result alone" \
		"exit $rc; stdout:"$'\n'"$out"$'\n'"stderr:"$'\n'"$(tail -n 5 "$stub/err")"
}
is_tree() { [ -f "$1/Makefile" ]; }
is_kernel() { [ -f "$1/boot/vmlinuz-$(basename "$1")" ]; }
is_kver() { [[ $1 =~ ^[0-9]+\.[0-9]+[^[:space:]]*-amd64$ ]]; }

# backports: installs dwarves (pahole) before printing the headers' tree
stdout_is "VSIMPLE_TARGET=backports vm/fetch/fetch-headers.sh (installing dwarves)" is_tree \
	env VSIMPLE_TARGET=backports VSIMPLE_KVER= "$top/vm/fetch/fetch-headers.sh"
stdout_is "VSIMPLE_TARGET=backports vm/fetch/kernel-version.sh" is_kver \
	env VSIMPLE_TARGET=backports VSIMPLE_KVER= "$top/vm/fetch/kernel-version.sh"
stdout_is "vm/fetch/fetch-kernel.sh" is_kernel "$top/vm/fetch/fetch-kernel.sh"
# build-qemu.sh FLAVOUR=fuzz runs it inside its captured output
out=$(PATH="$stub:$PATH" "$top/vm/builders/install-fuzz-deps.sh" 2>/dev/null)
tap_result "$([ -z "$out" ]; echo $?)" "vm/builders/install-fuzz-deps.sh (installing): nothing on stdout" "$out"

# a missing llvm-symbolizer: named, before any build
out=$(PATH="$stub:$PATH" ASAN_SYMBOLIZER_PATH=/nonexistent/llvm-symbolizer \
	FUZZ_BUILD=/nonexistent "$top/vm/targets/fuzz.sh" 2>&1); rc=$?
[ "$rc" -ne 0 ] && grep -q 'missing tool: /nonexistent/llvm-symbolizer (Debian package llvm-14)' <<<"$out"
tap_result $? "vm/targets/fuzz.sh without llvm-symbolizer fails naming it and its package" "exit $rc: $out"
out=$(PATH="$stub:$PATH" ASAN_SYMBOLIZER_PATH=/nonexistent/llvm-symbolizer \
	FUZZ_SECONDS=1 "$top/tests/fuzz-smoke.sh" 2>&1); rc=$?
[ "$rc" -ne 0 ] && [ "$(grep -c '^not ok' <<<"$out")" -eq 1 ] &&
	grep -q '^not ok 1 - .*missing tool: /nonexistent/llvm-symbolizer' <<<"$out" && grep -qx '1\.\.1' <<<"$out"
tap_result $? "fuzz-smoke without llvm-symbolizer: one failure that names it" "exit $rc: $out"
tap_done
