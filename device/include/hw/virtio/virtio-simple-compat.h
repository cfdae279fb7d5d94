/*
 * virtio-simple: what differs between QEMU 7.2 (Debian 12) and QEMU 10.0
 * (its backports), the one place the device sources look at it.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VIRTIO_SIMPLE_COMPAT_H
#define HW_VIRTIO_SIMPLE_COMPAT_H

#include "hw/qdev-properties.h"

/*
 * Property arrays: 7.2 takes them non-const and ends them with
 * DEFINE_PROP_END_OF_LIST(); 10.0 counts them with ARRAY_SIZE, wants them
 * const and refuses a terminator.  Declare them as
 *   static VSIMPLE_PROPERTY name[] = { DEFINE_PROP_...(), VSIMPLE_PROPS_END };
 */
#ifdef DEFINE_PROP_END_OF_LIST
#define VSIMPLE_PROPERTY Property
#define VSIMPLE_PROPS_END DEFINE_PROP_END_OF_LIST()
#else
#define VSIMPLE_PROPERTY const Property
#define VSIMPLE_PROPS_END
#endif

/*
 * include/sysemu/ became include/system/ (QEMU 9.2); of the two versions
 * supported, the one without DEFINE_PROP_END_OF_LIST has the new name.
 */
#ifdef DEFINE_PROP_END_OF_LIST
#include "sysemu/runstate.h"
#else
#include "system/runstate.h"
#endif

#endif
