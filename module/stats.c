// SPDX-License-Identifier: GPL-2.0
/*
 * Counters, read through ULS_IOC_INFO and in /sys/class/misc/uls/stats/,
 * one value per file: those stats.h lists, and the table's size.
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
#define ULS_STAT(...)
#define ULS_STAT_FAILED(ERRNO, ...)					\
	case -(ERRNO): {						\
		s = ULS_STAT_FAILED_##ERRNO;				\
		break;							\
	}
#include "stats.h"
	default:
		s = ULS_STAT_FAILED_OTHER;
		break;
	}
	uls_stat_add(s, 1);
}

static ssize_t uls_stat_show(struct device *dev, struct device_attribute *attr,
			     char *buf);

/* Each counter's file, at the counter's index. */
static struct device_attribute uls_stat_attrs[ULS_STAT_NR] = {
#define ULS_STAT(NAME, file)						\
	[ULS_STAT_##NAME] = __ATTR(file, 0444, uls_stat_show, NULL),
#define ULS_STAT_FAILED(ERRNO, errno)					\
	ULS_STAT(FAILED_##ERRNO, failed_##errno)
#include "stats.h"
};

static ssize_t uls_stat_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%ld\n", uls_stat_read(attr - uls_stat_attrs));
}

/* The lookup table's size, for measuring memory per registration. */
static ssize_t table_slots_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", uls_table_slots());
}
static DEVICE_ATTR_RO(table_slots);

static struct attribute *uls_stats_attrs[] = {
#define ULS_STAT(NAME, ...)						\
	[ULS_STAT_##NAME] = &uls_stat_attrs[ULS_STAT_##NAME].attr,
#define ULS_STAT_FAILED(ERRNO, ...)	ULS_STAT(FAILED_##ERRNO)
#include "stats.h"
	[ULS_STAT_NR] = &dev_attr_table_slots.attr,
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
