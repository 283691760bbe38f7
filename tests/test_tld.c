// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's task local data selftest, ported to uls (tests/tld/), runs
 * as a program of its own, uls_tld_test, next to uls_test: its
 * TLD_DEFINE_KEY() creates a key from a constructor, and libuls opens
 * /dev/uls for it, which in uls_test would reach every test (and keep the
 * module from unloading). These run it, one subtest each.
 */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "helpers.h"
#include "test.h"

static void exec_tld_test(void *name)
{
	char path[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 16);

	if (!ASSERT_GT(n, 0, "readlink /proc/self/exe"))
		return;
	path[n] = 0;
	slash = strrchr(path, '/');
	strcpy(slash ? slash + 1 : path, "uls_tld_test");
	/* Its results are this test's: none in the results file. */
	unsetenv("ULS_RESULTS");
	execl(path, path, "-t", "1800", (char *)name, (char *)NULL);
	ASSERT_OK(-errno, path);
}

ULS_TEST(task_local_data_basic)
{
	t_in_child(exec_tld_test, "basic");
}

ULS_TEST_TIMEOUT(task_local_data_race, 1800)
{
	t_in_child(exec_tld_test, "race");
}

ULS_TEST(task_local_data_dyn_size_small)
{
	t_in_child(exec_tld_test, "dyn_size_small");
}

ULS_TEST(task_local_data_dyn_size_zero)
{
	t_in_child(exec_tld_test, "dyn_size_zero");
}
