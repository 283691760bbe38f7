// SPDX-License-Identifier: GPL-2.0
/*
 * What uls_key_get() costs in BPF: one kfunc call always, counted by
 * fentry programs on the module's kfuncs (progs/key_cost.bpf.c), and a
 * walk of the thread's keys (the module's stats/key_walks) only when the
 * program's cache row for the process image does not answer: none for a
 * thread that has the key, nor for a thread without it where the row
 * says where the key is, nor for a thread without a region; and right
 * data whatever the row held, when processes share it or a process execs
 * into another layout.
 *
 * Each process under test is a worker: a child that sets up its keys,
 * then runs the lookup as the test asks, through a pipe, in the thread
 * the command names, so the test can count each lookup's calls alone.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "helpers.h"
#include "test.h"
#include "uls.h"
#include "key_cost.skel.h"
#include "key_cost_row1.skel.h"
#include "progs/key_cost.h"

/* A worker's layout: COST_KEY after a key of this many bytes, if any. */
#define LAYOUT_NONE	-1	/* no keys at all */
#define LAYOUT_LATE	-2	/* COST_KEY created after the main thread's
				   last use of keys */

enum {
	CMD_MAIN = 'm',		/* the lookup in the main thread */
	CMD_KEYED = 'k',	/* in a new thread that uses COST_KEY first */
	CMD_BARE = 'n',		/* in a new thread that has no region */
	CMD_EXEC = 'x',		/* exec into the layout that follows */
	CMD_EXEC_THREAD = 'X',	/* the same, from a thread not the leader */
	CMD_QUIT = 'q',
};

struct cost_reply {
	__u64 val, want;	/* what BPF read; what the thread stored */
	__u32 found;
	__s32 err;		/* of the program's run */
};

/* The test's side of a worker. */
struct worker {
	pid_t pid;
	int cmd, reply;		/* pipes' ends */
};

/* What a worker needs, in a fork or through exec. */
struct worker_args {
	int layout;
	int prog_fd;
	int cmd, reply;
};

static struct {
	int prog_fd;
	volatile int *target_tgid;
	volatile __u64 *calls;
} cb;

static uls_key_t cost_key;

static int cost_run(int prog_fd, struct cost_ctx *c)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = c,
		    .ctx_size_in = sizeof(*c));

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	return opts.retval;
}

struct lookup {
	const struct worker_args *a;
	struct cost_reply *r;
	bool use_key;
};

static long lookup_thread(void *arg)
{
	struct lookup *l = arg;
	struct cost_ctx c = {};

	if (l->use_key) {
		__u64 *p = uls_key_get(cost_key);

		if (!ASSERT_OK_PTR(p, "uls_key_get " COST_KEY))
			return 0;
		*p = l->r->want = ((__u64)getpid() << 32) + t_gettid();
	}
	l->r->err = cost_run(l->a->prog_fd, &c);
	l->r->found = c.found;
	l->r->val = c.val;
	return 0;
}

static void *exec_thread(void *arg)
{
	char **argv = arg;

	execv("/proc/self/exe", argv);
	ASSERT_OK(-errno, "exec");
	_exit(1);
}

static void worker_main(const struct worker_args *a)
{
	struct lookup main_l = { .a = a };
	__u64 *p = NULL;
	uls_key_t pad;
	char cmd;

	if (a->layout == LAYOUT_LATE) {
		pad = uls_key_create("cost.pad", 8);
		if (!ASSERT_OK_PTR(uls_key_get(pad), "uls_key_get cost.pad"))
			return;
		cost_key = uls_key_create(COST_KEY, 8);
	} else if (a->layout != LAYOUT_NONE) {
		if (a->layout > 0) {
			pad = uls_key_create("cost.pad", a->layout);
			if (!ASSERT_OK_PTR(uls_key_get(pad), "uls_key_get cost.pad"))
				return;
		}
		cost_key = uls_key_create(COST_KEY, 8);
		p = uls_key_get(cost_key);
		if (!ASSERT_OK_PTR(p, "uls_key_get " COST_KEY))
			return;
		*p = ((__u64)getpid() << 32) + 1000000 + a->layout;
	}
	while (read(a->cmd, &cmd, 1) == 1) {
		struct cost_reply r = {};
		struct lookup l = { .a = a, .r = &r };

		switch (cmd) {
		case CMD_MAIN:
			main_l.r = &r;
			r.want = p ? *p : 0;
			lookup_thread(&main_l);
			break;
		case CMD_KEYED:
		case CMD_BARE:
			l.use_key = cmd == CMD_KEYED;
			t_in_thread(lookup_thread, &l);
			break;
		case CMD_EXEC:
		case CMD_EXEC_THREAD: {
			char layout[16], prog[16], in[16], out[16];
			char *argv[] = { "uls_test", "--keys-cost-worker",
					 layout, prog, in, out, NULL };
			int next, fd = dup(a->prog_fd);	/* not close-on-exec */
			pthread_t t;

			if (!ASSERT_EQ(read(a->cmd, &next, sizeof(next)),
				       sizeof(next), "the layout to exec into") ||
			    !ASSERT_GE(fd, 0, "dup"))
				return;
			snprintf(layout, sizeof(layout), "%d", next);
			snprintf(prog, sizeof(prog), "%d", fd);
			snprintf(in, sizeof(in), "%d", a->cmd);
			snprintf(out, sizeof(out), "%d", a->reply);
			fflush(NULL);
			if (cmd == CMD_EXEC)
				exec_thread(argv);
			if (!ASSERT_OK(pthread_create(&t, NULL, exec_thread, argv),
				       "pthread_create"))
				return;
			pthread_join(t, NULL);
			return;
		}
		default:
			return;
		}
		if (write(a->reply, &r, sizeof(r)) != sizeof(r))
			return;
	}
}

/* uls_test --keys-cost-worker LAYOUT PROG_FD CMD_FD REPLY_FD: after exec. */
int keys_cost_worker(int argc, char **argv)
{
	struct worker_args a;

	if (argc != 4)
		return 2;
	a.layout = atoi(argv[0]);
	a.prog_fd = atoi(argv[1]);
	a.cmd = atoi(argv[2]);
	a.reply = atoi(argv[3]);
	worker_main(&a);
	fflush(NULL);
	return test__failed() ? 1 : 0;
}

static void worker_child(void *arg)
{
	worker_main(arg);
}

static bool worker_start(struct worker *w, int layout)
{
	int cmd[2], reply[2];
	struct worker_args a = { .layout = layout, .prog_fd = cb.prog_fd };

	/* A worker that died fails its commands, not the test's process. */
	signal(SIGPIPE, SIG_IGN);
	if (!ASSERT_OK(pipe(cmd), "pipe") || !ASSERT_OK(pipe(reply), "pipe"))
		return false;
	a.cmd = cmd[0];
	a.reply = reply[1];
	w->pid = t_start_child(worker_child, &a);
	close(cmd[0]);
	close(reply[1]);
	w->cmd = cmd[1];
	w->reply = reply[0];
	return ASSERT_GT(w->pid, 0, "fork");
}

static void worker_end(struct worker *w)
{
	char q = CMD_QUIT;

	ASSERT_EQ(write(w->cmd, &q, 1), 1, "quit");
	close(w->cmd);
	close(w->reply);
	t_wait_child(w->pid);
}

/*
 * One lookup in @w, in the thread @cmd names: true if it found the key
 * (and then the data the thread stored); *@calls the kfunc calls it made,
 * *@walks the walks.
 */
static bool ask(struct worker *w, char cmd, unsigned long *calls,
		long *walks)
{
	struct cost_reply r = {};
	long walks0 = t_stat("key_walks");
	__u64 before;

	*cb.target_tgid = w->pid;
	before = *cb.calls;
	if (!ASSERT_EQ(write(w->cmd, &cmd, 1), 1, "command") ||
	    !ASSERT_EQ(read(w->reply, &r, sizeof(r)), sizeof(r), "reply"))
		return false;
	*calls = *cb.calls - before;
	*walks = t_stat("key_walks") - walks0;
	ASSERT_OK(r.err, "cost_lookup ran");
	if (r.found)
		ASSERT_EQ(r.val, r.want, "the data the thread stored");
	return r.found;
}

/* Exec @w into @layout, from its leader or another thread. */
static void worker_exec(struct worker *w, char cmd, int layout)
{
	ASSERT_EQ(write(w->cmd, &cmd, 1), 1, "exec");
	ASSERT_EQ(write(w->cmd, &layout, sizeof(layout)), sizeof(layout),
		  "the layout");
}

/*
 * @w's lookup in @cmd's thread finds the key or not, in one kfunc call
 * and @want_walks walks of the thread's keys.
 */
#define ASK(w, cmd, want_found, want_walks, what) do {			\
	unsigned long ___n;						\
	long ___w;							\
	bool ___f = ask((w), (cmd), &___n, &___w);			\
									\
	ASSERT_EQ(___f, (want_found), what ": found");			\
	ASSERT_EQ(___n, 1, what ": kfunc calls");			\
	ASSERT_EQ(___w, (want_walks), what ": walks");			\
} while (0)

static struct key_cost *cost_load(void)
{
	struct key_cost *s = key_cost__open_and_load();

	if (!ASSERT_OK_PTR(s, "key_cost__open_and_load"))
		return NULL;
	if (!ASSERT_OK(key_cost__attach(s), "fentry on the kfuncs")) {
		key_cost__destroy(s);
		return NULL;
	}
	cb.prog_fd = bpf_program__fd(s->progs.cost_lookup);
	cb.target_tgid = &s->bss->target_tgid;
	cb.calls = &s->bss->calls;
	return s;
}

/*
 * No walk but the first: a process with no keys and an empty row; then in
 * a process with the key, a thread that has it (a hit), a thread without
 * a region, and a thread whose region lacks the key (created after the
 * thread last used keys: the bytes are registered, the descriptor not
 * written).
 */
ULS_TEST(keys_cost_one_call)
{
	struct key_cost *s = cost_load();
	struct worker none, late;
	int i;

	if (!s)
		return;
	/* The first lookups of this program: every row is empty. */
	if (worker_start(&none, LAYOUT_NONE)) {
		for (i = 0; i < 3; i++) {
			ASK(&none, CMD_MAIN, false, 0, "no keys, main thread");
			ASK(&none, CMD_BARE, false, 0, "no keys, a thread");
		}
		worker_end(&none);
	}
	if (worker_start(&late, LAYOUT_LATE)) {
		ASK(&late, CMD_KEYED, true, 1, "the first lookup");
		for (i = 0; i < 3; i++) {
			ASK(&late, CMD_KEYED, true, 0, "a thread with the key");
			ASK(&late, CMD_BARE, false, 0, "a thread without a region");
			ASK(&late, CMD_MAIN, false, 0,
			    "a thread whose region lacks the key");
		}
		worker_end(&late);
	}
	key_cost__destroy(s);
}

/*
 * Processes with their keys at other offsets, one cache row: each lookup
 * finds what its thread stored, whatever process the row came from, and
 * once the row is its process's, without a walk. The second process's
 * region ends before the first's offset: a row that only said "an offset
 * of this row's process" would make it miss its key.
 */
ULS_TEST(keys_cost_shared_row)
{
	struct key_cost_row1 *s = key_cost_row1__open_and_load();
	struct worker far, near, none;
	int i;

	if (!ASSERT_OK_PTR(s, "key_cost_row1__open_and_load"))
		return;
	if (!ASSERT_OK(key_cost_row1__attach(s), "fentry on the kfuncs"))
		goto out;
	cb.prog_fd = bpf_program__fd(s->progs.cost_lookup);
	cb.target_tgid = &s->bss->target_tgid;
	cb.calls = &s->bss->calls;
	if (!worker_start(&far, 8000))
		goto out;
	if (!worker_start(&near, 0)) {
		worker_end(&far);
		goto out;
	}
	if (worker_start(&none, LAYOUT_NONE)) {
		for (i = 0; i < 3; i++) {
			ASK(&far, CMD_MAIN, true, 1, "far, the row not its own");
			ASK(&far, CMD_MAIN, true, 0, "far, the row its own");
			ASK(&far, CMD_KEYED, true, 0, "far, a thread with the key");
			ASK(&far, CMD_BARE, false, 0, "far, a thread without a region");
			ASK(&near, CMD_MAIN, true, 1, "near, the row far's");
			ASK(&near, CMD_KEYED, true, 0, "near, the row its own");
			ASK(&near, CMD_BARE, false, 0, "near, a thread without a region");
			ASK(&far, CMD_BARE, false, 0,
			    "far, a thread without a region, the row near's");
			ASK(&none, CMD_MAIN, false, 0, "no keys, the row near's");
		}
		worker_end(&none);
	}
	worker_end(&near);
	worker_end(&far);
out:
	key_cost_row1__destroy(s);
}

/*
 * exec keeps the tgid and the leader's start time, but not the image: the
 * image after it lays its keys out anew, its regions end before the old
 * offset, and its lookups must still find its keys. Twice: from a thread
 * not the leader (which takes the leader's place), then from the leader.
 */
ULS_TEST(keys_cost_exec)
{
	struct key_cost *s = cost_load();
	struct worker w;

	if (!s)
		return;
	if (!worker_start(&w, 12000))
		goto out;
	ASK(&w, CMD_MAIN, true, 1, "before exec, the first lookup");
	ASK(&w, CMD_MAIN, true, 0, "before exec");
	ASK(&w, CMD_BARE, false, 0, "before exec, a thread without a region");

	worker_exec(&w, CMD_EXEC_THREAD, 6000);
	ASK(&w, CMD_MAIN, true, 1, "after exec from a thread, the first lookup");
	ASK(&w, CMD_MAIN, true, 0, "after exec from a thread");
	ASK(&w, CMD_BARE, false, 0, "after exec from a thread, a thread without a region");

	worker_exec(&w, CMD_EXEC, 0);
	ASK(&w, CMD_BARE, false, 0, "after exec, a thread without a region, the old row");
	ASK(&w, CMD_MAIN, true, 1, "after exec, the first lookup");
	ASK(&w, CMD_MAIN, true, 0, "after exec");
	ASK(&w, CMD_KEYED, true, 0, "after exec, a thread with the key");
	ASK(&w, CMD_BARE, false, 0, "after exec, a thread without a region");
	worker_end(&w);
out:
	key_cost__destroy(s);
}
