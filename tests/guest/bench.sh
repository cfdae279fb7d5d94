#!/bin/sh
# `make bench`: throughput and latency of each op through the driver.  Under
# TCG the numbers measure the emulator as much as the design: compare runs on
# the same machine, not absolute values.
i=0; while [ ! -e /dev/virtio-simple0 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
for args in "--op echo --size 64 --depth 1" "--op echo --size 64 --depth 16" \
	    "--op echo --size 65536 --depth 8" "--op crc32c --size 4096 --depth 8" \
	    "--op delay --depth 32"; do
	echo "== vsimple bench $args --seconds 3"
	vsimple bench $args --seconds 3 || exit 1
done
