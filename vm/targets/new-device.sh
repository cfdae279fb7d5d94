#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Start your own device from this one: a renamed copy of the whole project
# (QEMU device, driver, protocol header, libvsimple and the CLI, tests and
# the vm/ harness), for a device "virtio-NAME" with virtio device ID ID
# (PCI device ID 0x1040 + ID).
#
#   vm/targets/new-device.sh NAME ID [DIR]     DIR defaults to ../virtio-NAME
#
# Every identifier is renamed by case: simple -> NAME, Simple -> Name,
# SIMPLE -> NAME in capitals (so vsimple becomes vNAME, VIRTIO_ID_SIMPLE
# VIRTIO_ID_NAME), in file contents and paths; the IDs the tests and the
# header spell out (63, 107f, the modalias) become the new ones.  The copy
# has its own cache (~/.cache/virtio-NAME), so its QEMU and downloads never
# touch this project's.  The protocol itself (ops, magic, ioctls) is this
# one's until you change it: see docs/extending.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
die() { printf 'new-device: %s\n' "$*" >&2; exit 2; }

[ $# -ge 2 ] && [ $# -le 3 ] || die "usage: vm/targets/new-device.sh NAME ID [DIR]"
name=$1 id=$2
dest=${3:-$top/../virtio-$name}
# NAME goes into C identifiers, module, file and QEMU type names
[[ $name =~ ^[a-z][a-z0-9]{0,15}$ ]] || die "NAME must be a-z then a-z/0-9, at most 16 characters: '$name'"
[ "$name" != simple ] || die "NAME must differ from simple"
# Linux's virtio-pci binds modern IDs 0x1040 + ID only up to 0x107f
[[ $id =~ ^[1-9][0-9]?$ ]] && [ "$id" -le 63 ] || die "ID must be 1..63 (PCI 0x1040 + ID <= 0x107f): '$id'"
own=$(sed -n 's/^#define VIRTIO_ID_SIMPLE[[:space:]]*\([0-9]*\)$/\1/p' "$top/include/uapi/virtio_simple.h")
[ "$id" != "$own" ] || die "ID $id is virtio-simple's own"
# an ID or a name the kernel (and QEMU, which imports its headers) has
ids=/usr/include/linux/virtio_ids.h
if [ -f "$ids" ] && grep -qE "^#define VIRTIO_ID_[A-Z0-9_]+[[:space:]]+$id([^0-9]|$)" "$ids"; then
	die "virtio device ID $id is taken: $(grep -E "^#define VIRTIO_ID_[A-Z0-9_]+[[:space:]]+$id([^0-9]|$)" "$ids" | head -n 1)"
fi
case $name in
pci | mmio | ccw | bus | ring | config | types | ids | access | stub | qmp | \
	balloon | blk | net | rng | scsi | serial | console | crypto | iommu | mem | \
	pmem | gpu | input | fs | vsock | i2c | gpio | snd | bt | scmi | vdpa | 9p)
	die "virtio-$name exists in QEMU or Linux" ;;
esac
[ ! -f "/usr/include/linux/virtio_$name.h" ] || die "virtio-$name exists in Linux"
if [ -e "$dest" ] && [ -n "$(ls -A "$dest")" ]; then
	die "$dest exists and is not empty"
fi

Name=${name^}
NAME=${name^^}
hex=$(printf '%04x' $((0x1040 + id)))

# Contents: identifiers by case, then the numbers that spell the identity
# (this tree's own, read from its header above).
own_hex=$(printf '%04x' $((0x1040 + own)))
rename=(
	-e "s/simple/$name/g" -e "s/Simple/$Name/g" -e "s/SIMPLE/$NAME/g"
	-e "s/^\(#define VIRTIO_ID_${NAME}[[:space:]]*\)$own\$/\1$id/"
	-e "s/1af4:$own_hex/1af4:$hex/g" -e "s|0x1af4 / 0x$own_hex|0x1af4 / 0x$hex|g"
	-e "s/0x1040 + $own\b/0x1040 + $id/g" -e "s/device $own_hex = /device $hex = /g"
	-e "s/virtio device \(ID \)\{0,1\}$own\b/virtio device \1$id/g"
	-e "s/| $own (\`VIRTIO_ID/| $id (\`VIRTIO_ID/"
	-e "s/d$(printf %08X "$own")/d$(printf %08X "$id")/g"
	-e "s/virtio_index 0x$(printf %04x "$own")/virtio_index 0x$(printf %04x "$id")/g"
	# tests/host/test_header.c
	-e "s/VIRTIO_ID_$NAME == $own, \"virtio device ID is $own\"/VIRTIO_ID_$NAME == $id, \"virtio device ID is $id\"/"
	-e "s/PCI_DEVICE_ID == 0x$own_hex,/PCI_DEVICE_ID == 0x$hex,/"
	-e "s/0x1040 + $id = 0x$own_hex/0x1040 + $id = 0x$hex/"
	# names that are QEMU's or Python's, not ours
	-e "s/OBJECT_DECLARE_${NAME}_TYPE/OBJECT_DECLARE_SIMPLE_TYPE/g"
	-e "s/${Name}HTTPRequestHandler/SimpleHTTPRequestHandler/g"
)
mkdir -p "$dest"
while read -r f; do
	out="$dest/${f//simple/$name}"
	mkdir -p "$(dirname "$out")"
	if grep -Iq . "$top/$f" || [ ! -s "$top/$f" ]; then
		sed "${rename[@]}" "$top/$f" > "$out"
	else
		cp "$top/$f" "$out"	# binary: as is
	fi
	chmod --reference="$top/$f" "$out"
	# shorter or longer names move open parentheses: keep lines aligned
	case $f in *.[ch]) "$top/vm/targets/realign.py" "$top/$f" "$out" ;; esac
done < <("$top/vm/tree-files.sh")

# Two overlays in one QEMU source (make check builds the copy next to
# virtio-simple) must not break each other's entry in virtio.c's name
# table: this one goes before virtio-gpio's, with its comma.
wire="$dest/device/wire-into-qemu.sh"
old="-e 's/^\\(    \\[VIRTIO_ID_GPIO\\] = \"virtio-gpio\"\\),\\{0,1\\}\$/\\1,\\n    [VIRTIO_ID_$NAME] = \"virtio-$name\"/' \\"
new="-e 's/^    \\[VIRTIO_ID_GPIO\\] = \"virtio-gpio\",\\{0,1\\}\$/    [VIRTIO_ID_$NAME] = \"virtio-$name\",\\n&/' \\"
# (a copy of a copy has it already)
grep -qF -- "$old" "$wire" || grep -qF -- "$new" "$wire" ||
	die "device/wire-into-qemu.sh: the virtio.c rule to adapt was not found"
OLD="    $old" NEW="    $new" awk '$0 == ENVIRON["OLD"] { print ENVIRON["NEW"]; next } { print }' \
	"$wire" > "$wire.tmp"
grep -qF -- "$new" "$wire.tmp" || die "device/wire-into-qemu.sh: could not adapt the virtio.c rule"
chmod --reference="$wire" "$wire.tmp" && mv "$wire.tmp" "$wire"

# Say where it came from, first thing in its README.
readme="$dest/README.md"
{
	head -n 1 "$readme"
	cat <<EOT

> Generated by \`vm/targets/new-device.sh $name $id\` from virtio-simple
> (virtio device ID $id, PCI 1af4:$hex). The protocol, the docs and the
> recorded runs in docs/ (probe-path.md, benchmarks.md) are still
> virtio-simple's, renamed: make the device your own, then regenerate them
> (\`make trace\`, \`make bench\`).
EOT
	tail -n +2 "$readme"
} > "$readme.tmp" && mv "$readme.tmp" "$readme"
echo "virtio-$name (ID $id, PCI 1af4:$hex) in $dest"
