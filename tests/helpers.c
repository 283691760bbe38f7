// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/userfaultfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "helpers.h"
#include "probe.skel.h"
#include "test.h"

int t_gettid(void)
{
	return syscall(SYS_gettid);
}

int t_dev_open(void)
{
	int fd = open(ULS_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

int t_ioc_register_region(int fd, const struct uls_region *r)
{
	return xioctl(fd, ULS_IOC_REGISTER, (void *)r);
}

int t_ioc_register(int fd, const void *addr, __u64 len)
{
	struct uls_region r = { .addr = (uintptr_t)addr, .len = len };

	return t_ioc_register_region(fd, &r);
}

int t_ioc_unregister(int fd)
{
	return xioctl(fd, ULS_IOC_UNREGISTER, NULL);
}

int t_ioc_query(int fd, struct uls_region *r)
{
	return xioctl(fd, ULS_IOC_QUERY, r);
}

int t_ioc_info(int fd, struct uls_info *info)
{
	return xioctl(fd, ULS_IOC_INFO, info);
}

/* ULS_IOC_INFO through a file of its own. */
static int info_now(struct uls_info *info)
{
	int fd = t_dev_open(), err;

	if (fd < 0)
		return fd;
	err = t_ioc_info(fd, info);
	close(fd);
	return err;
}

long t_max_len(void)
{
	struct uls_info info;
	int err = info_now(&info);

	return err ?: (long)info.max_len;
}

long t_table_min_slots(void)
{
	const char *at_load = getenv("ULS_TABLE_MIN_SLOTS");
	int err;

	if (at_load && *at_load)
		return strtol(at_load, NULL, 0);
	err = t_settle();
	return err ?: t_stat("table_slots");
}

bool t_setup(struct t_ctx *c, unsigned int flags)
{
	c->fd = -1;
	c->probe = NULL;
	if (!ASSERT_OK(t_settle(), "settle"))
		return false;
	c->fd = t_dev_open();
	if (!ASSERT_GE(c->fd, 0, "open " ULS_DEVICE_PATH))
		return false;
	if (flags & T_PROBE) {
		c->probe = t_probe_load();
		if (!ASSERT_OK_PTR(c->probe, "load probe.bpf.o"))
			return false;
	}
	return true;
}

void t_teardown(struct t_ctx *c)
{
	t_probe_destroy(c->probe);
	c->probe = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int t_counts(__u64 *entries, __u64 *pinned_pages)
{
	struct uls_info info;
	int err = info_now(&info);

	if (err)
		return err;
	*entries = info.nr_entries;
	*pinned_pages = info.nr_pinned_pages;
	return 0;
}

int t_wait_counts(__u64 entries, __u64 pinned_pages, int timeout_ms)
{
	__u64 e = 0, pp = 0;
	int err = 0, ret;

	ret = t_wait_until((err = t_counts(&e, &pp)) ||
			   (e == entries && pp == pinned_pages), timeout_ms);
	if (err)
		return err;
	if (ret)
		fprintf(stderr, "counts: entries %llu (want %llu), pinned pages %llu (want %llu)\n",
			(unsigned long long)e, (unsigned long long)entries,
			(unsigned long long)pp, (unsigned long long)pinned_pages);
	return ret;
}

int t_settle(void)
{
	return t_wait_counts(0, 0, 10000);
}

long long t_foll_pins_held(void)
{
	long long acquired = -1, released = -1, v;
	char name[64];
	FILE *f;
	int fd;

	/* Fold the per-CPU deltas in, or the counts lag by up to a second. */
	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			perror("stat_refresh");
		close(fd);
	}
	f = fopen("/proc/vmstat", "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%63s %lld", name, &v) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired"))
			acquired = v;
		else if (!strcmp(name, "nr_foll_pin_released"))
			released = v;
	}
	fclose(f);
	if (acquired < 0 || released < 0)
		return -ENOENT;
	return acquired - released;
}

void *t_map_pages(size_t pages)
{
	void *p = mmap(NULL, pages * getpagesize(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int t_run_prog(const struct bpf_program *prog, void *ctx, size_t size)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx,
		    .ctx_size_in = size);

	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts))
		return -errno;
	return opts.retval;
}

int t_kernel_has_enum_value(const char *type, const char *value)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	const struct btf_enum *e;
	int id, found = 0;

	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	if (id > 0) {
		t = btf__type_by_id(btf, id);
		e = btf_enum(t);
		for (int i = 0; i < btf_vlen(t) && !found; i++, e++)
			found = !strcmp(btf__name_by_offset(btf, e->name_off),
					value);
	}
	btf__free(btf);
	return found;
}

struct probe *t_probe_load(void)
{
	return probe__open_and_load();
}

void t_probe_destroy(struct probe *p)
{
	probe__destroy(p);
}

int t_probe_run(struct probe *p, const char *name, struct probe_ctx *c)
{
	struct bpf_program *prog;
	int ret;

	prog = bpf_object__find_program_by_name(p->obj, name);
	if (!prog)
		return -ENOENT;
	ret = t_run_prog(prog, c, sizeof(*c));
	if (ret < 0)
		return ret;
	return ret ? -EIO : 0;
}

long t_probe_len(struct probe *p)
{
	struct probe_ctx c = {};
	int err = t_probe_run(p, "probe_len", &c);

	return err ?: (long)c.len;
}

static int probe_access(struct probe *p, const char *name, __u64 off,
			__u64 *val, int store)
{
	struct probe_ctx c = { .offset = off, .store = store };
	int err;

	if (store)
		c.value = *val;
	err = t_probe_run(p, name, &c);
	if (err)
		return err;
	if (!store && c.found)
		*val = c.value;
	return c.found;
}

int t_probe_load_u64(struct probe *p, __u64 *val)
{
	return probe_access(p, "probe_get", 0, val, 0);
}

int t_probe_store_u64(struct probe *p, __u64 val)
{
	return probe_access(p, "probe_get", 0, &val, 1);
}

int t_probe_load_at(struct probe *p, __u64 off, __u64 *val)
{
	return probe_access(p, "probe_get_at", off, val, 0);
}

int t_probe_store_at(struct probe *p, __u64 off, __u64 val)
{
	return probe_access(p, "probe_get_at", off, &val, 1);
}

long t_probe_sizes(struct probe *p)
{
	struct probe_ctx c = {};
	int err = t_probe_run(p, "probe_sizes", &c);

	return err ?: (long)c.sizes_ok;
}

static const __u64 probe_sizes[] = {
#define PROBE_ONE(sz) sz,
	PROBE_SIZES(PROBE_ONE)
#undef PROBE_ONE
};

__u64 t_probe_size_bit(__u64 size)
{
	for (int i = 0; i < PROBE_NR_SIZES; i++)
		if (probe_sizes[i] == size)
			return 1ULL << i;
	abort();
}

__u64 t_probe_sizes_within(__u64 len)
{
	__u64 bits = 0;

	for (int i = 0; i < PROBE_NR_SIZES; i++)
		if (probe_sizes[i] <= len)
			bits |= 1ULL << i;
	return bits;
}

struct thread_call {
	long (*fn)(void *);
	void *arg;
	long ret;
};

static void *thread_main(void *arg)
{
	struct thread_call *c = arg;

	c->ret = c->fn(c->arg);
	return NULL;
}

long t_in_thread(long (*fn)(void *), void *arg)
{
	struct thread_call c = { .fn = fn, .arg = arg };
	pthread_t t;

	if (pthread_create(&t, NULL, thread_main, &c))
		return -EAGAIN;
	pthread_join(t, NULL);
	return c.ret;
}

pid_t t_start_child(void (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		test__start_child();
		fn(arg);
		fflush(NULL);
		_exit(test__failed() ? 1 : 0);
	}
	return pid;
}

int t_wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	if (WIFSIGNALED(status))
		fprintf(stderr, "child %d: FAIL: killed by signal %d (%s)\n", pid,
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		fprintf(stderr, "child %d: FAIL: exit status %d (its FAIL lines above)\n",
			pid, WEXITSTATUS(status));
	test__fail();
	return -ECHILD;
}

int t_run_capture(char *const argv[], const char *env, uid_t uid, bool errors,
		  char *out, size_t size)
{
	int p[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	out[0] = 0;
	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		if (errors)
			dup2(p[1], 2);
		close(p[0]);
		if (uid && (setgid(uid) || setuid(uid)))
			_exit(126);
		if (env)
			putenv((char *)env);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], out + got, size - 1 - got)) > 0)
		got += n;
	out[got] = 0;
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int t_in_child(void (*fn)(void *), void *arg)
{
	pid_t pid = t_start_child(fn, arg);

	return pid < 0 ? pid : t_wait_child(pid);
}

static unsigned char pattern_byte(size_t i, unsigned int seed)
{
	return (unsigned char)((i * 2654435761u) >> 13 ^ seed);
}

void t_fill_pattern(void *buf, size_t len, unsigned int seed)
{
	unsigned char *b = buf;

	for (size_t i = 0; i < len; i++)
		b[i] = pattern_byte(i, seed);
}

size_t t_check_pattern_at(const void *buf, size_t len, size_t first,
			  unsigned int seed)
{
	const unsigned char *b = buf;
	size_t bad = 0;

	for (size_t i = 0; i < len; i++)
		bad += b[i] != pattern_byte(first + i, seed);
	return bad;
}

size_t t_check_pattern(const void *buf, size_t len, unsigned int seed)
{
	return t_check_pattern_at(buf, len, 0, seed);
}

int t_drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	data[CAP_TO_INDEX(cap)].permitted &= ~CAP_TO_MASK(cap);
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

int t_limit_memlock(unsigned long bytes)
{
	struct rlimit rl = { bytes, bytes };
	int err = t_drop_cap(CAP_IPC_LOCK);

	if (err)
		return err;
	return setrlimit(RLIMIT_MEMLOCK, &rl) ? -errno : 0;
}

int t_uffd_bait(char **page)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	long size = getpagesize();
	int uffd = syscall(SYS_userfaultfd, O_CLOEXEC), err;
	char *p;

	if (uffd < 0)
		return -errno;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (uintptr_t)p;
	reg.range.len = size;
	if (p == MAP_FAILED || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		err = -errno;
		close(uffd);
		return err;
	}
	*page = p;
	return uffd;
}

int t_uffd_wait_fault(int uffd)
{
	struct uffd_msg msg;

	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -errno;
	return msg.event == UFFD_EVENT_PAGEFAULT ? 0 : -EPROTO;
}

int t_uffd_answer(int uffd, char *page)
{
	struct uffdio_zeropage zero = {
		.range = { .start = (uintptr_t)page, .len = getpagesize() },
	};

	return ioctl(uffd, UFFDIO_ZEROPAGE, &zero) ? -errno : 0;
}
