# SPDX-License-Identifier: GPL-2.0
# make install / make uninstall: virtio-simple on a real Linux system.
# Included by the top Makefile.
#
# The module is built for the RUNNING kernel (uname -r; KVER=... for
# another one with its headers in /lib/modules/KVER/build), not for the
# distro kernel the test guest runs (VSIMPLE_KVER), and installed through
# Kbuild's modules_install: lib/modules/KVER/extra, compressed as that
# kernel's config says, then depmod.  DESTDIR and PREFIX are honoured.
# Nothing here needs `deps`: a user's VM needs only a compiler, make, kmod
# and linux-headers-$(uname -r).

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# /etc/udev/rules.d, read by every udev (systemd-udevd also reads
# PREFIX/lib/udev/rules.d only for PREFIX /usr/local or /usr)
UDEVRULESDIR ?= /etc/udev/rules.d
# one version, the one dkms.conf gives (`make -f install.mk print-version`
# for scripts: vm/lib.sh's vs_package_version)
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
SONAME := libvsimple.so.0
INSTALL ?= install

# Its own build directory per kernel, so installing for the running kernel
# never touches driver/, which `make driver` builds for the guest kernel.
KMOD := $(BUILD)/kmod/$(KVER)
INST := $(BUILD)/install
# the sources only: Kbuild writes virtio-simple.mod.c into driver/ too
KMOD_SRC := $(filter-out %.mod.c,$(wildcard driver/*.c driver/*.h)) driver/Kbuild driver/Makefile
# Kbuild runs in other directories: an absolute DESTDIR
MODPATH = $(if $(DESTDIR),$(abspath $(DESTDIR)))

.PHONY: install uninstall install-module uninstall-module install-udev \
	uninstall-udev install-lib uninstall-lib install-cli uninstall-cli \
	install-dkms uninstall-dkms install-qemu uninstall-qemu print-version

install: install-module install-udev install-lib install-cli
uninstall: uninstall-module uninstall-udev uninstall-lib uninstall-cli

print-version:
	@echo $(VERSION)

# --- the module ---------------------------------------------------------
$(KMOD)/.linked: $(KMOD_SRC) driver/link-sources.sh
	@[ -d $(KDIR) ] || { echo "no kernel build tree $(KDIR): install" \
		"linux-headers-$(KVER), or set KVER= (or KDIR=)" >&2; exit 1; }
	driver/link-sources.sh $(KMOD)
	@touch $@

install-module: $(KMOD)/.linked
	$(MAKE) -C $(KMOD)/driver KVER=$(KVER) KDIR=$(KDIR)
	$(MAKE) -C $(KMOD)/driver KVER=$(KVER) KDIR=$(KDIR) \
		INSTALL_MOD_PATH=$(MODPATH) modules_install

uninstall-module:
	$(MAKE) -C driver KVER=$(KVER) INSTALL_MOD_PATH=$(MODPATH) modules_uninstall

# --- the udev rule: the node's mode -------------------------------------
install-udev:
	$(INSTALL) -D -m 644 driver/99-virtio-simple.rules \
		$(DESTDIR)$(UDEVRULESDIR)/99-virtio-simple.rules
	@if [ -z "$(DESTDIR)" ] && command -v udevadm >/dev/null; then \
		echo "udevadm control --reload"; udevadm control --reload || true; fi

uninstall-udev:
	rm -f $(DESTDIR)$(UDEVRULESDIR)/99-virtio-simple.rules
	@if [ -z "$(DESTDIR)" ] && command -v udevadm >/dev/null; then \
		udevadm control --reload || true; fi

# --- libvsimple: static, shared (soname libvsimple.so.0), pkg-config -----
LIB_OBJS := $(INST)/libvsimple.o $(INST)/libvsimple_uring.o
$(LIB_OBJS): $(INST)/%.o: tools/lib/%.c $(LIB_HEADERS) include/uapi/virtio_simple.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -fPIC -c -o $@ $<

# two members: a program that does not use the ring needs no liburing
$(INST)/libvsimple.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

# liburing linked in: the shared library needs nothing more at run time
$(INST)/$(SONAME): $(LIB_OBJS) tools/lib/libvsimple.map
	$(CC) -shared -Wl,-soname,$(SONAME) \
		-Wl,--version-script,tools/lib/libvsimple.map -o $@ $(LIB_OBJS) $(URING)

# written at install time: it holds PREFIX
define pkgconfig
prefix=$(PREFIX)
libdir=$(LIBDIR)
includedir=$(INCLUDEDIR)

Name: libvsimple
Description: C library for virtio-simple devices (/dev/virtio-simpleN)
Version: $(VERSION)
Libs: -L$${libdir} -lvsimple
Libs.private: -luring
Cflags: -I$${includedir}
endef
export pkgconfig

# the CLI links the static library: no ld.so.cache needed for /usr/local
$(INST)/vsimple: tools/vsimple/vsimple.c $(INST)/libvsimple.a
	$(CC) $(CFLAGS_HOST) -o $@ $< $(INST)/libvsimple.a $(URING)

install-lib: $(INST)/libvsimple.a $(INST)/$(SONAME)
	$(INSTALL) -D -m 644 $(INST)/libvsimple.a $(DESTDIR)$(LIBDIR)/libvsimple.a
	$(INSTALL) -D -m 755 $(INST)/$(SONAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libvsimple.so
	$(INSTALL) -d $(DESTDIR)$(PKGCONFIGDIR)
	echo "$$pkgconfig" > $(DESTDIR)$(PKGCONFIGDIR)/libvsimple.pc
	$(INSTALL) -D -m 644 tools/lib/libvsimple.h $(DESTDIR)$(INCLUDEDIR)/libvsimple.h
	$(INSTALL) -D -m 644 tools/lib/libvsimple.3 $(DESTDIR)$(MANDIR)/man3/libvsimple.3
	$(INSTALL) -D -m 644 include/uapi/virtio_simple.h $(DESTDIR)$(INCLUDEDIR)/virtio_simple.h
	@if [ -z "$(DESTDIR)" ]; then echo ldconfig; ldconfig; fi

uninstall-lib:
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,libvsimple.a $(SONAME) libvsimple.so) \
		$(DESTDIR)$(PKGCONFIGDIR)/libvsimple.pc \
		$(addprefix $(DESTDIR)$(INCLUDEDIR)/,libvsimple.h virtio_simple.h) \
		$(DESTDIR)$(MANDIR)/man3/libvsimple.3
	[ ! -d $(DESTDIR)$(MANDIR)/man3 ] || rmdir --ignore-fail-on-non-empty $(DESTDIR)$(MANDIR)/man3
	[ ! -d $(DESTDIR)$(PKGCONFIGDIR) ] || rmdir --ignore-fail-on-non-empty $(DESTDIR)$(PKGCONFIGDIR)
	@if [ -z "$(DESTDIR)" ]; then echo ldconfig; ldconfig; fi

# --- the vsimple CLI and its man page ------------------------------------
install-cli: $(INST)/vsimple
	$(INSTALL) -D -m 755 $(INST)/vsimple $(DESTDIR)$(BINDIR)/vsimple
	$(INSTALL) -D -m 644 tools/vsimple/vsimple.1 $(DESTDIR)$(MANDIR)/man1/vsimple.1

uninstall-cli:
	rm -f $(DESTDIR)$(BINDIR)/vsimple $(DESTDIR)$(MANDIR)/man1/vsimple.1
	[ ! -d $(DESTDIR)$(MANDIR)/man1 ] || rmdir --ignore-fail-on-non-empty $(DESTDIR)$(MANDIR)/man1

# --- DKMS: the module rebuilt for every kernel installed later ------------
# The source DKMS builds from: dkms.conf, driver/ and the protocol header,
# laid out as here (Kbuild's -I$(src)/../include).  With DESTDIR, only the
# source is staged: run `dkms install virtio-simple/$(VERSION)` there.
DKMS_SRC = $(DESTDIR)/usr/src/virtio-simple-$(VERSION)
DKMS_FILES := dkms.conf $(KMOD_SRC) \
	include/uapi/virtio_simple.h

install-dkms:
	for f in $(DKMS_FILES); do $(INSTALL) -D -m 644 $$f $(DKMS_SRC)/$$f || exit 1; done
	@if [ -z "$(DESTDIR)" ]; then \
		echo "dkms install virtio-simple/$(VERSION) (kernel $(KVER))"; \
		dkms add virtio-simple/$(VERSION) && \
		dkms install virtio-simple/$(VERSION) -k $(KVER); \
	fi

uninstall-dkms:
	@if [ -z "$(DESTDIR)" ] && dkms status virtio-simple/$(VERSION) 2>/dev/null | grep -q .; then \
		echo "dkms remove virtio-simple/$(VERSION) --all"; \
		dkms remove virtio-simple/$(VERSION) --all; \
	fi
	rm -rf $(DKMS_SRC)

# --- QEMU with the device, for use outside the harness (docs/usage.md) ---
# The binary finds its data relative to itself (PREFIX/share/qemu): the
# firmware the build tree links to (SeaBIOS, option ROMs, iPXE) goes there.
install-qemu: deps
	@b=$$(vm/builders/build-qemu.sh) && \
	$(INSTALL) -D -m 755 $$b/qemu-system-x86_64 $(DESTDIR)$(BINDIR)/qemu-system-x86_64 && \
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/share/qemu && \
	for f in $$b/qemu-bundle/usr/local/share/qemu-firmware/*; do \
		$(INSTALL) -m 644 "$$(readlink -f "$$f")" $(DESTDIR)$(PREFIX)/share/qemu/$$(basename "$$f") || exit 1; \
	done && echo "installed $(DESTDIR)$(BINDIR)/qemu-system-x86_64 and its firmware"

uninstall-qemu:
	rm -f $(DESTDIR)$(BINDIR)/qemu-system-x86_64
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/qemu/,$(notdir $(wildcard \
		/usr/share/seabios/*.bin /usr/share/qemu/*.bin /usr/lib/ipxe/qemu/*.rom)))
	[ ! -d $(DESTDIR)$(PREFIX)/share/qemu ] || rmdir --ignore-fail-on-non-empty $(DESTDIR)$(PREFIX)/share/qemu
