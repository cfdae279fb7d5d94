#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Re-align continuation lines after a rename: realign.py ORIG NEW.

A renamed identifier moves every open parenthesis after it on its line, and
lines aligned with it (kernel and QEMU style alike) must move too, or
checkpatch --strict complains.  ORIG and NEW have the same lines with other
words; NEW is rewritten with each line that was aligned with an open
parenthesis in ORIG aligned with the same parenthesis in NEW.  Tabs count
8 columns; the new indent is tabs then spaces if ORIG's was, else spaces.
"""
import sys


def col(text):
    """The display column at the end of text (tabs of 8)."""
    c = 0
    for ch in text:
        c = (c // 8 + 1) * 8 if ch == "\t" else c + 1
    return c


def opens(line, stack, in_comment):
    """Push (column + 1) of each '(' that stays open, pop on ')'."""
    i, quote = 0, None
    while i < len(line):
        ch = line[i]
        if in_comment:
            if line.startswith("*/", i):
                in_comment = False
                i += 1
        elif quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif line.startswith("/*", i):
            in_comment = True
            i += 1
        elif line.startswith("//", i):
            break
        elif ch in "\"'":
            quote = ch
        elif ch == "(":
            stack.append(col(line[:i]) + 1)
        elif ch == ")" and stack:
            stack.pop()
        i += 1
    return in_comment


def main():
    orig = open(sys.argv[1]).read().split("\n")
    new = open(sys.argv[2]).read().split("\n")
    if len(orig) != len(new):
        return 0
    so, sn, co, cn = [], [], False, False
    out = []
    for o, n in zip(orig, new):
        body_o, body_n = o.lstrip(" \t"), n.lstrip(" \t")
        if so and sn and body_o and col(o[:len(o) - len(body_o)]) == so[-1]:
            ws = o[:len(o) - len(body_o)]
            if "\t" in ws:
                indent = "\t" * (sn[-1] // 8) + " " * (sn[-1] % 8)
            else:
                indent = " " * sn[-1]
            n = indent + body_n
        co = opens(o, so, co)
        cn = opens(n, sn, cn)
        out.append(n)
    open(sys.argv[2], "w").write("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
