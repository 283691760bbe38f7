// SPDX-License-Identifier: GPL-2.0
/*
 * Counters, read through ULS_IOC_INFO and in /sys/class/misc/uls/stats/,
 * one value per file. Gauges (entries, pinned_pages, charged_pages) drop
 * back to 0 once every registration is freed; the others only grow.
 */
#include <linux/device.h>
#include <linux/errno.h>
#include <linux/sysfs.h>

#include "uls.h"

atomic_long_t uls_stats[ULS_STAT_NR];

void uls_stat_failed(int err)
{
	enum uls_stat s;

	switch (err) {
	case -EINVAL:
		s = ULS_STAT_FAILED_EINVAL;
		break;
	case -E2BIG:
		s = ULS_STAT_FAILED_E2BIG;
		break;
	case -EOVERFLOW:
		s = ULS_STAT_FAILED_EOVERFLOW;
		break;
	case -EFAULT:
		s = ULS_STAT_FAILED_EFAULT;
		break;
	case -EPERM:
		s = ULS_STAT_FAILED_EPERM;
		break;
	case -ENOMEM:
		s = ULS_STAT_FAILED_ENOMEM;
		break;
	case -EOPNOTSUPP:
		s = ULS_STAT_FAILED_EOPNOTSUPP;
		break;
	case -EAGAIN:
		s = ULS_STAT_FAILED_EAGAIN;
		break;
	default:
		s = ULS_STAT_FAILED_OTHER;
		break;
	}
	uls_stat_add(s, 1);
}

struct uls_stat_attr {
	struct device_attribute attr;
	enum uls_stat stat;
};

static ssize_t uls_stat_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct uls_stat_attr *sa = container_of(attr, struct uls_stat_attr,
						attr);

	return sysfs_emit(buf, "%ld\n", uls_stat_read(sa->stat));
}

#define ULS_STAT_ATTR(_name, _stat)					\
	static struct uls_stat_attr uls_stat_attr_##_name = {		\
		.attr = __ATTR(_name, 0444, uls_stat_show, NULL),	\
		.stat = _stat,						\
	}

ULS_STAT_ATTR(entries, ULS_STAT_ENTRIES);
ULS_STAT_ATTR(pinned_pages, ULS_STAT_PINNED_PAGES);
ULS_STAT_ATTR(charged_pages, ULS_STAT_CHARGED_PAGES);
ULS_STAT_ATTR(registered, ULS_STAT_REGISTERED);
ULS_STAT_ATTR(unregistered, ULS_STAT_UNREGISTERED);
ULS_STAT_ATTR(replaced, ULS_STAT_REPLACED);
ULS_STAT_ATTR(released, ULS_STAT_RELEASED);
ULS_STAT_ATTR(exited, ULS_STAT_EXITED);
ULS_STAT_ATTR(execed, ULS_STAT_EXECED);
ULS_STAT_ATTR(failed_einval, ULS_STAT_FAILED_EINVAL);
ULS_STAT_ATTR(failed_e2big, ULS_STAT_FAILED_E2BIG);
ULS_STAT_ATTR(failed_eoverflow, ULS_STAT_FAILED_EOVERFLOW);
ULS_STAT_ATTR(failed_efault, ULS_STAT_FAILED_EFAULT);
ULS_STAT_ATTR(failed_eperm, ULS_STAT_FAILED_EPERM);
ULS_STAT_ATTR(failed_enomem, ULS_STAT_FAILED_ENOMEM);
ULS_STAT_ATTR(failed_eopnotsupp, ULS_STAT_FAILED_EOPNOTSUPP);
ULS_STAT_ATTR(failed_eagain, ULS_STAT_FAILED_EAGAIN);
ULS_STAT_ATTR(failed_other, ULS_STAT_FAILED_OTHER);

/* The lookup table's size, for measuring memory per registration. */
static ssize_t table_slots_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", uls_table_slots());
}
static DEVICE_ATTR_RO(table_slots);

static struct attribute *uls_stats_attrs[] = {
	&uls_stat_attr_entries.attr.attr,
	&uls_stat_attr_pinned_pages.attr.attr,
	&uls_stat_attr_charged_pages.attr.attr,
	&uls_stat_attr_registered.attr.attr,
	&uls_stat_attr_unregistered.attr.attr,
	&uls_stat_attr_replaced.attr.attr,
	&uls_stat_attr_released.attr.attr,
	&uls_stat_attr_exited.attr.attr,
	&uls_stat_attr_execed.attr.attr,
	&uls_stat_attr_failed_einval.attr.attr,
	&uls_stat_attr_failed_e2big.attr.attr,
	&uls_stat_attr_failed_eoverflow.attr.attr,
	&uls_stat_attr_failed_efault.attr.attr,
	&uls_stat_attr_failed_eperm.attr.attr,
	&uls_stat_attr_failed_enomem.attr.attr,
	&uls_stat_attr_failed_eagain.attr.attr,
	&uls_stat_attr_failed_eopnotsupp.attr.attr,
	&uls_stat_attr_failed_other.attr.attr,
	&dev_attr_table_slots.attr,
	NULL,
};

static const struct attribute_group uls_stats_group = {
	.name = "stats",
	.attrs = uls_stats_attrs,
};

const struct attribute_group *uls_stats_groups[] = {
	&uls_stats_group,
	NULL,
};
