// SPDX-License-Identifier: GPL-2.0
/*
 * scx_hints: load the scheduler of scx_hints.bpf.c, print its per-class
 * counts once a second, and detach on SIGINT or SIGTERM (or after -d
 * seconds). If the scheduler is ended by the kernel (its watchdog, an
 * error in the program, sysrq-S), the kernel goes back to its default
 * scheduler, and this prints why and exits 1.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <scx/common.h>

#include "uls.h"
#include "scx_hints.h"
#include "scx_hints.bpf.skel.h"

static const char help_fmt[] =
"scx_hints: a sched_ext scheduler driven by the threads' uls hints.\n"
"\n"
"Usage: %s [-s PCT] [-S PCT] [-w MS] [-l MS] [-b MS] [-d SECS] [-i SECS] [-q] [-v]\n"
"\n"
"  -s PCT   latency-critical share of one user: at most PCT%% of all CPUs'\n"
"           time per window; beyond it, its threads run as normal (50)\n"
"  -S PCT   the same, all users together (80)\n"
"  -w MS    the window of both shares (100)\n"
"  -l MS    a latency-critical thread's slice (2); other classes: 20\n"
"  -b MS    longest a background thread waits while others run (200)\n"
"  -d SECS  detach after SECS seconds (0: on SIGINT or SIGTERM only)\n"
"  -i SECS  seconds between two lines of counts (1); 0: no lines\n"
"  -q       no lines of counts, only the totals at the end\n"
"  -v       libbpf's debug messages\n"
"  -h       this help\n"
"\n"
"Each line, per class (lc: latency-critical, normal, bg: background):\n"
"threads queued + sent straight to an idle CPU, CPUs preempted for them,\n"
"and the longest wait from queued to running in the last interval.\n";

static volatile sig_atomic_t exit_req;
static bool verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void on_signal(int sig)
{
	exit_req = 1;
}

static const char *const class_names[SCX_HINTS_NR_CLASSES] = {
	[ULS_HINT_NORMAL] = "normal",
	[ULS_HINT_LATENCY_CRITICAL] = "lc",
	[ULS_HINT_BACKGROUND] = "bg",
};

/* Print order: the class that runs first, first. */
static const int class_order[SCX_HINTS_NR_CLASSES] = {
	ULS_HINT_LATENCY_CRITICAL, ULS_HINT_NORMAL, ULS_HINT_BACKGROUND,
};

static void print_line(const struct scx_hints_stats *now,
		       const struct scx_hints_stats *then, const __u64 *max_wait)
{
	for (int i = 0; i < SCX_HINTS_NR_CLASSES; i++) {
		int c = class_order[i];

		printf("%s%s %llu+%llu preempt %llu wait<=%.1fms", i ? " | " : "",
		       class_names[c],
		       (unsigned long long)(now->queued[c] - then->queued[c]),
		       (unsigned long long)(now->direct[c] - then->direct[c]),
		       (unsigned long long)(now->preempts[c] - then->preempts[c]),
		       max_wait[c] / 1e6);
	}
	printf(" | capped %llu bg_starved %llu garbage %llu\n",
	       (unsigned long long)(now->capped - then->capped),
	       (unsigned long long)(now->bg_starved - then->bg_starved),
	       (unsigned long long)(now->garbage - then->garbage));
	fflush(stdout);
}

static void print_totals(const struct scx_hints_stats *s)
{
	printf("totals:");
	for (int i = 0; i < SCX_HINTS_NR_CLASSES; i++) {
		int c = class_order[i];

		printf(" %s_queued=%llu %s_direct=%llu %s_preempts=%llu %s_runs=%llu",
		       class_names[c], (unsigned long long)s->queued[c],
		       class_names[c], (unsigned long long)s->direct[c],
		       class_names[c], (unsigned long long)s->preempts[c],
		       class_names[c], (unsigned long long)s->runs[c]);
	}
	printf(" no_hint=%llu garbage=%llu capped=%llu bg_starved=%llu tld_agree=%llu tld_disagree=%llu\n",
	       (unsigned long long)s->no_hint, (unsigned long long)s->garbage,
	       (unsigned long long)s->capped, (unsigned long long)s->bg_starved,
	       (unsigned long long)s->tld_agree,
	       (unsigned long long)s->tld_disagree);
	printf("latency-critical waits, queued to running: <50us %llu, <200us %llu, <1ms %llu, <2ms %llu, <4ms %llu, more %llu\n",
	       (unsigned long long)s->lc_wait_hist[0],
	       (unsigned long long)s->lc_wait_hist[1],
	       (unsigned long long)s->lc_wait_hist[2],
	       (unsigned long long)s->lc_wait_hist[3],
	       (unsigned long long)s->lc_wait_hist[4],
	       (unsigned long long)s->lc_wait_hist[5]);
	printf("latency-critical placements: idle CPU %llu, this CPU %llu, another CPU %llu, queued %llu; higher-class preemptions %llu\n",
	       (unsigned long long)s->lc_placed[SCX_HINTS_LC_IDLE],
	       (unsigned long long)s->lc_placed[SCX_HINTS_LC_HERE],
	       (unsigned long long)s->lc_placed[SCX_HINTS_LC_REMOTE],
	       (unsigned long long)s->lc_placed[SCX_HINTS_LC_QUEUED],
	       (unsigned long long)s->class_preempted);
	fflush(stdout);
}

/* A whole number option within [@lo, @hi] into *@out: 0, or -1 (usage). */
static int parse_num(const char *arg, unsigned long lo, unsigned long hi,
		     unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long share = 50, total_share = 80, interval = 1, duration = 0;
	unsigned long window_ms = 100, bg_wait_ms = 200, lc_slice_ms = 2;
	struct scx_hints_stats then = {}, now;
	__u64 max_wait[SCX_HINTS_NR_CLASSES];
	struct scx_hints *skel;
	struct bpf_link *link;
	struct timespec start, t;
	int opt, ncpus;
	bool ended, ok;

	libbpf_set_print(libbpf_print);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	while ((opt = getopt(argc, argv, "s:S:w:l:b:d:i:qvh")) != -1) {
		ok = true;
		switch (opt) {
		case 's':
			ok = !parse_num(optarg, 1, 100, &share);
			break;
		case 'S':
			ok = !parse_num(optarg, 1, 100, &total_share);
			break;
		case 'w':
			ok = !parse_num(optarg, 1, 60000, &window_ms);
			break;
		case 'l':
			ok = !parse_num(optarg, 1, 60000, &lc_slice_ms);
			break;
		case 'b':
			ok = !parse_num(optarg, 1, 60000, &bg_wait_ms);
			break;
		case 'd':
			ok = !parse_num(optarg, 0, 1000000, &duration);
			break;
		case 'i':
			ok = !parse_num(optarg, 0, 3600, &interval);
			break;
		case 'q':
			interval = 0;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			printf(help_fmt, basename(argv[0]));
			return 0;
		default:
			ok = false;
		}
		if (!ok)
			goto usage;
	}
	if (optind != argc)
		goto usage;
	if (!uls_module_loaded())
		fprintf(stderr, "scx_hints: the uls module is not loaded: every thread runs as normal\n");

	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 1) {
		fprintf(stderr, "scx_hints: cannot count the CPUs: %s\n",
			strerror(-ncpus));
		return 1;
	}
	skel = SCX_OPS_OPEN(hints_ops, scx_hints);
	skel->rodata->nr_cpus = ncpus;
	skel->rodata->lc_window_ns = window_ms * 1000000ULL;
	skel->rodata->lc_budget_ns = window_ms * 1000000ULL * ncpus * share / 100;
	skel->rodata->lc_total_budget_ns =
		window_ms * 1000000ULL * ncpus * total_share / 100;
	skel->rodata->bg_max_wait_ns = bg_wait_ms * 1000000ULL;
	skel->rodata->lc_slice_ns = lc_slice_ms * 1000000ULL;
	SCX_OPS_LOAD(skel, hints_ops, scx_hints, uei);
	link = SCX_OPS_ATTACH(skel, hints_ops, scx_hints);
	printf("scx_hints: attached on %d CPUs (lc share %lu%%/user, %lu%% in all, per %lu ms; background waits at most %lu ms)\n",
	       ncpus, share, total_share, window_ms, bg_wait_ms);
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!exit_req && !UEI_EXITED(skel, uei)) {
		sleep(interval ?: 1);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (duration && t.tv_sec - start.tv_sec >= duration)
			break;
		if (!interval || exit_req || UEI_EXITED(skel, uei))
			continue;
		now = skel->bss->stats;
		for (int c = 0; c < SCX_HINTS_NR_CLASSES; c++) {
			max_wait[c] = now.max_wait_ns[c];
			/* The program raises it; start the next interval at 0. */
			__atomic_store_n(&skel->bss->stats.max_wait_ns[c], 0,
					 __ATOMIC_RELAXED);
		}
		print_line(&now, &then, max_wait);
		then = now;
	}

	/* Ended before we detached: by the kernel, the program, or sysrq. */
	ended = UEI_EXITED(skel, uei);
	bpf_link__destroy(link);
	print_totals(&skel->bss->stats);
	UEI_REPORT(skel, uei);
	if (ended)
		fprintf(stderr, "scx_hints: the scheduler was ended (above); the kernel's default scheduler runs again\n");
	scx_hints__destroy(skel);
	return ended ? 1 : 0;

usage:
	fprintf(stderr, help_fmt, basename(argv[0]));
	return 2;
}
