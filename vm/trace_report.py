#!/usr/bin/env python3
"""Turn the logs of `make trace` into the seed's STEP 1..6 account.

    vm/trace_report.py [--check] PROBE_LOG NOTIFY_OFF_LOG SEED_LOG

PROBE_LOG is the console of `tests/guest/trace_probe.sh probe` (hot-plug,
one request, removal), NOTIFY_OFF_LOG the same request with ioeventfd off,
SEED_LOG the hot-plug of a device with the seed's PCI ID 1af4:10f3.  With
--check, exit 1 unless every step is present in order, the remove path is
complete, and the seed's device stayed unbound.
"""
import re
import sys

STEPS = {
    0: "ACPI hot-plug: the guest is told a slot changed",
    1: "STEP 1  PCI scan and setup: config space read, struct pci_dev filled",
    2: "STEP 2  pci_device_add -> device_add: the device joins the PCI bus",
    3: "STEP 3  bus matching on the PCI bus: virtio-pci matches vendor 1af4",
    4: "STEP 4  the common virtio-pci probe: enable, modern capabilities, "
       "notify area, register_virtio_device",
    5: "STEP 5  matching on the virtio bus: our driver's probe",
    6: "STEP 6  virtqueues: MSI-X vectors and queue enable via common config",
}
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
                "vp_modern_map_capability", "vp_modern_map_capability_ret",
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
    """[(depth, name, extra)] with depth relative to the kept lines."""
    out, stack = [], []
    for line in lines:
        m = GRAPH.match(line)
        if not m:
            continue
        indent = len(m.group(1))
        name = m.group(2) or m.group(3)
        extra = (m.group(4) or "").strip()
        extra = re.sub(r"^\(\S+\)\s*", "", extra)
        while stack and stack[-1] >= indent:
            stack.pop()
        out.append((len(stack), name, extra))
        if m.group(2):
            stack.append(indent)
    return out


def assign_steps(calls):
    """Each call's step: fixed, from its caller context, or its parent's."""
    steps, ctx = [], []
    for depth, name, _ in calls:
        del ctx[depth:]
        step = FIXED.get(name)
        if step is None:
            step = ctx[-1][1] if ctx else None
        if name in GENERIC:
            for anc in reversed([c[0] for c in ctx]):
                hit = [s for a, _, s in CONTEXT if a == anc]
                if hit:
                    step = hit[0]
                    break
        ctx.append((name, step))
        steps.append(step)
    return steps


def render(calls, steps=None):
    out, last = [], None
    for i, (depth, name, extra) in enumerate(calls):
        step = steps[i] if steps else None
        if steps and step is not None and step != last and \
                (last is None or step > last):
            out.append("")
            out.append(STEPS[step])
            last = step
        text = "/* %s: %s */" % (name, extra) if extra else name + "()"
        tag = "[%d] " % step if step is not None and steps else ""
        out.append("  %s%s%s" % (tag, "  " * depth, text))
    return out


def report(probe, notify_off, seed):
    out, problems = [], []
    add = parse_graph(section(probe, "add"))
    steps = assign_steps(add)
    names = [c[1] for c in add]
    out.append("=" * 72)
    out.append("Hot-plug of virtio-simple-pci (QMP device_add), function_graph"
               " from acpiphp_hotplug_notify; [n] = the seed's STEP")
    out += render(add, steps)
    for f in REQUIRED_ADD:
        if f not in names:
            problems.append("add path: %s() missing" % f)
    firsts = [steps.index(s) if s in steps else None for s in range(1, 7)]
    if None in firsts:
        problems.append("add path: steps missing: %s" %
                        [s + 1 for s, f in enumerate(firsts) if f is None])
    elif firsts != sorted(firsts):
        problems.append("add path: steps out of order: first lines %s" % firsts)

    for title in ("kernel PCI line", "BARs of", "capabilities the driver mapped",
                  "/proc/interrupts before the hot-plug", "/proc/interrupts after"):
        lines = block(probe, title)
        out.append("")
        out.append("-- " + title)
        out += ["  " + line for line in lines]
    pci = " ".join(block(probe, "kernel PCI line"))
    if "[1af4:107f] type 00 class 0x00ff00" not in pci:
        problems.append("PCI line with [1af4:107f] class 0x00ff00 missing")
    irqs = "\n".join(block(probe, "/proc/interrupts after"))
    for q in ("config", "requestq", "responseq"):
        if not re.search(r"PCI-MSI.*virtio\d+-%s" % q, irqs):
            problems.append("no PCI-MSI line for %s after the hot-plug" % q)

    for label, text in (("ioeventfd on", probe), ("ioeventfd off", notify_off)):
        out.append("")
        out.append("=" * 72)
        out.append("One request, %s: guest (kprobes) and QEMU (trace events)"
                   % label)
        m = re.search(r"VSIMPLE-NOTIFY-BEGIN\n(.*?)VSIMPLE-NOTIFY-END", text,
                      re.S)
        body = m.group(1).splitlines() if m else []
        keep = [ln for ln in body if re.search(
            r"vp_notify|vring_interrupt|virtio_pci_notify_write|"
            r"virtio_queue_notify|virtio_simple_|virtio_notify", ln)]
        out += ["  " + re.sub(r"^\d+@[\d.]+:", "qemu: ", ln.strip())
                for ln in keep]
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

    remove = parse_graph(section(probe, "remove"))
    out.append("")
    out.append("=" * 72)
    out.append("Hot-unplug (QMP device_del), function_graph from "
               "acpiphp_disable_and_eject_slot")
    out += render(remove)
    rnames = [c[1] for c in remove]
    for f in REQUIRED_REMOVE:
        if f not in rnames:
            problems.append("remove path: %s() missing" % f)
    if all(f in rnames for f in REQUIRED_REMOVE) and not (
            rnames.index("virtio_pci_remove") < rnames.index("vsimple_remove")
            < rnames.index("vp_del_vqs")):
        problems.append("remove path out of order")

    out.append("")
    out.append("=" * 72)
    out.append("The seed's PCI ID 1af4:10f3, hot-plugged")
    seed_calls = parse_graph(section(seed, "seed-add"))
    out += render(seed_calls, assign_steps(seed_calls))
    out += ["  " + ln for ln in block(seed, "kernel PCI line")]
    out += ["  driver: " + ln for ln in block(seed, "driver of")]
    rets = {c[1]: c[2] for c in seed_calls if c[2]}
    for probe_fn in ("vp_modern_probe_ret", "vp_legacy_probe_ret"):
        if "ret=-19" not in rets.get(probe_fn, ""):
            problems.append("seed: %s did not return -ENODEV (-19)" % probe_fn)
    if "VSIMPLE-SEED-UNBOUND" not in seed:
        problems.append("seed: the 10f3 device was bound")
    if "virtio_dev_probe" in [c[1] for c in seed_calls]:
        problems.append("seed: a virtio driver probed the 10f3 device")
    return out, problems


def main():
    args = sys.argv[1:]
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    if len(args) != 3:
        sys.exit(__doc__)
    texts = [open(p, errors="replace").read().replace("\r", "") for p in args]
    out, problems = report(*texts)
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
