// SPDX-License-Identifier: GPL-2.0
/*
 * ulsctl stats: every file of the module's two sysfs directories, its
 * counters (/sys/class/misc/uls/stats/) and its parameters
 * (/sys/module/uls/parameters/), by name. The directories are listed, not
 * a list of names kept here: a counter or parameter that a later module
 * adds shows up as it is.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uls.h"
#include "ulsctl.h"

#define STATS_DIR	"/sys/class/misc/uls/stats"
#define PARAMS_DIR	"/sys/module/uls/parameters"

/* A value of one line, without its new line: 0, or -errno. */
static int read_value(int dirfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

/*
 * A number, as JSON gets it: a decimal integer alone that fits in 64 bits
 * (sysfs shows longs); anything else stays a string.
 */
static bool json_number(const char *s)
{
	const char *p = *s == '-' ? s + 1 : s;
	char *end;

	if (!*p || strspn(p, "0123456789") != strlen(p))
		return false;
	errno = 0;
	if (*s == '-') {
		long long v = strtoll(s, &end, 10);

		if (errno)
			return false;
		jsonw_int(json_wtr, v);
	} else {
		unsigned long long v = strtoull(s, &end, 10);

		if (errno)
			return false;
		jsonw_uint(json_wtr, v);
	}
	return true;
}

static int regular(const struct dirent *d)
{
	return d->d_name[0] != '.' && (d->d_type == DT_REG || d->d_type == DT_UNKNOWN);
}

/*
 * One directory, as a JSON object @key of NAME: VALUE, or text lines; a
 * file that cannot be read shows its error. 0 or -errno.
 */
static int show_dir(const char *key, const char *path)
{
	struct dirent **names;
	char buf[256];
	int dirfd, n, i, err;

	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	n = scandir(path, &names, regular, alphasort);
	if (n < 0) {
		err = -errno;
		close(dirfd);
		return err;
	}
	if (json_output) {
		jsonw_name(json_wtr, key);
		jsonw_start_object(json_wtr);
	} else {
		printf("%s (%s):\n", key, path);
	}
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		err = read_value(dirfd, name, buf, sizeof(buf));
		if (json_output) {
			jsonw_name(json_wtr, name);
			if (err)
				jsonw_printf_string(json_wtr, "error: %s", strerror(-err));
			else if (!json_number(buf))
				jsonw_string(json_wtr, buf);
		} else {
			printf("  %-24s%s%s\n", name, err ? "error: " : "",
			       err ? strerror(-err) : buf);
		}
		free(names[i]);
	}
	free(names);
	close(dirfd);
	if (json_output)
		jsonw_end_object(json_wtr);
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	int err;

	if (argc)
		return p_usage("stats: takes no arguments");
	if (!need_module("stats"))
		return EXIT_ERR;
	/* Both there, or an error alone: never half an answer. */
	if (access(STATS_DIR, R_OK | X_OK))
		return p_err("stats: %s: %s", STATS_DIR, strerror(errno));
	if (access(PARAMS_DIR, R_OK | X_OK))
		return p_err("stats: %s: %s", PARAMS_DIR, strerror(errno));
	if (json_output)
		jsonw_start_object(json_wtr);
	err = show_dir("stats", STATS_DIR);
	if (!err) {
		if (!json_output)
			printf("\n");
		err = show_dir("parameters", PARAMS_DIR);
	}
	if (json_output)
		jsonw_end_object(json_wtr);
	/* The JSON stays whole; the failure is in the exit code and on stderr. */
	if (err) {
		fprintf(stderr, "ulsctl: stats: %s\n", strerror(-err));
		return EXIT_ERR;
	}
	return EXIT_OK;
}
