# SPDX-License-Identifier: GPL-2.0
# virtio-simple: the two commands a user needs are `make demo` and
# `make check`; everything else is a step they depend on.
SHELL := /bin/bash
BUILD := build
CFLAGS_HOST := -O2 -g -Wall -Wextra -Werror -Iinclude/uapi -Itools/lib
GUEST_CFLAGS := -O2 -static -Wall -Wextra -Werror -Iinclude/uapi -Itools/lib
LIB := tools/lib/libvsimple.c tools/lib/libvsimple_uring.c
# liburing linked in statically: nothing more to install where it runs
URING := -l:liburing.a
LIB_HEADERS := tools/lib/libvsimple.h

# The distro kernel the driver and the guest use, resolved once per make
# run (on first use) and handed to every script, so they cannot disagree.
# Not for install/uninstall (install.mk): they use the running kernel, and
# an exported variable is expanded for every recipe (an apt look-up).
ifneq ($(filter-out install uninstall install-% uninstall-%,$(or $(MAKECMDGOALS),all)),)
export VSIMPLE_KVER = $(eval VSIMPLE_KVER := $(shell VSIMPLE_TARGET=$(VSIMPLE_TARGET) vm/fetch/kernel-version.sh))$(VSIMPLE_KVER)
endif

GUEST_TESTS := $(patsubst tests/guest/%.c,$(BUILD)/guest-bin/%,$(wildcard tests/guest/*.c))
HOST_TESTS := $(patsubst tests/host/%.c,$(BUILD)/host-tests/%,$(wildcard tests/host/*.c))
HEADERS := $(wildcard include/uapi/*.h tests/lib/*.h tests/guest/*.h) $(LIB_HEADERS)

.PHONY: all deps driver tools backend guest-bin host-tests guest demo check check-debug matrix bench bench-docs diagrams \
	trace fresh-check fuzz clean

all: guest tools

# Packages: QEMU build deps, module tools, the distro kernel's headers.
# Everything that compiles depends on it, so `make -j` works from cold.
deps:
	@vm/builders/install-deps.sh

# VSIMPLE_TARGET=backports: QEMU 10.0 and kernel 6.12 (vm/lib.sh); the
# driver then builds against the 6.12 headers unpacked into the cache
export VSIMPLE_TARGET
driver: deps
	$(MAKE) -C driver $(if $(filter backports,$(VSIMPLE_TARGET)),KDIR=$$(vm/fetch/fetch-headers.sh))

# libvsimple and the vsimple CLI, for this host and (static) for the guest
$(BUILD)/tools/libvsimple.a: $(LIB) $(HEADERS) | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -c -o $(BUILD)/tools/libvsimple.o tools/lib/libvsimple.c
	$(CC) $(CFLAGS_HOST) -c -o $(BUILD)/tools/libvsimple_uring.o tools/lib/libvsimple_uring.c
	rm -f $@
	$(AR) rcs $@ $(BUILD)/tools/libvsimple.o $(BUILD)/tools/libvsimple_uring.o

$(BUILD)/tools/vsimple: tools/vsimple/vsimple.c $(BUILD)/tools/libvsimple.a
	$(CC) $(CFLAGS_HOST) -o $@ $< $(BUILD)/tools/libvsimple.a $(URING)

tools: $(BUILD)/tools/vsimple

$(BUILD)/guest-bin/vsimple: tools/vsimple/vsimple.c $(LIB) $(HEADERS) | deps
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -o $@ $< $(LIB) $(URING)

# libvsimple's own guest test and the host API example's link it; the
# others use the raw system calls
$(BUILD)/guest-bin/libvsimple_test $(BUILD)/guest-bin/kv_test: $(BUILD)/guest-bin/%: tests/guest/%.c $(LIB) $(HEADERS) | deps
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -pthread -o $@ $< $(LIB) $(URING)

# the io_uring tests drive the driver through liburing (Debian's, static)
$(BUILD)/guest-bin/uring_test $(BUILD)/guest-bin/recovery_test \
		$(BUILD)/guest-bin/lifecycle_test $(BUILD)/guest-bin/fault_test: $(BUILD)/guest-bin/%: tests/guest/%.c $(HEADERS) | deps
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -pthread -o $@ $< $(URING)

$(BUILD)/guest-bin/%: tests/guest/%.c $(HEADERS) | deps
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -pthread -o $@ $<

$(BUILD)/guest-bin/tap.sh: tests/lib/tap.sh
	@mkdir -p $(@D)
	cp $< $@

guest-bin: $(GUEST_TESTS) $(BUILD)/guest-bin/tap.sh $(BUILD)/guest-bin/vsimple

$(BUILD)/host-tests/%: tests/host/%.c $(HEADERS) | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -o $@ $<

# LD_PRELOAD shims for the host tests of the CLI
$(BUILD)/host-tests/%.so: tests/host/preload/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -shared -fPIC -o $@ $< -ldl

# The protocol code the QEMU device and the vhost-user backend share
# (common/), tested on its own under ASan and UBSan
OPS_SRC := common/virtio-simple-ops.c common/virtio-simple-ops.h
$(BUILD)/host-tests/test_ops: tests/common/test_ops.c $(OPS_SRC) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -fsanitize=address,undefined \
		-fno-sanitize-recover=all \
		-Icommon/compat -Iinclude/uapi -o $@ $< common/virtio-simple-ops.c

host-tests: $(BUILD)/host-tests/test_ops $(HOST_TESTS) $(patsubst tests/host/preload/%.c,$(BUILD)/host-tests/%.so,$(wildcard tests/host/preload/*.c))

# QEMU with the device, the guest initramfs and the runner's settings.
guest: driver guest-bin
	vm/image/make-guest.sh $(BUILD)/guest.cpio
	vm/boot/guest-env.sh $(BUILD)/guest.env $(BUILD)/guest.cpio

demo: guest
	vm/targets/demo.sh

# The device as a host process (docs/vhost-user.md): vhost-user-simple, the
# host API (libvsimple-host) and its example, on QEMU's libvhost-user;
# build/backend/asan (what the tests run) and build/backend/plain
backend: deps
	@vm/builders/build-backend.sh asan >/dev/null
	@vm/builders/build-backend.sh plain

check: guest host-tests tools backend
	tests/run.sh

# Every guest suite again on a debug kernel (KASAN, lockdep, kmemleak,
# UBSAN, ...) built from the distro kernel's source; not part of `check`
check-debug: guest
	vm/targets/check-debug.sh

# Long runs under load with their numbers and pass criteria (docs/testing.md):
# make stress (STRESS_CYCLES), make soak (SOAK_SECONDS); DEBUG=1 runs them
# on check-debug's kernel.  Not part of check
.PHONY: stress soak
stress soak: guest
	$(if $(DEBUG),vm/targets/check-debug.sh) vm/targets/stress.sh $@

# The device under QEMU's libFuzzer (docs/fuzzing.md): FUZZ_SECONDS of one
# fuzzing process (default 60); crashes land in build/fuzz/artifacts/
fuzz: deps
	FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60) vm/targets/fuzz.sh

# The qtests and guest suites on QEMU 7.2/10.0 x Linux 6.1/6.12 (the two
# VSIMPLE_TARGETs), a table of counts; logs in build/matrix/.  Not in check
matrix: guest-bin
	vm/targets/matrix.sh

# A renamed copy of the whole project to start your own device from
# (docs/extending.md): make new-device NAME=foo ID=62 [DIR=../virtio-foo]
.PHONY: new-device
new-device:
	vm/targets/new-device.sh "$(NAME)" "$(ID)" $(if $(DIR),"$(DIR)")

# A cloud image's first boot installs the driver through DKMS
# (docs/usage.md): the NoCloud seed in build/cloud/seed/, and the whole
# way tried under the project's QEMU (VSIMPLE_CLOUD_IMAGE=FILE, or a
# stand-in made by mmdebstrap)
.PHONY: cloud-user-data cloud-try
cloud-user-data:
	vm/image/cloud-user-data.sh $(BUILD)/cloud/seed

cloud-try: guest
	vm/targets/cloud-try.sh

# The seed's probe path, STEP 1..6, from a real kernel trace
trace: guest
	vm/targets/trace.sh

# virtio-simple against virtio-serial in one guest (TCG: numbers compare,
# they are not hardware's); serial-echo is the serial port's host end
$(BUILD)/tools/serial-echo: tools/serial-echo/serial-echo.c | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -o $@ $<

bench: guest backend $(BUILD)/tools/serial-echo
	@vm/builders/install-bench-deps.sh
	vm/targets/bench.sh

# the last make bench into docs/benchmarks/ (or, with none, the committed
# results.json drawn again): results.json, table.txt, throughput.png
bench-docs:
	@vm/builders/install-bench-deps.sh
	@if [ -f $(BUILD)/bench/results.json ]; then cp $(BUILD)/bench/results.json docs/benchmarks/; fi
	vm/targets/bench-report.sh --from docs/benchmarks/results.json docs/benchmarks
	@rm -f docs/benchmarks/throughput.dat docs/benchmarks/gnuplot.log

# The README's promise proven on pristine Debian roots (one-line and deb822
# apt sources): .ci/run in a fresh debootstrap root each.  Needs root.
fresh-check:
	vm/targets/fresh-check.sh

clean:
	-$(MAKE) -C driver clean
	rm -rf $(BUILD)

# make install / uninstall (the running kernel), install-dkms, install-qemu
include install.mk

# The docs' diagrams, rendered from their graphviz sources in docs/diagrams/
# (host-licence-docs checks the committed renderings are current)
diagrams:
	dot -Tsvg docs/diagrams/request-path.dot -o docs/request-path.svg
