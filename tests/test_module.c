// SPDX-License-Identifier: GPL-2.0
/*
 * Unloading: refused while a program that calls the kfuncs is loaded,
 * clean once it is gone. The guest runs this test last, on its own.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helpers.h"
#include "test.h"
#include "loaded.skel.h"
#include "progs/loaded.h"

/* Load progs/loaded.bpf.c afresh and run it: its retval, or -errno. */
static int run_check_loaded(void)
{
	struct loaded *skel = loaded__open_and_load();
	int ret;

	if (!skel)
		return -errno;
	ret = t_run_prog(skel->progs.check_loaded, NULL, 0);
	loaded__destroy(skel);
	return ret;
}

static int delete_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

ULS_TEST_TIMEOUT(rmmod_busy_then_clean, 120)
{
	const char *ko = getenv("ULS_KO") ?: "/uls.ko";
	struct probe *p = t_probe_load();
	int err, fd;

	if (!ASSERT_OK_PTR(p, "load a program that calls the kfuncs"))
		return;
	ASSERT_EQ(run_check_loaded(), LOADED_UNREGISTERED,
		  "uls_loaded() with the module");
	/* The program holds the module through its BTF. */
	ASSERT_ERRNO(delete_module("uls"), EWOULDBLOCK, "rmmod while loaded");
	ASSERT_OK(access("/sys/module/uls", F_OK), "module still there");
	ASSERT_EQ(t_probe_len(p), 0, "and its kfuncs still work");

	t_probe_destroy(p);
	/* Programs are freed after a grace period: retry for a while. */
	t_wait_until((err = delete_module("uls")) != -EWOULDBLOCK, 10000);
	if (!ASSERT_OK(err, "rmmod once the program is gone"))
		return;
	ASSERT_ERRNO(access("/sys/module/uls", F_OK), ENOENT, "module gone");
	ASSERT_ERRNO(access("/sys/kernel/btf/uls", F_OK), ENOENT, "its BTF gone");
	ASSERT_ERRNO(access(ULS_DEVICE_PATH, F_OK), ENOENT, "device gone");
	/* A guarded program still loads, and its guard says why. */
	ASSERT_EQ(run_check_loaded(), LOADED_NO_MODULE,
		  "uls_loaded() without the module");

	/* Load it again, as it was, for whatever runs after. */
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (!ASSERT_GE(fd, 0, ko))
		return;
	ASSERT_OK(syscall(SYS_finit_module, fd, "", 0), "insmod again");
	close(fd);
	ASSERT_OK(access(ULS_DEVICE_PATH, F_OK), "device back");
}
