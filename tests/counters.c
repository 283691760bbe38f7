// SPDX-License-Identifier: GPL-2.0
/*
 * The module's counters and parameters in sysfs, and the process's pinned
 * memory: what the tests and the benchmarks read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "counters.h"

static long read_long(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

long read_param(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/uls/parameters/%s", name);
	return read_long(path);
}

int write_param(const char *name, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/module/uls/parameters/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

long uls_stat(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/misc/uls/stats/%s", name);
	return read_long(path);
}

int wait_stat(const char *name, long value, int timeout_ms)
{
	long v;

	for (int waited = 0;; waited += 10) {
		v = uls_stat(name);
		if (v == value)
			return 0;
		if (waited >= timeout_ms) {
			fprintf(stderr, "stats/%s: %ld, want %ld\n", name, v, value);
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
}

long vm_pin_kb(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}
