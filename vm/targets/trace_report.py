#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the logs of `make trace` into the seed's STEP 1..6 account.

    vm/targets/trace_report.py [--check] PROBE_LOG NOTIFY_OFF_LOG SEED_LOG

PROBE_LOG is the console of `tests/guest/trace_probe.sh probe` (hot-plug,
one request, removal), NOTIFY_OFF_LOG the same request with ioeventfd off,
SEED_LOG the hot-plug of a device with the seed's PCI ID 1af4:10f3.

The account is one line per call (kprobe arguments and return values
folded into it), repeated sibling calls folded into one line with a count,
and each section headed by the seed's STEP with what the seed says and
what the trace shows; what acpiphp does beyond the story is tagged [-].

With --check, print one TAP line per rule and exit 1 unless every step is
present in order and confirmed, the remove path is complete, the seed's
device stayed unbound, a burst of requests moved the per-queue MSI-X
counts, the config ops symbols were read, and no line repeats more than
3 times in a row.
"""
import re
import sys

STEPS = {
    0: "HOT-PLUG  not a seed step: ACPI tells the guest that slot 5 changed",
    1: "STEP 1  PCI scan and setup: config space read, struct pci_dev filled",
    2: "STEP 2  pci_device_add -> device_add: the device joins the PCI bus",
    3: "STEP 3  bus matching on the PCI bus: virtio-pci matches vendor 1af4",
    4: "STEP 4  the common virtio-pci probe: enable, modern capabilities, "
       "notify area, register_virtio_device",
    5: "STEP 5  matching on the virtio bus: our driver's probe",
    6: "STEP 6  virtqueues: MSI-X vectors and queue enable via common config",
}
OUTSIDE = ("OUTSIDE THE STORY  [-]: acpiphp re-checks the bus's other slots "
           "(the seed scans once, at boot)")
# What the seed says of each step, in one line; the trace's answer is
# computed from the calls (statements()).
SEED_SAYS = {
    0: "(nothing: its devices are found by the boot-time scan)",
    1: "pci_scan_device() reads the config space, pci_setup_device() fills "
       "struct pci_dev",
    2: "pci_device_add() -> device_add() creates the sysfs entries; the "
       "pci_dev points to virtio-pci",
    3: "__device_attach_driver() matches a driver on vendor 1af4 and calls "
       "its probe (call_driver_probe())",
    4: "virtio_pci_probe: pci_enable_device(), virtio_pci_modern_probe() maps "
       "the capabilities (pci_iomap_range()), register_virtio_device()",
    5: "once on the virtio bus, the device's own driver's probe() is called",
    6: "MSI-X vectors for the virtqueues, then iowrite16 to queue_select/"
       "queue_enable in virtio_pci_common_cfg",
}
# STEP 4c as the seed lists it: virtio_config_ops field -> function.
SEED_CONFIG_OPS = [
    ("get", "vp_get"), ("set", "vp_set"), ("generation", "vp_generation"),
    ("get_status", "vp_get_status"), ("set_status", "vp_set_status"),
    ("reset", "vp_reset"), ("find_vqs", "vp_modern_find_vqs"),
    ("del_vqs", "vp_del_vqs"), ("synchronize_cbs", "vp_synchronize_vectors"),
    ("get_features", "vp_get_features"),
    ("finalize_features", "vp_finalize_features"),
    ("bus_name", "vp_bus_name"), ("set_vq_affinity", "vp_set_vq_affinity"),
    ("get_vq_affinity", "vp_get_vq_affinity"),
    ("get_shm_region", "vp_get_shm_region"),
    ("disable_vq_and_reset", "vp_modern_disable_vq_and_reset"),
    ("enable_vq_after_reset", "vp_modern_enable_vq_after_reset"),
    ("create_avq", "vp_modern_create_avq"),
    ("destroy_avq", "vp_modern_destroy_avq"),
]
# Functions that always belong to one step.
FIXED = {
    "acpiphp_hotplug_notify": 0, "acpiphp_check_bridge": 0,
    "acpiphp_rescan_slot": 0, "enable_slot": 0,
    "pci_scan_slot": 1, "pci_scan_single_device": 1, "pci_setup_device": 1,
    "pci_device_add": 2,
    "pci_bus_add_devices": 3, "pci_bus_add_device": 3,
    "pci_device_probe": 3, "local_pci_probe": 3,
    "virtio_pci_probe": 4, "pci_enable_device": 4,
    "virtio_pci_modern_probe": 4, "vp_modern_probe": 4,
    "vp_modern_map_capability": 4, "vp_modern_map_capability_ret": 4,
    "virtio_pci_legacy_probe": 4, "vp_legacy_probe": 4,
    "register_virtio_device": 4,
    "virtio_dev_probe": 5, "vsimple_probe": 5, "vsimple_cdev_add": 5,
    "vp_modern_find_vqs": 6, "vp_find_vqs": 6, "vp_find_vqs_msix": 6,
    "pci_alloc_irq_vectors_affinity": 6, "vp_setup_vq": 6, "setup_vq": 6,
    "vp_modern_set_queue_enable": 6,
}
# Driver-core functions: their step is where they are called from.
GENERIC = {"device_add", "bus_probe_device", "device_initial_probe",
           "__device_attach", "__device_attach_driver", "driver_probe_device",
           "really_probe"}
# ... the innermost of these callers decides.
CONTEXT = [("register_virtio_device", 4, 5), ("pci_device_add", 2, 2),
           ("pci_bus_add_device", 3, 3)]
REQUIRED_ADD = ["pci_setup_device", "pci_device_add", "__device_attach_driver",
                "virtio_pci_probe", "pci_enable_device",
                "vp_modern_map_capability",
                "register_virtio_device", "virtio_dev_probe", "vsimple_probe",
                "pci_alloc_irq_vectors_affinity",
                "vp_modern_set_queue_enable"]
REQUIRED_REMOVE = ["pci_stop_and_remove_bus_device", "virtio_pci_remove",
                   "unregister_virtio_device", "virtio_dev_remove",
                   "vsimple_remove", "vp_del_vqs", "pci_disable_device"]

# " 0)   1.2 us    |    name();" or "name [module]() {", or a kprobe
# event as a comment: "/* event: (where) args */"
GRAPH = re.compile(r"^\s*\d+\)\s.*?\|(\s*)"
                   r"(?:(\w+)(?: \[\w+\])?\(\)|/\*\s*(\w+):(.*)\*/)")


class Call:
    """One function call of the graph: its kprobe arguments and return
    value are folded into it, so each call is one line."""

    def __init__(self, depth, name):
        self.depth, self.name = depth, name
        self.args, self.ret, self.count = "", None, 1
        self.children = []
        self.step, self.note = None, ""

    def text(self):
        t = "%s(%s)" % (self.name, self.args)
        if self.ret is not None:
            t += " = " + self.ret
        if self.count > 1:
            t += " x%d" % self.count
        return t

    def shape(self):
        """What makes two sibling calls the same, for folding."""
        return (self.text(), tuple(c.shape() for c in self.children))


def section(text, name):
    m = re.search(r"VSIMPLE-TRACE-BEGIN %s\n(.*?)VSIMPLE-TRACE-END %s" %
                  (name, name), text, re.S)
    return m.group(1).splitlines() if m else []


def block(text, title):
    """The lines of a `== title` block the guest printed."""
    m = re.search(r"\n== %s[^\n]*\n(.*?)(?=\n== |\nVSIMPLE-|\Z)" %
                  re.escape(title), text, re.S)
    return m.group(1).rstrip().splitlines() if m else []


def parse_graph(lines):
    """The graph as a flat list of Calls in order, depth relative to the
    kept lines.  An entry kprobe (`/* f: args */` just before `f()`) gives
    f's arguments; a return kprobe (`/* f_ret: ret=... */`) its value."""
    out, stack, pending = [], [], None
    for line in lines:
        m = GRAPH.match(line)
        if not m:
            continue
        indent = len(m.group(1))
        if m.group(3):          # a kprobe event
            ev = m.group(3)
            args = re.sub(r"^\(.*?\)\s*", "", m.group(4).strip())
            if ev.endswith("_ret"):
                for c in reversed(out):
                    if c.name == ev[:-4]:
                        c.ret = re.sub(r"^\w+=", "", args)
                        break
            else:
                pending = (ev, args)
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        call = Call(len(stack), m.group(2))
        if pending and pending[0] == call.name:
            call.args = pending[1]
        pending = None
        if stack:
            stack[-1][1].children.append(call)
        out.append(call)
        if line.rstrip().endswith("{"):
            stack.append((indent, call))
    return out


def assign_steps(calls):
    """Each call's step: fixed, from its caller context, or its parent's."""
    ctx = []
    for c in calls:
        del ctx[c.depth:]
        step = FIXED.get(c.name)
        if step is None:
            step = ctx[-1][1] if ctx else None
        if c.name in GENERIC:
            for anc in reversed([a[0] for a in ctx]):
                hit = [s for a, _, s in CONTEXT if a == anc]
                if hit:
                    step = hit[0]
                    break
        ctx.append((c.name, step))
        c.step = step


def in_story(call):
    """A subtree of the hot-plug handler belongs to the seed's story when
    it creates or probes the device; acpiphp also re-checks every other
    slot of the bus, which the seed (a boot-time scan) never sees."""
    if call.name in ("pci_setup_device", "pci_device_probe",
                     "pci_bus_add_device"):
        return True
    return any(in_story(c) for c in call.children)


def fold(calls):
    """Consecutive sibling calls with the same line and the same subtree
    become one call with a count."""
    out = []
    for c in calls:
        c.children = fold(c.children)
        if out and out[-1].shape()[1:] == c.shape()[1:] and \
                (out[-1].name, out[-1].args, out[-1].ret) == \
                (c.name, c.args, c.ret):
            out[-1].count += 1
        else:
            out.append(c)
    return out


def roots(calls):
    return [c for c in calls if c.depth == 0]


def walk(calls, depth=0):
    for c in calls:
        yield depth, c
        for d, k in walk(c.children, depth + 1):
            yield d, k


def render(tree, statements=None):
    """The calls, one line each; with statements (STEP -> (seed, trace)),
    a heading and the seed's and the trace's word wherever a later step
    starts.  Calls outside the story are tagged [-] under their own
    heading."""
    out, last = [], None
    for depth, c in walk(tree):
        step = c.step
        if statements is not None and step is not None and \
                (last is None or (last != "-" and step > last)):
            out += ["", STEPS[step]]
            if step in statements:
                out += ["  seed:  " + statements[step][0],
                        "  trace: " + statements[step][1]]
            last = step
        if statements is not None and step is None and last != "-":
            out += ["", OUTSIDE]
            last = "-"
        tag = ""
        if statements is not None:
            tag = "[-] " if step is None else "[%d] " % step
        line = "  %s%s%s" % (tag, "  " * depth, c.text())
        if c.note:
            line = "%-60s (%s)" % (line, c.note)
        out.append(line)
    return out


def find(tree, name):
    return [c for _, c in walk(tree) if c.name == name]


def parent_map(tree):
    par = {}
    for _, c in walk(tree):
        for k in c.children:
            par[id(k)] = c
    return par


def annotate(tree, caps):
    """Say in a few words what a call does where the name does not."""
    par = parent_map(tree)
    status = {"register_virtio_device": "ACKNOWLEDGE",
              "virtio_dev_probe": "DRIVER, FEATURES_OK",
              "vsimple_probe": "DRIVER_OK"}
    for _, c in walk(tree):
        up = par.get(id(c))
        upname = up.name if up else ""
        if c.name == "__device_attach_driver":
            if c.children and c.step == 5:
                c.note = "virtio_simple: virtio device ID 63 matches"
            elif c.children:
                c.note = "virtio-pci: vendor 1af4 matches"
            elif c.step == 2:
                c.note = "each PCI driver: none may bind yet"
            elif c.step == 5:
                c.note = "virtio drivers before virtio_simple: no match"
            else:
                c.note = "PCI drivers before virtio-pci: no match"
        elif c.name == "device_add" and upname == "device_add":
            c.note = ("another device added inside it, probably ACPI's "
                      "wakeup source: not the seed's")
        elif c.name == "device_add" and upname == "vsimple_cdev_add":
            c.note = "/dev/virtio-simple0"
        elif c.name == "vp_set_status":
            c.note = status.get(upname, "")
        elif c.name == "vp_notify" and c.step is not None:
            c.note = "first kick: responseq buffers posted"
        elif c.name == "pci_scan_single_device" and not c.children:
            c.note = "already known: nothing new"
        elif c.name == "vp_modern_map_capability":
            m = re.search(r"cap_off=(\d+)", c.args)
            if m and int(m.group(1)) in caps:
                c.note = caps[int(m.group(1))]
        elif c.name == "pci_alloc_irq_vectors_affinity":
            c.note = "config + one per queue"
        elif c.name == "vp_setup_vq":
            c.note = "requestq, responseq"
        elif c.name == "vp_modern_set_queue_enable":
            c.note = "queue_select, queue_enable"
        elif c.name == "device_release_driver" and c.step is None:
            c.note = "disable_slot() of the empty slots"
        elif c.name == "enable_slot" and c.step is None:
            c.note = "an occupied slot, scanned again"


def annotate_remove(tree):
    """The few calls of the removal whose name does not say it all."""
    par = parent_map(tree)
    for _, c in walk(tree):
        up = par.get(id(c))
        if c.name == "device_del" and up and up.name == "vsimple_remove":
            c.note = "/dev/virtio-simple0 goes"
        elif c.name == "vp_modern_remove":
            c.note = "unmaps the capabilities"
        elif c.name == "pci_free_irq_vectors":
            c.note = "the MSI-X lines go"
        elif c.name == "vp_set_status":
            c.note = "ACKNOWLEDGE again, after the reset"
        elif c.name == "device_del" and up and \
                up.name == "pci_stop_and_remove_bus_device":
            c.note = "the PCI device"


def statements(tree):
    """STEP -> (what the seed says, what the trace shows): the trace's
    line starts with "confirmed" only when the step's calls are there."""
    names = {c.name for _, c in walk(tree)}

    def attach_tries(step):
        return sum(c.count for _, c in walk(tree)
                   if c.name == "__device_attach_driver" and c.step == step
                   and not c.children)

    def count(name):
        return sum(c.count for c in find(tree, name))

    def said(step, needs, text):
        missing = [n + "()" for n in needs if n not in names]
        if missing:
            return SEED_SAYS[step], "NOT SEEN: " + ", ".join(missing)
        return SEED_SAYS[step], text

    probe = find(tree, "vp_modern_probe")
    return {
        0: said(0, ["acpiphp_hotplug_notify", "acpiphp_rescan_slot"],
                "acpiphp_hotplug_notify() -> acpiphp_rescan_slot() finds "
                "the new function"),
        1: said(1, ["pci_scan_single_device", "pci_setup_device"],
                "confirmed: pci_scan_slot() -> pci_scan_single_device() -> "
                "pci_setup_device(); pci_scan_device() is inlined here"),
        2: said(2, ["pci_device_add", "device_add"],
                "confirmed, one correction: device_add() tries %d PCI "
                "drivers and binds none (match_driver is still false); "
                "virtio-pci is bound in STEP 3" % attach_tries(2)),
        3: said(3, ["pci_bus_add_device", "pci_device_probe"],
                "confirmed: %d PCI drivers tried, then virtio-pci matches; "
                "call_driver_probe() is inlined (really_probe() -> "
                "pci_device_probe())" % (attach_tries(3) + 1)),
        4: said(4, ["pci_enable_device", "vp_modern_probe",
                    "vp_modern_map_capability", "register_virtio_device"],
                "confirmed: vp_modern_probe() = %s maps %d capabilities "
                "(pci_iomap_range() is notrace: its caller is shown), then "
                "register_virtio_device(); 4b, 4c below" % (
                    probe[0].ret if probe else "?",
                    count("vp_modern_map_capability"))),
        5: said(5, ["virtio_dev_probe", "vsimple_probe"],
                "confirmed: virtio_dev_probe() -> vsimple_probe(), matched "
                "by virtio device ID 63, not by the PCI ID"),
        6: said(6, ["pci_alloc_irq_vectors_affinity", "vp_setup_vq",
                    "vp_modern_set_queue_enable"],
                "confirmed: one MSI-X vector each, vp_setup_vq() x%d, then "
                "vp_modern_set_queue_enable() x%d; interrupts in 6b below"
                % (count("vp_setup_vq"),
                   count("vp_modern_set_queue_enable"))),
    }


def story_tree(lines):
    """Parse, assign steps, move what is not the seed's story out of it
    (step None), fold repeats."""
    calls = parse_graph(lines)
    assign_steps(calls)
    for top in roots(calls):
        for sub in top.children:
            if not in_story(sub):
                for _, c in walk([sub]):
                    c.step = None
    return calls, fold(roots(calls))


def cap_names(lines):
    """Config-space offset -> what the capability holds, from pci_caps."""
    caps = {}
    for ln in lines:
        m = re.match(r"cap @0x([0-9a-f]+) virtio (.+?)\s+bar (\d+) offset "
                     r"0x([0-9a-f]+) length 0x([0-9a-f]+)", ln)
        if m:
            caps[int(m.group(1), 16)] = m.group(2)
    return caps


def bar_lines(res, caps_lines, dev):
    """Each used BAR of the device with what it holds."""
    holds = {}
    for ln in caps_lines:
        m = re.match(r"cap @0x([0-9a-f]+) virtio (.+?)\s+bar (\d+) offset "
                     r"0x([0-9a-f]+) length 0x([0-9a-f]+)", ln)
        if m and int(m.group(5), 16):
            holds.setdefault(int(m.group(3)), []).append(
                "%s at 0x%x" % (m.group(2), int(m.group(4), 16)))
        m = re.match(r"cap @0x\w+ MSI-X (\d+) vectors, table in bar (\d+) "
                     r"at (0x\w+)", ln)
        if m:
            holds.setdefault(int(m.group(2)), []).append(
                "MSI-X table (%s vectors) at %s" % (m.group(1), m.group(3)))
    out = []
    for i, ln in enumerate(res):
        f = [int(x, 16) for x in ln.split()]
        if len(f) != 3 or not f[1]:
            continue
        kind = "mem" if f[2] & 0x200 else "io"
        if f[2] & 0x100000:
            kind += " 64-bit"
        if f[2] & 0x2000:
            kind += " prefetchable"
        out.append("%s BAR %d  0x%x-0x%x  %d KiB %s: %s" % (
            dev, i, f[0], f[1], (f[1] - f[0] + 1) // 1024, kind,
            ", ".join(holds.get(i, ["?"]))))
    return out


def irq_counts(lines):
    """virtio line name -> interrupts summed over the CPUs."""
    counts = {}
    for ln in lines:
        m = re.match(r"\s*\d+:\s+([\d\s]+?)\s+PCI-MSI.*\s(virtio\d+-\S+)$",
                     ln.rstrip())
        if m:
            counts[m.group(2)] = sum(int(x) for x in m.group(1).split())
    return counts


def config_ops(kallsyms):
    """The seed's listing next to what /proc/kallsyms of the running
    kernel has."""
    syms = {}
    for ln in kallsyms:
        f = ln.split()
        # "address type name [module]", without the module when built in
        # (6.12); QEMU's trace lines may interleave
        if len(f) in (3, 4) and re.match(r"[0-9a-f]{16}$", f[0]):
            syms[f[2]] = "%s %s" % (f[1], f[3] if len(f) == 4 else "(built in)")
    out = ["  %-22s %-32s %s" % ("field", "the seed's function",
                                 "running kernel (/proc/kallsyms)")]
    for field, fn in SEED_CONFIG_OPS:
        out.append("  %-22s %-32s %s" % ("." + field, fn,
                                         syms.get(fn, "absent")))
    table = [n for n in syms if n.startswith("virtio_pci_config")]
    absent = ["." + f for f, fn in SEED_CONFIG_OPS if fn not in syms]
    # the admin virtqueue outside the ops table (6.11 and later drop
    # .create_avq/.destroy_avq; virtio_pci sets the queue up itself)
    avq = sorted(n for n in syms if "avq" in n or n.startswith("virtio_pci_admin"))
    if any(fn not in syms for fn in ("vp_modern_create_avq",
                                      "vp_modern_destroy_avq")):
        out.append("  admin virtqueue symbols here: %s" % (", ".join(avq) or "none"))
    return out, table, len(SEED_CONFIG_OPS) - len(absent), absent


def notify_lines(text, names):
    """One request: the guest's kprobe events and QEMU's trace events,
    with queue names instead of pointers and IRQ numbers."""
    vqs = dict((m.group(2), "queue %s" % m.group(1)) for m in re.finditer(
        r"virtio_queue_notify vdev \S+ n (\d+) vq (\S+)", text))
    qn = {"queue 0": "requestq", "queue 1": "responseq"}
    m = re.search(r"VSIMPLE-NOTIFY-BEGIN\n(.*?)VSIMPLE-NOTIFY-END", text, re.S)
    out = []
    for ln in (m.group(1).splitlines() if m else []):
        if not re.search(r"vp_notify|vring_interrupt|virtio_pci_notify_write|"
                         r"virtio_queue_notify|virtio_simple_|virtio_notify",
                         ln):
            continue
        ln = re.sub(r"^\d+@[\d.]+:", "", ln.strip())
        g = re.search(r": (vp_notify|vring_interrupt): \(.*?\)\s*(.*)", ln)
        if g:
            irq = re.search(r"irq=(\d+)", g.group(2))
            ln = "guest: " + g.group(1) + (
                " irq=%s (%s)" % (irq.group(1), names.get(irq.group(1), "?"))
                if irq else "")
            out.append(ln)
            continue
        vq = re.search(r" vq (\S+)", ln)
        ln = re.sub(r" (vdev|vsimple|vq) 0x[0-9a-f]+", "", ln)
        if vq and vq.group(1) in vqs:
            ln += " (%s)" % qn.get(vqs[vq.group(1)], vqs[vq.group(1)])
        out.append("qemu:  " + ln)
    return out


def report(probe, notify_off, seed):
    out, problems = [], []
    caps_lines = block(probe, "capabilities the driver mapped")
    caps = cap_names(caps_lines)
    flat, tree = story_tree(section(probe, "add"))
    annotate(tree, caps)
    steps = [c.step for c in flat]
    names = [c.name for c in flat]
    out.append("=" * 72)
    out.append("Hot-plug of virtio-simple-pci (QMP device_add), function_graph"
               " from acpiphp_hotplug_notify")
    out.append("[n] = the seed's STEP, xN = N calls in a row; seed: what the "
               "seed says, trace: what this trace shows")
    out += render(tree, statements(tree))
    for f in REQUIRED_ADD:
        if f not in names:
            problems.append("add path: %s() missing" % f)
    if not all(c.ret for c in flat if c.name == "vp_modern_map_capability"):
        problems.append("add path: a vp_modern_map_capability() without "
                        "its return value")
    firsts = [steps.index(s) if s in steps else None for s in range(1, 7)]
    if None in firsts:
        problems.append("add path: steps missing: %s" %
                        [s + 1 for s, f in enumerate(firsts) if f is None])
    elif firsts != sorted(firsts):
        problems.append("add path: steps out of order: first lines %s" % firsts)

    pci = " ".join(block(probe, "kernel PCI line"))
    dev = "0000:00:05.0 [1af4:107f] virtio-simple-pci"
    out += ["", "STEP 4b  the BARs the capabilities point into",
            "  seed:  vp_modern_map_capability() maps a part of a BAR with "
            "pci_iomap_range()",
            "  trace: confirmed: the kernel's PCI line, then each BAR of the "
            "device and what it holds"]
    out += ["  " + ln for ln in block(probe, "kernel PCI line")]
    out += ["  " + ln for ln in bar_lines(block(probe, "BARs of"),
                                          caps_lines, dev)]
    out += ["  " + ln for ln in caps_lines]
    if "[1af4:107f] type 00 class 0x00ff00" not in pci:
        problems.append("PCI line with [1af4:107f] class 0x00ff00 missing")

    rows, table, have, absent = config_ops(block(probe, "config ops symbols"))
    out += ["", "STEP 4c  the config ops: the seed's listing and the running "
            "kernel's symbols",
            "  seed:  virtio_pci_config_ops with %d fields, from some kernel"
            % len(SEED_CONFIG_OPS),
            "  trace: %s: %d of %d functions exist here (%s); absent: %s" % (
                "NOT SEEN" if not table else
                "confirmed" if not absent else "corrected", have,
                len(SEED_CONFIG_OPS), ", ".join(sorted(table)) or "no table",
                ", ".join(absent) or "none")]
    out += rows
    if not table:
        problems.append("config ops: virtio_pci_config_ops not in kallsyms")

    out += irq_section(probe, problems)

    irq_names = {}
    for ln in block(probe, "/proc/interrupts after"):
        m = re.match(r"\s*(\d+):.*\s(virtio\d+-(\S+))$", ln.rstrip())
        if m:
            irq_names[m.group(1)] = m.group(3)
    for label, text in (("ioeventfd on", probe), ("ioeventfd off", notify_off)):
        out += ["", "=" * 72,
                "One request, %s: guest (kprobes) and QEMU (trace events), "
                "two streams not merged by time" % label]
        keep = notify_lines(text, irq_names)
        out += ["  " + ln for ln in keep]
        if not any("vp_notify" in ln for ln in keep):
            problems.append("%s: no guest vp_notify" % label)
        if not any("virtio_simple_request" in ln for ln in keep):
            problems.append("%s: no QEMU virtio_simple_request" % label)
        wrote = any("virtio_pci_notify_write" in ln for ln in keep)
        if label == "ioeventfd off" and not wrote:
            problems.append("ioeventfd off: no virtio_pci_notify_write")
        if label == "ioeventfd on" and wrote:
            problems.append("ioeventfd on: the notify went through the "
                            "MMIO handler, not the eventfd")

    rflat = parse_graph(section(probe, "remove"))
    out += ["", "=" * 72,
            "Hot-unplug (QMP device_del), function_graph from "
            "acpiphp_disable_and_eject_slot (not in the seed)"]
    rtree = fold(roots(rflat))
    annotate_remove(rtree)
    out += render(rtree)
    rnames = [c.name for c in rflat]
    for f in REQUIRED_REMOVE:
        if f not in rnames:
            problems.append("remove path: %s() missing" % f)
    if all(f in rnames for f in REQUIRED_REMOVE) and not (
            rnames.index("virtio_pci_remove") < rnames.index("vsimple_remove")
            < rnames.index("vp_del_vqs")):
        problems.append("remove path out of order")

    out += ["", "=" * 72, "The seed's PCI ID 1af4:10f3, hot-plugged"]
    sflat, stree = story_tree(section(seed, "seed-add"))
    annotate(stree, {})
    rets = {c.name: c.ret or "" for c in sflat}
    refused = all(rets.get(f) == "-19"
                  for f in ("vp_modern_probe", "vp_legacy_probe"))
    seed_said = {s: (SEED_SAYS[s], "as above") for s in range(0, 4)}
    seed_said[4] = (
        "the device is [1af4:10f3]; the PCI core loads the driver when "
        "the device ID matches",
        "corrected: STEP 3 matches on the vendor only, then "
        "vp_modern_probe() and vp_legacy_probe() both refuse 0x10f3 with "
        "-ENODEV (modern IDs are 0x1040 + virtio ID, at most 0x107f)"
        if refused else "NOT SEEN: the refusal")
    out += ["  " + ln for ln in block(seed, "kernel PCI line")]
    out += ["  driver: " + ln for ln in block(seed, "driver of")]
    out += render(stree, seed_said)
    for fn in ("vp_modern_probe", "vp_legacy_probe"):
        if rets.get(fn) != "-19":
            problems.append("seed: %s did not return -ENODEV (-19)" % fn)
    if "VSIMPLE-SEED-UNBOUND" not in seed:
        problems.append("seed: the 10f3 device was bound")
    if "virtio_dev_probe" in [c.name for c in sflat]:
        problems.append("seed: a virtio driver probed the 10f3 device")
    return out, problems


def irq_block(text, title):
    """A /proc/interrupts block without the QEMU trace events that the
    requests print on the same console in between."""
    return [ln for ln in block(text, title)
            if re.match(r"\s*(CPU0|\d+:)", ln)]


def irq_section(probe, problems):
    """STEP 6b: the MSI-X lines after the hot-plug, then before and after
    a burst of requests, with how much each moved."""
    out = ["", "STEP 6b  the MSI-X lines in /proc/interrupts",
           "  seed:  virtio interrupt lines in /proc/interrupts show that "
           "the probe succeeded"]
    hot = irq_block(probe, "/proc/interrupts after")
    t0 = re.search(r"\n== (/proc/interrupts before (\d+) requests)", probe)
    t1 = re.search(r"\n== (/proc/interrupts after \d+ requests)", probe)
    pre = irq_block(probe, t0.group(1)) if t0 else []
    post = irq_block(probe, t1.group(1)) if t1 else []
    c0, c1 = irq_counts(pre), irq_counts(post)
    moved = ["%s +%d" % (k, c1.get(k, 0) - v) for k, v in sorted(c0.items())]
    delta = dict((k.split("-", 1)[1], c1.get(k, 0) - v)
                 for k, v in c0.items())
    # The driver keeps requestq's callback disabled (driver/vsimple_core.c):
    # its descriptors are reclaimed on submit and with each answer, so only
    # responseq is expected to move.
    why = ("; requestq stays still: the driver keeps its callback disabled"
           if delta.get("requestq") == 0 else "")
    out.append("  trace: %s: a line per vector after the hot-plug; %s "
               "requests moved %s%s" % (
                   "confirmed" if delta.get("responseq", 0) > 0
                   else "NOT SEEN", t0.group(2) if t0 else "no",
                   ", ".join(moved) or "nothing", why))
    out += ["  -- after the hot-plug"] + ["  " + ln for ln in hot]
    if t0:
        out += ["  -- before %s requests (vsimple echo)" % t0.group(2)]
        out += ["  " + ln for ln in pre]
        out += ["  -- after them"] + ["  " + ln for ln in post]
    for q in ("config", "requestq", "responseq"):
        if not re.search(r"PCI-MSI.*virtio\d+-%s" % q, "\n".join(hot)):
            problems.append("no PCI-MSI line for %s after the hot-plug" % q)
    if delta.get("responseq", 0) <= 0:
        problems.append("burst: the responseq count did not move")
    return out


def repeats(lines, limit=3):
    """Runs of more than `limit` identical lines: (line, run length)."""
    bad, run = [], 1
    for i in range(1, len(lines) + 1):
        if i < len(lines) and lines[i] == lines[i - 1]:
            run += 1
            continue
        if run > limit and lines[i - 1].strip():
            bad.append((lines[i - 1], run))
        run = 1
    return bad


def unconfirmed(lines):
    """The STEPs 1..6 without a heading followed by seed: and a
    "trace: confirmed" line."""
    missing = []
    for step in range(1, 7):
        ok = False
        for i, ln in enumerate(lines[:-2]):
            if ln.startswith("STEP %d " % step) and \
                    lines[i + 1].startswith("  seed:  ") and \
                    lines[i + 2].startswith("  trace: confirmed"):
                ok = True
                break
        if not ok:
            missing.append(step)
    return missing


def main():
    args = sys.argv[1:]
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    if len(args) != 3:
        sys.exit(__doc__)
    texts = [open(p, errors="replace").read().replace("\r", "") for p in args]
    out, problems = report(*texts)
    # The account must read as the seed's story: nothing that repeats
    # line after line, and a verdict for every step.
    for line, run in repeats(out):
        problems.append("repeated: %d times in a row: %s" % (run, line.strip()))
    for step in unconfirmed(out):
        problems.append("unconfirmed: STEP %d has no seed:/trace: confirmed "
                        "lines" % step)
    print("\n".join(out))
    print("")
    if problems:
        print("PROBLEMS:\n  " + "\n  ".join(problems))
    else:
        print("All six steps, the remove path and the seed's rejection were "
              "found in the trace.")
    if check:
        # one TAP line per rule, for tests/run.sh: each fails on its own
        rules = [
            ("STEP 1..6 on the add path, in order", ("add path",)),
            ("the PCI line [1af4:107f] class 0x00ff00", ("PCI line",)),
            ("one PCI-MSI line per vector after the hot-plug", ("no PCI-MSI",)),
            ("the notify path with ioeventfd on and off",
             ("ioeventfd", "no guest vp_notify", "no QEMU")),
            ("the remove path complete and in order", ("remove path",)),
            ("the seed's 1af4:10f3 refused (-ENODEV) and unbound", ("seed:",)),
            ("no run of more than 3 identical lines", ("repeated:",)),
            ("each STEP 1..6 has its seed: and trace: confirmed lines",
             ("unconfirmed:",)),
            ("a burst of requests moves responseq's MSI-X count",
             ("burst:",)),
            ("the config ops symbols of the running kernel",
             ("config ops:",)),
        ]
        for i, (what, prefixes) in enumerate(rules, 1):
            mine = [p for p in problems
                    if any(p.startswith(x) or x in p for x in prefixes)]
            if mine:
                print("not ok %d - %s" % (i, what))
                for p in mine:
                    print("#   %s" % p)
            else:
                print("ok %d - %s" % (i, what))
        others = [p for p in problems
                  if not any(p.startswith(x) or x in p
                             for _, xs in rules for x in xs)]
        for i, p in enumerate(others, len(rules) + 1):
            print("not ok %d - %s" % (i, p))
        print("1..%d" % (len(rules) + len(others)))
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
