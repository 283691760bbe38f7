// SPDX-License-Identifier: GPL-2.0
/*
 * ulsctl top [pid PID] [count N]: every registered thread's scheduler
 * events (include/uls/sched_events.h, the key uls.sched_events that the
 * event feed fills) per second, read through a monitor view (libuls's
 * uls_monitor_*()): no syscall per thread, no process_vm_readv(). With
 * -j, one JSON snapshot: two samples a second apart.
 *
 * Rates are between two samples of the same registration (its tid and
 * generation); a thread that registered in between shows its totals only.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "uls.h"
#include "ulsctl.h"

#define TOP_INTERVAL_MS	1000

struct top_row {
	struct uls_monitor_thread t;
	bool has_events;		/* the key is there */
	struct uls_sched_events ev;
	const struct top_row *prev;	/* the same registration, last sample */
};

struct top_sample {
	struct top_row *rows;
	size_t nr, room;
	uint64_t ns;
};

static volatile sig_atomic_t top_stop;

static void top_on_signal(int sig)
{
	top_stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * The thread's events, consistent: its own sequence count even and the
 * same around the copy (the feed may be writing them as we read).
 */
static bool read_events(struct uls_monitor *m, const struct uls_monitor_thread *t,
			struct uls_sched_events *ev)
{
	for (int i = 0; i < 100; i++) {
		uint32_t seq;

		if (uls_monitor_read_key(m, t, ULS_SCHED_EVENTS_KEY, ev, sizeof(*ev)) ||
		    uls_monitor_read_key(m, t, ULS_SCHED_EVENTS_KEY, &seq, sizeof(seq)))
			return false;
		if (!(ev->seq & 1) && seq == ev->seq)
			return true;
	}
	return false;
}

static int take(struct uls_monitor *m, struct top_sample *s)
{
	struct uls_monitor_thread t;
	unsigned int cursor = 0;

	s->nr = 0;
	s->ns = now_ns();
	while (!uls_monitor_next(m, &cursor, &t)) {
		struct top_row *r;

		if (s->nr == s->room) {
			size_t room = s->room ? 2 * s->room : 256;
			struct top_row *v = realloc(s->rows, room * sizeof(*v));

			if (!v)
				return -ENOMEM;
			s->rows = v;
			s->room = room;
		}
		r = &s->rows[s->nr++];
		memset(r, 0, sizeof(*r));
		r->t = t;
		r->has_events = read_events(m, &t, &r->ev);
	}
	return 0;
}

static void link_prev(struct top_sample *cur, const struct top_sample *prev)
{
	for (size_t i = 0; i < cur->nr; i++)
		for (size_t j = 0; j < prev->nr; j++)
			if (prev->rows[j].t.tid == cur->rows[i].t.tid &&
			    prev->rows[j].t.gen == cur->rows[i].t.gen &&
			    prev->rows[j].has_events) {
				cur->rows[i].prev = &prev->rows[j];
				break;
			}
}

static int by_pid_tid(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (x->t.pid != y->t.pid)
		return x->t.pid < y->t.pid ? -1 : 1;
	return x->t.tid < y->t.tid ? -1 : x->t.tid > y->t.tid;
}

/* Per second between the samples, or -1 with no earlier sample. */
static double rate(uint64_t now, uint64_t then, uint64_t dt_ns)
{
	return dt_ns ? (double)(now - then) * 1e9 / dt_ns : -1;
}

static void show_json(const struct top_sample *s, uint64_t dt_ns)
{
	jsonw_start_object(json_wtr);
	jsonw_uint_field(json_wtr, "interval_ms", dt_ns / 1000000);
	jsonw_name(json_wtr, "threads");
	jsonw_start_array(json_wtr);
	for (size_t i = 0; i < s->nr; i++) {
		const struct top_row *r = &s->rows[i];

		jsonw_start_object(json_wtr);
		jsonw_int_field(json_wtr, "pid", r->t.pid);
		jsonw_int_field(json_wtr, "tid", r->t.tid);
		jsonw_string_field(json_wtr, "comm", r->t.comm);
		jsonw_uint_field(json_wtr, "gen", r->t.gen);
		jsonw_bool_field(json_wtr, "events", r->has_events);
		if (r->has_events) {
			const struct uls_sched_events *e = &r->ev;

			jsonw_bool_field(json_wtr, "feed_on", e->feed != 0);
			jsonw_bool_field(json_wtr, "on_cpu", e->feed && e->on_cpu);
			jsonw_uint_field(json_wtr, "cpu", e->cpu);
			jsonw_uint_field(json_wtr, "switches_in", e->switches_in);
			jsonw_uint_field(json_wtr, "preemptions", e->preemptions);
			jsonw_uint_field(json_wtr, "blocks", e->blocks);
			jsonw_uint_field(json_wtr, "migrations", e->migrations);
			if (r->prev) {
				const struct uls_sched_events *p = &r->prev->ev;

				jsonw_uint_field(json_wtr, "preemptions_per_s",
						 rate(e->preemptions, p->preemptions, dt_ns) + 0.5);
				jsonw_uint_field(json_wtr, "migrations_per_s",
						 rate(e->migrations, p->migrations, dt_ns) + 0.5);
				jsonw_uint_field(json_wtr, "switches_per_s",
						 rate(e->switches_in, p->switches_in, dt_ns) + 0.5);
			}
		}
		jsonw_end_object(json_wtr);
	}
	jsonw_end_array(json_wtr);
	jsonw_end_object(json_wtr);
}

static void show_text(const struct top_sample *s, uint64_t dt_ns, bool clear)
{
	if (clear)
		fputs("\033[H\033[J", stdout);
	printf("%zu registered threads\n", s->nr);
	printf("%-7s %-7s %-16s %9s %9s %9s %5s %4s %12s %12s\n", "PID", "TID",
	       "COMM", "PREEMPT/s", "MIGR/s", "SWITCH/s", "ONCPU", "CPU",
	       "PREEMPTIONS", "MIGRATIONS");
	for (size_t i = 0; i < s->nr; i++) {
		const struct top_row *r = &s->rows[i];
		const struct uls_sched_events *e = &r->ev;
		const struct uls_sched_events *p = r->prev ? &r->prev->ev : NULL;

		printf("%-7d %-7d %-16s ", r->t.pid, r->t.tid, r->t.comm);
		if (!r->has_events) {
			printf("%9s %9s %9s %5s %4s %12s %12s\n", "-", "-", "-", "-",
			       "-", "-", "-");
			continue;
		}
		if (p)
			printf("%9.0f %9.0f %9.0f ",
			       rate(e->preemptions, p->preemptions, dt_ns),
			       rate(e->migrations, p->migrations, dt_ns),
			       rate(e->switches_in, p->switches_in, dt_ns));
		else
			printf("%9s %9s %9s ", "-", "-", "-");
		printf("%5s %4u %12llu %12llu\n",
		       !e->feed ? "off" : e->on_cpu ? "yes" : "no", e->cpu,
		       (unsigned long long)e->preemptions,
		       (unsigned long long)e->migrations);
	}
	fflush(stdout);
}

static int parse_count(const char *s, long *n)
{
	char *end;

	errno = 0;
	*n = strtol(s, &end, 10);
	return errno || end == s || *end || *n <= 0 ? -EINVAL : 0;
}

int cmd_top(int argc, char **argv)
{
	struct top_sample a = {}, b = {}, *cur = &a, *prev = &b;
	struct uls_monitor *m;
	pid_t pid = 0;
	long count = json_output ? 2 : -1, i;
	bool clear = isatty(STDOUT_FILENO);
	int err = 0;

	while (argc >= 2) {
		char *end;
		long v;

		if (!strcmp(argv[0], "pid")) {
			errno = 0;
			v = strtol(argv[1], &end, 10);
			if (errno || end == argv[1] || *end || v <= 0 || v > INT32_MAX)
				return p_usage("top: pid '%s' is not a process id (1 .. 2^31-1)",
					       argv[1]);
			pid = v;
		} else if (!strcmp(argv[0], "count") && !json_output) {
			if (parse_count(argv[1], &count))
				return p_usage("top: count '%s' is not a positive number",
					       argv[1]);
		} else {
			break;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc)
		return p_usage("top: takes [pid PID] [count N] (count not with -j)");
	if (!need_module("top"))
		return EXIT_ERR;
	m = uls_monitor_open(pid);
	if (!m) {
		err = -errno;
		if (err == -EPERM)
			return p_err("top: %s", pid ? "not allowed to read that process (ptrace access)" :
				     "all processes need CAP_SYS_ADMIN (or give a pid)");
		return p_err("top: %s", uls_strerror(err));
	}
	signal(SIGINT, top_on_signal);
	signal(SIGTERM, top_on_signal);
	for (i = 0; !top_stop && (count < 0 || i < count); i++) {
		struct top_sample *t;

		if (i)
			usleep(TOP_INTERVAL_MS * 1000);
		t = prev;
		prev = cur;
		cur = t;
		err = take(m, cur);
		if (err)
			break;
		qsort(cur->rows, cur->nr, sizeof(*cur->rows), by_pid_tid);
		if (i)
			link_prev(cur, prev);
		else
			for (size_t j = 0; j < cur->nr; j++)
				cur->rows[j].prev = NULL;
		/* -j: only the second sample, with its rates. */
		if (json_output) {
			if (i == count - 1)
				show_json(cur, i ? cur->ns - prev->ns : 0);
		} else {
			show_text(cur, i ? cur->ns - prev->ns : 0, clear);
		}
	}
	uls_monitor_close(m);
	free(a.rows);
	free(b.rows);
	if (err)
		return p_err("top: %s", uls_strerror(err));
	return EXIT_OK;
}
