/*
 * Outside QEMU, common/virtio-simple-ops.c finds the protocol header under
 * the name QEMU gives its converted copy: this is the one in include/uapi.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "../../../../include/uapi/virtio_simple.h"
