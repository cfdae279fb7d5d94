# SPDX-License-Identifier: GPL-2.0
"""Write cpio archives in the "newc" format the kernel's initramfs reads."""


def _header(ino, mode, size, namesize):
    fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, namesize, 0]
    return b"070701" + b"".join(b"%08X" % v for v in fields)


def _pad(n):
    return b"\0" * ((4 - n % 4) % 4)


def newc(entries):
    """entries: (path, data or None for a directory, permission bits)."""
    out = bytearray()
    ino = 0x7000  # away from the base image's numbers
    for path, data, perm in entries + [("TRAILER!!!", b"", 0)]:
        name = path.encode() + b"\0"
        if data is None:
            mode, data = 0o040000 | perm, b""
        elif path == "TRAILER!!!":
            mode = 0
        else:
            mode = 0o100000 | perm
        ino += 1
        hdr = _header(ino, mode, len(data), len(name)) + name
        out += hdr + _pad(len(hdr)) + data + _pad(len(data))
    return bytes(out)
