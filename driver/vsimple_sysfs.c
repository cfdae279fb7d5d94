// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs attributes of a virtio-simple device, on its class device
 * /sys/class/virtio-simple/virtio-simpleN/: max_payload, label, in_flight,
 * unread and unread_bytes (answers queued on files, not yet read, and what
 * they pin) and the counters, among them recoveries (device resets made by
 * the driver).  They are created and removed with the /dev node.
 */
#include <linux/device.h>
#include <linux/sysfs.h>
#include "vsimple.h"

static struct vsimple_dev *to_vsimple(struct device *d)
{
	return dev_get_drvdata(d);
}

static ssize_t max_payload_show(struct device *d,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_vsimple(d)->max_payload);
}
static DEVICE_ATTR_RO(max_payload);

static ssize_t label_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	struct vsimple_dev *dev = to_vsimple(d);
	ssize_t n;

	spin_lock_irq(&dev->lock);
	n = sysfs_emit(buf, "%s\n", dev->label);
	spin_unlock_irq(&dev->lock);
	return n;
}
static DEVICE_ATTR_RO(label);

static ssize_t in_flight_show(struct device *d, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_vsimple(d)->in_flight));
}
static DEVICE_ATTR_RO(in_flight);

static ssize_t unread_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_vsimple(d)->unread));
}
static DEVICE_ATTR_RO(unread);

static ssize_t unread_bytes_show(struct device *d,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%zu\n", READ_ONCE(to_vsimple(d)->unread_bytes));
}
static DEVICE_ATTR_RO(unread_bytes);

static ssize_t charging_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_vsimple(d)->charging));
}
static DEVICE_ATTR_RO(charging);

static ssize_t uncharged_bytes_show(struct device *d,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%zu\n",
			  READ_ONCE(to_vsimple(d)->uncharged_bytes));
}
static DEVICE_ATTR_RO(uncharged_bytes);

/* The counters: one small show function each, sharing the read. */
static ssize_t vsimple_show_stat(struct device *d, char *buf, size_t offset)
{
	struct vsimple_dev *dev = to_vsimple(d);
	u64 v;

	spin_lock_irq(&dev->lock);
	v = *(u64 *)((char *)&dev->stats + offset);
	spin_unlock_irq(&dev->lock);
	return sysfs_emit(buf, "%llu\n", v);
}

static ssize_t requests_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	return vsimple_show_stat(d, buf, offsetof(struct vsimple_stats, requests));
}
static DEVICE_ATTR_RO(requests);

static ssize_t responses_show(struct device *d, struct device_attribute *attr,
			      char *buf)
{
	return vsimple_show_stat(d, buf, offsetof(struct vsimple_stats, responses));
}
static DEVICE_ATTR_RO(responses);

static ssize_t errors_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	return vsimple_show_stat(d, buf, offsetof(struct vsimple_stats, errors));
}
static DEVICE_ATTR_RO(errors);

static ssize_t bytes_in_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	return vsimple_show_stat(d, buf, offsetof(struct vsimple_stats, bytes_in));
}
static DEVICE_ATTR_RO(bytes_in);

static ssize_t bytes_out_show(struct device *d, struct device_attribute *attr,
			      char *buf)
{
	return vsimple_show_stat(d, buf, offsetof(struct vsimple_stats, bytes_out));
}
static DEVICE_ATTR_RO(bytes_out);

static ssize_t bad_responses_show(struct device *d, struct device_attribute *attr,
				  char *buf)
{
	return vsimple_show_stat(d, buf, offsetof(struct vsimple_stats, bad_responses));
}
static DEVICE_ATTR_RO(bad_responses);

static ssize_t recoveries_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	return vsimple_show_stat(d, buf, offsetof(struct vsimple_stats, recoveries));
}
static DEVICE_ATTR_RO(recoveries);

static ssize_t refill_failures_show(struct device *d,
				    struct device_attribute *attr, char *buf)
{
	return vsimple_show_stat(d, buf, offsetof(struct vsimple_stats, refill_failures));
}
static DEVICE_ATTR_RO(refill_failures);

static ssize_t refill_allocations_show(struct device *d,
				       struct device_attribute *attr, char *buf)
{
	return vsimple_show_stat(d, buf, offsetof(struct vsimple_stats, refill_allocations));
}
static DEVICE_ATTR_RO(refill_allocations);

static ssize_t polled_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	return vsimple_show_stat(d, buf, offsetof(struct vsimple_stats, polled));
}
static DEVICE_ATTR_RO(polled);

static ssize_t sent_in_place_show(struct device *d,
				  struct device_attribute *attr, char *buf)
{
	return vsimple_show_stat(d, buf, offsetof(struct vsimple_stats, sent_in_place));
}
static DEVICE_ATTR_RO(sent_in_place);

static ssize_t answered_in_place_show(struct device *d,
				      struct device_attribute *attr, char *buf)
{
	return vsimple_show_stat(d, buf, offsetof(struct vsimple_stats,
						  answered_in_place));
}
static DEVICE_ATTR_RO(answered_in_place);

static ssize_t backlogged_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	return vsimple_show_stat(d, buf, offsetof(struct vsimple_stats, backlogged));
}
static DEVICE_ATTR_RO(backlogged);

static ssize_t charged_copies_show(struct device *d,
				   struct device_attribute *attr, char *buf)
{
	return vsimple_show_stat(d, buf, offsetof(struct vsimple_stats, charged_copies));
}
static DEVICE_ATTR_RO(charged_copies);

static struct attribute *vsimple_attrs[] = {
	&dev_attr_max_payload.attr,
	&dev_attr_label.attr,
	&dev_attr_in_flight.attr,
	&dev_attr_unread.attr,
	&dev_attr_unread_bytes.attr,
	&dev_attr_uncharged_bytes.attr,
	&dev_attr_requests.attr,
	&dev_attr_responses.attr,
	&dev_attr_errors.attr,
	&dev_attr_bytes_in.attr,
	&dev_attr_bytes_out.attr,
	&dev_attr_bad_responses.attr,
	&dev_attr_recoveries.attr,
	&dev_attr_refill_failures.attr,
	&dev_attr_refill_allocations.attr,
	&dev_attr_sent_in_place.attr,
	&dev_attr_answered_in_place.attr,
	&dev_attr_backlogged.attr,
	&dev_attr_charged_copies.attr,
	&dev_attr_charging.attr,
	&dev_attr_polled.attr,
	NULL,
};

static const struct attribute_group vsimple_group = {
	.attrs = vsimple_attrs,
};

const struct attribute_group *vsimple_groups[] = {
	&vsimple_group,
	NULL,
};
