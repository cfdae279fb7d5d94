/*
 * Outside QEMU, the shared code is included under the name the overlay
 * gives it in QEMU's tree (include/hw/virtio/): this is common/'s header.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "../../../virtio-simple-ops.h"
