# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the vm/ scripts.  Source it; it defines no behaviour of
# its own beyond variables and functions.
VS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Big downloads and builds live outside the work tree, shared by clones.
VS_CACHE=${VSIMPLE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/var/tmp}/.cache}/virtio-simple}
mkdir -p "$VS_CACHE"

vs_say() { printf '[vsimple] %s\n' "$*" >&2; }
vs_die() { printf '[vsimple] error: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, else through sudo.
vs_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# vs_link_driver DIR: the driver's sources linked into DIR/driver, to build
# against another kernel with M=DIR/driver (driver/link-sources.sh)
vs_link_driver() { "$VS_TOP/driver/link-sources.sh" "$1"; }

# The package version: install.mk reads it from dkms.conf, in one place
vs_package_version() { make -s --no-print-directory -C "$VS_TOP" -f install.mk print-version; }

# Serialise the writers of the shared cache, so two clones (or two makes)
# never fetch or build into it at once.  Held until the calling script
# exits; the scripts it runs inherit it (VS_CACHE_LOCKED) instead of
# waiting for themselves.
vs_lock_cache() {
	[ "${VS_CACHE_LOCKED:-}" = "$VS_CACHE" ] && return 0
	exec 9>>"$VS_CACHE/.lock"
	if ! flock -n 9; then
		vs_say "waiting for another build using $VS_CACHE"
		flock 9
	fi
	export VS_CACHE_LOCKED=$VS_CACHE
}

# Lock one cache entry (a path) instead of the whole cache, for long builds
# (the debug kernel) that must not hold up everyone's QEMU builds.  Held on
# a fresh fd until the calling script exits.
vs_lock_entry() {
	local fd
	mkdir -p "$(dirname "$1")"
	exec {fd}>>"$1.lock"
	if ! flock -n "$fd"; then
		vs_say "waiting for another build of $1"
		flock "$fd"
	fi
}

# apt-get update once per boot of the host, so package look-ups work on a
# fresh machine without refreshing the lists on every make.
vs_apt_update() {
	local stamp=/var/lib/apt/periodic/vsimple-update-stamp
	if [ ! -e "$stamp" ] || [ "$stamp" -ot /proc/1 ]; then
		vs_say "apt-get update"
		vs_root apt-get -o DPkg::Lock::Timeout=300 update -q >&2
		vs_root mkdir -p "$(dirname "$stamp")"
		vs_root touch "$stamp"
	fi
}

# vs_install_packages WHAT PKG...: install those of PKG not installed yet
# (WHAT names them in the messages), waiting for a held apt lock.  apt's
# output goes to stderr: many callers print a result on stdout that their
# caller captures (vm/fetch/fetch-headers.sh, vm/builders/build-qemu.sh).
vs_install_packages() {
	local what=$1 p need=()
	shift
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
	done
	if [ ${#need[@]} -eq 0 ]; then
		vs_say "$what already installed"
		return 0
	fi
	vs_apt_update
	vs_say "installing: ${need[*]}"
	vs_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${need[@]}" >&2
}

# vs_need_tool PATH-OR-COMMAND PACKAGE: die naming the tool and the package
# that brings it when it is missing, so a check that depends on a tool
# fails with that message instead of failing in ways that hide it.
vs_need_tool() {
	[ -x "$1" ] || { [[ $1 != */* ]] && command -v "$1" >/dev/null; } ||
		vs_die "missing tool: $1 (Debian package $2)"
}

# vs_unpack_debs DEST PKG...: apt-get download PKG... (through the caller's
# vs_apt options, if any) and dpkg -x each into DEST, which is emptied
# first; the packages are never installed.  Call with DEST's lock held
# (vs_lock_cache or vs_lock_entry); the caller marks DEST complete.
vs_unpack_debs() {
	local dest=$1 deb
	shift
	rm -rf "$dest" "$dest.deb" && mkdir -p "$dest" "$dest.deb"
	(cd "$dest.deb" && apt-get "${vs_apt[@]}" download -q "$@" >&2) ||
		vs_die "apt-get download $* failed"
	for deb in "$dest.deb"/*.deb; do dpkg -x "$deb" "$dest"; done
	rm -rf "$dest.deb"
}

# vs_linux_source VERSION: the distro's linux-source-X.Y package at VERSION,
# unpacked once into the cache and shared by checkpatch (three files) and
# the debug kernel (the whole tree), so neither downloads it a second time.
# Prints the path of the source tarball it holds.
vs_linux_source() {
	local ver=$1 series dir
	series=$(echo "$ver" | cut -d. -f1,2)	# 6.1.192-2 -> 6.1
	dir="$VS_CACHE/linux-source/$ver"
	vs_lock_entry "$dir"
	if [ ! -f "$dir/.unpacked" ]; then
		vs_say "fetching linux-source-$series=$ver (unpacked into the cache, not installed)"
		vs_unpack_debs "$dir" "linux-source-$series=$ver"
		touch "$dir/.unpacked"
	fi
	compgen -G "$dir/usr/src/linux-source-$series.tar.*" | head -n 1 | grep . ||
		vs_die "no source tarball in linux-source-$series=$ver"
}

# VSIMPLE_TARGET: which end of the version range QEMU and the guest kernel
# come from.  stable (default): the release's own (QEMU 7.2, kernel 6.1);
# backports: CODENAME-backports (QEMU 10.0, kernel 6.12), never installed on
# the host, only fetched through a private apt state (vs_apt_private).
vs_target() {
	case ${VSIMPLE_TARGET:-stable} in
	stable|backports) echo "${VSIMPLE_TARGET:-stable}" ;;
	*) vs_die "VSIMPLE_TARGET=$VSIMPLE_TARGET: stable or backports" ;;
	esac
}

# vs_apt_private: set vs_apt to the options of a private apt state in the
# cache whose only entries are derived from the host's
# (vm/fetch/apt-src-entry.py): deb-src of the release's suites (stable), or
# deb and deb-src of CODENAME-backports.  The system's apt setup is not
# changed.  Lists are refreshed at most once a day.  Call with the cache
# locked.
vs_apt_private() {
	local d="$VS_CACHE/apt" derive=(--type deb-src) target
	target=$(vs_target)
	[ "$target" = stable ] || { d="$VS_CACHE/apt-$target"; derive+=(--backports); }
	mkdir -p "$d/sources.list.d" "$d/lists/partial" "$d/cache/archives/partial"
	{ "$VS_TOP/vm/fetch/apt-src-entry.py" "${derive[@]}" &&
	  if [ "$target" != stable ]; then echo; "$VS_TOP/vm/fetch/apt-src-entry.py" --backports --type deb; fi
	} > "$d/derived.tmp" && mv "$d/derived.tmp" "$d/sources.list.d/derived.sources" ||
		vs_die "cannot derive apt entries from the host's apt sources (see above)"
	vs_apt=(
		-o "Dir::Etc::SourceList=/dev/null"
		-o "Dir::Etc::SourceParts=$d/sources.list.d"
		-o "Dir::State::Lists=$d/lists"
		-o "Dir::State::status=/dev/null"
		-o "Dir::Cache=$d/cache"
		-o "Debug::NoLocking=true"
		-o "APT::Sandbox::User=$(id -un)"
	)
	if [ -z "$(find "$d/lists" -maxdepth 1 -name '*Sources*' -mtime -1 2>/dev/null)" ]; then
		vs_say "apt-get update (lists private to the cache: $d)"
		apt-get "${vs_apt[@]}" update -q >&2
	fi
}

# The ABI name of the target's current kernel (e.g. 6.1.0-37-amd64), found
# through the linux-image-amd64 metapackage.  VSIMPLE_KVER overrides it.
vs_kernel_version() {
	if [ -n "${VSIMPLE_KVER:-}" ]; then echo "$VSIMPLE_KVER"; return; fi
	local dep vs_apt=()
	if [ "$(vs_target)" = stable ]; then vs_apt_update; else vs_apt_private; fi
	dep=$(apt-cache "${vs_apt[@]}" depends --important linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\(.*\)$/\1/p' | head -n 1)
	[ -n "$dep" ] || vs_die "cannot resolve linux-image-amd64 (is this Debian 12?)"
	echo "$dep"
}

# vs_http_serve DIR PORTFILE: serve DIR over HTTP on 127.0.0.1 (a guest
# reaches it through slirp as 10.0.2.2) in the background, on a free port,
# which it writes to PORTFILE once listening; the caller waits for that file
# and kills the server ($!) when done
vs_http_serve() {
	(cd "$1" && exec python3 -c '
import http.server, os, sys
s = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_port))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()' "$2" 2>/dev/null) &
}
