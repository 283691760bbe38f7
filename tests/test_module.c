// SPDX-License-Identifier: GPL-2.0
/*
 * Unloading: refused while a program that calls the kfuncs is loaded,
 * clean once it is gone. The guest runs this test last, on its own.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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

static void monitor_holds_module(void)
{
	struct uls_monitor_args a = { .pid = getpid(), .nr_slots = 4 };
	int dev = t_dev_open(), fd;
	void *view;

	if (!ASSERT_GE(dev, 0, "open /dev/uls"))
		return;
	fd = ioctl(dev, ULS_IOC_MONITOR, &a);
	close(dev);
	if (!ASSERT_GE(fd, 0, "monitor"))
		return;
	view = mmap(NULL, a.view_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (!ASSERT_NEQ(view, MAP_FAILED, "mmap"))
		return;
	ASSERT_ERRNO(delete_module("uls"), EWOULDBLOCK,
		     "rmmod while a monitor is mapped");
	ASSERT_EQ(*(volatile __u32 *)view, ULS_MONITOR_MAGIC, "the view reads");
	munmap(view, a.view_size);
	ASSERT_EQ(t_stat("monitors"), 0, "the monitor is gone with its mapping");
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

	/*
	 * A monitor view holds the module while it is mapped, even with its
	 * descriptor closed: its page faults run the module's code.
	 */
	monitor_holds_module();

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
