#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the guest in the built QEMU, run one file in it, stream its output.

    vm/boot/run-guest.py [options] FILE [ARGS...]

FILE (a shell script or a static binary) is copied into the guest as /job/
and run by /job/run with ARGS; the guest's console is streamed to stdout and
the exit status of FILE becomes ours (124 on timeout, 125 on a harness
error).  QEMU is started with a QMP socket; --qmp-log records the replies to
the commands given with --qmp.

--backend vhost-user (or VSIMPLE_BACKEND=vhost-user) serves every
virtio-simple-pci from a backend process instead of QEMU: the device becomes
vhost-user-simple-pci and a backend (--backend-bin, default the ASan build of
backend/vhost-user-simple) is started for it with the equivalent options
(vsimple_harness/vhost_user.py says which).  A guest line "VSIMPLE-HOST
backend-kill ID" or "backend-start ID" stops or restarts device ID's backend.

Environment: VSIMPLE_QEMU (binary), VSIMPLE_KERNEL (vmlinuz), VSIMPLE_INITRD
(base initramfs), VSIMPLE_ACCEL (kvm|tcg), VSIMPLE_FIRMWARE (colon-separated
-L dirs).  Unset ones are read from build/guest.env, which `make guest`
writes after building everything and probing KVM.  For slower kernels (the
debug kernel): VSIMPLE_APPEND (more kernel command line, always added),
VSIMPLE_MEMORY (default --memory), VSIMPLE_TIMEOUT_SCALE (multiplies
--timeout and the boot timeout), VSIMPLE_CONSOLE_LOG (a file every boot's
console is appended to), VSIMPLE_TCG_THREAD (single|multi: TCG's vCPU
threads; default single under QEMU before 10, see accel_arg()).  A
kernel report of a stalled CPU (soft lockup, RCU stall) puts the vCPUs'
registers, local APICs and QEMU's thread backtraces (gdb) in the log,
between console lines like QEMU's own stderr ("qemu: ...").  A CPU
reported stuck for VSIMPLE_LOCKUP_KILL seconds (default 120, times the
scale; 0: never) stops QEMU then, as a timeout (124).  A guest whose
console showed nothing but kernel lines within VSIMPLE_BOOT_TIMEOUT
seconds (default 60), so no userspace ran, is killed and booted again,
once: a kernel wedged under TCG before any job ran.
"""
import argparse
import json
import os
import re
import select
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vsimple_harness import cpio, qmp, vhost_user  # noqa: E402

EXIT_RE = re.compile(rb"VSIMPLE-EXIT=(\d+)")
# the kernel's own lines; any other line is the guest's userspace (our init's
# VSIMPLE-READY, a systemd root's first TAP line) or QEMU's
KERNEL_LINE_RE = re.compile(rb"^\s*\[\s*\d+\.\d+\]")
# run()'s status for a guest that never reached its init (main() boots again)
BOOT_HANG = -1
HOST_REQ_RE = re.compile(rb"VSIMPLE-QMP (\{.*\})")
HOST_CMD_RE = re.compile(rb"VSIMPLE-HOST ([a-z-]+ [A-Za-z0-9_.-]+)")
# the kernel saying a CPU stopped making progress: the vCPUs' state is
# recorded then, while it still shows who waits for whom
STALL_RE = re.compile(rb"BUG: soft lockup|rcu: INFO: rcu_\w+ (self-)?detected")
# a CPU stuck this long does not come back: QEMU is stopped then, not at
# the job's timeout (seen: 220 s stuck, then 80 s more to the timeout)
LOCKUP_RE = re.compile(rb"BUG: soft lockup - CPU#\d+ stuck for (\d+)s")
TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def say(msg):
    sys.stderr.write("[run-guest] %s\n" % msg)
    sys.stderr.flush()


def job_archive(path, args, extra):
    """A cpio with /job/<file>, /job/run and any extra files."""
    name = os.path.basename(path)
    run = "#!/bin/sh\nexec /job/%s %s\n" % (
        shlex.quote(name), " ".join(shlex.quote(a) for a in args))
    entries = [("job", None, 0o755), ("job/run", run.encode(), 0o755)]
    with open(path, "rb") as f:
        entries.append(("job/" + name, f.read(), 0o755))
    for e in extra:
        with open(e, "rb") as f:
            entries.append(("job/" + os.path.basename(e), f.read(), 0o755))
    return cpio.newc(entries)


class QemuStderr:
    """QEMU's stderr, held as whole lines until the console is between
    lines; each is printed as "qemu: LINE" (no TAP, no comment)."""

    def __init__(self, pipe):
        self.pipe = pipe
        self.part = b""
        self.lines = []
        self.open = True

    def fds(self):
        return [self.pipe] if self.open else []

    def read(self):
        chunk = os.read(self.pipe.fileno(), 65536)
        if not chunk:
            self.open = False
            chunk = b"\n" if self.part else b""
        self.part += chunk
        *done, self.part = self.part.split(b"\n")
        self.lines += [b"qemu: " + line.rstrip(b"\r") for line in done]

    def hold(self, text):
        """One of our own lines, printed as QEMU's are."""
        self.lines.append(b"[run-guest] " + text.encode())

    def read_all(self):
        while self.open and select.select([self.pipe], [], [], 5)[0]:
            self.read()

    def flush(self, at_line_start):
        if not at_line_start or not self.lines:
            return
        out = sys.stdout.buffer
        out.write(b"".join(line + b"\n" for line in self.lines))
        out.flush()
        self.lines = []


def hmp(monitor, command):
    return monitor.command("human-monitor-command",
                           **{"command-line": command}).get("return", "")


def host_backtraces(pid):
    """QEMU's threads as the host sees them (gdb, when installed): a vCPU
    thread asleep in QEMU or busy in translated code.  Lines to print."""
    if not shutil.which("gdb"):
        return []
    try:
        out = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx",
                              "-iex", "set debuginfod enabled off",
                              "-ex", "thread apply all bt 12",
                              "-ex", "detach"],
                             stdin=subprocess.DEVNULL, capture_output=True,
                             timeout=60, text=True, errors="replace").stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        return ["no host backtraces: %s" % e]
    return ["gdb: " + line for line in out.splitlines()
            if line.startswith(("Thread ", "#"))]


def vcpu_report(monitor):
    """Each vCPU's registers (HLT=1: asleep in QEMU) and local APIC, from
    QMP: whether a stuck vCPU spins in the guest or sleeps in QEMU with an
    interrupt it never took.  Lines to print."""
    out = ["a vCPU stalled; the vCPUs as QEMU sees them:"]
    try:
        for line in hmp(monitor, "info registers -a").splitlines():
            if re.match(r"(CPU#\d+|RIP=|EFL=|RAX=)", line):
                out.append("  " + line.strip())
        cpus = monitor.command("query-cpus-fast").get("return", [])
        for c in cpus:
            n = c["cpu-index"]
            for line in hmp(monitor, "info lapic %d" % n).splitlines():
                if re.match(r"\s*(LVTT|Timer|ICR|ISR|IRR|PPR|TPR)", line):
                    out.append("  CPU %d %s" % (n, line.strip()))
    except (OSError, ValueError, KeyError) as e:
        out.append("no vCPU state: %s" % e)
    return out


def accel_arg(qemu, accel):
    """-accel's value.  Under QEMU before 10, TCG runs every vCPU in one
    thread: 7.2's multi-threaded TCG can keep running code another vCPU
    has just patched (Linux's text_poke_bp, for a tracepoint or a module's
    static keys): the vCPU loops on a stale int3 with interrupts off while
    the patching one waits for it, and the guest never recovers (within
    200 tracepoint toggles in each of 3 runs; 10.0 passed 600, twice:
    tests/guest/text_poke.sh).  VSIMPLE_TCG_THREAD=single|multi chooses."""
    if accel != "tcg":
        return accel
    thread = os.environ.get("VSIMPLE_TCG_THREAD")
    if thread and thread not in ("single", "multi"):
        raise ValueError("VSIMPLE_TCG_THREAD must be single or multi, not %r"
                         % thread)
    if not thread:
        try:
            version = subprocess.run([qemu, "-version"], capture_output=True,
                                     text=True, timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired):
            version = ""
        m = re.search(r"version (\d+)\.", version)
        thread = "multi" if m and int(m.group(1)) >= 10 else "single"
    return "tcg,thread=" + thread


def qemu_command(opts, initrd, qmp_path, backends):
    cmd = [opts.qemu, "-M", "pc", "-accel", accel_arg(opts.qemu, opts.accel),
           "-m", str(opts.memory), "-smp", str(opts.smp),
           "-nodefaults", "-display", "none", "-serial", "stdio",
           "-no-reboot", "-kernel", opts.kernel, "-initrd", initrd,
           "-append", " ".join(filter(None, ["console=ttyS0 panic=-1", opts.append,
                                  os.environ.get("VSIMPLE_APPEND")])),
           "-qmp", "unix:%s,server=on,wait=off" % qmp_path]
    for d in opts.firmware.split(":"):
        if d:
            cmd += ["-L", d]
    if backends:
        cmd += backends.memory_args()
    for dev in opts.device:
        cmd += backends.device_args(dev, opts.backend == "vhost-user") \
            if backends else ["-device", dev]
    cmd += opts.qemu_arg
    return cmd


def cleanup(tmp, files):
    for f in files:
        if os.path.exists(f):
            os.unlink(f)
    shutil.rmtree(tmp, ignore_errors=True)


def run(opts):
    tmp = tempfile.mkdtemp(prefix="vsimple-guest-")
    initrd = os.path.join(tmp, "initrd.cpio")
    qmp_path = os.path.join(tmp, "qmp.sock")
    with open(initrd, "wb") as out:
        with open(opts.initrd, "rb") as base:
            out.write(base.read())
        out.write(job_archive(opts.file, opts.args, opts.add))

    backends = None
    try:
        if opts.backend == "vhost-user" or any(
                d.startswith("vhost-user-simple-pci") for d in opts.device):
            backends = vhost_user.Backends(opts.backend_bin, opts.backend_arg,
                                           tmp, opts.qemu, opts.memory, say)
        cmd = qemu_command(opts, initrd, qmp_path, backends)
    except (vhost_user.BackendError, OSError, ValueError,
            subprocess.CalledProcessError) as e:
        say("error: %s" % e)
        if backends:
            backends.stop()
        cleanup(tmp, [initrd])
        return 125
    if opts.verbose:
        say(" ".join(shlex.quote(c) for c in cmd))
    say("booting (accel %s, timeout %ds)" % (cmd[cmd.index("-accel") + 1],
                                             opts.timeout))
    # QEMU's own messages come on stderr; they are written between the
    # console's lines, never inside one (a TAP line cut in two is lost)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    qemu_err = QemuStderr(proc.stderr)
    stalled = False
    wedged = None
    monitor = None
    status = None
    deadline = time.monotonic() + opts.timeout
    # userspace speaks within seconds (our init's VSIMPLE-READY); a kernel
    # that printed nothing but its own lines by then (seen: TCG wedging the
    # crypto self-tests at boot) is the emulator's trouble, not the job's
    ready_by = time.monotonic() + opts.boot_timeout
    ready = False
    buf = b""
    qmp_log = open(opts.qmp_log, "w") if opts.qmp_log else None
    console = os.environ.get("VSIMPLE_CONSOLE_LOG")
    console = open(console, "ab") if console else None
    try:
        while True:
            left = deadline - time.monotonic()
            if not ready and time.monotonic() >= ready_by:
                say("the guest did not reach its init within %ds: killing QEMU"
                    % opts.boot_timeout)
                status = BOOT_HANG
                proc.kill()
                break
            if left <= 0 or wedged:
                why = ("timeout after %ds" % opts.timeout if left <= 0 else
                       "a CPU stuck for %ss (VSIMPLE_LOCKUP_KILL %ds): the"
                       " guest will not recover" % (wedged, opts.lockup_kill))
                say(why + ": killing QEMU")
                status = 124
                proc.kill()
                break
            readable, _, _ = select.select([proc.stdout] + qemu_err.fds(),
                                           [], [], min(left, 1))
            if not readable:
                if proc.poll() is not None:
                    break
                continue
            if proc.stderr in readable:
                qemu_err.read()
                qemu_err.flush(buf == b"")
                if proc.stdout not in readable:
                    continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            if console:
                console.write(chunk)
                console.flush()
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                m = HOST_REQ_RE.search(line)
                if m:
                    # a guest test asks the host for a QMP command
                    if monitor is None:
                        monitor = qmp.Monitor(qmp_path)
                    try:
                        msg = json.loads(m.group(1).decode())
                        vu = backends and opts.backend == "vhost-user"
                        reply = json.dumps(backends.qmp(msg, monitor)
                                           if vu else monitor.send(msg))
                    except (ValueError, vhost_user.BackendError) as e:
                        say("guest QMP request failed: %s" % e)
                        reply = json.dumps({"error": {"desc": str(e)}})
                    if qmp_log:
                        qmp_log.write(reply + "\n")
                        qmp_log.flush()
                m = HOST_CMD_RE.search(line)
                if m:
                    try:
                        if not backends:
                            raise vhost_user.BackendError(
                                "VSIMPLE-HOST needs --backend vhost-user")
                        backends.host_request(m.group(1).decode().split())
                    except vhost_user.BackendError as e:
                        say("guest host request failed: %s" % e)
                ready = ready or bool(line.strip() and
                                      not KERNEL_LINE_RE.match(line))
                m = EXIT_RE.search(line)
                if m and status is None:
                    status = int(m.group(1))
                m = LOCKUP_RE.search(line)
                if (m and opts.lockup_kill and KERNEL_LINE_RE.match(line) and
                        int(m.group(1)) >= opts.lockup_kill):
                    wedged = int(m.group(1))
                # the kernel's own report, not a test printing one
                if (not stalled and KERNEL_LINE_RE.match(line) and
                        STALL_RE.search(line)):
                    stalled = True
                    try:
                        # its own connection: a command that timed out
                        # must not leave the guest's QMP requests a reply
                        # behind
                        report = qmp.Monitor(qmp_path, timeout=10)
                        texts = vcpu_report(report)
                        report.close()
                    except (OSError, ValueError) as e:  # timeouts too
                        texts = ["no vCPU state: %s" % e]
                    for text in texts + host_backtraces(proc.pid):
                        qemu_err.hold(text)
            qemu_err.flush(buf == b"")
    finally:
        if monitor:
            monitor.close()
        if qmp_log:
            qmp_log.close()
        if console:
            console.close()
        # stderr read to its end first: QEMU blocked on a full pipe (an
        # ASan report at exit) would never exit
        qemu_err.read_all()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        qemu_err.read_all()
        if buf and qemu_err.lines:
            sys.stdout.buffer.write(b"\n")     # the console's last line ended
        qemu_err.flush(True)
        if backends and backends.stop() and status == 0:
            status = 1          # the guest passed, a backend did not
        cleanup(tmp, [initrd, qmp_path])
    if status is None:
        say("guest stopped without an exit marker (QEMU status %s)"
            % proc.returncode)
        return 125
    return status


GUEST_ENV = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "..", "..", "build", "guest.env")


def env_default(name):
    """The environment's value, else the one `make guest` recorded."""
    if name in os.environ:
        return os.environ[name]
    if os.path.exists(GUEST_ENV):
        with open(GUEST_ENV) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                if key == name:
                    return value
    return ""


def main():
    p = argparse.ArgumentParser(
        description="Run FILE inside the virtio-simple guest.",
        epilog="Example: vm/boot/run-guest.py --device virtio-simple-pci "
               "tests/guest/smoke.sh")
    p.add_argument("file", help="script or static binary to run in the guest")
    p.add_argument("args", nargs=argparse.REMAINDER,
                   help="arguments passed to FILE")
    p.add_argument("--timeout", type=int, default=180,
                   help="seconds before QEMU is killed (default 180)")
    p.add_argument("--device", action="append", default=[],
                   help="a -device for QEMU (repeatable)")
    p.add_argument("--qemu-arg", action="append", default=[],
                   help="one more raw QEMU argument (repeatable)")
    p.add_argument("--add", action="append", default=[],
                   help="another file to copy into /job (repeatable)")
    p.add_argument("--append", default="quiet",
                   help="extra kernel command line (default: quiet)")
    p.add_argument("--memory", type=int,
                   default=int(os.environ.get("VSIMPLE_MEMORY") or 512))
    p.add_argument("--smp", type=int, default=2)
    p.add_argument("--qmp-log", help="write replies to guest QMP requests")
    p.add_argument("--backend", choices=["qemu", "vhost-user"],
                   default=os.environ.get("VSIMPLE_BACKEND") or "qemu",
                   help="who serves virtio-simple-pci: QEMU itself (default)"
                   " or a vhost-user backend process")
    p.add_argument("--backend-bin", default=os.environ.get(
                   "VSIMPLE_BACKEND_BIN") or os.path.join(
                   TOP, "build", "backend", "asan", "vhost-user-simple"),
                   help="the backend program (--backend vhost-user)")
    p.add_argument("--backend-arg", action="append", default=[],
                   help="one more argument for every backend (repeatable)")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--qemu", default=env_default("VSIMPLE_QEMU"))
    p.add_argument("--kernel", default=env_default("VSIMPLE_KERNEL"))
    p.add_argument("--initrd", default=env_default("VSIMPLE_INITRD"))
    p.add_argument("--accel", default=env_default("VSIMPLE_ACCEL") or "tcg",
                   choices=["kvm", "tcg"])
    p.add_argument("--firmware", default=env_default("VSIMPLE_FIRMWARE"))
    opts = p.parse_args()
    opts.timeout = int(opts.timeout *
                       float(os.environ.get("VSIMPLE_TIMEOUT_SCALE") or 1))
    for what in ("qemu", "kernel", "initrd"):
        path = getattr(opts, what)
        if not path or not os.path.exists(path):
            p.error("no %s: run `make guest` first, or pass --%s"
                    % (what, what))
    if not os.path.exists(opts.file):
        p.error("no such file: %s" % opts.file)
    opts.boot_timeout = int(float(os.environ.get("VSIMPLE_BOOT_TIMEOUT") or 60) *
                            float(os.environ.get("VSIMPLE_TIMEOUT_SCALE") or 1))
    opts.lockup_kill = int(float(os.environ.get("VSIMPLE_LOCKUP_KILL") or 120) *
                           float(os.environ.get("VSIMPLE_TIMEOUT_SCALE") or 1))
    status = run(opts)
    if status == BOOT_HANG:
        # once: a second hang is reported as the failure it is
        say("booting again, once: the job never started")
        status = run(opts)
        if status == BOOT_HANG:
            say("the guest hung before its init twice")
            status = 124
    return status


if __name__ == "__main__":
    sys.exit(main())
