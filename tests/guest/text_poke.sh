#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The emulator survives Linux patching its own code on one vCPU while the
# other runs it: each tracepoint toggle is a text_poke_bp, an int3 written
# and IPIs to every CPU.  QEMU 7.2's multi-threaded TCG wedged a guest
# within 200 toggles (vm/boot/run-guest.py: accel_arg()).  TAP.
n=${1:-400}
T=/sys/kernel/tracing
echo "1..2"
[ -d $T/events ] || mount -t tracefs nodev $T
ev=$T/events/kmem/kmalloc/enable
if [ "$(cat /sys/devices/system/cpu/online)" = "0" ]; then
	echo "ok 1 - two vCPUs # SKIP one vCPU online"
else
	echo "ok 1 - two vCPUs online ($(cat /sys/devices/system/cpu/online))"
fi
i=0
while [ $i -lt "$n" ] && echo 1 > $ev && echo 0 > $ev; do
	i=$((i + 1))
done
[ $i -eq "$n" ] && echo "ok 2 - $n tracepoint toggles, each a text_poke_bp with IPIs: the guest kept running" ||
	echo "not ok 2 - $i of $n tracepoint toggles (writing $ev failed)"
