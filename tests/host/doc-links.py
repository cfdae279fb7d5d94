#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""List the relative links of markdown pages, and what is wrong with them.

    tests/host/doc-links.py TOP PAGE...

PAGEs are relative to TOP.  Prints one line per link, "PAGE:LINE TARGET
RESOLVED ANCHOR" (RESOLVED relative to TOP, ANCHOR "-" when there is none),
then one line per problem: "missing: PAGE:LINE TARGET" (no such file),
"outside: ..." (the link leaves TOP), "anchor: ..." (no heading of that
page has that anchor).  Links in code blocks and code spans, and URLs
(http:, mailto: ...), are not links to the tree.  Anchors are GitHub's:
the heading in lower case, punctuation dropped, spaces as hyphens, -1, -2
... after repeats.  Used by tests/host/licence-docs.sh.
"""
import os
import re
import sys

LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"#{1,6}\s+(.*?)\s*#*\s*$")


def lines(top, page, keep_code):
    """The page's lines, code blocks blanked, code spans dropped or kept."""
    fence = False
    with open(os.path.join(top, page), encoding="utf-8") as f:
        for line in f.read().split("\n"):
            if re.match(r"\s*(```|~~~)", line):
                fence = not fence
                yield ""
            elif fence:
                yield ""
            else:
                yield re.sub(r"`([^`]*)`", r"\1" if keep_code else "", line)


def anchors(top, page):
    seen, out = {}, set()
    for line in lines(top, page, True):
        m = HEADING.match(line)
        if m:
            slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower())
            slug = slug.replace(" ", "-")
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            out.add(slug if n == 0 else "%s-%d" % (slug, n))
    return out


def main():
    top = os.path.realpath(sys.argv[1])
    problems = []
    for page in sys.argv[2:]:
        for n, line in enumerate(lines(top, page, False), 1):
            for m in LINK.finditer(line):
                target = m.group(1)
                if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", target):
                    continue
                path, _, anchor = target.partition("#")
                where = "%s:%d %s" % (page, n, target)
                full = os.path.normpath(os.path.join(
                    top, os.path.dirname(page), path or os.path.basename(page)))
                rel = os.path.relpath(full, top)
                print("%s %s %s" % (where, rel, anchor or "-"))
                if rel == ".." or rel.startswith("../"):
                    problems.append("outside: " + where)
                elif not os.path.exists(full):
                    problems.append("missing: " + where)
                elif anchor and rel.endswith(".md") and \
                        anchor not in anchors(top, rel):
                    problems.append("anchor: " + where)
    for p in problems:
        print(p)


if __name__ == "__main__":
    main()
