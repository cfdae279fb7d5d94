# SPDX-License-Identifier: GPL-2.0
"""run-guest --backend vhost-user: every virtio-simple-pci becomes
vhost-user-simple-pci plus a backend process (backend/vhost-user-simple).
A --device vhost-user-simple-pci without a chardev gets the same whatever
the --backend (make bench has one of each kind).

Each --device virtio-simple-pci[,props] gets its own backend, started with
the equivalent options before QEMU, a socket chardev QEMU reconnects
through, and guest RAM QEMU shares (memory-backend-memfd,share=on), which
vhost-user needs.  Properties: max-payload, label and x-fault-injection go
to the backend; id, queue-size, vectors, addr and bus stay on the front-end;
any other is refused (packed=on: libvhost-user serves split rings only).
A guest's QMP device_add of virtio-simple-pci starts one more backend and
adds its chardev first.  Backends are stopped with the guest; one that
exited on its own, or not with status 0 (ASan, UBSan), fails the run.
"""
import os
import signal
import subprocess
import time

FRONTEND = ("id", "queue-size", "vectors", "addr", "bus")
BACKEND = {"max-payload": "--max-payload", "label": "--label"}
FLAGS = {"x-fault-injection": "--x-fault-injection"}
ON = ("on", "true", "yes")
OFF = ("off", "false", "no")


class BackendError(Exception):
    pass


def qemu_version(qemu):
    out = subprocess.run([qemu, "--version"], capture_output=True, text=True,
                         check=True).stdout
    return tuple(int(x) for x in out.split()[3].split(".")[:2])


class Backends:
    def __init__(self, binary, args, tmp, qemu, memory_mb, say):
        if not os.access(binary, os.X_OK):
            raise BackendError("no vhost-user backend at %s: run `make backend`"
                               % binary)
        self.binary, self.args, self.tmp, self.say = binary, args, tmp, say
        self.memory_mb = memory_mb
        # QEMU 9.2 renamed the chardev's reconnect (seconds) to reconnect-ms
        self.ms = qemu_version(qemu) >= (9, 2)
        self.procs = {}         # chardev id -> (Popen, socket, log path)
        self.killed = set()     # stopped on purpose (VSIMPLE-HOST)
        self.crashed = []       # exited by themselves before a restart
        self.by_device = {}     # device id -> chardev id
        self.n = 0

    def memory_args(self):
        return ["-object", "memory-backend-memfd,id=vsmem,size=%dM,share=on"
                % self.memory_mb, "-machine", "memory-backend=vsmem"]

    def _split(self, props):
        """Front-end properties and backend options for virtio-simple-pci."""
        front, opts = [], []
        for p in props:
            key, _, value = p.partition("=")
            value = value.lower() if key in FLAGS else value
            if key in FRONTEND:
                front.append(p)
            elif key in BACKEND:
                opts += [BACKEND[key], value]
            elif key in FLAGS and value in ON:
                opts.append(FLAGS[key])
            elif key in FLAGS and value in OFF:
                pass
            elif key == "packed":
                raise BackendError("packed=%s: the vhost-user backend"
                                   " (libvhost-user) serves split rings only"
                                   % value)
            else:
                raise BackendError("virtio-simple-pci property %s: the"
                                   " vhost-user backend cannot honour it" % p)
        return front, opts

    def start(self, opts):
        """One more backend; returns its chardev id once it listens."""
        self.n += 1
        chardev = "vsbe%d" % self.n
        sock = os.path.join(self.tmp, chardev + ".sock")
        log = os.path.join(self.tmp, chardev + ".log")
        self._spawn(chardev, sock, log, opts)
        return chardev

    def _spawn(self, chardev, sock, log, opts):
        """Start a backend and wait until it listens: its "listening on"
        line, printed after listen() (a socket file alone may be a dead
        backend's, or bound and not yet listening)."""
        if os.path.exists(sock):
            os.unlink(sock)
        start = os.path.getsize(log) if os.path.exists(log) else 0
        with open(log, "ab") as f:
            proc = subprocess.Popen([self.binary, "--socket-path", sock]
                                    + opts + self.args, stdin=subprocess.DEVNULL,
                                    stdout=f, stderr=subprocess.STDOUT)
        self.procs[chardev] = (proc, sock, log, opts)
        deadline = time.monotonic() + 30
        while True:
            with open(log, "rb") as f:
                f.seek(start)
                if b"listening on " + sock.encode() in f.read():
                    return
            if proc.poll() is not None:
                raise BackendError("backend %s exited (status %s) before"
                                   " listening:\n%s" % (chardev, proc.returncode,
                                                        self._tail(log)))
            if time.monotonic() > deadline:
                raise BackendError("backend %s: not listening after 30 s"
                                   % chardev)
            time.sleep(0.02)

    def chardev_arg(self, chardev):
        sock = self.procs[chardev][1]
        return "socket,id=%s,path=%s,%s" % (
            chardev, sock, "reconnect-ms=1000" if self.ms else "reconnect=1")

    def device_args(self, dev, convert=True):
        """QEMU arguments for one --device: vhost-user-simple-pci (its
        backend options given as virtio-simple-pci's properties) always,
        virtio-simple-pci when @convert; any other unchanged."""
        driver, *props = dev.split(",")
        if driver == "vhost-user-simple-pci" and \
                not any(p.startswith("chardev=") for p in props):
            driver = "virtio-simple-pci"
        elif driver != "virtio-simple-pci" or not convert:
            return ["-device", dev]
        front, opts = self._split(props)
        chardev = self.start(opts)
        for p in front:
            if p.startswith("id="):
                self.by_device[p[3:]] = chardev
        return ["-chardev", self.chardev_arg(chardev), "-device",
                ",".join(["vhost-user-simple-pci", "chardev=" + chardev] + front)]

    def qmp(self, msg, monitor):
        """A guest's QMP request, rewritten for vhost-user; the reply."""
        args = msg.get("arguments", {})
        if msg.get("execute") != "device_add" or \
                args.get("driver") != "virtio-simple-pci":
            return monitor.send(msg)
        props = ["%s=%s" % (k, v) for k, v in args.items() if k != "driver"]
        front, opts = self._split(props)
        chardev = self.start(opts)
        sock = self.procs[chardev][1]
        reconnect = {"reconnect-ms": 1000} if self.ms else {"reconnect": 1}
        data = {"addr": {"type": "unix", "data": {"path": sock}},
                "server": False}
        data.update(reconnect)
        reply = monitor.send({"execute": "chardev-add", "arguments": {
            "id": chardev, "backend": {"type": "socket", "data": data}}})
        if "error" in reply:
            return reply
        new = dict(args, driver="vhost-user-simple-pci", chardev=chardev)
        for k in list(new):
            if k not in FRONTEND and k not in ("driver", "chardev"):
                del new[k]
        if "id" in new:
            self.by_device[new["id"]] = chardev
        return monitor.send(dict(msg, arguments=new))

    def host_request(self, words):
        """VSIMPLE-HOST backend-kill|backend-start DEVICE-ID: a test
        stops a device's backend (SIGKILL, in flight) or starts it again."""
        what, dev = words[0], words[1]
        chardev = self.by_device.get(dev)
        if chardev is None:
            raise BackendError("no backend for device %s" % dev)
        proc, sock, log, opts = self.procs[chardev]
        if what == "backend-kill":
            self.killed.add(chardev)
            proc.kill()
            proc.wait()
            self.say("backend %s of %s killed" % (chardev, dev))
        elif what == "backend-start":
            if proc.poll() is None:
                raise BackendError("backend of %s is running" % dev)
            if chardev not in self.killed:
                self.crashed.append("backend %s exited during the run (status"
                                    " %s)" % (chardev, proc.returncode))
            self.killed.discard(chardev)
            self._spawn(chardev, sock, log, opts)
            self.say("backend %s of %s started again" % (chardev, dev))
        else:
            raise BackendError("unknown host request %s" % what)

    @staticmethod
    def _tail(log, n=30):
        try:
            with open(log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop(self):
        """Stop every backend; the failures, as text (empty: none)."""
        failures = list(self.crashed)
        for chardev, (proc, sock, log, _) in sorted(self.procs.items()):
            early = proc.poll()
            if early is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    failures.append("backend %s did not stop on SIGTERM" % chardev)
            if chardev in self.killed:
                continue
            if early is not None:
                failures.append("backend %s exited during the run (status %s)"
                                % (chardev, early))
            elif proc.returncode != 0:
                failures.append("backend %s exited with status %s"
                                % (chardev, proc.returncode))
        for f in failures:
            self.say(f)
        if failures:
            for chardev, (_, _, log, _) in sorted(self.procs.items()):
                self.say("%s's log:\n%s" % (chardev, self._tail(log)))
        return failures
