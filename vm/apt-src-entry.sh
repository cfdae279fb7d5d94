#!/usr/bin/env bash
# Print deb-src entries derived from the host's own apt sources: every
# entry of the host's Debian release is repeated as deb-src.  Nothing here
# names a mirror; the addresses are the ones the system is configured with.
set -euo pipefail
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || { echo "no VERSION_CODENAME in /etc/os-release" >&2; exit 1; }

# One-line format (sources.list, *.list).
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] || continue
	awk -v c="$codename" '
		$1 == "deb" {
			i = 2
			if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i + 1) ~ "^" c) { $1 = "deb-src"; print }
		}' "$f"
done

# deb822 format (*.sources): one stanza per blank-line-separated block.
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	awk -v c="$codename" -v RS= -v ORS='\n\n' '
		{
			n = split($0, line, "\n"); out = ""; types = 0; ours = 0
			for (k = 1; k <= n; k++) {
				if (line[k] ~ /^#/) continue
				if (line[k] ~ /^Types:/) {
					if (line[k] ~ /[ \t]deb([ \t]|$)/) types = 1
					line[k] = "Types: deb-src"
				}
				if (line[k] ~ /^Suites:/ && line[k] ~ "[ \t]" c) ours = 1
				if (line[k] ~ /^Enabled: *no/) { types = 0 }
				out = out line[k] "\n"
			}
			if (types && ours) printf "%s\n", out
		}' "$f"
done
