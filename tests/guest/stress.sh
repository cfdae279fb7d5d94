#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make stress, the guest half (vm/targets/stress.sh boots it with one device, id
# vs0, x-fault-injection=on):  stress.sh CYCLES [nohotplug]
# Under load from stress_load (4 processes, a mix of ECHO, CRC32C and
# DELAY, blocking in read and write): 8 threads sharing one file; CYCLES
# device resets (NEEDS_RESET from the device's fault injection); CYCLES
# sysfs unbind/bind; CYCLES QMP hot-unplug and re-plug.  Then the numbers
# and the pass criteria (stress_lib.sh); vm/targets/stress.sh judges QEMU's RSS.
. /opt/vsimple/bin/tap.sh
. /job/stress_lib.sh
cycles=${1:-100}
drv=/sys/bus/virtio/drivers/virtio_simple
cls=/sys/class/virtio-simple/virtio-simple0
load_args="-p 4 -d 24"

check "$node appears" wait_for $node 60
# warm-up: the driver's caches and the guest's first allocations
load "warm-up (10 s)" $load_args -s 10 $node
load_end
mem_snapshot before

load "8 threads sharing one file, 4 processes (30 s)" $load_args -t 8 -s 30 $node
load_end

# one reset at a time: each must be seen (recoveries + 1) before the next
load "$cycles device resets (NEEDS_RESET) under load" $load_args $node
ok=0
for i in $(seq "$cycles"); do
	r=$(cat $cls/recoveries)
	vsimple echo x-fault:r > /dev/null 2>&1
	wait_until 60 [ "$(cat $cls/recoveries)" -gt "$r" ] || break
	ok=$i
done
load_end stop
criterion $([ "$ok" -eq "$cycles" ]; echo $?) "$ok of $cycles resets done, each within 60 s"

load "$cycles unbind/bind under load" $load_args $node
ok=0
for i in $(seq "$cycles"); do
	v=$(basename "$(readlink $cls/device)")
	echo "$v" > $drv/unbind || break
	wait_until 60 gone $node || break
	echo "$v" > $drv/bind || break
	wait_until 60 [ -e $node ] || break
	ok=$i
done
load_end stop
criterion $([ "$ok" -eq "$cycles" ]; echo $?) "$ok of $cycles unbind/bind cycles done, each step within 60 s"

if [ "${2:-}" = nohotplug ]; then
	tap_skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }
	tap_skip "$cycles QMP hot-unplug/re-plug cycles under load" "nohotplug"
	tap_skip "the hot-plug load" "nohotplug"
else
	load "$cycles QMP hot-unplug/re-plug under load" $load_args $node
	ok=0 id=vs0
	for i in $(seq "$cycles"); do
		echo "VSIMPLE-QMP {\"execute\": \"device_del\", \"arguments\": {\"id\": \"$id\"}}"
		wait_until 60 gone $node || break
		wait_until 60 no_vsimple_pci || break
		id=vs$i
		echo "VSIMPLE-QMP {\"execute\": \"device_add\", \"arguments\": {\"driver\": \"virtio-simple-pci\", \"id\": \"$id\"}}"
		wait_until 60 [ -e $node ] || break
		ok=$i
	done
	load_end stop
	criterion $([ "$ok" -eq "$cycles" ]; echo $?) "$ok of $cycles hot-unplug/re-plug cycles done, each step within 60 s"
fi

check "the device still answers an ECHO" vsimple echo still-here
check "nothing left in flight or unread" \
	sh -c "[ \$(cat $cls/in_flight) -eq 0 ] && [ \$(cat $cls/unread) -eq 0 ]"
mem_snapshot after
report
tap_done
