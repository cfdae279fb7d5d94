#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest test of the driver and the CLI, with one device started with id vs0:
# the char device contract (chardev_test), the vsimple CLI's output and exit
# codes, a label change from the host, rmmod refused with a file open and
# reloading by modalias.
. /opt/vsimple/bin/tap.sh
node=/dev/virtio-simple0
sys=/sys/class/virtio-simple/virtio-simple0

check "$node appears within 30 s" wait_for $node 30
# its checks numbered on from ours: one TAP stream, one plan
tap_embed chardev_test 0 || tap_failed=$((tap_failed + 1))

check "vsimple --help shows the usage, exit 0" sh -c 'vsimple --help | grep -q "^usage: vsimple"'
check "vsimple list shows the device" sh -c "vsimple list | grep -q '^$node'"
check "vsimple info shows max_payload 65536" sh -c 'vsimple info | grep -q "^max_payload: *65536$"'
check "vsimple echo TEXT prints TEXT" sh -c '[ "$(vsimple echo "a b c")" = "a b c" ]'
check "vsimple echo - reads stdin" sh -c '[ "$(printf xyz | vsimple echo -)" = xyz ]'
check "vsimple crc32c of 123456789 is e3069283" \
	sh -c 'printf 123456789 | vsimple crc32c - | grep -q "^e3069283  -$"'
check "vsimple crc32c FILE" sh -c 'printf 123456789 > /tmp/f && vsimple crc32c /tmp/f | grep -q "^e3069283  /tmp/f$"'
# bigger than max_payload: CRC32C_UPDATE pieces (the expected values are
# Python's bitwise CRC-32C of the same bytes)
check "vsimple crc32c of exactly max_payload zero bytes (one CRC32C) is 72c0c4a4" \
	sh -c 'head -c 65536 /dev/zero > /tmp/z && vsimple crc32c /tmp/z | grep -q "^72c0c4a4  /tmp/z$"'
check "vsimple crc32c of 200000 zero bytes (over max_payload: in pieces) is a998239f" \
	sh -c 'head -c 200000 /dev/zero > /tmp/z && vsimple crc32c /tmp/z | grep -q "^a998239f  /tmp/z$"'
check "vsimple crc32c - of 131069 bytes from a pipe (in pieces, short reads) is 91fa27e8" \
	sh -c 'yes | head -c 131069 | vsimple crc32c - | grep -q "^91fa27e8  -$"'
check "vsimple delay 1000 exits 0" vsimple delay 1000
check "vsimple delay 2000000: usage error, exit 2" sh -c 'vsimple delay 2000000 2>/dev/null; [ $? -eq 2 ]'
check "unknown command: exit 2" sh -c 'vsimple frobnicate 2>/dev/null; [ $? -eq 2 ]'
check "missing device: exit 3 and a hint" \
	sh -c 'out=$(vsimple -d 9 info 2>&1); [ $? -eq 3 ] && echo "$out" | grep -q "is the module loaded"'
# --json output parses (tests/guest/json_check.c) and has its numbers
check "vsimple bench --json: valid JSON with requests_per_s, mb_per_s and latency_us.p99" \
	sh -c 'vsimple bench --seconds 1 --size 512 --depth 4 --json |
		json_check requests_per_s mb_per_s latency_us.p50 latency_us.p99 requests'
check "vsimple bench --engine uring: 64 KiB ECHOs through io_uring, every answer checked" \
	sh -c 'vsimple bench --engine uring --seconds 1 --size 65536 --depth 8 --json |
		json_check requests_per_s requests'
check "vsimple bench --engine uring --op crc32c: answers checked" \
	sh -c 'vsimple bench --engine uring --op crc32c --seconds 1 --size 4096 --depth 4 >/dev/null'
check "vsimple info --json: valid JSON with max_payload and the queue sizes" \
	sh -c 'vsimple info --json | json_check max_payload req_queue_size resp_queue_size max_in_flight'
check "vsimple list --json: valid JSON" sh -c 'vsimple list --json | json_check'
check "json_check itself refuses a trailing comma and a missing number" \
	sh -c '! echo "{\"a\": 1,}" | json_check 2>/dev/null && ! echo "{\"a\": 1}" | json_check b 2>/dev/null'

# exit CODE TEXT COMMAND...: COMMAND exits CODE and its stderr says TEXT
exits() {
	want=$1 text=$2; shift 2
	err=$("$@" 2>&1 >/dev/null); rc=$?
	[ "$rc" -eq "$want" ] && echo "$err" | grep -q -e "$text" && return 0
	echo "expected exit $want and '$text', got exit $rc: $err"
	return 1
}
check "bench --size abc: usage error naming the option, exit 2" exits 2 "--size" vsimple bench --size abc
check "bench --depth 4x (trailing garbage): exit 2" exits 2 "--depth" vsimple bench --depth 4x
check "bench --engine foo: usage error naming the option, exit 2" exits 2 "--engine" vsimple bench --engine foo
check "bench --seconds '' (empty): exit 2" exits 2 "--seconds" vsimple bench --seconds ''
check "echo with two TEXTs: extra argument refused, exit 2" exits 2 "unexpected argument" vsimple echo a b
check "info with an argument: refused, exit 2" exits 2 "unexpected argument" vsimple info extra
check "delay with two USECs: refused, exit 2" exits 2 "unexpected argument" vsimple delay 1000 5

# permission denied is not "no device": the node root-only, opened as nobody
mm=$(cat $sys/dev)
mknod /tmp/vs-root-only c "${mm%:*}" "${mm#*:}" && chmod 600 /tmp/vs-root-only
check "as nobody, the 0666 node works (the control)" as_user 65534 65534 vsimple info
check "as nobody, a 0600 node: 'permission denied', exit 4" \
	exits 4 "permission denied" as_user 65534 65534 vsimple -d /tmp/vs-root-only info
check "and not the no-device hint" \
	sh -c '! as_user 65534 65534 vsimple -d /tmp/vs-root-only info 2>&1 | grep -q "is the module loaded"'
rm -f /tmp/vs-root-only

echo 'VSIMPLE-QMP {"execute": "qom-set", "arguments": {"path": "/machine/peripheral/vs0", "property": "label", "value": "relabelled"}}'
check "a label set on the host (qom-set) reaches sysfs" wait_content $sys/label relabelled 30
check "and IOC_INFO" sh -c 'vsimple info | grep -q "^label: *relabelled$"'

exec 3<>$node
check "rmmod is refused while a file is open" sh -c '! rmmod virtio_simple 2>/dev/null'
exec 3>&-
check "rmmod works once it is closed" rmmod virtio_simple
check "the module is gone" sh -c '! grep -q "^virtio_simple " /proc/modules'
# replay the device's "add" event, as udevadm trigger would
for u in /sys/bus/virtio/devices/*/uevent; do echo add > "$u"; done
check "the uevent daemon loads it again by modalias" wait_for $node 30
check "and it answers" sh -c '[ "$(vsimple echo back)" = back ]'
tap_done
