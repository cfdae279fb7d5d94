#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# vm/fetch/apt-src-entry.py on fixture apt configurations, no network: each
# case checks the derived entries (as apt itself reads them back) and that
# apt, given only the derived file in a private state, accepts it.  TAP
# output.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
derive="$top/vm/fetch/apt-src-entry.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
M=http://mirror.invalid/debian
S=http://security.invalid/debian-security

# fixture NAME: a fresh apt configuration directory, printed
fixture() {
	rm -rf "${tmp:?}/$1" && mkdir -p "$tmp/$1/etc/sources.list.d" && echo "$tmp/$1/etc"
}

# apt_targets FILE: what apt makes of FILE as the only source part, one
# "TYPE SITE SUITE COMPONENT" a line, sorted; fails when apt refuses it.
apt_targets() {
	local d="$tmp/apt.$$"
	rm -rf "$d" && mkdir -p "$d/parts" "$d/lists/partial"
	cp "$1" "$d/parts/derived.${2:-sources}"
	apt-get -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$d/parts" \
		-o Dir::State::Lists="$d/lists" -o Debug::NoLocking=true \
		-o Acquire::Languages=none \
		indextargets --no-release-info \
		--format '$(CREATED_BY) $(SITE) $(RELEASE) $(COMPONENT)' 2>&1 |
		sort -u
	return "${PIPESTATUS[0]}"
}

# check NAME ETC EXPECTED [ARGS...]: derive from ETC, compare apt's reading
# of the result with EXPECTED (lines as apt_targets prints them)
check() {
	local name=$1 etc=$2 want=$3 got rc ext=sources
	shift 3
	case " $* " in *" one-line "*) ext=list ;; esac
	if ! "$derive" --etc "$etc" --codename bookworm "$@" > "$tmp/out" 2> "$tmp/err"; then
		tap_result 1 "$name" "derivation failed: $(cat "$tmp/err")"
		return
	fi
	got=$(apt_targets "$tmp/out" "$ext"); rc=$?
	if [ "$rc" -ne 0 ]; then
		tap_result 1 "$name" "apt refused the derived file: $got"$'\n'"$(cat "$tmp/out")"
	elif [ "$got" != "$(sort -u <<<"$want")" ]; then
		tap_result 1 "$name" "expected:"$'\n'"$want"$'\n'"got:"$'\n'"$got"
	else
		tap_result 0 "$name"
	fi
}

e=$(fixture one-line)
cat > "$e/sources.list" <<EOF
# written by the Debian installer
deb $M/ bookworm main non-free-firmware
deb-src $M/ bookworm main non-free-firmware

deb $S bookworm-security main non-free-firmware
deb $M/ bookworm-updates main non-free-firmware
EOF
check "one-line sources.list (the installer's)" "$e" "Sources $M bookworm main
Sources $M bookworm non-free-firmware
Sources $M bookworm-updates main
Sources $M bookworm-updates non-free-firmware
Sources $S bookworm-security main
Sources $S bookworm-security non-free-firmware"

e=$(fixture one-line-options)
cat > "$e/sources.list.d/debian.list" <<EOF
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $M bookworm main contrib
deb [ arch=amd64,i386 trusted=yes ] $M bookworm-updates main
EOF
check "one-line with [options], in sources.list.d/*.list" "$e" "Sources $M bookworm contrib
Sources $M bookworm main
Sources $M bookworm-updates main"
grep -q '^Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg$' "$tmp/out"
tap_result $? "one-line signed-by= becomes Signed-By:" "$(cat "$tmp/out")"

e=$(fixture deb822)
cat > "$e/sources.list.d/debian.sources" <<EOF
# a comment before the stanza
Types: deb
URIs: $M http://second.invalid/debian
Suites: bookworm bookworm-updates
# a comment inside it
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: $S
Suites: bookworm-security
Components: main

Types: deb
URIs: http://disabled.invalid/debian
Suites: bookworm
Components: main
Enabled: no
EOF
check "deb822: several URIs and suites, comments, Enabled: no" "$e" "Sources $M bookworm main
Sources $M bookworm-updates main
Sources http://second.invalid/debian bookworm main
Sources http://second.invalid/debian bookworm-updates main
Sources $S bookworm-security main"

e=$(fixture both)
echo "deb $M bookworm main" > "$e/sources.list"
printf 'Types: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\n' "$S" \
	> "$e/sources.list.d/security.sources"
check "both formats at once" "$e" "Sources $M bookworm main
Sources $S bookworm-security main"

e=$(fixture suites)
cat > "$e/sources.list" <<EOF
deb $M bookworm main
deb $M bookworm-updates main
deb $S bookworm-security main
deb $M bookworm-backports main
EOF
check "security and updates kept, backports left out" "$e" "Sources $M bookworm main
Sources $M bookworm-updates main
Sources $S bookworm-security main"
# VSIMPLE_TARGET=backports: the backports suite alone, on the release's
# own address, whether the host enables backports (here) or not (below)
check "--backports: only CODENAME-backports, once" "$e" "Sources $M bookworm-backports main" --backports
check "--backports --type deb: its binary packages too" "$e" \
	"Packages $M bookworm-backports main" --backports --type deb
check "--backports on a host without backports (the installer's list)" \
	"$tmp/one-line/etc" "Sources $M bookworm-backports main
Sources $M bookworm-backports non-free-firmware" --backports
# make fresh-check's minimal-root variant: the release suite alone, as a
# fresh debootstrap root's one-line sources.list
check "--release-only: the release suite alone (one-line)" "$e" \
	"Packages $M bookworm main" --release-only --type deb --format one-line

e=$(fixture ignored)
cat > "$e/sources.list" <<EOF
deb cdrom:[Debian GNU/Linux 12.5.0 _Bookworm_ - Official amd64 DVD]/ bookworm main
deb $M bullseye main
deb $M sid main
deb $M trixie main
deb https://vendor.invalid/apt cloud-sdk-bookworm main
deb https://vendor.invalid/debian bookworm stable
deb $M bookworm main
EOF
printf 'Types: deb\nURIs: https://vendor.invalid/node\nSuites: nodistro\nComponents: main\n' \
	> "$e/sources.list.d/vendor.sources"
check "cdrom, other releases and other vendors ignored" "$e" "Sources $M bookworm main"

check "deb822 deb entries (make fresh-check)" "$e" "Packages $M bookworm main" --type deb
check "one-line deb entries, as a .list file (make fresh-check)" "$e" \
	"Packages $M bookworm main" --type deb --format one-line

"$derive" --etc "$e" --codename bookworm --mirror > "$tmp/out" 2>&1
[ "$(cat "$tmp/out")" = "$M" ]
tap_result $? "--mirror names the address serving the release itself" "$(cat "$tmp/out")"

e=$(fixture none)
cat > "$e/sources.list" <<EOF
deb cdrom:[Debian GNU/Linux 12]/ bookworm main
deb $M bullseye main
EOF
"$derive" --etc "$e" --codename bookworm > "$tmp/out" 2> "$tmp/err"
rc=$?
[ "$rc" -ne 0 ] && [ ! -s "$tmp/out" ] &&
	grep -q "no usable Debian entry: looked for an enabled 'deb' entry with suite bookworm or bookworm-updates or bookworm-security and component main in $e/sources.list" "$tmp/err"
tap_result $? "no usable entry: a clear error naming what it looked for" "rc $rc: $(cat "$tmp/err")"

e=$(fixture empty)
"$derive" --etc "$e" --codename bookworm > /dev/null 2> "$tmp/err"
[ $? -ne 0 ] && grep -q "no usable Debian entry" "$tmp/err"
tap_result $? "no sources at all: the same clear error" "$(cat "$tmp/err")"

tap_done
