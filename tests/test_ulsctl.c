// SPDX-License-Identifier: GPL-2.0
/*
 * ulsctl (user/ulsctl, ulsctl(8)) as a user runs it: its JSON parses and
 * says what the module says, stats shows every file of the module's sysfs
 * directories, list finds this test's own registrations and keys, and the
 * exit codes are the documented ones. Each run's output is in the log.
 */
#include <dirent.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helpers.h"
#include "json.h"
#include "test.h"
#include "uls.h"

#define ULSCTL		"/bin/ulsctl"
#define OUT_SIZE	(256 << 10)
#define UNPRIVILEGED	60001

static char out_buf[OUT_SIZE];
/* A pointer: ASSERT_STRSTR() checks it for NULL. */
static char *out = out_buf;

/*
 * ulsctl with @args (a space-separated list, NULL-free words) as @uid,
 * its output in out[] (errors too with @errors): its exit status.
 */
static int ulsctl(uid_t uid, bool errors, const char *args)
{
	char buf[256], *argv[16] = { ULSCTL }, *save = NULL, *w;
	int argc = 1, rc;

	snprintf(buf, sizeof(buf), "%s", args);
	for (w = strtok_r(buf, " ", &save); w && argc < 15; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	rc = t_run_capture(argv, NULL, uid, errors, out, OUT_SIZE);
	fprintf(stderr, "  $ ulsctl %s (uid %d): exit %d\n%s", args, (int)uid, rc, out);
	return rc;
}

static bool json_ok(const char *what)
{
	const char *at = NULL;
	int err = t_json_check(out, &at);

	if (err)
		fprintf(stderr, "  not JSON at offset %td: '%.20s'\n", at - out, at);
	return ASSERT_OK(err, what);
}

/* The JSON value at @path, as an unsigned number, or -1 on a failed assert. */
static long long json_num(const char *path)
{
	char v[64];

	if (!ASSERT_OK(t_json_get(out, path, v, sizeof(v)), path))
		return -1;
	return strtoll(v, NULL, 0);
}

/* The reader itself, so that a "parses" below means something. */
ULS_TEST(ulsctl_json_reader)
{
	static const char *const bad[] = {
		"", "{", "{\"a\":1,}", "{\"a\" 1}", "[1 2]", "[01]", "\"a\nb\"",
		"\"\\x\"", "{\"a\":tru}", "{} {}", "[1,]", "-", "1.", "\"\\u12g4\"",
	};
	char v[32];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!ASSERT_EQ(t_json_check(bad[i], NULL), -EINVAL, bad[i]))
			fprintf(stderr, "  taken: '%s'\n", bad[i]);
	ASSERT_OK(t_json_check(" {\"a\": [1, -2.5e3, \"x\\\"\\u00e9\", true, null, {}], "
			       "\"b\": {\"c\": false}}\n", NULL), "a good one");
	ASSERT_OK(t_json_get("{\"a\":[{\"t\":7},{\"t\":8}]}", "a.1.t", v, sizeof(v)), "get");
	ASSERT_EQ(strcmp(v, "8"), 0, "a.1.t is 8");
	ASSERT_EQ(t_json_count("{\"a\":[{\"t\":7},{\"t\":8}],\"b\":1}", ""), 2, "2 members");
	ASSERT_EQ(t_json_count("{\"a\":[{\"t\":7},{\"t\":8}]}", "a"), 2, "2 elements");
	ASSERT_EQ(t_json_get("{\"a\":1}", "b", v, sizeof(v)), -ENOENT, "no b");
}

ULS_TEST(ulsctl_usage_and_exit_codes)
{
	static const char *const usage_errors[] = {
		"", "frobnicate", "-x", "--frobnicate", "info extra", "status extra",
		"stats extra", "list extra", "list pid", "list pid 0", "list pid 12x",
		"list pid 1 more", "events", "events frobnicate", "s", "help extra",
	};
	size_t i;

	ASSERT_EQ(ulsctl(0, false, "-h"), 0, "-h");
	ASSERT_EQ(strncmp(out, "Usage: ulsctl", 13), 0, "-h: the usage on stdout");
	ASSERT_EQ(ulsctl(0, false, "--help"), 0, "--help");
	ASSERT_STRSTR(out, "list [pid PID]", "--help names list");
	ASSERT_EQ(ulsctl(0, false, "help"), 0, "help");
	ASSERT_STRSTR(out, "events enable|disable|status", "help names events");
	for (i = 0; i < sizeof(usage_errors) / sizeof(usage_errors[0]); i++) {
		ASSERT_EQ(ulsctl(0, false, usage_errors[i]), 2, usage_errors[i]);
		ASSERT_EQ(out[0], 0, "nothing on stdout");
		/* The reason, and where to look. */
		ASSERT_EQ(ulsctl(0, true, usage_errors[i]), 2, usage_errors[i]);
		ASSERT_STRSTR(out, "ulsctl: ", "an error, prefixed");
		ASSERT_STRSTR(out, "Try 'ulsctl help'", "points to the help");
	}
	/* With -j, the error is the output. */
	ASSERT_EQ(ulsctl(0, false, "-j frobnicate"), 2, "-j frobnicate");
	if (json_ok("-j frobnicate: JSON"))
		ASSERT_STRSTR(out, "{\"error\":\"unknown command 'frobnicate'\"}", "the error");
	/* A unique prefix names its command. */
	ASSERT_EQ(ulsctl(0, false, "inf"), 0, "inf");
	ASSERT_STRSTR(out, "abi_version", "inf is info");
}

ULS_TEST(ulsctl_json_info_version_status)
{
	struct uls_info info;
	char v[64];

	if (!ASSERT_OK(uls_info(&info), "uls_info"))
		return;
	ASSERT_EQ(ulsctl(0, false, "-j info"), 0, "-j info");
	if (json_ok("-j info: JSON")) {
		ASSERT_EQ(json_num("abi_version"), ULS_ABI_VERSION, "abi_version");
		ASSERT_EQ(json_num("feature_bits"), (long long)info.features, "feature_bits");
		ASSERT_EQ(json_num("max_len"), (long long)info.max_len, "max_len");
		ASSERT_EQ(json_num("page_size"), (long long)info.page_size, "page_size");
		ASSERT_EQ(t_json_count(out, "features"), __builtin_popcountll(info.features),
			  "a name for each feature bit");
	}
	ASSERT_EQ(ulsctl(0, false, "-p info"), 0, "-p info");
	if (json_ok("-p info: JSON"))
		ASSERT_STRSTR(out, "\n    \"abi_version\": ", "indented");
	ASSERT_EQ(ulsctl(0, false, "info"), 0, "info");
	ASSERT_STRSTR(out, "abi_version      1\n", "text");

	ASSERT_EQ(ulsctl(0, false, "-j -V"), 0, "-j -V");
	if (json_ok("-j -V: JSON")) {
		ASSERT_OK(t_json_get(out, "version", v, sizeof(v)), "version");
		ASSERT_EQ(strcmp(v, ULS_VERSION), 0, "ulsctl's version");
		ASSERT_OK(t_json_get(out, "libuls", v, sizeof(v)), "libuls");
		ASSERT_EQ(strcmp(v, uls_version()), 0, "libuls's version");
		ASSERT_OK(t_json_get(out, "module", v, sizeof(v)), "module");
		ASSERT_NEQ(strcmp(v, "null"), 0, "the module is loaded");
		ASSERT_EQ(json_num("abi_version"), ULS_ABI_VERSION, "abi_version");
	}
	ASSERT_EQ(ulsctl(0, false, "--pretty --version"), 0, "--pretty --version");
	json_ok("--pretty --version: JSON");
	ASSERT_EQ(ulsctl(0, false, "-V"), 0, "-V");
	ASSERT_STRSTR(out, "ulsctl v" ULS_VERSION "\n", "text");

	ASSERT_EQ(ulsctl(0, false, "-j status"), 0, "-j status");
	if (json_ok("-j status: JSON")) {
		ASSERT_OK(t_json_get(out, "usable", v, sizeof(v)), "usable");
		ASSERT_EQ(strcmp(v, "true"), 0, "usable is true");
	}
	ASSERT_EQ(ulsctl(0, false, "status"), 0, "status");
	ASSERT_EQ(ulsctl(0, false, "-j help"), 0, "-j help");
	json_ok("-j help: JSON");
}

/* Each file of @dir: in the JSON as @key.NAME, its value, and in the text. */
static void check_dir(const char *key, const char *dir, const char *json, const char *text)
{
	char path[512], want[256], got[256], line[300];
	int files = 0, n;
	struct dirent *d;
	DIR *dp = opendir(dir);
	FILE *f;

	if (!ASSERT_OK_PTR(dp, dir))
		return;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		files++;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		f = fopen(path, "re");
		if (!ASSERT_OK_PTR(f, path))
			continue;
		if (!fgets(want, sizeof(want), f))
			want[0] = 0;
		fclose(f);
		want[strcspn(want, "\n")] = 0;
		snprintf(path, sizeof(path), "%s.%s", key, d->d_name);
		if (!ASSERT_OK(t_json_get(json, path, got, sizeof(got)), path))
			continue;
		/*
		 * The parameters stay as they are; counters may move between
		 * the two reads (a registration of an earlier test being freed).
		 */
		if (!strcmp(key, "parameters"))
			ASSERT_EQ(strcmp(got, want), 0, path);
		else
			ASSERT_EQ(strspn(got, "0123456789"), strlen(got), "a number");
		snprintf(line, sizeof(line), "\n  %-24s", d->d_name);
		ASSERT_TRUE(strstr(text, line), path);
	}
	closedir(dp);
	n = t_json_count(json, key);
	ASSERT_EQ(n, files, "no more members than files");
	ASSERT_GT(files, 0, dir);
}

ULS_TEST(ulsctl_stats_every_file)
{
	static char json[OUT_SIZE];

	ASSERT_EQ(ulsctl(0, false, "-j stats"), 0, "-j stats");
	if (!json_ok("-j stats: JSON"))
		return;
	memcpy(json, out, sizeof(json));
	ASSERT_EQ(t_json_count(json, ""), 2, "stats and parameters");
	ASSERT_EQ(ulsctl(0, false, "stats"), 0, "stats");
	check_dir("stats", "/sys/class/misc/uls/stats", json, out);
	check_dir("parameters", "/sys/module/uls/parameters", json, out);
	ASSERT_EQ(ulsctl(0, false, "-p stats"), 0, "-p stats");
	json_ok("-p stats: JSON");
}

/* A thread of this test with a registration of one kind or the other. */
struct holder {
	bool keyed;
	pthread_barrier_t *ready, *done;
	int tid;
	void *addr;
	size_t len;
	long hint_off, own_off;
	int err;
};

#define OWN_KEY		"ulsctl.test"
#define OWN_SIZE	24

static void *hold(void *arg)
{
	struct holder *h = arg;

	h->tid = t_gettid();
	if (h->keyed) {
		/* uls.hint first: keys are laid out in order of creation. */
		struct uls_hint *hint = uls_hint();
		uls_key_t k = uls_key_create(OWN_KEY, OWN_SIZE);
		char *own = uls_key_get(k);

		h->err = !hint || !own ? -errno : uls_query(&h->addr, &h->len);
		if (!h->err) {
			h->hint_off = (char *)hint - (char *)h->addr;
			h->own_off = own - (char *)h->addr;
		}
	} else {
		h->len = 200;
		h->addr = t_map_pages(1);
		h->err = h->addr ? uls_register(h->addr, h->len) : -errno;
	}
	pthread_barrier_wait(h->ready);
	pthread_barrier_wait(h->done);
	return NULL;
}

/* The index of @tid's entry in list's JSON, or -1. */
static int entry_of(int tid)
{
	char path[32], v[32];
	int i, n = t_json_count(out, "");

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%d.tid", i);
		if (!t_json_get(out, path, v, sizeof(v)) && atoi(v) == tid)
			return i;
	}
	return -1;
}

static void check_plain(const struct holder *h)
{
	char path[64], v[64];
	int i = entry_of(h->tid);

	if (!ASSERT_GE(i, 0, "the plain thread is listed"))
		return;
	snprintf(path, sizeof(path), "%d.pid", i);
	ASSERT_EQ(json_num(path), getpid(), "its pid");
	snprintf(path, sizeof(path), "%d.addr", i);
	ASSERT_EQ(json_num(path), (long long)(uintptr_t)h->addr, "its addr");
	snprintf(path, sizeof(path), "%d.len", i);
	ASSERT_EQ(json_num(path), (long long)h->len, "its len");
	snprintf(path, sizeof(path), "%d.pages", i);
	ASSERT_EQ(json_num(path), 1, "its pages");
	snprintf(path, sizeof(path), "%d.keys", i);
	ASSERT_OK(t_json_get(out, path, v, sizeof(v)), path);
	ASSERT_EQ(strcmp(v, "null"), 0, "no keys");
}

static void check_keyed(const struct holder *h)
{
	char path[64], v[64], hash[32];
	int i = entry_of(h->tid), k, n;
	bool hint = false, own = false;

	if (!ASSERT_GE(i, 0, "the keyed thread is listed"))
		return;
	snprintf(path, sizeof(path), "%d.len", i);
	ASSERT_EQ(json_num(path), (long long)h->len, "its len");
	snprintf(path, sizeof(path), "%d.keys", i);
	n = t_json_count(out, path);
	ASSERT_EQ(n, 2, "two keys");
	snprintf(hash, sizeof(hash), "0x%016" PRIx64, (uint64_t)uls_key_hash(OWN_KEY));
	for (k = 0; k < n; k++) {
		snprintf(path, sizeof(path), "%d.keys.%d.name", i, k);
		if (!ASSERT_OK(t_json_get(out, path, v, sizeof(v)), path))
			continue;
		if (!strcmp(v, ULS_HINT_KEY)) {
			hint = true;
			snprintf(path, sizeof(path), "%d.keys.%d.offset", i, k);
			ASSERT_EQ(json_num(path), h->hint_off, "uls.hint's offset");
			snprintf(path, sizeof(path), "%d.keys.%d.size", i, k);
			ASSERT_EQ(json_num(path), (long long)sizeof(struct uls_hint), "its size");
		} else if (!strcmp(v, OWN_KEY)) {
			/* Named from the owner's name slots (key_layout.h). */
			own = true;
			snprintf(path, sizeof(path), "%d.keys.%d.hash", i, k);
			ASSERT_OK(t_json_get(out, path, v, sizeof(v)), path);
			ASSERT_EQ(strcmp(v, hash), 0, "the own key's hash");
			snprintf(path, sizeof(path), "%d.keys.%d.offset", i, k);
			ASSERT_EQ(json_num(path), h->own_off, "its offset");
			snprintf(path, sizeof(path), "%d.keys.%d.size", i, k);
			ASSERT_EQ(json_num(path), OWN_SIZE, "its size");
		}
	}
	ASSERT_TRUE(hint, "uls.hint by name");
	ASSERT_TRUE(own, OWN_KEY " by name");
}

/* Two holders, plain and keyed, registered and waiting for done. */
struct holders {
	pthread_barrier_t ready, done;
	struct holder h[2];
	pthread_t t[2];
};

static bool holders_start(struct holders *hs)
{
	int i;

	pthread_barrier_init(&hs->ready, NULL, 3);
	pthread_barrier_init(&hs->done, NULL, 3);
	for (i = 0; i < 2; i++) {
		hs->h[i] = (struct holder){
			.keyed = i == 1, .ready = &hs->ready, .done = &hs->done,
		};
		pthread_create(&hs->t[i], NULL, hold, &hs->h[i]);
	}
	pthread_barrier_wait(&hs->ready);
	return ASSERT_OK(hs->h[0].err, "plain registration") &&
	       ASSERT_OK(hs->h[1].err, "keys");
}

static void holders_stop(struct holders *hs)
{
	int i;

	pthread_barrier_wait(&hs->done);
	for (i = 0; i < 2; i++)
		pthread_join(hs->t[i], NULL);
	pthread_barrier_destroy(&hs->ready);
	pthread_barrier_destroy(&hs->done);
}

/* list pid OURS, as JSON: both holders and what they hold. */
static void check_list_json(const struct holders *hs, const char *what)
{
	if (!json_ok(what))
		return;
	ASSERT_EQ(t_json_count(out, ""), 2, "this process's two registrations");
	check_plain(&hs->h[0]);
	check_keyed(&hs->h[1]);
}

ULS_TEST(ulsctl_list_root)
{
	struct holders hs;
	char args[64], line[128];

	if (!holders_start(&hs))
		goto out;

	snprintf(args, sizeof(args), "-j list pid %d", getpid());
	ASSERT_EQ(ulsctl(0, false, args), 0, args);
	check_list_json(&hs, "list: JSON");
	/* Everyone's: ours among them. */
	ASSERT_EQ(ulsctl(0, false, "-j list"), 0, "-j list");
	if (json_ok("list, all: JSON"))
		ASSERT_GE(entry_of(hs.h[1].tid), 0, "ours among all");

	snprintf(args, sizeof(args), "list pid %d", getpid());
	ASSERT_EQ(ulsctl(0, false, args), 0, args);
	ASSERT_EQ(strncmp(out, "PID     TID     COMM             ADDR                    LEN PAGES KEYS\n",
			  70), 0, "the header");
	snprintf(line, sizeof(line), "%-7d %-7d ", getpid(), hs.h[0].tid);
	ASSERT_STRSTR(out, line, "the plain thread's line");
	snprintf(line, sizeof(line), "0x%-16llx %8zu %5u -\n",
		 (unsigned long long)(uintptr_t)hs.h[0].addr, hs.h[0].len, 1);
	ASSERT_STRSTR(out, line, "its addr, len, pages, no keys");
	snprintf(line, sizeof(line), " %s,%s\n", ULS_HINT_KEY, OWN_KEY);
	ASSERT_STRSTR(out, line, "the keyed thread's keys");
	ASSERT_EQ(ulsctl(0, false, "-p list pid 1"), 0, "-p list pid 1");
	ASSERT_EQ(strcmp(out, "[]\n"), 0, "init has none");
out:
	holders_stop(&hs);
}

/*
 * A kernel without CONFIG_CROSS_MEMORY_ATTACH (the debug tier's tinyconfig
 * is one) has no process_vm_readv(): ulsctl reads the keys from
 * /proc/PID/mem. Here ulsctl runs under a seccomp filter that makes
 * process_vm_readv() fail with ENOSYS. The filter is installed by a
 * thread of its own (no TSYNC), so that only that thread and the ulsctl
 * it forks have it. A kernel without seccomp filters (the debug tier
 * again) needs none when it has no process_vm_readv() either.
 */
struct no_cma_run {
	char args[64];
	int rc;
	int filter_err;
};

static void *run_without_cma(void *arg)
{
	struct no_cma_run *r = arg;
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_process_vm_readv, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(code) / sizeof(code[0]), .filter = code,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		r->filter_err = -errno;
		if (r->filter_err != -ENOSYS && r->filter_err != -EINVAL)
			return NULL;
		/* No seccomp: without process_vm_readv(), no need. */
		if (syscall(__NR_process_vm_readv, getpid(), NULL, 0, NULL, 0, 0) == 0 ||
		    errno != ENOSYS)
			return NULL;
		r->filter_err = 0;
	}
	r->rc = ulsctl(0, true, r->args);
	return NULL;
}

ULS_TEST(ulsctl_list_without_process_vm_readv)
{
	struct no_cma_run r = { 0 };
	struct holders hs;
	pthread_t t;

	if (!holders_start(&hs))
		goto out;
	snprintf(r.args, sizeof(r.args), "-j list pid %d", getpid());
	pthread_create(&t, NULL, run_without_cma, &r);
	pthread_join(t, NULL);
	if (r.filter_err == -ENOSYS || r.filter_err == -EINVAL) {
		holders_stop(&hs);
		test__skip("no seccomp filters, and process_vm_readv() is there");
	}
	if (!ASSERT_OK(r.filter_err, "the seccomp filter"))
		goto out;
	ASSERT_EQ(r.rc, 0, r.args);
	/* Errors were captured too: none may be there for the JSON to parse. */
	check_list_json(&hs, "list without process_vm_readv: JSON");
out:
	holders_stop(&hs);
}

ULS_TEST(ulsctl_list_unprivileged)
{
	ASSERT_EQ(ulsctl(UNPRIVILEGED, true, "list"), 1, "list as a user");
	ASSERT_STRSTR(out, "ulsctl: list: Operation not permitted", "EPERM");
	ASSERT_STRSTR(out, "CAP_SYS_ADMIN", "says what it needs");
	ASSERT_EQ(ulsctl(UNPRIVILEGED, false, "-j list"), 1, "-j list as a user");
	if (json_ok("-j list as a user: JSON")) {
		ASSERT_EQ(t_json_count(out, ""), 1, "one member");
		ASSERT_STRSTR(out, "{\"error\":\"list: Operation not permitted", "the error");
	}
	/* Errors only: nothing on stdout without -j. */
	ASSERT_EQ(ulsctl(UNPRIVILEGED, false, "list"), 1, "list as a user, stdout");
	ASSERT_EQ(out[0], 0, "nothing on stdout");
}
