# SPDX-License-Identifier: GPL-2.0
"""A minimal QMP client: connect, negotiate, run commands, skip events."""
import json
import socket
import time


class Monitor:
    def __init__(self, path, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(timeout)
        self.file = self.sock.makefile("rwb")
        self._read()  # greeting
        self.command("qmp_capabilities")
        self.events = []

    def _read(self):
        line = self.file.readline()
        if not line:
            raise ConnectionError("QMP connection closed")
        return json.loads(line)

    def command(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        return self.send(msg)

    def send(self, msg):
        self.file.write(json.dumps(msg).encode() + b"\n")
        self.file.flush()
        while True:
            reply = self._read()
            if "event" in reply:
                getattr(self, "events", []).append(reply)
                continue
            return reply

    def command_json(self, text):
        """Run a command given as JSON text; return the reply as JSON."""
        return json.dumps(self.send(json.loads(text)))

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass
