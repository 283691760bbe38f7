// SPDX-License-Identifier: GPL-2.0
/*
 * scx_uls: load the scx_uls scheduler, let registered and unregistered
 * threads sleep and wake under it, and check that each registered thread
 * sees, in its own memory, every time the scheduler put it on a CPU.
 * Writes "ok NAME" / "not ok NAME # why" lines to $ULS_RESULTS (or stdout).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <scx/common.h>

#include "uls.h"
#include "scx_uls.h"
#include "scx_uls.bpf.skel.h"

#define WAKEUPS 200

static FILE *results;
static int failed;

static void check(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		fprintf(results, "ok %s\n", name);
	} else {
		failed = 1;
		fprintf(results, "not ok %s # ", name);
		va_start(ap, fmt);
		vfprintf(results, fmt, ap);
		va_end(ap);
		fputc('\n', results);
	}
	fflush(results);
}

static int read_state(char *buf, size_t size)
{
	FILE *f = fopen("/sys/kernel/sched_ext/state", "r");

	if (!f)
		return -errno;
	if (!fgets(buf, size, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return 0;
}

struct worker {
	int registered;
	int keyed;		/* its hint under SCX_ULS_KEY, not an area */
	int wakeups_seen;	/* wakeups after which .runs had grown */
	__u64 runs;
	int cpu, magic_ok, err;
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct scx_uls_hint *h = NULL;

	if (w->keyed) {
		uls_key_t key = uls_key_create(SCX_ULS_KEY, sizeof(*h));

		h = uls_key_get(key);
		if (!h) {
			w->err = errno;
			return NULL;
		}
	} else if (w->registered) {
		h = uls_area(sizeof(*h));
		if (!h) {
			w->err = errno;
			return NULL;
		}
	}
	for (int i = 0; i < WAKEUPS; i++) {
		__u64 before = h ? __atomic_load_n(&h->runs, __ATOMIC_RELAXED) : 0;

		usleep(500);	/* off the CPU, and back through ops.running */
		if (h && __atomic_load_n(&h->runs, __ATOMIC_RELAXED) > before)
			w->wakeups_seen++;
	}
	if (h) {
		w->runs = h->runs;
		w->cpu = h->cpu;
		w->magic_ok = h->magic == SCX_ULS_MAGIC;
	}
	return NULL;
}

int main(void)
{
	const char *path = getenv("ULS_RESULTS");
	struct worker w[4] = { { .registered = 1 }, { .registered = 1 }, {},
			       { .keyed = 1 } };
	pthread_t th[4];
	struct scx_uls *skel;
	struct bpf_link *link;
	char state[64];
	int ncpus = sysconf(_SC_NPROCESSORS_CONF), i;

	results = path ? fopen(path, "a") : stdout;
	if (!results)
		return 2;
	if (read_state(state, sizeof(state))) {
		check(0, "scx_uls_scheduler", "no /sys/kernel/sched_ext: kernel without sched_ext");
		return 1;
	}
	if (!uls_module_loaded()) {
		check(0, "scx_uls_scheduler", "the uls module is not loaded");
		return 1;
	}

	skel = SCX_OPS_OPEN(uls_ops, scx_uls);
	skel->rodata->watch_tgid = getpid();
	SCX_OPS_LOAD(skel, uls_ops, scx_uls, uei);
	link = SCX_OPS_ATTACH(skel, uls_ops, scx_uls);
	read_state(state, sizeof(state));
	check(!strcmp(state, "enabled"), "scx_uls_scheduler",
	      "sched_ext state is '%s' after attaching", state);

	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, worker, &w[i]);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);

	/*
	 * A short sleep may end before the thread leaves the CPU, so not
	 * every wakeup goes through ops.running: ask for most of them.
	 */
	for (i = 0; i < 4; i++) {
		char name[64];

		if (i == 2)	/* the one without a region */
			continue;
		snprintf(name, sizeof(name), "scx_uls_thread%d_sees_runs", i);
		check(!w[i].err && w[i].magic_ok && w[i].runs >= WAKEUPS / 2 &&
		      w[i].wakeups_seen >= WAKEUPS / 2 && w[i].cpu >= 0 &&
		      w[i].cpu < ncpus, name,
		      "err=%d magic_ok=%d runs=%llu wakeups_seen=%d/%d cpu=%d",
		      w[i].err, w[i].magic_ok, (unsigned long long)w[i].runs,
		      w[i].wakeups_seen, WAKEUPS, w[i].cpu);
	}
	/* Every write the scheduler counted landed in one of the three. */
	check(skel->bss->hinted_runs >= w[0].runs + w[1].runs + w[3].runs &&
	      skel->bss->unhinted_runs >= WAKEUPS / 2, "scx_uls_counts_agree",
	      "hinted_runs=%llu (threads saw %llu) unhinted_runs=%llu",
	      (unsigned long long)skel->bss->hinted_runs,
	      (unsigned long long)(w[0].runs + w[1].runs + w[3].runs),
	      (unsigned long long)skel->bss->unhinted_runs);
	printf("scx_uls: hinted_runs=%llu unhinted_runs=%llu runs=%llu,%llu,%llu (keyed)\n",
	       (unsigned long long)skel->bss->hinted_runs,
	       (unsigned long long)skel->bss->unhinted_runs,
	       (unsigned long long)w[0].runs, (unsigned long long)w[1].runs,
	       (unsigned long long)w[3].runs);

	check(!UEI_EXITED(skel, uei), "scx_uls_still_running",
	      "the scheduler exited early: %s", skel->data->uei.reason);
	bpf_link__destroy(link);
	for (i = 0; i < 500; i++) {
		read_state(state, sizeof(state));
		if (!strcmp(state, "disabled"))
			break;
		usleep(10000);
	}
	check(!strcmp(state, "disabled"), "scx_uls_detach",
	      "sched_ext state is '%s' after detaching", state);
	UEI_REPORT(skel, uei);
	scx_uls__destroy(skel);
	return failed;
}
