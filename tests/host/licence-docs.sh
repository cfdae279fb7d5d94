#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The tree's licences and its docs, on the host, no build.  Licences: the
# texts exist (LICENSE, COPYING, LICENSES/); every source file
# (vm/tree-files.sh) has an SPDX-License-Identifier line where its kind puts
# it, naming the licence LICENSE gives its part; every licence named has its
# text here.  Docs: each page of the reading path links the next in its
# "Next:" line; every relative link of the docs names a file in the tree,
# and every #anchor a heading of its page (tests/host/doc-links.py).  TAP.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. tests/lib/tap.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# is_source FILE: code or build files; not documentation, licence texts,
# fuzz seeds, nor data read by tools (trace-events, the debug kernel's
# config fragment, the fuzz dictionary, tests/expected-counts).
is_source() {
	case $1 in
	docs/* | LICENSES/* | tests/fuzz/corpus/* | *.md | LICENSE | COPYING) return 1 ;;
	*.c | *.h | *.sh | *.py | *.mk | *.[13] | *.map | *.dot | *.rules | *.conf) return 0 ;;
	Makefile | */Makefile | Kbuild | */Kbuild) return 0 ;;
	esac
	[ "$(head -c 2 "$1")" = '#!' ]
}

# licence_of FILE: the expression LICENSE gives FILE's part of the tree.
licence_of() {
	case $1 in
	device/* | common/* | backend/*) echo 'GPL-2.0-or-later' ;;
	tools/*) echo 'BSD-3-Clause' ;;
	include/uapi/*) echo '((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)' ;;
	*) echo 'GPL-2.0' ;;
	esac
}

# spdx_of FILE: the expression of FILE's SPDX line, read only where its
# kind puts it: QEMU's files (device/, and common/ and backend/, written as
# QEMU's) inside their leading comment;
# the kernel's style for other C (line 1, // in .c, /* */ in .h); the man
# page's comment on line 1; scripts after the shebang; others on line 1.
spdx_of() {
	local tag='SPDX-License-Identifier: ' n=1
	case $1 in
	device/*.[ch] | common/*.[ch] | common/*/*.h | common/*/*/*.h | backend/*.[ch] | backend/*/*.c)
		awk -v t=" * $tag" 'NR == 1 && $0 != "/*" { exit }
			$0 == " */" { exit }
			index($0, t) == 1 { print substr($0, length(t) + 1); exit }' "$1" ;;
	*.c) sed -n "1s|^// $tag||p" "$1" ;;
	*.h | *.map) sed -n "1s|^/\* $tag\(.*\) \*/\$|\1|p" "$1" ;;
	*.[13]) sed -n "1s|^\.\\\\\" $tag||p" "$1" ;;
	*)
		[ "$(head -c 2 "$1")" != '#!' ] || n=2
		sed -n "${n}s|^# $tag||p" "$1" ;;
	esac
}

# missing DIR FILE...: the FILEs (relative to DIR) without an SPDX line in
# their place, one a line
missing() {
	local f
	(cd "$1" && shift && for f in "$@"; do
		[ -n "$(spdx_of "$f")" ] || echo "$f"
	done)
}

mapfile -t sources < <(vm/tree-files.sh | while read -r f; do is_source "$f" && echo "$f"; done)
declare -A spdx
for f in "${sources[@]}"; do
	spdx[$f]=$(spdx_of "$f")
done

out=$(for f in LICENSE COPYING LICENSES/BSD-3-Clause LICENSES/Linux-syscall-note; do
	[ -s "$f" ] || echo "$f: missing or empty"
	[ "$f" = LICENSE ] || grep -qF "$f" LICENSE || echo "LICENSE does not name $f"
done
grep -q 'Version 2, June 1991' COPYING || echo "COPYING is not the GPL version 2")
tap_result "$([ -z "$out" ]; echo $?)" \
	"the licence texts exist (COPYING: GPL-2.0; LICENSES/) and LICENSE names each" "$out"

out=$(for f in "${sources[@]}"; do [ -n "${spdx[$f]}" ] || echo "$f"; done)
tap_result "$([ -z "$out" ]; echo $?)" \
	"each of the ${#sources[@]} source files has an SPDX-License-Identifier line where its kind puts it" \
	"$out"

out=$(for f in "${sources[@]}"; do
	want=$(licence_of "$f")
	[ -z "${spdx[$f]}" ] || [ "${spdx[$f]}" = "$want" ] ||
		echo "$f: '${spdx[$f]}', LICENSE gives '$want'"
done)
tap_result "$([ -z "$out" ]; echo $?)" \
	"each names its part's licence (device/, common/, backend/ GPL-2.0-or-later, tools/ BSD-3-Clause, the UAPI header dual, GPL-2.0 elsewhere)" \
	"$out"

# every identifier, and exception, that a source file names has its text
out=$(printf '%s\n' "${spdx[@]}" |
	tr '()' '  ' | tr -s ' ' '\n' | grep -vxE '|OR|AND|WITH' | sort -u |
	while read -r id; do
		case $id in
		GPL-2.0 | GPL-2.0-only | GPL-2.0-or-later) text=COPYING ;;
		BSD-3-Clause | Linux-syscall-note) text=LICENSES/$id ;;
		*) echo "$id: no text for it in the tree"; continue ;;
		esac
		[ -s "$text" ] || echo "$id: $text is missing"
	done)
tap_result "$([ -z "$out" ]; echo $?)" "every licence and exception they name has its text in the tree" "$out"

# the check itself, on fixtures: a file without a line, one whose line is
# below the shebang's place, a QEMU file whose line is after its leading
# comment; and the three done right
mkdir -p "$tmp/device"
printf 'int x;\n' > "$tmp/none.c"
printf '#!/bin/sh\n# about\n# SPDX-License-Identifier: GPL-2.0\n' > "$tmp/late.sh"
printf '/*\n * what\n */\n/* SPDX-License-Identifier: GPL-2.0-or-later */\n' > "$tmp/device/after.c"
printf '// SPDX-License-Identifier: GPL-2.0\nint x;\n' > "$tmp/good.c"
printf '#!/bin/sh\n# SPDX-License-Identifier: GPL-2.0\n' > "$tmp/good.sh"
printf '/*\n * what\n *\n * SPDX-License-Identifier: GPL-2.0-or-later\n */\n' > "$tmp/device/good.c"
out=$(missing "$tmp" none.c late.sh device/after.c good.c good.sh device/good.c)
tap_result "$([ "$out" = $'none.c\nlate.sh\ndevice/after.c' ]; echo $?)" \
	"the check finds a missing line, one below the shebang's place, one outside QEMU's leading comment" \
	"it reported: $out"

# The reading path, README first: each page's "Next:" line links the next.
path=(README.md docs/request-path.md docs/probe-path.md docs/spec.md docs/driver.md
	docs/device.md docs/vhost-user.md docs/extending.md docs/benchmarks.md)
for ((i = 0; i + 1 < ${#path[@]}; i++)); do
	page=${path[i]} next=${path[i + 1]}
	# the files linked from the page's lines that start with "Next:"
	nexts=$(tests/host/doc-links.py . "$page" |
		awk -v want="$(grep -n '^Next:' "$page" | cut -d: -f1 | sed "s|^|$page:|")" '
			BEGIN { n = split(want, w, "\n"); for (i = 1; i <= n; i++) ok[w[i]] = 1 }
			$1 in ok { print $3 }')
	grep -qxF "$next" <<<"$nexts"
	tap_result $? "the reading path: $page's Next: line links $next" \
		"its Next: lines link: ${nexts:-nothing}"
done

mapfile -t pages < <(ls README.md docs/*.md tools/lib/README.md)
all=$(tests/host/doc-links.py . "${pages[@]}")
problems='^(missing|outside|anchor): '
out=$(grep -E '^(missing|outside): ' <<<"$all"
	grep -nF '../shared' "${pages[@]}")
tap_result "$([ -z "$out" ]; echo $?)" \
	"the $(grep -cvE "$problems" <<<"$all") relative links of README.md, docs/*.md and tools/lib/README.md name files in the tree; no page cites ../shared" \
	"$out"
out=$(grep -E '^anchor: ' <<<"$all")
tap_result "$([ -z "$out" ]; echo $?)" "every #anchor in those links names a heading of its page" "$out"

# the link check itself, on a fixture tree
mkdir -p "$tmp/top/docs"
printf '# Top\n\n## A `code` heading\n\nNext: [b](docs/b.md)\n' > "$tmp/top/README.md"
{
	printf '[ok](../README.md#a-code-heading) [gone](c.md) [out](../../x.md) [bad](../README.md#nope)\n'
	printf '```\n[in a block](nowhere.md)\n```\n'
	printf '`[in a span](nowhere.md)` [web](https://example.org/x.md)\n'
} > "$tmp/top/docs/b.md"
out=$(tests/host/doc-links.py "$tmp/top" README.md docs/b.md | grep -E "$problems")
want=$'missing: docs/b.md:1 c.md\noutside: docs/b.md:1 ../../x.md\nanchor: docs/b.md:1 ../README.md#nope'
tap_result "$([ "$out" = "$want" ]; echo $?)" \
	"the link check finds a missing file, a link out of the tree and a bad anchor; it skips code and URLs" \
	"it reported: $out"

# probe-path.md's table of the seed's steps: functions the trace records,
# lines that still hold the code they cite (tests/host/step-table.py)
out=$(tests/host/step-table.py .)
tap_result $? "probe-path.md's STEP table: traced functions, cited lines still hold their code" "$out"
# and the check fails when a cited line moves or a function is not traced
mkdir -p "$tmp/steps/docs" "$tmp/steps/tests/guest"
cp -r device driver include "$tmp/steps/"
cp tests/guest/trace_probe.sh "$tmp/steps/tests/guest/"
sed 's|`vsimple_probe()`|`vsimple_probe_x()`|
	s|main\.c:[0-9]*\](\(../driver/vsimple_main\.c\)#L[0-9]*): `virtio_device_ready|main.c:1](\1#L1): `virtio_device_ready|' \
	docs/probe-path.md >"$tmp/steps/docs/probe-path.md"
out=$(tests/host/step-table.py "$tmp/steps")
tap_result "$([ $? = 1 ] && grep -q 'vsimple_probe_x() is not traced' <<<"$out" &&
	grep -q 'vsimple_main.c:1 does not hold' <<<"$out"; echo $?)" \
	"the STEP table check finds a moved line and an untraced function" "it reported: $out"

# the docs' diagrams are their sources' renderings (make diagrams)
out=$(dot -Tsvg docs/diagrams/request-path.dot 2>&1 | diff - docs/request-path.svg | head -n 5)
tap_result "$([ -z "$out" ] && command -v dot >/dev/null; echo $?)" \
	"docs/request-path.svg is docs/diagrams/request-path.dot rendered (make diagrams)" "$out"

# the benchmark page shows the committed run: its table and plot are what
# its results.json gives (make bench-docs), and the page shows both
if python3 vm/targets/bench_report.py report docs/benchmarks/results.json "$tmp/bench" \
	>/dev/null 2>"$tmp/bench.err"; then
	out=$(diff "$tmp/bench/table.txt" docs/benchmarks/table.txt | head -n 5)
else
	out="bench_report.py failed: $(tail -n 3 "$tmp/bench.err")"
fi
tap_result "$([ -z "$out" ]; echo $?)" "docs/benchmarks/table.txt is what docs/benchmarks/results.json gives (make bench-docs)" "$out"
out=$(for f in benchmarks/throughput.png benchmarks/table.txt; do
	[ -s "docs/$f" ] || echo "docs/$f missing"
	grep -qF "($f)" docs/benchmarks.md || echo "docs/benchmarks.md does not link $f"
done)
tap_result "$([ -z "$out" ]; echo $?)" "docs/benchmarks.md shows the committed plot and table" "$out"

tap_done
