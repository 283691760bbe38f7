// SPDX-License-Identifier: GPL-2.0
/* The device and its ioctls, as a plain user sees them. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uls/version.h>

#include "helpers.h"
#include "test.h"

ULS_TEST(module_btf)
{
	struct stat st;

	/* Without module BTF the kfuncs silently would not exist. */
	ASSERT_OK(stat("/sys/kernel/btf/uls", &st), "/sys/kernel/btf/uls");
	ASSERT_GT(st.st_size, 0, "module BTF size");
}

ULS_TEST(dev_mode)
{
	struct stat st;

	if (!ASSERT_OK(stat(ULS_DEVICE_PATH, &st), "stat " ULS_DEVICE_PATH))
		return;
	ASSERT_TRUE(S_ISCHR(st.st_mode), "character device");
	ASSERT_EQ(st.st_mode & 0777, 0666, "any user may open it");
}

/*
 * The module's MODULE_VERSION, which ulsctl -V and bug reports show: the
 * release uls/version.h names, the same as the tests'.
 */
static void check_module_version(void)
{
	char buf[64] = "";
	FILE *f = fopen("/sys/module/uls/version", "re");

	if (!ASSERT_OK_PTR(f, "/sys/module/uls/version"))
		return;
	if (fgets(buf, sizeof(buf), f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	__ASSERT(!strcmp(buf, ULS_VERSION),
		 "/sys/module/uls/version: \"%s\", expected \"%s\"", buf,
		 ULS_VERSION);
}

ULS_TEST(info)
{
	struct uls_info info;
	int fd = t_dev_open();

	if (!ASSERT_GE(fd, 0, "open"))
		return;
	memset(&info, 0xff, sizeof(info));
	if (!ASSERT_OK(t_ioc_info(fd, &info), "ULS_IOC_INFO"))
		goto out;
	ASSERT_EQ(info.abi_version, ULS_ABI_VERSION, "abi_version");
	ASSERT_EQ(info.features & ULS_FEAT_MULTI_PAGE, ULS_FEAT_MULTI_PAGE,
		  "multi-page feature");
	ASSERT_EQ(info.features & ULS_FEAT_GET_AT, ULS_FEAT_GET_AT,
		  "get_at feature");
	ASSERT_EQ(info.page_size, getpagesize(), "page_size");
	ASSERT_EQ(info.max_len, t_param("max_len"), "max_len = parameter");
	/*
	 * The one place the default is written down: what this checks. The
	 * guest loads the module without parameters; every other test reads
	 * the limit.
	 */
	ASSERT_EQ(info.max_len, 16 * getpagesize(),
		  "max_len at its documented default, 16 pages");
	ASSERT_EQ(info.features & ULS_FEAT_EXIT_EXEC, ULS_FEAT_EXIT_EXEC,
		  "exit/exec feature");
	ASSERT_EQ(info.features & ULS_FEAT_CHARGED, ULS_FEAT_CHARGED,
		  "charged feature");
	ASSERT_EQ(info.max_pinned_pages, t_param("max_pinned_pages"),
		  "max_pinned_pages = parameter");
	ASSERT_EQ(info.__reserved0, 0, "reserved0 zeroed");
	ASSERT_EQ(info.features & ULS_FEAT_FREED_SEQ, ULS_FEAT_FREED_SEQ,
		  "freed-seq feature");
	ASSERT_EQ(info.features & ULS_FEAT_KEY_GET, ULS_FEAT_KEY_GET,
		  "key-get feature");
	ASSERT_EQ(info.features & ULS_FEAT_LIST, ULS_FEAT_LIST,
		  "list feature");
	ASSERT_EQ(info.features & ULS_FEAT_MONITOR, ULS_FEAT_MONITOR,
		  "monitor feature");
	ASSERT_LE(info.freed_seq, info.retired_seq, "freed_seq <= retired_seq");
	check_module_version();
out:
	close(fd);
}

ULS_TEST(query_unregister)
{
	int fd = t_dev_open(), err;
	struct uls_region r;
	char *buf = t_map_pages(1);

	if (!ASSERT_GE(fd, 0, "open") || !ASSERT_OK_PTR(buf, "mmap"))
		return;
	ASSERT_ERRNO(t_ioc_query(fd, &r), ENOENT, "query before register");
	ASSERT_ERRNO(t_ioc_unregister(fd), ENOENT, "unregister before register");

	err = t_ioc_register(fd, buf + 24, 40);
	if (!ASSERT_OK(err, "register"))
		goto out;
	memset(&r, 0xff, sizeof(r));
	if (ASSERT_OK(t_ioc_query(fd, &r), "query")) {
		ASSERT_EQ(r.addr, (uintptr_t)(buf + 24), "query addr is the user address");
		ASSERT_EQ(r.len, 40, "query len");
		ASSERT_EQ(r.flags, 0, "query flags");
		ASSERT_EQ(r.__reserved0 | r.__reserved[0] | r.__reserved[1], 0,
			  "query reserved zeroed");
	}
	ASSERT_OK(t_ioc_unregister(fd), "unregister");
	ASSERT_ERRNO(t_ioc_query(fd, &r), ENOENT, "query after unregister");
	ASSERT_ERRNO(t_ioc_unregister(fd), ENOENT, "second unregister");
out:
	close(fd);
}

ULS_TEST(unknown_ioctl)
{
	int fd = t_dev_open();

	if (!ASSERT_GE(fd, 0, "open"))
		return;
	ASSERT_ERRNO(ioctl(fd, _IO(ULS_IOC_MAGIC, 99)), ENOTTY, "unknown nr");
	/* The size is part of the command: a shorter struct is another cmd. */
	ASSERT_ERRNO(ioctl(fd, _IOW(ULS_IOC_MAGIC, 1, __u64), NULL), ENOTTY,
		     "register with a short struct");
	close(fd);
}

/* Registration needs no privilege: a plain user registers its memory. */
static void as_nobody(void *arg)
{
	char *buf = t_map_pages(1);
	struct uls_region r;
	int fd;

	if (!ASSERT_OK(setgid(65534), "setgid nogroup") ||
	    !ASSERT_OK(setuid(65534), "setuid nobody"))
		return;
	fd = t_dev_open();
	if (!ASSERT_GE(fd, 0, "nobody opens"))
		return;
	if (!ASSERT_OK(t_ioc_register(fd, buf, 64), "nobody registers"))
		return;
	if (ASSERT_OK(t_ioc_query(fd, &r), "nobody queries"))
		ASSERT_EQ(r.len, 64, "query len");
	ASSERT_OK(t_ioc_unregister(fd), "nobody unregisters");
}

ULS_TEST(unprivileged)
{
	t_in_child(as_nobody, NULL);
}

/* max_len can be changed at runtime, within 1 byte .. 1 GiB. */
ULS_TEST(max_len_param)
{
	char *buf = t_map_pages(3), def[32];
	long max_len = t_param("max_len");
	struct uls_info info;
	int fd = t_dev_open();

	if (!ASSERT_GE(fd, 0, "open") || !ASSERT_GT(max_len, 0, "max_len"))
		return;
	snprintf(def, sizeof(def), "%ld", max_len);
	if (ASSERT_OK(t_set_param("max_len", "8192"), "set 8192")) {
		ASSERT_OK(t_ioc_info(fd, &info), "info");
		ASSERT_EQ(info.max_len, 8192, "info follows the parameter");
		ASSERT_ERRNO(t_ioc_register(fd, buf, 8193), E2BIG, "8193 bytes");
		ASSERT_OK(t_ioc_register(fd, buf + 8, 8192), "8192 bytes");
	}
	ASSERT_ERRNO(t_set_param("max_len", "0"), EINVAL, "0 refused");
	ASSERT_ERRNO(t_set_param("max_len", "1073741825"), EINVAL, "1 GiB + 1 refused");
	ASSERT_ERRNO(t_set_param("max_len", "lots"), EINVAL, "not a number");
	ASSERT_OK(t_set_param("max_len", def), "restore");
	ASSERT_EQ(t_param("max_len"), max_len, "restored");
	close(fd);
}

/*
 * ULS_REGISTER_EXCL: a registration never silently takes the place of
 * another user's. EBUSY while the thread's region starts elsewhere, and
 * nothing changes; at the same start it replaces as usual (the same user
 * growing its region); with no registration it registers.
 */
ULS_TEST(dev_register_excl)
{
	struct uls_region q, r = { .flags = ULS_REGISTER_EXCL };
	struct t_ctx c;
	char *a = t_map_pages(2), *b = t_map_pages(1);
	struct uls_info info;
	__u64 e0, p0, e1, p1;

	if (!t_setup(&c, T_PROBE))
		goto out;
	if (!ASSERT_OK(t_ioc_info(c.fd, &info), "info") ||
	    !ASSERT_EQ(info.features & ULS_FEAT_EXCL, ULS_FEAT_EXCL, "ULS_FEAT_EXCL"))
		goto out;
	r.addr = (uintptr_t)a;
	r.len = 64;
	if (!ASSERT_OK(t_ioc_register_region(c.fd, &r), "EXCL with none"))
		goto out;
	ASSERT_OK(t_counts(&e0, &p0), "counts");
	r.addr = (uintptr_t)b;
	ASSERT_ERRNO(t_ioc_register_region(c.fd, &r), EBUSY, "EXCL at another address");
	r.addr = (uintptr_t)(a + 8);
	ASSERT_ERRNO(t_ioc_register_region(c.fd, &r), EBUSY, "EXCL 8 bytes further");
	ASSERT_OK(t_counts(&e1, &p1), "counts");
	ASSERT_EQ(e1, e0, "no entry from EBUSY");
	ASSERT_EQ(p1, p0, "no pin from EBUSY");
	if (ASSERT_OK(t_ioc_query(c.fd, &q), "query"))
		ASSERT_EQ(q.addr, (uintptr_t)a, "the first region stays");
	ASSERT_EQ(t_probe_len(c.probe), 64, "BPF still sees it");

	r.addr = (uintptr_t)a;
	r.len = 2 * getpagesize();
	ASSERT_OK(t_ioc_register_region(c.fd, &r), "EXCL at the same address grows");
	ASSERT_EQ(t_probe_len(c.probe), 2 * getpagesize(), "replaced");
	r.len = 16;
	ASSERT_OK(t_ioc_register_region(c.fd, &r), "and shrinks");
	ASSERT_EQ(t_probe_len(c.probe), 16, "replaced again");

	/* Without the flag, replacing stays what it was. */
	ASSERT_OK(t_ioc_register(c.fd, b, 32), "no EXCL replaces");
	if (ASSERT_OK(t_ioc_query(c.fd, &q), "query"))
		ASSERT_EQ(q.addr, (uintptr_t)b, "the new region");
	r.flags = ULS_REGISTER_EXCL << 1;
	r.addr = (uintptr_t)b;
	ASSERT_ERRNO(t_ioc_register_region(c.fd, &r), EINVAL, "an unknown flag");
	ASSERT_OK(t_ioc_unregister(c.fd), "unregister");
out:
	t_teardown(&c);
}
