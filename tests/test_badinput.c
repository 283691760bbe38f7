// SPDX-License-Identifier: GPL-2.0
/*
 * The bad-input table: registrations the module must refuse, each with its
 * documented errno (include/uapi/linux/uls.h), leaving no entry, no pin
 * and no charge (VmPin) behind; and the kinds of memory it accepts.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helpers.h"
#include "test.h"

static void expect_refused(const struct uls_region *r, int err,
			   const char *what)
{
	__u64 entries, pinned;
	long long pins;
	long vmpin = t_vm_pin_kb();
	struct t_ctx c;

	if (!t_setup(&c, 0))
		goto out;
	pins = t_foll_pins_held();
	if (!ASSERT_OK(t_counts(&entries, &pinned), "counts"))
		goto out;
	ASSERT_ERRNO(t_ioc_register_region(c.fd, r), err, what);
	printf("%s: refused with errno %d as documented\n", what, err);
	ASSERT_ERRNO(t_ioc_query(c.fd, &(struct uls_region){}), ENOENT,
		     "nothing registered");
	ASSERT_OK(t_wait_counts(entries, pinned, 0), "entry and page counts unchanged");
	ASSERT_EQ(t_foll_pins_held(), pins, "every pin undone");
	ASSERT_EQ(t_vm_pin_kb(), vmpin, "VmPin unchanged");
out:
	t_teardown(&c);
}

/* Memory uls accepts: pinned and charged, then all of it given back. */
static void expect_accepted(void *buf, __u64 len, const char *what)
{
	long page = getpagesize(), vmpin = t_vm_pin_kb();
	long pages = ((uintptr_t)buf % page + len + page - 1) / page;
	struct t_ctx c;

	if (!t_setup(&c, 0))
		goto out;
	if (ASSERT_OK(t_ioc_register(c.fd, buf, len), what)) {
		printf("%s: accepted\n", what);
		ASSERT_EQ(t_vm_pin_kb(), vmpin + pages * page / 1024,
			  "VmPin grows by the pages");
		ASSERT_OK(t_ioc_unregister(c.fd), "unregister");
	}
	ASSERT_OK(t_settle(), "entry freed");
	ASSERT_EQ(t_vm_pin_kb(), vmpin, "VmPin back");
out:
	t_teardown(&c);
}

/* A region as a pointer to a temporary, for the calls below. */
#define REGION(b, l)						\
	(&(struct uls_region){ .addr = (uintptr_t)(b), .len = (l) })

static struct uls_region region_in(void *buf, __u64 len)
{
	return (struct uls_region){ .addr = (uintptr_t)buf, .len = len };
}

ULS_TEST(bad_flags)
{
	struct uls_region r = region_in(t_map_pages(1), 64);

	r.flags = ULS_REGISTER_FLAGS_ALL + 1;
	expect_refused(&r, EINVAL, "the first flag after the known ones");
	r.flags = 0x80000000u;
	expect_refused(&r, EINVAL, "flags bit 31");
}

ULS_TEST(bad_reserved)
{
	struct uls_region r = region_in(t_map_pages(1), 64);

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
	struct uls_region r = region_in(t_map_pages(1), 0);

	expect_refused(&r, EINVAL, "len 0");
}

ULS_TEST(bad_len_over_max)
{
	long max_len = t_max_len(), page = getpagesize();
	struct uls_region r;

	if (!ASSERT_GT(max_len, 0, "max_len"))
		return;
	/* Mapped all through: the length alone is what is wrong. */
	r = region_in(t_map_pages(max_len / page + 2), max_len + 1);
	expect_refused(&r, E2BIG, "len max_len + 1");
	r.len = ~0ULL;
	expect_refused(&r, E2BIG, "len ~0");
}

/*
 * A region starts on a multiple of 8: BPF atomics on it must not split a
 * cache line. Any other start is refused, wherever it is; a start on a
 * multiple of 8 but not of 64 or of the page is fine.
 */
ULS_TEST(bad_unaligned)
{
	char *buf = t_map_pages(2);
	struct uls_region r;

	for (int off = 1; off < 8; off++) {
		char what[48];

		snprintf(what, sizeof(what), "page + %d", off);
		r = region_in(buf + off, 64);
		expect_refused(&r, EINVAL, what);
	}
	r = region_in(buf + 4092, 16);
	expect_refused(&r, EINVAL, "4 bytes before a page boundary");
	r = region_in(buf + 60, 8);
	expect_refused(&r, EINVAL, "4 bytes before a cache line boundary");
	expect_accepted(buf + 8, 16, "page + 8");
	expect_accepted(buf + 4088, 16, "8 bytes before a page boundary");
}

ULS_TEST(bad_addr_overflow)
{
	struct uls_region r = { .addr = ~0ULL - 15, .len = 64 };

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
	char *buf = t_map_pages(1);
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
	char *buf = t_map_pages(4);
	struct uls_region r = region_in(buf + 96, 3 * page);

	memset(buf, 1, 4 * page);	/* fault in: the fast path pins them */
	munmap(buf + 2 * page, page);
	expect_refused(&r, EFAULT, "hole in the third of four pages");
}

ULS_TEST(bad_partly_readonly)
{
	long page = getpagesize();
	char *buf = t_map_pages(2);
	struct uls_region r = region_in(buf + page - 8, 16);

	memset(buf, 1, 2 * page);
	mprotect(buf + page, page, PROT_READ);
	expect_refused(&r, EFAULT, "second page read-only");
}

ULS_TEST(bad_null_arg)
{
	int fd = t_dev_open();

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
	char *buf = t_map_pages(1);
	struct uls_region r = region_in(buf, 64), q;
	int fd = t_dev_open();

	if (!ASSERT_GE(fd, 0, "open"))
		return;
	if (!ASSERT_OK(t_ioc_register_region(fd, &r), "register"))
		goto out;
	r.len = 0;
	ASSERT_ERRNO(t_ioc_register_region(fd, &r), EINVAL, "len 0");
	r.len = 64;
	r.addr = 0;
	ASSERT_ERRNO(t_ioc_register_region(fd, &r), EFAULT, "NULL page");
	if (ASSERT_OK(t_ioc_query(fd, &q), "query"))
		ASSERT_EQ(q.addr, (uintptr_t)buf, "first registration kept");
out:
	close(fd);
}

/* A file in @dir, @pages long, open read-write (or read-only). */
static int file_in(const char *dir, long pages, bool writable)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/uls-badinput.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (ftruncate(fd, pages * getpagesize())) {
		close(fd);
		return -errno;
	}
	if (!writable) {
		char self[64];
		int ro;

		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		ro = open(self, O_RDONLY | O_CLOEXEC);
		close(fd);
		fd = ro;
	}
	return fd;
}

ULS_TEST(bad_readonly_file_mapping)
{
	int fd = file_in("/tmp", 1, false);
	char *buf;

	if (!ASSERT_GE(fd, 0, "file"))
		return;
	buf = mmap(NULL, getpagesize(), PROT_READ, MAP_SHARED, fd, 0);
	if (ASSERT_NEQ(buf, MAP_FAILED, "mmap shared read-only"))
		expect_refused(REGION(buf, 64), EFAULT,
			       "MAP_SHARED PROT_READ file");
	buf = mmap(NULL, getpagesize(), PROT_READ, MAP_PRIVATE, fd, 0);
	if (ASSERT_NEQ(buf, MAP_FAILED, "mmap private read-only"))
		expect_refused(REGION(buf, 64), EFAULT,
			       "MAP_PRIVATE PROT_READ file");
	close(fd);
}

/*
 * A shared writable mapping of a file on a disk file system: writeback
 * would meet pages that BPF dirtied behind its back. The guest mounts an
 * ext4 image at $ULS_DISK_DIR.
 */
ULS_TEST(bad_shared_disk_file)
{
	const char *dir = getenv("ULS_DISK_DIR");
	long page = getpagesize();
	char *buf;
	int fd;

	if (!ASSERT_OK_PTR(dir, "ULS_DISK_DIR (an ext4 mount)"))
		return;
	fd = file_in(dir, 2, true);
	if (!ASSERT_GE(fd, 0, "file on ext4"))
		return;
	buf = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ASSERT_NEQ(buf, MAP_FAILED, "mmap")) {
		memset(buf, 1, 2 * page);
		expect_refused(REGION(buf, 64), EOPNOTSUPP,
			       "MAP_SHARED ext4 file");
		expect_refused(REGION(buf + page - 8, 16), EOPNOTSUPP,
			       "MAP_SHARED ext4 file, two pages");
		munmap(buf, 2 * page);
		/* A private mapping of the same file is the thread's own copy. */
		buf = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			   fd, 0);
		if (ASSERT_NEQ(buf, MAP_FAILED, "mmap private"))
			expect_accepted(buf, 64, "MAP_PRIVATE ext4 file");
	}
	close(fd);
}

ULS_TEST(bad_secretmem)
{
	int fd = syscall(SYS_memfd_secret, 0);
	char *buf;

	/* 6.1 needs secretmem.enable=1 on the command line; the VM has it. */
	if (!ASSERT_GE(fd, 0, "memfd_secret"))
		return;
	if (!ASSERT_OK(ftruncate(fd, getpagesize()), "ftruncate"))
		goto out;
	buf = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	if (ASSERT_NEQ(buf, MAP_FAILED, "mmap")) {
		buf[0] = 1;
		expect_refused(REGION(buf, 64), EFAULT, "memfd_secret");
	}
out:
	close(fd);
}

/* The vDSO's data pages are VM_IO | VM_PFNMAP: no pages to pin. */
ULS_TEST(bad_pfnmap)
{
	char line[256];
	unsigned long lo, hi;
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!ASSERT_OK_PTR(f, "maps"))
		return;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[vvar]") &&
		    sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
			found = true;
			break;
		}
	fclose(f);
	if (!ASSERT_TRUE(found, "[vvar] mapping"))
		return;
	expect_refused(&(struct uls_region){ .addr = lo, .len = 64 }, EFAULT,
		       "[vvar] (VM_PFNMAP)");
}

/* Accepted policy: shmem in all its forms; memfd and hugetlb included. */
ULS_TEST(accepted_memory_kinds)
{
	long page = getpagesize();
	char *buf;
	int fd;

	buf = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ASSERT_NEQ(buf, MAP_FAILED, "shared anonymous"))
		expect_accepted(buf, 64, "MAP_SHARED | MAP_ANONYMOUS");

	fd = memfd_create("uls", MFD_CLOEXEC);
	if (ASSERT_GE(fd, 0, "memfd") &&
	    ASSERT_OK(ftruncate(fd, 2 * page), "ftruncate")) {
		buf = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		if (ASSERT_NEQ(buf, MAP_FAILED, "mmap memfd"))
			expect_accepted(buf + 96, page, "memfd");
	}
	close(fd);

	fd = file_in("/tmp", 1, true);
	if (ASSERT_GE(fd, 0, "tmpfs file")) {
		buf = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		if (ASSERT_NEQ(buf, MAP_FAILED, "mmap tmpfs"))
			expect_accepted(buf, 64, "MAP_SHARED tmpfs file");
		close(fd);
	}

	/* The guest reserves huge pages (nr_hugepages). */
	buf = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (ASSERT_NEQ(buf, MAP_FAILED, "MAP_HUGETLB")) {
		buf[0] = 1;
		expect_accepted(buf + 8, 2 * page, "hugetlb");
	}
}

ULS_TEST(bad_ioctl_number)
{
	struct uls_region r = region_in(t_map_pages(1), 64);
	struct { __u64 addr, len; } short_r = { r.addr, r.len };
	__u64 entries, pinned;
	struct t_ctx c;

	if (!t_setup(&c, 0) || !ASSERT_OK(t_counts(&entries, &pinned), "counts"))
		goto out;
	ASSERT_ERRNO(ioctl(c.fd, _IOW(ULS_IOC_MAGIC, 99, struct uls_region), &r),
		     ENOTTY, "unknown number");
	ASSERT_ERRNO(ioctl(c.fd, _IOW('x', 1, struct uls_region), &r), ENOTTY,
		     "other magic");
	ASSERT_ERRNO(ioctl(c.fd, _IOR(ULS_IOC_MAGIC, 1, struct uls_region), &r),
		     ENOTTY, "register with the wrong direction");
	/* A short struct is a different command: the size is in the number. */
	ASSERT_ERRNO(ioctl(c.fd, _IOW(ULS_IOC_MAGIC, 1, short_r), &short_r),
		     ENOTTY, "register with a short struct");
	ASSERT_OK(t_wait_counts(entries, pinned, 0), "counts unchanged");
out:
	t_teardown(&c);
}

/* The struct itself runs off the end of the mapping. */
ULS_TEST(bad_struct_truncated)
{
	long page = getpagesize();
	char *two = t_map_pages(2);
	struct uls_region *r;
	int fd = t_dev_open();

	if (!ASSERT_GE(fd, 0, "open"))
		return;
	munmap(two + page, page);
	r = (struct uls_region *)(two + page - 16);
	r->addr = (uintptr_t)two;
	r->len = 64;
	ASSERT_ERRNO(ioctl(fd, ULS_IOC_REGISTER, r), EFAULT,
		     "struct straddling an unmapped page");
	ASSERT_ERRNO(t_ioc_query(fd, &(struct uls_region){}), ENOENT,
		     "nothing registered");
	close(fd);
}

struct memlock_case {
	unsigned long limit;
	long pages;
	int err;
	const char *what;
};

static void memlock_child(void *arg)
{
	const struct memlock_case *c = arg;
	long page = getpagesize();
	char *buf = t_map_pages(c->pages + 1);

	if (!ASSERT_OK(t_limit_memlock(c->limit), "drop CAP_IPC_LOCK, set limit"))
		return;
	memset(buf, 1, (c->pages + 1) * page);
	if (c->err)
		expect_refused(REGION(buf, c->pages * page), c->err, c->what);
	else
		expect_accepted(buf, c->pages * page, c->what);
}

ULS_TEST(bad_memlock)
{
	long page = getpagesize();
	const struct memlock_case cases[] = {
		{ 2 * page, 3, ENOMEM, "3 pages over RLIMIT_MEMLOCK of 2" },
		{ 2 * page, 2, 0, "2 pages within RLIMIT_MEMLOCK of 2" },
		{ 0, 1, EPERM, "RLIMIT_MEMLOCK 0" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		t_in_child(memlock_child, (void *)&cases[i]);
}

/* The global cap binds root too. */
ULS_TEST(bad_global_cap)
{
	long cap = t_param("max_pinned_pages");
	char val[32];
	char *buf = t_map_pages(4);

	if (!ASSERT_GT(cap, 0, "max_pinned_pages") || !ASSERT_OK(t_settle(), "settle"))
		return;
	memset(buf, 1, 4 * getpagesize());
	snprintf(val, sizeof(val), "%ld", t_stat("charged_pages") + 2);
	if (!ASSERT_OK(t_set_param("max_pinned_pages", val), "cap at 2 pages"))
		return;
	expect_refused(REGION(buf, 3 * getpagesize()), ENOMEM,
		       "3 pages over a global cap of 2");
	snprintf(val, sizeof(val), "%ld", cap);
	ASSERT_OK(t_set_param("max_pinned_pages", val), "restore");
	ASSERT_ERRNO(t_set_param("max_pinned_pages", "0"), EINVAL, "0 refused");
}

/*
 * A thread without an mm cannot make the ioctl from user space (the
 * module refuses kernel threads and io_uring workers with EPERM); what
 * can happen is a registration through an fd whose opener, and the mm the
 * opener registered, are gone. It pins and charges the caller.
 */
struct mm_gone {
	int fd;
	pid_t opener;
	int survivor_pid[2];		/* a pipe: the opener tells the test */
};

static void after_opener(void *arg)
{
	struct mm_gone *m = arg;
	char *buf = t_map_pages(1);
	long vmpin = t_vm_pin_kb();

	if (!ASSERT_OK(t_wait_until(getppid() != m->opener, 10000),
		       "the opener is gone"))
		return;
	ASSERT_ERRNO(t_ioc_query(m->fd, &(struct uls_region){}), ENOENT,
		     "the opener's entry is not ours");
	if (ASSERT_OK(t_ioc_register(m->fd, buf, 64), "register through the fd")) {
		ASSERT_EQ(t_vm_pin_kb(), vmpin + getpagesize() / 1024,
			  "charged to the caller");
		ASSERT_OK(t_ioc_unregister(m->fd), "unregister");
	}
}

/* Registers, leaves the file to a child of its own, and exits. */
static void opener_main(void *arg)
{
	struct mm_gone *m = arg;
	pid_t survivor;

	m->opener = getpid();
	m->fd = t_dev_open();
	if (!ASSERT_GE(m->fd, 0, "open") ||
	    !ASSERT_OK(t_ioc_register(m->fd, t_map_pages(1), 64),
		       "the opener registers"))
		return;
	survivor = t_start_child(after_opener, m);
	ASSERT_EQ(write(m->survivor_pid[1], &survivor, sizeof(survivor)),
		  sizeof(survivor), "tell the test");
}

ULS_TEST(bad_mm_gone)
{
	struct mm_gone m = {};
	pid_t opener, survivor;

	/* The survivor, orphaned, becomes the test's child to wait for. */
	if (!ASSERT_OK(prctl(PR_SET_CHILD_SUBREAPER, 1), "subreaper") ||
	    !ASSERT_OK(pipe(m.survivor_pid), "pipe") ||
	    !ASSERT_OK(t_settle(), "settle"))
		return;
	opener = t_start_child(opener_main, &m);
	if (!ASSERT_GT(opener, 0, "fork the opener"))
		return;
	close(m.survivor_pid[1]);
	t_wait_child(opener);
	if (ASSERT_EQ(read(m.survivor_pid[0], &survivor, sizeof(survivor)),
		      sizeof(survivor), "the survivor's pid") &&
	    ASSERT_GT(survivor, 0, "the survivor forked"))
		t_wait_child(survivor);
	close(m.survivor_pid[0]);
	ASSERT_OK(t_settle(), "everything freed");
	ASSERT_OK(t_wait_stat("charged_pages", 0, 10000), "charges returned");
}
