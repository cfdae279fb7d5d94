# virtio-simple: the two commands a user needs are `make demo` and
# `make check`; everything else is a step they depend on.
SHELL := /bin/bash
BUILD := build
CFLAGS_HOST := -O2 -g -Wall -Wextra -Werror -Iinclude/uapi
GUEST_CFLAGS := -O2 -static -Wall -Wextra -Werror -Iinclude/uapi

GUEST_TESTS := $(patsubst tests/guest/%.c,$(BUILD)/guest-bin/%,$(wildcard tests/guest/*.c))
HOST_TESTS := $(patsubst tests/host/%.c,$(BUILD)/host-tests/%,$(wildcard tests/host/*.c))
HEADERS := $(wildcard include/uapi/*.h tests/lib/*.h)

.PHONY: all deps driver guest-bin host-tests guest demo check clean

all: guest

# Packages: QEMU build deps, module tools, the distro kernel's headers.
deps:
	@vm/install-deps.sh

driver: deps
	$(MAKE) -C driver

$(BUILD)/guest-bin/%: tests/guest/%.c $(HEADERS) | deps
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -o $@ $<

$(BUILD)/guest-bin/tap.sh: tests/guest/tap.sh
	@mkdir -p $(@D)
	cp $< $@

guest-bin: $(GUEST_TESTS) $(BUILD)/guest-bin/tap.sh

$(BUILD)/host-tests/%: tests/host/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -o $@ $<

host-tests: $(HOST_TESTS)

# QEMU with the device, the guest initramfs and the runner's settings.
guest: driver guest-bin
	vm/make-guest.sh $(BUILD)/guest.cpio
	vm/guest-env.sh $(BUILD)/guest.env $(BUILD)/guest.cpio

demo: guest
	vm/demo.sh

check: guest host-tests
	tests/run.sh

clean:
	-$(MAKE) -C driver clean
	rm -rf $(BUILD)
