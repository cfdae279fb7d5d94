#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make cloud-user-data`: a NoCloud seed for a distro cloud image with
# cloud-init (docs/usage.md, section 6): OUT/user-data installs the driver
# through DKMS at first boot (the source staged by `make install-dkms`,
# inline; dkms and the running kernel's headers from the image's apt
# sources) and checks it with one ECHO in Python, which every cloud-init
# image has; OUT/meta-data names the instance.  Serve OUT over HTTP and
# point the guest at it (-smbios type=1,serial=ds=nocloud-net;s=URL/).
#   vm/image/cloud-user-data.sh OUT
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
out=${1:?usage: $0 OUT}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ver=$(vs_package_version)
make -s -C "$VS_TOP" install-dkms DESTDIR="$tmp/stage" >/dev/null
tar -C "$tmp/stage/usr/src" -czf "$tmp/dkms.tar.gz" "virtio-simple-$ver"

{
	cat <<EOF
#cloud-config
# virtio-simple $ver through DKMS (vm/image/cloud-user-data.sh)
write_files:
  - path: /usr/local/src/virtio-simple-$ver.tar.gz
    encoding: b64
    permissions: '0644'
    content: $(base64 -w 0 "$tmp/dkms.tar.gz")
  - path: /usr/local/sbin/vsimple-echo-check
    permissions: '0755'
    content: |
EOF
	sed 's/^/      /' <<'EOF'
#!/usr/bin/python3
"""One ECHO through /dev/virtio-simple0 (include/uapi/virtio_simple.h)."""
import os
import struct
import sys
import time

DEV = "/dev/virtio-simple0"
HDR = "<QHHI"           # id, op, status, len: 16 bytes, little-endian
OP_ECHO = 1
for _ in range(100):    # udev makes the node after the driver binds
    if os.path.exists(DEV):
        break
    time.sleep(0.1)
else:
    sys.exit("virtio-simple: no %s: is the driver loaded?" % DEV)
payload = b"hello from cloud-init"
fd = os.open(DEV, os.O_RDWR)
os.write(fd, struct.pack(HDR, 7, OP_ECHO, 0, len(payload)) + payload)
answer = os.read(fd, 4096)
ident, op, status, length = struct.unpack_from(HDR, answer)
ok = (ident, status, answer[16:16 + length]) == (7, 0, payload)
print("virtio-simple: ECHO %s (id %d, status %d, %r)"
      % ("ok" if ok else "FAILED", ident, status, answer[16:16 + length]))
sys.exit(0 if ok else 1)
EOF
	cat <<EOF
runcmd:
  - [sh, -c, 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends dkms "linux-headers-\$(uname -r)"']
  - [tar, -C, /usr/src, -xzf, /usr/local/src/virtio-simple-$ver.tar.gz]
  - [dkms, add, virtio-simple/$ver]
  - [dkms, install, virtio-simple/$ver]
  # the device was there before its driver: load it now (later boots
  # load it by its modalias)
  - [modprobe, virtio_simple]
  - [/usr/local/sbin/vsimple-echo-check]
EOF
} > "$out/user-data"
printf 'instance-id: vsimple-%s\nlocal-hostname: vsimple\n' "$ver" > "$out/meta-data"
vs_say "cloud-init seed in $out: user-data, meta-data"
