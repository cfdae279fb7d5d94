#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check docs/probe-path.md's table of the seed's STEP 1..6 against the tree.

    tests/host/step-table.py TOP [--fix]

The table (under the heading "The seed's steps in this project's code")
names, for each step, the kernel functions the trace shows and the lines of
device/, driver/ or include/ that make the step happen, each as a link
[FILE:N](../FILE#LN) followed by the code of that line in a code span.
Checks: every function is one the probe trace records
(tests/guest/trace_probe.sh's FUNCS), every step 1..6 has a row, and line N
of FILE holds the code.  A line that moved is reported with where the code
is now; --fix rewrites the numbers when the code is found exactly once.
Prints one problem per line and exits 1 if there was any.
"""
import re
import sys

HEADING = "## The seed's steps in this project's code"
CITE = re.compile(r"\[([\w./-]+):(\d+)\]\(\.\./([\w./-]+)#L(\d+)\): `([^`]+)`")


def trace_funcs(top):
    with open(top + "/tests/guest/trace_probe.sh") as f:
        m = re.search(r"^FUNCS='([^']*)'", f.read(), re.M)
    return re.compile("^(?:%s)$" % m.group(1))


def table(text):
    """(line index, cells) of each body row of the table under HEADING."""
    lines = text.split("\n")
    start = lines.index(HEADING)
    rows = []
    for i in range(start + 1, len(lines)):
        if lines[i].startswith("## "):
            break
        if lines[i].startswith("|") and not re.match(r"\|\s*-", lines[i]):
            rows.append((i, [c.strip() for c in lines[i].strip("|").split(" | ")]))
    return lines, rows[1:]     # without the header row


def main():
    top, fix = sys.argv[1], "--fix" in sys.argv[2:]
    page = top + "/docs/probe-path.md"
    with open(page) as f:
        text = f.read()
    funcs = trace_funcs(top)
    lines, rows = table(text)
    problems, steps = [], set()
    for i, cells in rows:
        if len(cells) != 4:
            problems.append("row %d: %d cells, not 4" % (i + 1, len(cells)))
            continue
        steps.add(cells[0].split()[0].strip("*"))
        for fn in re.findall(r"`([\w.]+)\(\)`", cells[1]):
            if not funcs.match(fn):
                problems.append("step %s: %s() is not traced by trace_probe.sh"
                                % (cells[0], fn))
        cites = list(CITE.finditer(cells[3]))
        if not cites:
            problems.append("step %s: no line cited" % cells[0])
        for m in cites:
            name, n, path, ln, code = m.groups()
            if name != path or n != ln:
                problems.append("step %s: [%s:%s] links %s#L%s"
                                % (cells[0], name, n, path, ln))
            try:
                with open(top + "/" + path) as f:
                    src = f.read().split("\n")
            except OSError:
                problems.append("step %s: no file %s" % (cells[0], path))
                continue
            if int(n) <= len(src) and code in src[int(n) - 1]:
                continue
            now = [k + 1 for k, l in enumerate(src) if code in l]
            if fix and len(now) == 1:
                lines[i] = lines[i].replace(m.group(0), "[%s:%d](../%s#L%d): `%s`"
                                            % (path, now[0], path, now[0], code))
                continue
            problems.append("step %s: %s:%s does not hold `%s` (it is at %s)"
                            % (cells[0], path, n, code,
                               ", ".join(map(str, now)) or "no line"))
    for s in "123456":
        if s not in steps:
            problems.append("no row for STEP %s" % s)
    if fix:
        with open(page, "w") as f:
            f.write("\n".join(lines))
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
