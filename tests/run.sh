#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The test runner behind `make check`: host tests and guest tests, each
# one TAP stream with one plan, read by TAP::Parser as prove reads it
# (tests/lib/tap-count.pl; invalid TAP fails).  Starts with "# versions:" lines,
# gives each suite a "# NAME: ... in N s" line, ends with "N passed, N
# failed, N skipped" and exits non-zero when anything failed.  The
# machinery is tests/lib/runner.sh.  Logs: build/test-logs/.
# make check-debug reuses it: VSIMPLE_TEST_LOGS moves the logs, and
# VSIMPLE_SUITE_CHECK is a command run on each suite's guest consoles
# (CMD NAME CONSOLE-LOG); when it fails the suite counts one more failure.
# tests/expected-counts says how many checks each suite must report and how
# many it may skip: a suite below its count, skipping more, or missing
# there fails (VSIMPLE_EXPECTED names another file).
# VSIMPLE_SUITES="glob ..." runs only the suites it names (one that names
# none is a failure).
# VSIMPLE_JOBS=N: suites at a time (default: the cores, at most 4).  Each
# runs under timeout in a process group of its own (so it cannot ask at
# the terminal: sudo must not need a password).
# VSIMPLE_BUDGET=SECONDS (from the start) or VSIMPLE_DEADLINE=EPOCH-SECOND
# (the earlier wins; default none): a time budget for the whole run.  A
# suite is stopped when the budget runs out, and the suites left count one
# failure each.
# VSIMPLE_MAX_TIMEOUTS=K (default 2, 0: never): after K suites in a row exit
# 124 (vm/boot/run-guest.py's guest timeout), the rest are not run and count
# one failure each.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit
. tests/lib/runner.sh
runner_start
runner_versions
runner_root_up_front install-guest install-guest-dkms

guest() {
	vm/boot/run-guest.py --timeout "${VSIMPLE_GUEST_TIMEOUT:-300}" "$@"
}
# the guest on QEMU's ASan build: x-fault-injection exists in test builds
# alone (common/virtio-simple-ops.h); the backend's ASan build, which vu
# runs, has it too
guest_asan() {
	local b
	b=$(FLAVOUR=asan vm/builders/build-qemu.sh) || return 1
	guest --qemu "$b/qemu-system-x86_64" "$@"
}
# the same guest, its virtio-simple-pci served by the vhost-user backend
# (backend/, its ASan + UBSan build): docs/vhost-user.md
vu() { guest --backend vhost-user "$@"; }

# Suites start in this order, VSIMPLE_JOBS at a time (default: the cores,
# at most 4), as earlier ones end: the longest come first, so that the
# last to end are short.  Suites that write the same files share a --lock
# and never run at the same time: tree (make install's outputs, build/kmod
# and build/install), scratch (tests/scratch-trees.sh).
# The suites run in a child bash: the helpers above go with them.
export -f guest guest_asan vu

# make install in a booted Debian guest with systemd (mmdebstrap root,
# cached; root, through sudo); not guest-*: it brings its own kernel.
# First with the module from DKMS: dkms and the kernel's headers in the
# root, `dkms add` and `dkms install` in a chroot of it (its own gcc)
suite --lock tree install-guest-dkms tests/install-guest.sh dkms
suite --lock tree install-guest tests/install-guest.sh
# docs/extending.md's XOR patch applied to a copy of the tree, and the copy
# vm/targets/new-device.sh foo 62 makes: each built (with one QEMU of their
# own, see tests/scratch-trees.sh) and tested, so neither can rot
suite --lock scratch extending-example tests/extending.sh
suite --lock scratch new-device tests/new-device.sh
# 60 s of the device's fuzz target from the seeds (docs/fuzzing.md); its
# QEMU build (libFuzzer, ASan + UBSan) adds about 10 min to a cold check
suite fuzz-smoke tests/fuzz-smoke.sh
# the runner itself, on fake suites (half a minute of waiting)
suite host-runner tests/host/runner.sh
suite qtest-asan-ubsan tests/qtest.sh
# the seed's probe path, STEP 1..6, from a real trace; the 10f3 device unbound
suite trace-probe-path vm/targets/trace.sh --check
suite host-header build/host-tests/test_header
# the protocol code the device and the backend share (common/), ASan + UBSan
suite host-ops build/host-tests/test_ops
# the vhost-user backend's host API without QEMU (ASan + UBSan build)
suite host-backend build/backend/asan/test_host_api
suite host-apt-sources tests/host/apt-src-entry.sh
# scripts whose stdout is captured print only their result there (installs
# stubbed); a missing tool is named
suite host-captured-stdout tests/host/captured-stdout.sh
suite host-debug-log-check tests/host/debug-log-check.sh
suite host-vsimple-cli tests/host/vsimple-cli.sh
suite host-cxx-header tests/host/cxx-header.sh
suite --lock tree host-install tests/host/install.sh
# SPDX lines and licence texts; the docs' reading path and their links
suite host-licence-docs tests/host/licence-docs.sh
suite lint tests/lint.sh
suite device-props tests/device-props.sh
# the emulator setting every guest runs on (vm/boot/run-guest.py's -accel)
suite guest-text-poke guest --timeout 120 tests/guest/text_poke.sh
suite guest-skeleton guest --device virtio-simple-pci tests/guest/skeleton.sh
suite guest-driver guest --device virtio-simple-pci,id=vs0 tests/guest/driver.sh
suite guest-libvsimple guest --device virtio-simple-pci build/guest-bin/libvsimple_test
# io_uring passthrough: registered and plain buffers, batching, errors
suite guest-uring guest --device virtio-simple-pci build/guest-bin/uring_test
suite guest-unplug guest --device virtio-simple-pci,id=vs0 build/guest-bin/lifecycle_test unplug
suite guest-unbind guest --device virtio-simple-pci,id=vs0 build/guest-bin/lifecycle_test unbind
# init_on_alloc=0: Debian's default of zeroing every allocation would hide
# a driver that hands user space memory the device never wrote
suite guest-faulty-device guest_asan --append init_on_alloc=0 \
	--device virtio-simple-pci,x-fault-injection=on build/guest-bin/fault_test
suite guest-recovery guest_asan --device virtio-simple-pci,x-fault-injection=on \
	build/guest-bin/recovery_test
# failslab/fail_page_alloc (fail-nth) in the system calls, fail_function
# in the driver's refill and probe: the debug kernel (make check-debug);
# skipped on a kernel without fault injection
suite guest-alloc-failure guest --device virtio-simple-pci build/guest-bin/alloc_fail_test
# max-payload 256 KiB, so a file's 8 MiB budget shows after a few answers
suite guest-data-path guest --device virtio-simple-pci,max-payload=262144 \
	build/guest-bin/datapath_test
suite guest-small-rings guest --device virtio-simple-pci,queue-size=2 \
	--device virtio-simple-pci,queue-size=4 --device virtio-simple-pci,queue-size=8 \
	build/guest-bin/small_ring_test 3
suite guest-freeze guest --device virtio-simple-pci,id=vs0 build/guest-bin/lifecycle_test freeze
suite guest-two-devices guest --device virtio-simple-pci,label=alpha \
	--device virtio-simple-pci,label=beta tests/guest/two_devices.sh
suite guest-packed-ring guest --device virtio-simple-pci,packed=on tests/guest/skeleton.sh packed
# The guest suites that exercise the device, again with the device served
# by the vhost-user backend; same tests, same counts (packed rings aside:
# libvhost-user has none)
suite guest-vu-skeleton vu --device virtio-simple-pci tests/guest/skeleton.sh
suite guest-vu-driver vu --device virtio-simple-pci,id=vs0 tests/guest/driver.sh
suite guest-vu-libvsimple vu --device virtio-simple-pci build/guest-bin/libvsimple_test
suite guest-vu-uring vu --device virtio-simple-pci build/guest-bin/uring_test
suite guest-vu-unplug vu --device virtio-simple-pci,id=vs0 build/guest-bin/lifecycle_test unplug
suite guest-vu-unbind vu --device virtio-simple-pci,id=vs0 build/guest-bin/lifecycle_test unbind
suite guest-vu-faulty-device vu --append init_on_alloc=0 \
	--device virtio-simple-pci,x-fault-injection=on build/guest-bin/fault_test
suite guest-vu-recovery vu --device virtio-simple-pci,x-fault-injection=on \
	build/guest-bin/recovery_test
suite guest-vu-alloc-failure vu --device virtio-simple-pci build/guest-bin/alloc_fail_test
suite guest-vu-data-path vu --device virtio-simple-pci,max-payload=262144 \
	build/guest-bin/datapath_test
suite guest-vu-small-rings vu --device virtio-simple-pci,queue-size=2 \
	--device virtio-simple-pci,queue-size=4 --device virtio-simple-pci,queue-size=8 \
	build/guest-bin/small_ring_test 3
suite guest-vu-freeze vu --device virtio-simple-pci,id=vs0 build/guest-bin/lifecycle_test freeze
suite guest-vu-two-devices vu --device virtio-simple-pci,label=alpha \
	--device virtio-simple-pci,label=beta tests/guest/two_devices.sh
# the backend killed with requests in flight, then started again
suite guest-vu-backend-failure vu --device virtio-simple-pci,id=vs0 \
	build/guest-bin/backend_failure_test
# the host API's example: an op of a host program's own, end to end
suite guest-vu-host-api vu --backend-bin build/backend/asan/vhost-user-simple-kv \
	--backend-arg=--set=greeting=hello --device virtio-simple-pci \
	build/guest-bin/kv_test

runner_summary
