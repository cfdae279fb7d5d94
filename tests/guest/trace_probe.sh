#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest for `make trace` (vm/targets/trace.sh): hot-plug a device
# with kernel function tracing on and print what the kernel did, between
# VSIMPLE-TRACE-BEGIN/END markers that vm/targets/trace_report.py reads.
#   trace_probe.sh probe    add and remove virtio-simple-pci, one request
#   trace_probe.sh notify   one request only (the notification path)
#   trace_probe.sh seed     add a device with the seed's ID 1af4:10f3
mode=${1:-probe}
T=/sys/kernel/tracing
slot=5
pci=0000:00:0$slot.0
node=/dev/virtio-simple0

say() { printf '\n== %s\n' "$*"; }
qmp() { echo "VSIMPLE-QMP $1"; }
# wait_until SECONDS CMD...: poll until CMD succeeds
wait_until() {
	n=$(($1 * 10)); shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1)); [ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# The functions each STEP of the seed is made of (vm/targets/trace_report.py has
# the same list, with the step each belongs to).
FUNCS='acpiphp_hotplug_notify|acpiphp_check_bridge|acpiphp_rescan_slot|enable_slot|acpiphp_disable_and_eject_slot|pci_scan_slot|pci_scan_single_device|pci_setup_device|pci_device_add|pci_bus_add_devices?|device_add|device_del|bus_probe_device|device_initial_probe|__device_attach|__device_attach_driver|driver_probe_device|really_probe|pci_device_probe|local_pci_probe|virtio_pci_probe|pci_enable_device|virtio_pci_modern_probe|vp_modern_probe|vp_modern_map_capability|virtio_pci_legacy_probe|vp_legacy_probe|register_virtio_device|virtio_dev_probe|vsimple_probe|vp_modern_find_vqs|vp_find_vqs|vp_find_vqs_msix|pci_alloc_irq_vectors_affinity|vp_setup_vq|setup_vq|vp_modern_set_queue_enable|vp_set_status|vsimple_cdev_add|pci_stop_and_remove_bus_device|device_release_driver|virtio_pci_remove|unregister_virtio_device|virtio_dev_remove|vsimple_remove|virtio_reset_device|vp_del_vqs|pci_free_irq_vectors|vp_modern_remove|pci_disable_device|vp_notify|vring_interrupt|vsimple_resp_done'

# Record only the functions above (set_ftrace_filter), and only under the
# hot-plug handler (set_graph_function): the graph keeps their nesting, and
# the buffer holds the whole story instead of every lock and allocation.
trace_setup() {	# trace_setup GRAPH_FUNCTION
	echo 0 > $T/tracing_on
	echo nop > $T/current_tracer
	echo > $T/trace
	echo 4096 > $T/buffer_size_kb
	echo > $T/set_ftrace_filter
	for f in $(echo "$FUNCS" | tr '|' ' '); do
		case $f in *'?') f=${f%s?}; echo "${f}s" >> $T/set_ftrace_filter 2>/dev/null ;; esac
		echo "$f" >> $T/set_ftrace_filter 2>/dev/null
	done
	echo "$1" > $T/set_graph_function
	echo function_graph > $T/current_tracer
	echo nofuncgraph-irqs > $T/trace_options
	echo 1 > $T/events/vsimple/enable
	echo 1 > $T/tracing_on
}

trace_dump() {	# trace_dump NAME
	echo 0 > $T/tracing_on
	echo "VSIMPLE-TRACE-BEGIN $1"
	# module functions print as "name [module]()"
	grep -E "\b($FUNCS)( \[[a-z_]+\])?\(\)|/\* " $T/trace |
		grep -vE '^ *[0-9]+\) +[^|]*\| +\}'
	echo "VSIMPLE-TRACE-END $1"
}

# kprobes: return values show what was mapped and why a probe refused a
# device.  pci_iomap_range() itself is notrace and this kernel is built
# without CONFIG_KPROBE_EVENTS_ON_NOTRACE, so its caller is probed instead.
kprobes() {
	cat > $T/kprobe_events <<'EOF'
p:vsimple/pci_setup_device pci_setup_device
p:vsimple/pci_device_add pci_device_add
p:vsimple/vp_modern_map_capability vp_modern_map_capability cap_off=%si:u32 minlen=%dx:u64
r:vsimple/vp_modern_map_capability_ret vp_modern_map_capability iomem=$retval:x64
r:vsimple/vp_modern_probe_ret vp_modern_probe ret=$retval:s32
r:vsimple/vp_legacy_probe_ret vp_legacy_probe ret=$retval:s32
r:vsimple/virtio_pci_probe_ret virtio_pci_probe ret=$retval:s32
p:vsimple/vp_notify vp_notify
p:vsimple/vring_interrupt vring_interrupt irq=%di:s32
EOF
}

# STEP 4c: the seed lists virtio_pci_config_ops from some kernel.  The
# table's contents are data, not symbols, so print what the running kernel
# has of it: the table itself, the vp_* functions the fields point to and
# the admin virtqueue's virtio_pci_admin_* ones (module virtio_pci on 6.1;
# built in on 6.12, where kallsyms names no module).
config_ops() {
	say "config ops symbols in /proc/kallsyms"
	awk '$3 ~ /^(virtio_pci_config(_nodev)?_ops|vp_.*|virtio_pci_admin_.*)$/ &&
		(NF == 3 || $4 ~ /^\[virtio_pci(_modern_dev)?\]$/)' /proc/kallsyms
}

BURST=100

# A device's driver must be loaded before the hot-plug for the whole chain
# to run under the ACPI hot-plug handler: load them by modalias, as udev
# would for a device that is already present.
modprobe virtio_pci
modprobe 'virtio:d0000003Fv00001AF4'
kprobes

if [ "$mode" = seed ]; then
	say "Hot-plugging a device with the seed's PCI ID 1af4:10f3"
	trace_setup acpiphp_hotplug_notify
	qmp '{"execute": "device_add", "arguments": {"driver": "virtio-simple-pci", "id": "seed", "addr": "0x5", "x-device-id": 4339}}'
	wait_until 60 grep -q virtio_pci_probe_ret $T/trace
	trace_dump seed-add
	say "kernel PCI line"
	dmesg | grep "pci $pci: \[1af4"
	say "driver of $pci"
	if [ -e /sys/bus/pci/devices/$pci/driver ]; then
		echo "bound to $(basename "$(readlink /sys/bus/pci/devices/$pci/driver)")"
		echo "VSIMPLE-SEED-BOUND"
	else
		echo "none: virtio-pci refused it"
		echo "VSIMPLE-SEED-UNBOUND"
	fi
	exit 0
fi

if [ "$mode" = probe ]; then
	say "/proc/interrupts before the hot-plug"
	grep -E 'CPU|virtio' /proc/interrupts
	trace_setup acpiphp_hotplug_notify
	qmp '{"execute": "device_add", "arguments": {"driver": "virtio-simple-pci", "id": "vs0", "addr": "0x5"}}'
	wait_until 60 [ -e $node ] || { echo "driver did not bind"; exit 1; }
	trace_dump add
	say "kernel PCI line"
	dmesg | grep "pci $pci: \[1af4"
	say "BARs of $pci (start end flags)"
	head -n 5 /sys/bus/pci/devices/$pci/resource
	say "capabilities the driver mapped"
	pci_caps $pci
	say "/proc/interrupts after"
	grep -E 'CPU|virtio' /proc/interrupts
fi

[ -e $node ] || { qmp '{"execute": "device_add", "arguments": {"driver": "virtio-simple-pci", "id": "vs0", "addr": "0x5"}}'; wait_until 60 [ -e $node ]; }
say "One request: guest notify, QEMU handler, guest interrupt"
echo 0 > $T/tracing_on
echo nop > $T/current_tracer
echo > $T/trace
echo 1 > $T/events/vsimple/enable
echo "VSIMPLE-NOTIFY-BEGIN"
echo 1 > $T/tracing_on
vsimple echo ping > /dev/null
echo 0 > $T/tracing_on
echo "VSIMPLE-TRACE-BEGIN notify"
grep -E 'vp_notify|vring_interrupt' $T/trace
echo "VSIMPLE-TRACE-END notify"
echo "VSIMPLE-NOTIFY-END"

if [ "$mode" = probe ]; then
	# The counts after the hot-plug are all 0: send a burst of requests,
	# untraced, so each queue's MSI-X line shows its own interrupts.
	say "/proc/interrupts before $BURST requests"
	grep -E 'CPU|virtio' /proc/interrupts
	i=0
	while [ $i -lt $BURST ]; do vsimple echo burst > /dev/null; i=$((i + 1)); done
	say "/proc/interrupts after $BURST requests"
	grep -E 'CPU|virtio' /proc/interrupts
	config_ops
	trace_setup acpiphp_disable_and_eject_slot
	qmp '{"execute": "device_del", "arguments": {"id": "vs0"}}'
	wait_until 60 [ ! -e /sys/bus/pci/devices/$pci ] || { echo "device did not go"; exit 1; }
	trace_dump remove
	say "/proc/interrupts after the removal"
	grep -E 'CPU|virtio' /proc/interrupts
fi
