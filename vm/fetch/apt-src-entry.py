#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Derive apt entries for the host's own Debian release from its apt sources.

Reads the one-line files (sources.list, sources.list.d/*.list) and the deb822
files (sources.list.d/*.sources) under an apt configuration directory, keeps
the enabled `deb` entries of this release's own suites (CODENAME,
CODENAME-updates, CODENAME-security) and prints them again as `deb-src`
entries in deb822 form, which is what a *.sources file must hold.  Backports,
other releases, cdrom entries and components outside Debian's are ignored, so
a source package's version is the release's own candidate.  With
--backports the entries are CODENAME-backports instead (VSIMPLE_TARGET=
backports), on the addresses that serve CODENAME itself, whether or not the
host enables backports.

Nothing here names a mirror: every address is one the system is configured
with.  Options let the tests point it at a fixture, and let `make
fresh-check` write a pristine root's sources in either format.
"""
import argparse
import glob
import os
import re
import sys

DEBIAN_COMPONENTS = ("main", "contrib", "non-free", "non-free-firmware")


def release_suites(codename):
    # bullseye and later name security "CODENAME-security"
    return (codename, codename + "-updates", codename + "-security")


class Entry:
    def __init__(self, types, uris, suites, components, options, origin):
        self.types = types
        self.uris = uris
        self.suites = suites
        self.components = components
        self.options = options      # lower-case deb822 field name -> value
        self.origin = origin        # "file:line", for messages


def parse_one_line(path):
    entries = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for num, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            m = re.match(r"^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$",
                         line)
            if not m:
                continue
            options = {}
            for opt in (m.group(2) or "").split():
                key, _, value = opt.partition("=")
                if key in ("signed-by", "trusted"):
                    options[key] = value.replace(",", " ")
            entries.append(Entry([m.group(1)], [m.group(3)], [m.group(4)],
                                 m.group(5).split(), options,
                                 "%s:%d" % (path, num)))
    return entries


def parse_deb822(path):
    entries = []
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    # Stanzas are separated by blank lines; '#' lines are comments.
    for n, block in enumerate(re.split(r"\n[ \t]*\n", text), 1):
        fields = {}
        key = None
        for line in block.split("\n"):
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t" and key:
                fields[key] += "\n" + line
                continue
            key, sep, value = line.partition(":")
            if not sep:
                key = None
                continue
            key = key.strip().lower()
            fields[key] = value.strip()
        if "types" not in fields or "uris" not in fields:
            continue
        if fields.get("enabled", "yes").strip().lower() in ("no", "false", "0"):
            continue
        options = {k: v for k, v in fields.items()
                   if k in ("signed-by", "trusted")}
        entries.append(Entry(fields["types"].split(), fields["uris"].split(),
                             fields.get("suites", "").split(),
                             fields.get("components", "").split(), options,
                             "%s, stanza %d" % (path, n)))
    return entries


def read_sources(etc):
    entries = []
    for path in [os.path.join(etc, "sources.list")] + \
            sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.list"))):
        if os.path.isfile(path):
            entries += parse_one_line(path)
    for path in sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.sources"))):
        entries += parse_deb822(path)
    return entries


def derive(entries, codename):
    """The release's own deb entries, de-duplicated, in the order found."""
    wanted = release_suites(codename)
    out = []
    seen = set()
    for e in entries:
        if "deb" not in e.types:
            continue
        uris = [u for u in e.uris if not u.startswith("cdrom:")]
        suites = [s for s in e.suites if s.rstrip("/") in wanted]
        comps = [c for c in e.components if c in DEBIAN_COMPONENTS]
        if not uris or not suites or "main" not in comps:
            continue
        key = (tuple(uris), tuple(suites), tuple(comps))
        if key in seen:
            continue
        seen.add(key)
        out.append(Entry(["deb"], uris, suites, comps, e.options, e.origin))
    return out


def backports(found, codename):
    """CODENAME-backports on each address serving CODENAME itself."""
    out = []
    for e in found:
        if codename in [s.rstrip("/") for s in e.suites]:
            out.append(Entry(["deb"], e.uris, [codename + "-backports"],
                             e.components, e.options, e.origin))
    return out


def format_deb822(entries, kind):
    stanzas = []
    for e in entries:
        lines = ["Types: " + kind, "URIs: " + " ".join(e.uris),
                 "Suites: " + " ".join(e.suites),
                 "Components: " + " ".join(e.components)]
        if "signed-by" in e.options:
            lines.append("Signed-By: " + e.options["signed-by"])
        if "trusted" in e.options:
            lines.append("Trusted: " + e.options["trusted"])
        stanzas.append("\n".join(lines) + "\n")
    return "\n".join(stanzas)


def format_one_line(entries, kind):
    lines = []
    for e in entries:
        opts = []
        # a key block embedded in a deb822 file has no one-line form
        if "signed-by" in e.options and "\n" not in e.options["signed-by"]:
            opts.append("signed-by=" + e.options["signed-by"].replace(" ", ","))
        if "trusted" in e.options:
            opts.append("trusted=" + e.options["trusted"])
        prefix = kind + (" [%s]" % " ".join(opts) if opts else "")
        for uri in e.uris:
            for suite in e.suites:
                lines.append("%s %s %s %s" % (prefix, uri, suite,
                                              " ".join(e.components)))
    return "".join(line + "\n" for line in lines)


def os_codename(path):
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("VERSION_CODENAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--etc", default="/etc/apt",
                    help="apt configuration directory (default /etc/apt)")
    ap.add_argument("--codename",
                    help="release codename (default: from /etc/os-release)")
    ap.add_argument("--type", default="deb-src", choices=("deb", "deb-src"),
                    help="type of the entries printed (default deb-src)")
    ap.add_argument("--format", default="deb822", choices=("deb822", "one-line"))
    ap.add_argument("--backports", action="store_true",
                    help="entries for CODENAME-backports instead")
    ap.add_argument("--release-only", action="store_true",
                    help="only the suite CODENAME itself, as the one-line"
                    " sources.list of a fresh debootstrap root has")
    ap.add_argument("--mirror", action="store_true",
                    help="print only the first address serving CODENAME itself")
    args = ap.parse_args()

    codename = args.codename or os_codename("/etc/os-release")
    if not codename:
        sys.exit("apt-src-entry: no VERSION_CODENAME in /etc/os-release")
    found = derive(read_sources(args.etc), codename)
    if not found:
        sys.exit("apt-src-entry: no usable Debian entry: looked for an enabled"
                 " 'deb' entry with suite %s and component main in %s/sources.list,"
                 " %s/sources.list.d/*.list and %s/sources.list.d/*.sources"
                 % (" or ".join(release_suites(codename)), args.etc, args.etc,
                    args.etc))
    if args.release_only:
        found = [Entry(e.types, e.uris, [codename], e.components, e.options,
                       e.origin) for e in found if codename in e.suites]
        if not found:
            sys.exit("apt-src-entry: no entry serves suite %s itself" % codename)
    if args.backports:
        found = backports(found, codename)
        if not found:
            sys.exit("apt-src-entry: no entry serves suite %s itself, so none"
                     " for %s-backports" % (codename, codename))
    if args.mirror:
        own = [e for e in found if codename in e.suites]
        if not own:
            sys.exit("apt-src-entry: no entry serves suite %s itself" % codename)
        print(own[0].uris[0])
    elif args.format == "deb822":
        sys.stdout.write(format_deb822(found, args.type))
    else:
        sys.stdout.write(format_one_line(found, args.type))


if __name__ == "__main__":
    main()
