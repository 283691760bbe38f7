// SPDX-License-Identifier: GPL-2.0
/* The device and its ioctls, as a plain user sees them. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

ULS_TEST(info)
{
	struct uls_info info;
	int fd = dev_open();

	if (!ASSERT_GE(fd, 0, "open"))
		return;
	memset(&info, 0xff, sizeof(info));
	if (!ASSERT_OK(raw_info(fd, &info), "ULS_IOC_INFO"))
		goto out;
	ASSERT_EQ(info.abi_version, ULS_ABI_VERSION, "abi_version");
	ASSERT_EQ(info.features & ULS_FEAT_MULTI_PAGE, ULS_FEAT_MULTI_PAGE,
		  "multi-page feature");
	ASSERT_EQ(info.features & ULS_FEAT_GET_AT, ULS_FEAT_GET_AT,
		  "get_at feature");
	ASSERT_EQ(info.page_size, getpagesize(), "page_size");
	ASSERT_EQ(info.max_len, read_param("max_len"), "max_len = parameter");
	ASSERT_EQ(info.max_len, 16 * getpagesize(), "max_len default");
	ASSERT_EQ(info.features & ULS_FEAT_EXIT_EXEC, ULS_FEAT_EXIT_EXEC,
		  "exit/exec feature");
	ASSERT_EQ(info.features & ULS_FEAT_CHARGED, ULS_FEAT_CHARGED,
		  "charged feature");
	ASSERT_EQ(info.max_pinned_pages, read_param("max_pinned_pages"),
		  "max_pinned_pages = parameter");
	ASSERT_EQ(info.__reserved0, 0, "reserved0 zeroed");
	ASSERT_EQ(info.features & ULS_FEAT_FREED_SEQ, ULS_FEAT_FREED_SEQ,
		  "freed-seq feature");
	ASSERT_LE(info.freed_seq, info.retired_seq, "freed_seq <= retired_seq");
out:
	close(fd);
}

ULS_TEST(query_unregister)
{
	int fd = dev_open(), err;
	struct uls_region r;
	char *buf = map_pages(1);

	if (!ASSERT_GE(fd, 0, "open") || !ASSERT_OK_PTR(buf, "mmap"))
		return;
	ASSERT_ERRNO(raw_query(fd, &r), ENOENT, "query before register");
	ASSERT_ERRNO(raw_unregister(fd), ENOENT, "unregister before register");

	err = raw_register(fd, buf + 24, 40);
	if (!ASSERT_OK(err, "register"))
		goto out;
	memset(&r, 0xff, sizeof(r));
	if (ASSERT_OK(raw_query(fd, &r), "query")) {
		ASSERT_EQ(r.addr, (uintptr_t)(buf + 24), "query addr is the user address");
		ASSERT_EQ(r.len, 40, "query len");
		ASSERT_EQ(r.flags, 0, "query flags");
		ASSERT_EQ(r.__reserved0 | r.__reserved[0] | r.__reserved[1], 0,
			  "query reserved zeroed");
	}
	ASSERT_OK(raw_unregister(fd), "unregister");
	ASSERT_ERRNO(raw_query(fd, &r), ENOENT, "query after unregister");
	ASSERT_ERRNO(raw_unregister(fd), ENOENT, "second unregister");
out:
	close(fd);
}

ULS_TEST(unknown_ioctl)
{
	int fd = dev_open();

	if (!ASSERT_GE(fd, 0, "open"))
		return;
	ASSERT_ERRNO(ioctl(fd, _IO(ULS_IOC_MAGIC, 99)), ENOTTY, "unknown nr");
	/* The size is part of the command: a shorter struct is another cmd. */
	ASSERT_ERRNO(ioctl(fd, _IOW(ULS_IOC_MAGIC, 1, __u64), NULL), ENOTTY,
		     "register with a short struct");
	close(fd);
}

/* Registration needs no privilege: a plain user registers its memory. */
ULS_TEST(unprivileged)
{
	pid_t pid = fork();
	int status;

	if (!pid) {
		char *buf = map_pages(1);
		struct uls_region r;
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		fd = dev_open();
		if (fd < 0)
			_exit(11);
		if (raw_register(fd, buf, 64))
			_exit(12);
		if (raw_query(fd, &r) || r.len != 64)
			_exit(13);
		_exit(raw_unregister(fd) ? 14 : 0);
	}
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status), "child exited");
	ASSERT_EQ(WEXITSTATUS(status), 0, "nobody opened, registered, queried, unregistered");
}

/* max_len can be changed at runtime, within 1 byte .. 1 GiB. */
ULS_TEST(max_len_param)
{
	char *buf = map_pages(3), def[32];
	struct uls_info info;
	int fd = dev_open();

	if (!ASSERT_GE(fd, 0, "open"))
		return;
	snprintf(def, sizeof(def), "%ld", read_param("max_len"));
	if (ASSERT_OK(write_param("max_len", "8192"), "set 8192")) {
		ASSERT_OK(raw_info(fd, &info), "info");
		ASSERT_EQ(info.max_len, 8192, "info follows the parameter");
		ASSERT_ERRNO(raw_register(fd, buf, 8193), E2BIG, "8193 bytes");
		ASSERT_OK(raw_register(fd, buf + 8, 8192), "8192 bytes");
	}
	ASSERT_ERRNO(write_param("max_len", "0"), EINVAL, "0 refused");
	ASSERT_ERRNO(write_param("max_len", "1073741825"), EINVAL, "1 GiB + 1 refused");
	ASSERT_ERRNO(write_param("max_len", "lots"), EINVAL, "not a number");
	ASSERT_OK(write_param("max_len", def), "restore");
	ASSERT_EQ(read_param("max_len"), 16 * getpagesize(), "restored");
	close(fd);
}
