#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the seed corpus for the virtio-simple fuzz target into corpus/.

Each seed is a command sequence in the target's input format (see
device/tests/qtest/fuzz/virtio_simple_fuzz.c): one opcode byte, then its
arguments, little-endian.  The numbers come from include/uapi/virtio_simple.h
(parsed, not repeated here).  Run it again after changing the format.
"""
import os
import re
import struct

here = os.path.dirname(os.path.abspath(__file__))
header = os.path.join(here, "..", "..", "include", "uapi", "virtio_simple.h")
uapi = {m.group(1): int(m.group(2), 0) for m in re.finditer(
    r"^#define (VIRTIO_SIMPLE_\w+)\s+(0x[0-9a-fA-F]+|\d+)\b",
    open(header).read(), re.M)}
ECHO = uapi["VIRTIO_SIMPLE_OP_ECHO"]
CRC32C = uapi["VIRTIO_SIMPLE_OP_CRC32C"]
CRC32C_UPDATE = uapi["VIRTIO_SIMPLE_OP_CRC32C_UPDATE"]
DELAY = uapi["VIRTIO_SIMPLE_OP_DELAY"]
DELAY_MAX = uapi["VIRTIO_SIMPLE_DELAY_MAX_US"]
MAX_PAYLOAD = 256                       # the target's max-payload

# opcodes, in the target's enum order
START, STATUS, CONFIG, REQUEST, RESPONSE, CLOCK, QUEUE_RESET, AVAIL_SKIP = range(8)
ALL_FEATURES = 0x07                     # VERSION_1, INDIRECT_DESC, EVENT_IDX
FEATURES_OK, DRIVER_OK = 0x01, 0x02     # CMD_START flags
# buffer flags
WRONG_DIR, SPLIT, INDIRECT, NO_KICK, SKEW = 0x01, 0x02, 0x04, 0x08, 0x10
MMIO, OUTSIDE, BAD_RING = 0x20, 0x40, 0x80   # these take one more byte
# virtio status bits (virtio_config.h)
ACK, DRIVER, S_DRIVER_OK, S_FEATURES_OK = 1, 2, 4, 8


def start(features=ALL_FEATURES, flags=FEATURES_OK | DRIVER_OK):
    return bytes([START, features, flags])


def arg_byte(flags, arg):
    return bytes([arg]) if flags & (MMIO | OUTSIDE | BAD_RING) else b""


def response(cap=64, flags=0, arg=0):
    return bytes([RESPONSE]) + struct.pack("<HB", cap, flags) + arg_byte(flags, arg)


def request(op, payload, flags=0, skew=0, arg=0):
    return (bytes([REQUEST, op, flags]) + struct.pack("<Hb", len(payload), skew)
            + arg_byte(flags, arg) + payload)


def config(offset, width):
    return bytes([CONFIG, offset, width])     # width: 0 b, 1 w, 2 l, 3 q


seeds = {
    "echo": start() + response() + request(ECHO, b"hello"),
    "crc32c": start() + response() + request(CRC32C, b"123456789"),
    # the CRC of "1234" continued over "56789", across pieces; one too short
    "crc32c-update": start() + response() + response(64, SPLIT)
    + request(CRC32C_UPDATE, struct.pack("<I", 0xF63AF4EE) + b"56789", SPLIT)
    + request(CRC32C_UPDATE, b"abc"),
    "delay": start() + response() + request(DELAY, struct.pack("<I", 1000))
    + bytes([CLOCK, 0]),
    "echo-split-indirect": start() + response(64, SPLIT)
    + request(ECHO, b"split", INDIRECT) + response(64, INDIRECT)
    + request(ECHO, b"again", SPLIT),
    # DRIVER_OK straight after DRIVER: no FEATURES_OK, then a request
    "bad-status": start(flags=0) + bytes([STATUS, ACK | DRIVER | S_DRIVER_OK])
    + response() + request(ECHO, b"x"),
    "config-read": config(0, 2) + config(4, 2) + config(8, 3) + config(39, 0),
    "no-version-1": start(features=0x06) + response() + request(ECHO, b"v"),
    "queue-reset": start() + response() + request(DELAY, struct.pack("<I", 5000))
    + bytes([QUEUE_RESET, 0]) + start() + response() + request(ECHO, b"r"),
    # The ending's oracle: every answer checked, the buffers it lacks
    # posted by the ending itself.  One of each status, in buffers that
    # fit and one that does not (EMSGSIZE), requests batched without a
    # kick (EVENT_IDX: the kick honours avail_event).
    "statuses": start() + response(16 + MAX_PAYLOAD) + request(ECHO, bytes(range(256)))
    + response(20) + request(ECHO, b"too long for 20")
    + request(ECHO, b"x" * (MAX_PAYLOAD + 1)) + request(0x7f, b"op")
    + request(CRC32C, b"skew", SKEW, -1) + request(DELAY, struct.pack("<I", DELAY_MAX + 1))
    + request(DELAY, b"12345"),
    "batched": start() + request(ECHO, b"a", NO_KICK) + request(CRC32C, b"b", NO_KICK)
    + request(DELAY, struct.pack("<I", DELAY_MAX), NO_KICK) + response(64, NO_KICK)
    + response(64, SPLIT) + bytes([CLOCK, 255]),
    # Buffers the device cannot use: on its own registers (common config,
    # notify), outside RAM, behind bad indirect tables and loops.
    "mmio": start() + response(64, MMIO, 0) + request(ECHO, b"m")
    + start() + response(64) + request(ECHO, b"notify", MMIO | SPLIT, arg=3),
    "outside-ram": start() + response(64, OUTSIDE | SPLIT, 1) + request(ECHO, b"o")
    + start() + response(64) + request(ECHO, b"wrap", OUTSIDE, arg=2),
    "bad-rings": b"".join(start() + response(64) + request(ECHO, b"bad", BAD_RING, arg=k)
                          for k in range(8))
    + start() + response(64, BAD_RING, 4) + request(ECHO, b"loop"),
}

out = os.path.join(here, "corpus")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
