// SPDX-License-Identifier: GPL-2.0
/*
 * ulsctl events enable|disable|status: the scheduler-event feed
 * (bpf/sched_events.bpf.c), system-wide.
 *
 * enable loads the feed and pins its links in bpffs, so that the feed
 * outlives the command; disable takes them away and marks every thread's
 * struct as no longer fed. Both need root, or CAP_BPF and CAP_PERFMON
 * (and write access to bpffs). status works for anyone: it asks the
 * calling thread's own struct whether the feed is live.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/membarrier.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "uls.h"
#include "ulsctl.h"
#include "sched_events.skel.h"

#define BPFFS		"/sys/fs/bpf"
#define PIN_DIR		BPFFS "/uls/events"
#define PIN_SWITCH	PIN_DIR "/switch"
#define PIN_MIGRATE	PIN_DIR "/migrate"
#define PIN_CONFIG	PIN_DIR "/config"	/* the programs' .rodata */

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

/* Checked first, so that the message says what is missing. */
static int need_privilege(const char *cmd)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d) == 0 &&
	    (has_cap(d, CAP_SYS_ADMIN) ||
	     (has_cap(d, CAP_BPF) && has_cap(d, CAP_PERFMON))))
		return 0;
	p_err("events %s: permission denied: loading the feed needs root, or CAP_BPF and CAP_PERFMON",
	      cmd);
	return -EPERM;
}

/* bpffs at /sys/fs/bpf, mounted if it is not (as bpftool does). */
static int need_bpffs(const char *cmd)
{
	struct statfs st;
	int err;

	if (statfs(BPFFS, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700") == 0)
		return 0;
	err = -errno;
	p_err("events %s: %s is not a BPF file system and mounting one failed: %s",
	      cmd, BPFFS, strerror(errno));
	return err;
}

static bool feed_pinned(void)
{
	return access(PIN_SWITCH, F_OK) == 0;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int pin_link(struct bpf_link *link, const char *path)
{
	int err = bpf_link__pin(link, path);

	if (err)
		p_err("events enable: pin %s: %s", path, strerror(-err));
	return err;
}

static int events_enable(void)
{
	struct sched_events *skel;
	struct timespec now;
	__u32 gen;
	int err;

	if (need_privilege("enable") || !need_module("events enable") || need_bpffs("enable"))
		return EXIT_ERR;
	if (feed_pinned()) {
		if (json_output) {
			jsonw_start_object(json_wtr);
			jsonw_bool_field(json_wtr, "enabled", true);
			jsonw_bool_field(json_wtr, "already", true);
			jsonw_string_field(json_wtr, "pinned", PIN_DIR);
			jsonw_end_object(json_wtr);
		} else {
			printf("events: already enabled (%s)\n", PIN_DIR);
		}
		return EXIT_OK;
	}
	skel = sched_events__open();
	if (!skel)
		return p_err("events enable: open the feed: %s", strerror(errno));
	/* Any number but 0, and another one each time. */
	clock_gettime(CLOCK_REALTIME, &now);
	gen = (__u32)now.tv_sec ?: 1;
	skel->rodata->feed_gen = gen;
	bpf_program__set_autoload(skel->progs.uls_sched_events_off, false);
	err = sched_events__load(skel);
	if (err) {
		p_err("events enable: load the feed: %s", strerror(-err));
		goto out;
	}
	err = sched_events__attach(skel);
	if (err) {
		p_err("events enable: attach the feed: %s", strerror(-err));
		goto out;
	}
	if (mkdir(BPFFS "/uls", 0700) && errno != EEXIST) {
		err = -errno;
		p_err("events enable: mkdir %s/uls: %s", BPFFS, strerror(errno));
		goto out;
	}
	if (mkdir(PIN_DIR, 0700) && errno != EEXIST) {
		err = -errno;
		p_err("events enable: mkdir %s: %s", PIN_DIR, strerror(errno));
		goto out;
	}
	err = bpf_map__pin(skel->maps.rodata, PIN_CONFIG);
	if (err) {
		p_err("events enable: pin %s: %s", PIN_CONFIG, strerror(-err));
		goto out;
	}
	/* The switch link last: it is what says "enabled". */
	err = pin_link(skel->links.uls_sched_migrate, PIN_MIGRATE) ?:
	      pin_link(skel->links.uls_sched_switch, PIN_SWITCH);
	if (err) {
		unlink(PIN_MIGRATE);
		unlink(PIN_CONFIG);
		rmdir(PIN_DIR);
		goto out;
	}
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_bool_field(json_wtr, "enabled", true);
		jsonw_bool_field(json_wtr, "already", false);
		jsonw_uint_field(json_wtr, "generation", gen);
		jsonw_string_field(json_wtr, "pinned", PIN_DIR);
		jsonw_end_object(json_wtr);
	} else {
		printf("events: enabled, generation %u, pinned in %s\n", gen, PIN_DIR);
	}
out:
	/* The pins hold what the feed needs; the skeleton goes. */
	sched_events__destroy(skel);
	return err ? EXIT_ERR : EXIT_OK;
}

/* Drop a pinned link: it detaches once its last reference is gone. */
static void unpin_link(const char *path)
{
	int fd = bpf_obj_get(path);

	unlink(path);
	if (fd >= 0) {
		bpf_link_detach(fd);	/* EOPNOTSUPP before raw_tp had it */
		close(fd);
	}
}

/*
 * Mark every thread's struct 0, "no feed". Only once no program can
 * still be writing one: the links are gone, and an RCU grace period has
 * passed since (tracepoint programs run under rcu_read_lock()), which
 * membarrier(MEMBARRIER_CMD_GLOBAL) waits for.
 */
static int clear_structs(__u64 *cleared)
{
	struct sched_events *skel;
	struct bpf_link *link = NULL;
	char buf[64];
	int fd = -1, err;

	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		usleep(100000);	/* nohz_full: many grace periods' worth */
	skel = sched_events__open();
	if (!skel)
		return -errno;
	bpf_program__set_autoload(skel->progs.uls_sched_switch, false);
	bpf_program__set_autoload(skel->progs.uls_sched_migrate, false);
	err = sched_events__load(skel);
	if (err)
		goto out;
	link = bpf_program__attach_iter(skel->progs.uls_sched_events_off, NULL);
	if (!link) {
		err = -errno;
		goto out;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	while ((err = read(fd, buf, sizeof(buf))) > 0)
		;
	if (err < 0)
		err = -errno;
	*cleared = skel->bss->cleared;
out:
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	sched_events__destroy(skel);
	return err;
}

static int events_disable(void)
{
	bool was = feed_pinned();
	__u64 cleared = 0;
	int err;

	if (need_privilege("disable") || !need_module("events disable") || need_bpffs("disable"))
		return EXIT_ERR;
	unpin_link(PIN_SWITCH);
	unpin_link(PIN_MIGRATE);
	unlink(PIN_CONFIG);
	rmdir(PIN_DIR);
	/* Even if it was not enabled: a disable cut short left structs live. */
	err = clear_structs(&cleared);
	if (err)
		return p_err("events disable: mark the threads' structs: %s", strerror(-err));
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_bool_field(json_wtr, "enabled", false);
		jsonw_bool_field(json_wtr, "was_enabled", was);
		jsonw_uint_field(json_wtr, "structs_marked_off", cleared);
		jsonw_end_object(json_wtr);
	} else {
		printf("events: %s; %llu threads' structs marked off\n",
		       was ? "disabled" : "were not enabled", (unsigned long long)cleared);
	}
	return EXIT_OK;
}

/*
 * What the calling thread's own struct says: the feed writes it at each
 * switch, and a sleep is two of them.
 */
static int events_status(void)
{
	const volatile struct uls_sched_events *ev = uls_sched_events();
	struct uls_sched_events s;
	bool live;
	int err;

	if (!ev)
		return p_err("events status: this thread's event struct: %s", uls_strerror(errno));
	usleep(1000);
	usleep(1000);
	err = uls_sched_events_read(ev, &s);
	if (err)
		return p_err("events status: read the struct: %s", uls_strerror(err));
	live = uls_sched_events_live(&s);
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_bool_field(json_wtr, "live", live);
		jsonw_bool_field(json_wtr, "pinned", feed_pinned());
		if (live) {
			jsonw_uint_field(json_wtr, "generation", s.feed);
			jsonw_uint_field(json_wtr, "switches_in", s.switches_in);
			jsonw_uint_field(json_wtr, "switches_out", s.switches_out);
			jsonw_uint_field(json_wtr, "cpu", s.cpu);
		}
		jsonw_end_object(json_wtr);
	} else if (!live) {
		printf("events: off (this thread's struct is not fed%s)\n",
		       feed_pinned() ? ", yet the feed is pinned: see dmesg" : "");
	} else {
		printf("events: live, generation %u (this thread: %llu switches in, %llu out, on CPU %u)\n",
		       s.feed, (unsigned long long)s.switches_in,
		       (unsigned long long)s.switches_out, s.cpu);
	}
	return live ? EXIT_OK : EXIT_FEED_OFF;
}

int cmd_events(int argc, char **argv)
{
	libbpf_set_print(libbpf_quiet);
	if (argc == 1 && !strcmp(argv[0], "enable"))
		return events_enable();
	if (argc == 1 && !strcmp(argv[0], "disable"))
		return events_disable();
	if (argc == 1 && !strcmp(argv[0], "status"))
		return events_status();
	return p_usage("events: takes enable, disable or status");
}
