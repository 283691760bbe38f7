// SPDX-License-Identifier: GPL-2.0
/*
 * The module's counters and parameters in sysfs, the kernel limits a
 * test may raise (/proc/sys/kernel), and the process's pinned
 * memory: what the tests and the benchmarks read. No helpers.h here: the
 * benchmark links this file alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "counters.h"
#include "wait.h"

static long read_long(const char *dir, const char *name)
{
	char path[128];
	long v;
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ret = fscanf(f, "%ld", &v);
	fclose(f);
	return ret == 1 ? v : -EINVAL;
}

#define PARAMS "/sys/module/uls/parameters"
#define STATS "/sys/class/misc/uls/stats"

long t_param(const char *name)
{
	return read_long(PARAMS, name);
}

int t_set_param(const char *name, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), PARAMS "/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

long t_stat(const char *name)
{
	return read_long(STATS, name);
}

int t_wait_stat(const char *name, long value, int timeout_ms)
{
	long v;

	if (!t_wait_until((v = t_stat(name)) == value, timeout_ms))
		return 0;
	fprintf(stderr, "stats/%s: %ld, want %ld\n", name, v, value);
	return -ETIMEDOUT;
}

long t_vm_pin_kb(void)
{
	char line[256];
	long v = -ENOENT;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int write_sysctl(const char *name, long val)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%ld\n", val);
	return fclose(f) ? -1 : 0;
}

long t_raise_sysctl(const char *name, long want)
{
	char path[64];
	long old = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &old) != 1)
		old = -1;
	fclose(f);
	if (old < 0 || old >= want || write_sysctl(name, want))
		return -1;
	return old;
}

void t_restore_sysctl(const char *name, long old)
{
	if (old >= 0)
		write_sysctl(name, old);
}
