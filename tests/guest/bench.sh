#!/bin/sh
# `make bench`: throughput and latency of each op through the driver.  Under
# TCG the numbers measure the emulator as much as the design: compare runs on
# the same machine, not absolute values.
. /opt/vsimple/bin/tap.sh	# for wait_for
wait_for /dev/virtio-simple0 30 || exit 1
for args in "--op echo --size 64 --depth 1" "--op echo --size 64 --depth 16" \
	    "--op echo --size 65536 --depth 8" "--op crc32c --size 4096 --depth 8" \
	    "--op delay --depth 32"; do
	echo "== vsimple bench $args --seconds 3"
	vsimple bench $args --seconds 3 || exit 1
done
