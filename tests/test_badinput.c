// SPDX-License-Identifier: GPL-2.0
/*
 * Registrations the module must refuse, each with its documented errno,
 * leaving no entry and no pinned page behind.
 */
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"
#include "test.h"

static void expect_refused(const struct uls_region *r, int err,
			   const char *what)
{
	__u64 entries, pinned;
	long long pins;
	int fd = dev_open();

	if (!ASSERT_GE(fd, 0, "open") || !ASSERT_OK(settle(), "settle"))
		return;
	pins = foll_pins_held();
	if (!ASSERT_OK(uls_counts(&entries, &pinned), "counts"))
		goto out;
	ASSERT_ERRNO(raw_register_region(fd, r), err, what);
	ASSERT_ERRNO(raw_query(fd, &(struct uls_region){}), ENOENT,
		     "nothing registered");
	ASSERT_OK(wait_counts(entries, pinned, 0), "entry and page counts unchanged");
	ASSERT_EQ(foll_pins_held(), pins, "every pin undone");
out:
	close(fd);
}

static struct uls_region region_in(void *buf, __u64 len)
{
	return (struct uls_region){ .addr = (uintptr_t)buf, .len = len };
}

ULS_TEST(bad_flags)
{
	struct uls_region r = region_in(map_pages(1), 64);

	r.flags = 1;
	expect_refused(&r, EINVAL, "flags bit 0");
	r.flags = 0x80000000u;
	expect_refused(&r, EINVAL, "flags bit 31");
}

ULS_TEST(bad_reserved)
{
	struct uls_region r = region_in(map_pages(1), 64);

	r.__reserved0 = 1;
	expect_refused(&r, EINVAL, "__reserved0");
	r.__reserved0 = 0;
	r.__reserved[0] = 1;
	expect_refused(&r, EINVAL, "__reserved[0]");
	r.__reserved[0] = 0;
	r.__reserved[1] = 1ULL << 63;
	expect_refused(&r, EINVAL, "__reserved[1]");
}

ULS_TEST(bad_len_zero)
{
	struct uls_region r = region_in(map_pages(1), 0);

	expect_refused(&r, EINVAL, "len 0");
}

ULS_TEST(bad_len_over_max)
{
	long page = getpagesize();
	struct uls_region r = region_in(map_pages(20), 16 * page + 1);

	expect_refused(&r, E2BIG, "len max_len + 1");
	r.len = ~0ULL;
	expect_refused(&r, E2BIG, "len ~0");
}

ULS_TEST(bad_addr_overflow)
{
	struct uls_region r = { .addr = ~0ULL - 10, .len = 64 };

	expect_refused(&r, EOVERFLOW, "addr + len wraps");
}

ULS_TEST(bad_kernel_addr)
{
	struct uls_region r = { .addr = 0xffffffff81000000ULL, .len = 64 };

	expect_refused(&r, EFAULT, "kernel text address");
	/* Straddling the end of user space is no better. */
	r.addr = 0x00007ffffffff000ULL;
	r.len = 2 * 4096;
	expect_refused(&r, EFAULT, "range past TASK_SIZE");
}

ULS_TEST(bad_unmapped)
{
	char *buf = map_pages(1);
	struct uls_region r = region_in(buf, 64);

	munmap(buf, getpagesize());
	expect_refused(&r, EFAULT, "unmapped page");
	r.addr = 0;
	expect_refused(&r, EFAULT, "NULL page");
}

ULS_TEST(bad_readonly)
{
	char *buf = mmap(NULL, getpagesize(), PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct uls_region r = region_in(buf, 64);

	expect_refused(&r, EFAULT, "PROT_READ mapping");
	mprotect(buf, getpagesize(), PROT_NONE);
	expect_refused(&r, EFAULT, "PROT_NONE mapping");
}

/* The first pages pin, a later one does not: the pins taken are undone. */
ULS_TEST(bad_hole_partial_pin)
{
	long page = getpagesize();
	char *buf = map_pages(4);
	struct uls_region r = region_in(buf + 100, 3 * page);

	memset(buf, 1, 4 * page);	/* fault in: the fast path pins them */
	munmap(buf + 2 * page, page);
	expect_refused(&r, EFAULT, "hole in the third of four pages");
}

ULS_TEST(bad_partly_readonly)
{
	long page = getpagesize();
	char *buf = map_pages(2);
	struct uls_region r = region_in(buf + page - 8, 16);

	memset(buf, 1, 2 * page);
	mprotect(buf + page, page, PROT_READ);
	expect_refused(&r, EFAULT, "second page read-only");
}

ULS_TEST(bad_null_arg)
{
	int fd = dev_open();

	if (!ASSERT_GE(fd, 0, "open"))
		return;
	ASSERT_ERRNO(ioctl(fd, ULS_IOC_REGISTER, NULL), EFAULT, "register NULL");
	ASSERT_ERRNO(ioctl(fd, ULS_IOC_INFO, NULL), EFAULT, "info NULL");
	ASSERT_ERRNO(ioctl(fd, ULS_IOC_REGISTER, (void *)8), EFAULT,
		     "register at address 8");
	close(fd);
}

/* A refused registration leaves the previous one in place. */
ULS_TEST(bad_keeps_previous)
{
	char *buf = map_pages(1);
	struct uls_region r = region_in(buf, 64), q;
	int fd = dev_open();

	if (!ASSERT_GE(fd, 0, "open"))
		return;
	if (!ASSERT_OK(raw_register_region(fd, &r), "register"))
		goto out;
	r.len = 0;
	ASSERT_ERRNO(raw_register_region(fd, &r), EINVAL, "len 0");
	r.len = 64;
	r.addr = 0;
	ASSERT_ERRNO(raw_register_region(fd, &r), EFAULT, "NULL page");
	if (ASSERT_OK(raw_query(fd, &q), "query"))
		ASSERT_EQ(q.addr, (uintptr_t)buf, "first registration kept");
out:
	close(fd);
}
