// SPDX-License-Identifier: GPL-2.0
/*
 * uls_thread_trace (make bench-trace): where the time of a thread that
 * calls uls_area() goes, against a plain thread. It runs the batches of
 * uls_bench's thread_create_with_area (threads.h) and looks at each with
 * the kernel's own tools, in the guest:
 *
 * 1. Counters, untraced: per thread, the batch's time and the change of
 *    every line of /proc/vmstat, /proc/interrupts and /proc/softirqs, of
 *    /proc/stat's ctxt, of each CPU's run and wait time in /proc/schedstat
 *    and of getrusage(): TLB flushes, IPIs, page faults, RCU softirqs,
 *    context switches, work done on the other CPU. The batches
 *    alternate, the median of ULS_TRACE_ROUNDS is kept.
 * 2. ftrace's function_graph tracer, system-wide (the work uls defers runs
 *    in kworkers, and counts: in deterministic mode the one vCPU does it
 *    all), over ULS_TRACE_TRACED threads of each kind and the deferred
 *    work that follows them. Debian's kernels have no function profiler
 *    (CONFIG_FUNCTION_PROFILER is off in 6.1's and 7.2's configs), so the
 *    trace's lines are summed here: for each function its calls, its time
 *    with its callees and without (self), and each task's share.
 *    The tracer costs time in every traced call, so the times are
 *    inflated, more so where there are many calls; the call counts are
 *    exact.
 *
 * Prints (tests/bench/trace_report.py makes the tables):
 *   TPER <kind> <median> <p25> <p75> <mean>, one thread at a time (see
 *        per_thread()): also register2 and syscall2
 *   TCOUNT <kind> <counter> <per thread>, kinds plain, area, register
 *          and info2 (see kinds[])
 *   TFUNC <kind> <function> <calls> <ns with callees> <ns self>
 *         <calls it made> <calls below it in all>
 *   TTASK <kind> <comm> <ns self of all its functions>
 *   TTRACED <kind> <threads> <lines> <unmatched returns> <overruns>
 *           <ns per thread of the traced batch, without the settling>
 *   INFO <key> <value>, "not ok <what> # why"
 * where <kind> is plain or area and the TFUNC/TTASK sums are the batch's
 * (idle's functions go to TTASK only: halting is no work).
 *
 * Environment: ULS_TRACE_PER_THREAD (threads of each kind timed one at a
 * time, 2000; 0: none), ULS_TRACE_THREADS (threads per counted batch, 500,
 * as uls_bench), ULS_TRACE_ROUNDS (3), ULS_TRACE_TRACED (threads per traced
 * batch, 100; 0: no tracing), ULS_TRACE_DEPTH (max_graph_depth, 0:
 * unlimited), ULS_TRACE_SETTLE_MS (how long the trace goes on after the
 * batch, for the deferred frees, 300), ULS_TRACE_BUFFER_KB (per CPU,
 * 131072).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "threads.h"

#define SMALL_THREADS	0
#define TRACEFS		"/sys/kernel/tracing/"
#define MAX_COUNTERS	1024
#define MAX_FUNCS	(1 << 15)
#define MAX_TASKS	(1 << 14)
#define MAX_DEPTH	128
#define MAX_COMMS	256

/*
 * Two system calls that do next to nothing in the module: what the two of
 * an area cost as system calls, in a thread.
 */
static void *thread_info2(void *arg)
{
	struct uls_info info;

	if (uls_info(&info) || uls_info(&info))
		return NULL;
	return arg;
}

/* Two system calls that uls has no part in. */
static void *thread_syscall2(void *arg)
{
	syscall(SYS_getppid);
	syscall(SYS_getppid);
	return arg;
}

/* Two register and unregister pairs: the second finds everything warm. */
static void *thread_register2(void *arg)
{
	return thread_register(arg) ? thread_register(arg) : NULL;
}

/*
 * The kinds of thread: the first two are compared and traced; the
 * counters also take the bare register and unregister ioctls (as
 * uls_bench's thread_create_register), and two ioctls that do nothing,
 * which split the difference into libuls's part, the module's, and the
 * system calls'.
 */
#define NR_TRACED_KINDS	2
#define NR_KINDS	4
static const char *kinds[NR_KINDS] = { "plain", "area", "register", "info2" };
static void *(*fns[NR_KINDS])(void *) = {
	thread_plain, thread_with_area, thread_register, thread_info2,
};
static int failures;

static void fail(const char *what, const char *fmt, const char *arg)
{
	printf("not ok %s # ", what);
	printf(fmt, arg);
	printf("\n");
	failures++;
}

static int env_int(const char *name, int def)
{
	const char *s = getenv(name);

	return s && *s ? atoi(s) : def;
}

/* --- counters --------------------------------------------------------- */

struct counters {
	int n;
	char name[MAX_COUNTERS][48];
	double v[MAX_COUNTERS];
};

static void add(struct counters *c, const char *src, const char *key, double v)
{
	if (c->n == MAX_COUNTERS)
		return;
	snprintf(c->name[c->n], sizeof(c->name[0]), "%s.%s", src, key);
	c->v[c->n++] = v;
}

/* Lines "key value" (vmstat), or "key: n n ... text" summed (interrupts). */
static void read_table(struct counters *c, const char *path, const char *src)
{
	char line[4096], key[40];
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		double sum = 0;
		int len;

		if (sscanf(line, " %39[^: ]%n", key, &len) != 1)
			continue;
		p += len;
		if (*p == ':')
			p++;
		for (;;) {
			double v = strtod(p, &end);

			if (end == p)
				break;
			sum += v;
			p = end;
		}
		add(c, src, key, sum);
	}
	if (f)
		fclose(f);
}

static void read_counters(struct counters *c)
{
	struct rusage ru;
	char line[256];
	FILE *f;

	c->n = 0;
	read_table(c, "/proc/vmstat", "vmstat");
	read_table(c, "/proc/interrupts", "irq");
	read_table(c, "/proc/softirqs", "softirq");
	f = fopen("/proc/stat", "r");
	while (f && fgets(line, sizeof(line), f)) {
		double v;

		if (sscanf(line, "ctxt %lf", &v) == 1)
			add(c, "stat", "ctxt", v);
		if (sscanf(line, "processes %lf", &v) == 1)
			add(c, "stat", "processes", v);
	}
	if (f)
		fclose(f);
	/*
	 * Each CPU's time running tasks, and tasks' time waiting for it
	 * (ns). In the default mode the vCPUs take turns on one host thread,
	 * so what the deferred work costs on the other CPU delays the batch
	 * as much as what the batch's own CPU does.
	 */
	f = fopen("/proc/schedstat", "r");
	while (f && fgets(line, sizeof(line), f)) {
		double run, wait;
		char key[32];
		int cpu;

		if (sscanf(line, "cpu%d %*s %*s %*s %*s %*s %*s %lf %lf",
			   &cpu, &run, &wait) != 3)
			continue;
		snprintf(key, sizeof(key), "cpu%d.run_ns", cpu);
		add(c, "schedstat", key, run);
		snprintf(key, sizeof(key), "cpu%d.wait_ns", cpu);
		add(c, "schedstat", key, wait);
	}
	if (f)
		fclose(f);
	getrusage(RUSAGE_SELF, &ru);
	add(c, "rusage", "minflt", ru.ru_minflt);
	add(c, "rusage", "majflt", ru.ru_majflt);
	add(c, "rusage", "nvcsw", ru.ru_nvcsw);
	add(c, "rusage", "nivcsw", ru.ru_nivcsw);
	add(c, "rusage", "utime_us", ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec);
	add(c, "rusage", "stime_us", ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec);
	add(c, "uls", "registered", t_stat("registered"));
	add(c, "uls", "entries", t_stat("entries"));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Batches of @n threads of each kind, alternating, @rounds times: the
 * median per thread of each counter's change, and of the time.
 */
static void count(int n, int rounds)
{
	static struct counters before, after;
	static double d[NR_KINDS][MAX_COUNTERS][16];
	static char names[MAX_COUNTERS][48];
	int nr = 0;

	if (rounds > 16)
		rounds = 16;
	for (int r = 0; r < rounds; r++) {
		for (int j = 0; j < NR_KINDS; j++) {
			/* Every other round backwards: no kind always goes first. */
			int k = r & 1 ? NR_KINDS - 1 - j : j;
			double t0, t1;

			if (wait_entries_at_most(SMALL_THREADS, 10000))
				fail("trace_count", "%s", "entries stay up");
			quiesce();
			read_counters(&before);
			t0 = now_ns();
			if (thread_batch(fns[k], n) >= 0) {
				fail("trace_count", "a thread of kind %s failed", kinds[k]);
				return;
			}
			t1 = now_ns();
			read_counters(&after);
			d[k][0][r] = (t1 - t0) / n;
			nr = after.n < before.n ? after.n : before.n;
			if (nr > MAX_COUNTERS - 1)
				nr = MAX_COUNTERS - 1;
			for (int i = 0; i < nr; i++) {
				/* Lines that come and go would shift: by name. */
				if (strcmp(before.name[i], after.name[i]))
					continue;
				memcpy(names[i + 1], after.name[i], sizeof(names[0]));
				d[k][i + 1][r] = (after.v[i] - before.v[i]) / n;
			}
		}
	}
	strcpy(names[0], "time.ns");
	for (int i = 0; i <= nr; i++) {
		double m[NR_KINDS];
		bool any = false;

		for (int k = 0; k < NR_KINDS; k++) {
			qsort(d[k][i], rounds, sizeof(double), cmp_double);
			m[k] = d[k][i][rounds / 2];
			any |= m[k] != 0;
		}
		if (!names[i][0] || !any)
			continue;
		for (int k = 0; k < NR_KINDS; k++)
			printf("TCOUNT %s %s %.4f\n", kinds[k], names[i], m[k]);
	}
	fflush(stdout);
}

/* --- one thread at a time ----------------------------------------------- */

/*
 * Each thread timed alone, the kinds taking turns thread by thread (the
 * order rotating): the guest's speed under TCG drifts over seconds, by 2x
 * between a batch and the next, and here every kind sees the same drift.
 * The median leaves out the threads that the deferred frees, or anything
 * else, landed on: it is what a thread costs inline, cold, right after its
 * creation; the mean keeps them. Prints TPER <kind> <median> <p25> <p75>
 * <mean>, in ns.
 */
#define NR_PER_KINDS	6
static const char *per_kinds[NR_PER_KINDS] = {
	"plain", "area", "register", "register2", "info2", "syscall2",
};
static void *(*per_fns[NR_PER_KINDS])(void *) = {
	thread_plain, thread_with_area, thread_register, thread_register2,
	thread_info2, thread_syscall2,
};

static void per_thread(int n)
{
	double *t = calloc((size_t)NR_PER_KINDS * n, sizeof(*t));

	if (!t) {
		fail("per_thread", "%s", "no memory");
		return;
	}
	quiesce();
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < NR_PER_KINDS; j++) {
			int k = (i + j) % NR_PER_KINDS;
			double t0 = now_ns();

			if (thread_batch(per_fns[k], 1) >= 0) {
				fail("per_thread", "a thread of kind %s failed",
				     per_kinds[k]);
				goto out;
			}
			t[k * n + i] = now_ns() - t0;
		}
	}
	for (int k = 0; k < NR_PER_KINDS; k++) {
		double *v = t + k * n, sum = 0;

		for (int i = 0; i < n; i++)
			sum += v[i];
		qsort(v, n, sizeof(*v), cmp_double);
		printf("TPER %s %.0f %.0f %.0f %.0f\n", per_kinds[k], v[n / 2],
		       v[n / 4], v[3 * n / 4], sum / n);
	}
out:
	free(t);
	fflush(stdout);
}

/* --- tracefs ------------------------------------------------------------ */

static int tw(const char *file, const char *val)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), TRACEFS "%s", file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	return ret;
}

static long overruns(void)
{
	char path[256], line[128];
	long sum = 0;

	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		FILE *f;

		snprintf(path, sizeof(path), TRACEFS "per_cpu/cpu%d/stats", cpu);
		f = fopen(path, "r");
		if (!f)
			break;
		while (fgets(line, sizeof(line), f)) {
			long v;

			if (sscanf(line, "overrun: %ld", &v) == 1)
				sum += v;
		}
		fclose(f);
	}
	return sum;
}

/* --- the trace's sums ------------------------------------------------- */

struct func {
	char *name;
	long calls;
	double incl, self;
	long kids, desc;	/* traced calls it made, and below it in all */
};

struct frame {
	struct func *f;
	double children;	/* on-CPU ns of the callees that returned */
	double off;		/* the task's off-CPU ns when it entered */
	long kids, desc;
};

/* One per task: function_graph's depth is each task's own. */
struct task {
	int pid;
	int comm;		/* index in comms[] */
	int depth;
	double last_ts;		/* ns: when it was last seen on a CPU */
	double off;		/* ns it spent switched out, in all */
	struct frame stack[MAX_DEPTH];
	double top_children;	/* what returned below the trace's start */
};

static struct func funcs[MAX_FUNCS];
static struct task tasks[MAX_TASKS];
static char comms[MAX_COMMS][16];
static double comm_self[MAX_COMMS];
static int nr_comms;
/* Which task each CPU's last line was of. */
static int cpu_pid[CPU_SETSIZE];

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct func *func_of(const char *name)
{
	for (uint32_t i = hash(name);; i++) {
		struct func *f = &funcs[i & (MAX_FUNCS - 1)];

		if (!f->name) {
			f->name = strdup(name);
			return f;
		}
		if (!strcmp(f->name, name))
			return f;
	}
}

static int comm_of(const char *comm)
{
	for (int i = 0; i < nr_comms; i++)
		if (!strcmp(comms[i], comm))
			return i;
	if (nr_comms == MAX_COMMS)
		return MAX_COMMS - 1;
	snprintf(comms[nr_comms], sizeof(comms[0]), "%s", comm);
	return nr_comms++;
}

static struct task *task_of(int pid, const char *comm)
{
	for (uint32_t i = pid * 2654435761u;; i++) {
		struct task *t = &tasks[i & (MAX_TASKS - 1)];

		if (!t->pid) {
			t->pid = pid;
			t->comm = comm_of(comm);
			return t;
		}
		if (t->pid == pid)
			return t;
	}
}

static void reset_sums(void)
{
	for (int i = 0; i < MAX_FUNCS; i++) {
		free(funcs[i].name);
		funcs[i] = (struct func){};
	}
	memset(tasks, 0, sizeof(tasks));
	memset(comm_self, 0, sizeof(comm_self));
	memset(cpu_pid, 0, sizeof(cpu_pid));
	nr_comms = 0;
}

/* "  1.234 us  " with function_graph's markers ("+ ", "! ", ...): in ns. */
static bool duration(const char *s, double *ns)
{
	char *end;

	while (*s && !(*s >= '0' && *s <= '9'))
		s++;
	if (!*s)
		return false;
	*ns = strtod(s, &end) * 1000;
	return end != s;
}

/*
 * Account a function's return: @ns from its call, of which the task spent
 * @off switched out (function_graph's durations are wall time: a
 * schedule() lasts until the task runs again), and @children on-CPU in
 * its callees.
 */
static void returned(struct task *t, struct func *f, double ns, double off,
		     const struct frame *fr, bool idle)
{
	double on = ns - off;

	if (!idle) {
		f->calls++;
		f->incl += on;
		f->self += on - fr->children;
		f->kids += fr->kids;
		f->desc += fr->desc;
	}
	comm_self[t->comm] += on - fr->children;
	if (t->depth) {
		struct frame *up = &t->stack[t->depth - 1];

		up->children += on;
		up->kids++;
		up->desc += 1 + fr->desc;
	} else {
		t->top_children += on;
	}
}

/*
 * One line of the function_graph trace, with funcgraph-abstime,
 * funcgraph-cpu, funcgraph-proc and funcgraph-tail:
 *   " 12.345678 |  0)  comm-pid   |   1.234 us    |      name();"
 *   " 12.345678 |  0)  comm-pid   |               |      name() {"
 *   " 12.345678 |  0)  comm-pid   | + 12.345 us   |      } /\* name *\/"
 * Anything else (headers, context switch and irq markers, comments) is
 * skipped. The time stamp (whole microseconds) says for how long a task
 * was switched out: from its last line to its next one on a CPU whose
 * line before was another task's. Returns 1 for a return without its
 * entry (the trace began in the middle of it).
 */
static int parse_line(char *line)
{
	char *field[4], *proc, *fn, *dash, *end, name[128];
	struct task *t;
	double ns = 0, ts;
	bool idle, has_ns;
	int pid, cpu, nf = 0;

	for (char *p = line; nf < 4; p++) {
		field[nf++] = p;
		p = strchr(p, '|');
		if (!p)
			break;
		*p = 0;
	}
	if (nf < 4)
		return 0;
	ts = strtod(field[0], &end) * 1e9;
	if (end == field[0] || sscanf(field[1], " %d)", &cpu) != 1 ||
	    cpu < 0 || cpu >= CPU_SETSIZE)
		return 0;
	proc = strchr(field[1], ')') + 1;
	while (*proc == ' ')
		proc++;
	/* "comm-pid", the comm cut to 7 characters, perhaps with blanks. */
	for (end = proc + strlen(proc); end > proc && end[-1] == ' ';)
		*--end = 0;
	dash = strrchr(proc, '-');
	if (!dash)
		return 0;
	*dash = 0;
	pid = atoi(dash + 1);
	idle = pid == 0;
	has_ns = duration(field[2], &ns);
	fn = field[3];
	while (*fn == ' ')
		fn++;
	fn[strcspn(fn, "\n")] = 0;
	/* Each CPU's idle task is a task of its own. */
	t = task_of(pid ?: -1 - cpu, proc);
	if (cpu_pid[cpu] != t->pid && t->last_ts && ts > t->last_ts)
		t->off += ts - t->last_ts;
	cpu_pid[cpu] = t->pid;
	t->last_ts = ts;

	if (fn[0] == '}') {
		/* "} /\* name *\/" */
		if (sscanf(fn, "} /* %127[^ *]", name) != 1 || !has_ns)
			return 0;
		if (t->depth && t->stack[t->depth - 1].f == func_of(name)) {
			struct frame fr = t->stack[--t->depth];

			returned(t, fr.f, ns, t->off - fr.off, &fr, idle);
			return 0;
		}
		/* Entered before tracing began: its callees sit at the top. */
		struct frame top = { .children = t->top_children };

		t->depth = 0;
		returned(t, func_of(name), ns, 0, &top, idle);
		t->top_children = 0;
		return 1;
	}
	if (sscanf(fn, "%127[^( ]", name) != 1 || !strchr(fn, '('))
		return 0;
	if (strstr(fn, ");")) {
		/* A call and its return in one line: no switch between. */
		struct frame leaf = {};

		if (has_ns) {
			returned(t, func_of(name), ns, 0, &leaf, idle);
			t->last_ts = ts + ns;
		}
		return 0;
	}
	if (strstr(fn, ") {") && t->depth < MAX_DEPTH)
		t->stack[t->depth++] = (struct frame){ .f = func_of(name), .off = t->off };
	return 0;
}

static int cmp_self(const void *a, const void *b)
{
	const struct func *x = a, *y = b;

	return (y->name != NULL) - (x->name != NULL) ?:
	       (x->self < y->self) - (x->self > y->self);
}

/*
 * A traced batch of @n threads of kind @k: trace it, and @settle_ms after
 * it for the frees uls defers, then sum the trace.
 */
static int trace_batch(int k, int n, int settle_ms)
{
	static char line[8192];
	long lines = 0, unmatched = 0, over;
	double t0, t1;
	FILE *f;

	if (wait_entries_at_most(SMALL_THREADS, 10000))
		fail("trace_batch", "%s", "entries stay up");
	quiesce();
	if (tw("trace", "") || tw("tracing_on", "1")) {
		fail("trace_batch", "%s", "tracefs: cannot start the trace");
		return -1;
	}
	t0 = now_ns();
	if (thread_batch(fns[k], n) >= 0) {
		tw("tracing_on", "0");
		fail("trace_batch", "a thread of kind %s failed", kinds[k]);
		return -1;
	}
	t1 = now_ns();
	usleep(settle_ms * 1000);
	tw("tracing_on", "0");
	over = overruns();

	reset_sums();
	f = fopen(TRACEFS "trace", "r");
	if (!f) {
		fail("trace_batch", "%s", "tracefs: no trace");
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		/* A sample of the raw trace, on the console, to check parse_line(). */
		if (lines < 60)
			fputs(line, stderr);
		lines++;
		unmatched += parse_line(line);
	}
	fclose(f);

	qsort(funcs, MAX_FUNCS, sizeof(funcs[0]), cmp_self);
	for (int i = 0; i < MAX_FUNCS && funcs[i].name; i++)
		printf("TFUNC %s %s %ld %.0f %.0f %ld %ld\n", kinds[k], funcs[i].name,
		       funcs[i].calls, funcs[i].incl, funcs[i].self, funcs[i].kids,
		       funcs[i].desc);
	for (int i = 0; i < nr_comms; i++)
		printf("TTASK %s %s %.0f\n", kinds[k], comms[i], comm_self[i]);
	printf("TTRACED %s %d %ld %ld %ld %.0f\n", kinds[k], n, lines, unmatched,
	       over, (t1 - t0) / n);
	fflush(stdout);
	/* The hash table's order is gone with the sort. */
	reset_sums();
	return 0;
}

static int trace(int n, int depth, int settle_ms, int buffer_kb)
{
	char buf[32];
	/* Present in 6.1 and 7.2; what they default to differs little. */
	static const char *const opts[] = {
		"funcgraph-proc", "funcgraph-tail", "funcgraph-duration",
		"funcgraph-cpu", "funcgraph-overhead", "funcgraph-irqs",
		"funcgraph-abstime", "noprint-parent", "nosym-offset",
	};

	tw("tracing_on", "0");
	tw("current_tracer", "nop");
	snprintf(buf, sizeof(buf), "%d", buffer_kb);
	if (tw("buffer_size_kb", buf)) {
		fail("trace", "%s", "cannot size the ring buffer");
		return -1;
	}
	snprintf(buf, sizeof(buf), "%d", depth);
	tw("max_graph_depth", buf);
	tw("set_ftrace_pid", "");
	tw("set_ftrace_filter", "");
	tw("set_graph_function", "");
	if (tw("current_tracer", "function_graph")) {
		fail("trace", "%s", "no function_graph tracer");
		return -1;
	}
	/* The tracer's own options exist only once it is the current one. */
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (tw("trace_options", opts[i]))
			printf("INFO trace_option_missing %s\n", opts[i]);
	printf("INFO trace_depth %d\n", depth);
	printf("INFO trace_settle_ms %d\n", settle_ms);
	for (int k = 0; k < NR_TRACED_KINDS; k++)
		if (trace_batch(k, n, settle_ms))
			break;
	tw("current_tracer", "nop");
	tw("buffer_size_kb", "1408");
	return 0;
}

int main(void)
{
	int n = env_int("ULS_TRACE_THREADS", 500);
	int rounds = env_int("ULS_TRACE_ROUNDS", 3);
	int traced = env_int("ULS_TRACE_TRACED", 100);
	int per = env_int("ULS_TRACE_PER_THREAD", 2000);
	int depth = env_int("ULS_TRACE_DEPTH", 0);
	int settle = env_int("ULS_TRACE_SETTLE_MS", 300);
	int buffer_kb = env_int("ULS_TRACE_BUFFER_KB", 131072);
	cpu_set_t cpus;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* As uls_bench: every thread on one CPU. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	printf("INFO trace_threads %d\nINFO trace_rounds %d\nINFO trace_traced %d\n",
	       n, rounds, traced);

	/* Warm: libuls's file, the pool's first pages, the stack cache. */
	for (int k = 0; k < NR_KINDS; k++)
		if (thread_batch(fns[k], 64) >= 0)
			fail("trace_warmup", "a thread of kind %s failed", kinds[k]);
	if (per > 0)
		per_thread(per);
	count(n, rounds);
	if (traced > 0)
		trace(traced, depth, settle, buffer_kb);
	return failures ? 1 : 0;
}
