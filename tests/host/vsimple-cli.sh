#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The vsimple CLI's argument checks and exit codes, on the host, no device:
# every number is checked (empty, not a number, trailing garbage, negative,
# overflow), extra arguments are refused, all before any device is opened;
# no device, permission denied and a failing IOC_INFO each get their own
# message and exit code (the last through an LD_PRELOAD shim).  TAP output.
# Needs `make tools host-tests`.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
vsimple=$top/build/tools/vsimple
shim=$top/build/host-tests/fake_info.so
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in "$vsimple" "$shim"; do
	[ -e "$f" ] || { echo "not ok 1 - $f is missing: run make tools host-tests"; echo "1..1"; exit 1; }
done

# exits CODE TEXT COMMAND...: COMMAND exits CODE and its stderr holds TEXT
exits() {
	local want=$1 text=$2 err rc
	shift 2
	err=$("$@" 2>&1 >/dev/null); rc=$?
	[ "$rc" -eq "$want" ] && grep -qF -e "$text" <<<"$err" && return 0
	echo "expected exit $want and '$text' on stderr, got exit $rc: $err"
	return 1
}

# usage ARGS...: a usage error (exit 2) that quotes the offending value
usage() {
	local bad=${BAD:-}
	exits 2 "'$bad'" "$vsimple" "$@"
}

check "--help lists every exit code" sh -c "'$vsimple' --help | tr -s '\n ' '  ' |
	grep -q 'exit status: 0 ok, 1 error answer or failed request, 2 usage, 3 no device, 4 permission denied'"

# bench's numbers, parsed before the device is opened (none here)
for opt in --size --depth --seconds; do
	for bad in abc '' 12x -1 ' 5' 99999999999999999999999; do
		BAD=$bad check "bench $opt '$bad': usage error quoting it, exit 2" \
			usage bench "$opt" "$bad"
	done
done
BAD=0 check "bench --depth 0: exit 2" usage bench --depth 0
BAD=nan check "bench --seconds nan: exit 2" usage bench --seconds nan
BAD=inf check "bench --seconds inf: exit 2" usage bench --seconds inf
BAD=1e400 check "bench --seconds 1e400 (overflow): exit 2" usage bench --seconds 1e400
check "bench --size with no value: exit 2" exits 2 "--size" "$vsimple" bench --size
check "bench --frob: exit 2" exits 2 "frob" "$vsimple" bench --frob

for bad in abc '' 12x -1 ' 5' 1000001 99999999999999999999999; do
	BAD=$bad check "delay '$bad': usage error quoting it, exit 2" usage delay "$bad"
done
check "delay with no USEC: exit 2" exits 2 "delay needs USEC" "$vsimple" delay
BAD=99999999999999999999 check "-d with an index that overflows: exit 2" \
	usage -d 99999999999999999999 info
check "-d with no value: exit 2" exits 2 "-d needs" "$vsimple" -d

check "list extra: refused, exit 2" exits 2 "unexpected argument 'extra'" "$vsimple" list extra
check "info extra: refused, exit 2" exits 2 "unexpected argument 'extra'" "$vsimple" info extra
check "echo a b: refused, exit 2" exits 2 "unexpected argument 'b'" "$vsimple" echo a b
check "crc32c f g: refused, exit 2" exits 2 "unexpected argument 'g'" "$vsimple" crc32c f g
check "delay 1 2: refused, exit 2" exits 2 "unexpected argument '2'" "$vsimple" delay 1 2
check "bench extra: refused, exit 2" exits 2 "unexpected argument 'extra'" "$vsimple" bench extra

# opening: each failure its own message and exit code
check "no such device: exit 3 and the hint" \
	exits 3 "is the module loaded" "$vsimple" -d "$tmp/absent" info
check "not a virtio-simple node (/dev/null): exit 3" \
	exits 3 "not a virtio-simple device" "$vsimple" -d /dev/null info
touch "$tmp/root-only" && chmod 600 "$tmp/root-only"
chmod 755 "$tmp"
if [ "$(id -u)" -eq 0 ]; then
	as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
	as_nobody=()
fi
check "permission denied: exit 4 and its own message" \
	exits 4 "permission denied" "${as_nobody[@]}" "$vsimple" -d "$tmp/root-only" info
check "permission denied is not the no-device hint" \
	sh -c "! $(printf '%q ' "${as_nobody[@]}" "$vsimple") -d '$tmp/root-only' info 2>&1 |
		grep -q 'is the module loaded'"

# IOC_INFO works at open and fails after (the device went away): the
# commands that use it must say so, not go on with garbage
touch "$tmp/fake"
for cmd in "info" "echo hi" "crc32c /dev/null" "bench --seconds 1"; do
	# shellcheck disable=SC2086
	check "$cmd: IOC_INFO failing after open is reported, exit 3" \
		exits 3 "No such device" env LD_PRELOAD="$shim" "$vsimple" -d "$tmp/fake" $cmd
done
# crc32c of more than max_payload (64 here): CRC32C_UPDATE pieces, each
# at most max_payload; the expected CRC is Python's, bit by bit
crc_py='import sys
c = 0xffffffff
for b in sys.stdin.buffer.read():
    c ^= b
    for _ in range(8):
        c = (c >> 1) ^ (0x82f63b78 if c & 1 else 0)
print("%08x" % (c ^ 0xffffffff))'
head -c 1000 /dev/urandom > "$tmp/big"
head -c 64 /dev/urandom > "$tmp/fits"
fake=(env FAKE_INFO_OK=2 LD_PRELOAD="$shim")
for f in big fits; do
	want=$(python3 -c "$crc_py" < "$tmp/$f")
	check "crc32c of $(stat -c %s "$tmp/$f") bytes, max_payload 64: $want" sh -c \
		"[ \"\$($(printf '%q ' "${fake[@]}") FAKE_CRC=new '$vsimple' -d '$tmp/fake' crc32c '$tmp/$f')\" = '$want  $tmp/$f' ]"
done
check "crc32c of a pipe over max_payload (short reads): the same CRC" sh -c \
	"[ \"\$(cat '$tmp/big' | $(printf '%q ' "${fake[@]}") FAKE_CRC=new '$vsimple' -d '$tmp/fake' crc32c)\" = '$(python3 -c "$crc_py" < "$tmp/big")  -' ]"
check "crc32c over max_payload on a device without CRC32C_UPDATE: said, exit 1" \
	exits 1 "has no CRC32C_UPDATE" "${fake[@]}" FAKE_CRC=old "$vsimple" -d "$tmp/fake" crc32c "$tmp/big"
check "crc32c within max_payload on a device without CRC32C_UPDATE: one CRC32C" \
	sh -c "$(printf '%q ' "${fake[@]}") FAKE_CRC=old '$vsimple' -d '$tmp/fake' crc32c '$tmp/fits' >/dev/null"
check "crc32c over a max_payload of 4: too small for pieces, exit 1" \
	exits 1 "too small to send in pieces" "${fake[@]}" FAKE_CRC=new FAKE_MAX_PAYLOAD=4 \
	"$vsimple" -d "$tmp/fake" crc32c "$tmp/fits"

# options the getopt_long way: --version, --device, a command's --help,
# "--" before a TEXT that starts with '-'; --json output parses
want=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
check "--version: 'vsimple $want (libvsimple $want)', exit 0" \
	sh -c "[ \"\$('$vsimple' --version)\" = 'vsimple $want (libvsimple $want)' ]"
for c in list info echo crc32c delay bench; do
	check "$c --help: the usage on stdout, exit 0, no device opened" \
		sh -c "'$vsimple' -d '$tmp/absent' $c --help | grep -q '^usage: vsimple'"
done
check "--device PATH is -d PATH" \
	exits 3 "no virtio-simple device $tmp/absent" "$vsimple" --device "$tmp/absent" info
check "echo -x: an unknown option, refused, exit 2" exits 2 "unknown option '-x'" "$vsimple" echo -x
check "info --json: valid JSON with the device's facts" sh -c \
	"FAKE_INFO_OK=2 LD_PRELOAD='$shim' '$vsimple' -d '$tmp/fake' info --json |
	python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit(not (d[\"label\"] == \"fake\" and d[\"max_payload\"] == 64 and d[\"req_queue_size\"] == 8 and d[\"device\"] == sys.argv[1]))' '$tmp/fake'"
label='q"b\s'$'\t''x'
check "info --json escapes a label's quote, backslash and tab" sh -c \
	"FAKE_INFO_OK=2 FAKE_INFO_LABEL='$label' LD_PRELOAD='$shim' '$vsimple' -d '$tmp/fake' info --json |
	python3 -c 'import json, sys; sys.exit(json.load(sys.stdin)[\"label\"] != sys.argv[1])' '$label'"
check "list --json with no device: [] and exit 3" sh -c \
	"out=\$('$vsimple' list --json 2>/dev/null); [ \$? = 3 ] && [ \"\$out\" = '[]' ]"
tap_done
