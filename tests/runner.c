// SPDX-License-Identifier: GPL-2.0
/*
 * uls_test: runs the tests registered with ULS_TEST(), each in a process
 * of its own, and writes their results as TAP (what prove and other TAP
 * consumers read):
 *
 *	1..<number of tests to run>
 *	ok 1 - <name>
 *	not ok 2 - <name>
 *	# <name>: <first failure, or how it died>
 *	ok 3 - <name> # SKIP <why: what this kernel lacks>
 *
 * to the results channel: the file named by -r or $ULS_RESULTS, else
 * stdout. Whatever a test prints goes to stdout, prefixed with its name;
 * the last line there is "N passed, N failed" (", N skipped" when any).
 *
 * usage: uls_test [-l] [-r FILE] [-t SECONDS] [-x NAME]... [NAME...]
 *        uls_test --exec-helper REPORT_FD HOLD_FD (see test_lifecycle.c)
 * NAME: a test's name, or several separated by commas. An unknown name is
 * an error that lists the known ones.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

static struct uls_test *tests, **tests_tail = &tests;
static bool failed;
static FILE *results;

void test__register(struct uls_test *t)
{
	*tests_tail = t;
	tests_tail = &t->next;
}

void test__fail(void)
{
	failed = true;
}

bool test__failed(void)
{
	return failed;
}

void test__start_child(void)
{
	failed = false;
}

/* The exit status of a skipped test, as automake's. */
#define TEST_SKIPPED 77
static char skip_reason[512];

void test__skip(const char *why)
{
	printf("SKIP: %s\n", why);
	fflush(NULL);
	_exit(failed ? 1 : TEST_SKIPPED);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run_child(struct uls_test *t, int out)
{
	setpgid(0, 0);
	/* Results are the runner's to write: no test can add a line. */
	if (results != stdout)
		fclose(results);
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	close(out);
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (t->run)
		t->run(t);
	else
		t->fn();
	fflush(NULL);
	_exit(test__failed() ? 1 : 0);
}

/* Copy the child's output, line-prefixed; remember its first FAIL line. */
static void relay(struct uls_test *t, int in, char *reason, size_t rlen)
{
	static char buf[1 << 16];
	size_t used = 0;
	ssize_t n;

	while ((n = read(in, buf + used, sizeof(buf) - 1 - used)) > 0) {
		char *line = buf, *nl;

		used += n;
		buf[used] = '\0';
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			printf("[%s] %s\n", t->name, line);
			if (!reason[0] && strstr(line, "FAIL:"))
				snprintf(reason, rlen, "%.500s", line);
			if (!skip_reason[0] && !strncmp(line, "SKIP: ", 6))
				snprintf(skip_reason, sizeof(skip_reason),
					 "%.500s", line + 6);
			line = nl + 1;
		}
		used = buf + used - line;
		memmove(buf, line, used);
		if (used == sizeof(buf) - 1) {
			printf("[%s] %s\n", t->name, buf);
			used = 0;
		}
	}
	if (used) {
		buf[used] = '\0';
		printf("[%s] %s\n", t->name, buf);
	}
	fflush(stdout);
}

enum outcome { PASSED, FAILED, SKIPPED };

/*
 * The child is the leader of its own process group, so a timeout kills
 * whatever it forked too. A grandchild that outlives the test and keeps
 * the output pipe open is killed the same way once the test is done.
 */
static enum outcome run_one(struct uls_test *t, int nr, int default_timeout)
{
	int timeout = t->timeout_s ? t->timeout_s : default_timeout;
	char reason[512] = "";
	bool timed_out = false, piped = true;
	double start = now();
	int fds[2], status;
	pid_t pid;

	skip_reason[0] = '\0';
	if (pipe2(fds, O_CLOEXEC)) {
		perror("pipe2");
		exit(2);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (!pid) {
		close(fds[0]);
		run_child(t, fds[1]);
	}
	setpgid(pid, pid);
	close(fds[1]);

	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd pfd = { .fd = piped ? fds[0] : -1, .events = POLLIN };
		int left = (int)((start + timeout - now()) * 1000);

		if (left <= 0) {
			timed_out = true;
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		if (poll(&pfd, 1, left < 200 ? left : 200) > 0) {
			relay(t, fds[0], reason, sizeof(reason));
			if (!(pfd.revents & POLLIN))
				piped = false;	/* hung up, drained */
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	kill(-pid, SIGKILL);	/* whatever the test left running */
	relay(t, fds[0], reason, sizeof(reason));
	close(fds[0]);

	if (timed_out)
		snprintf(reason, sizeof(reason), "timed out after %d s", timeout);
	else if (WIFSIGNALED(status))
		snprintf(reason, sizeof(reason), "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) && !reason[0])
		snprintf(reason, sizeof(reason), "exit status %d",
			 WEXITSTATUS(status));

	if (!timed_out && WIFEXITED(status) &&
	    WEXITSTATUS(status) == TEST_SKIPPED) {
		fprintf(results, "ok %d - %s # SKIP %s\n", nr, t->name,
			skip_reason);
		fflush(results);
		printf("[%s] skipped: %s\n", t->name, skip_reason);
		return SKIPPED;
	}
	if (!timed_out && WIFEXITED(status) && !WEXITSTATUS(status)) {
		fprintf(results, "ok %d - %s\n", nr, t->name);
		fflush(results);
		printf("[%s] ok (%.1f s)\n", t->name, now() - start);
		return PASSED;
	}
	/* The reason on a line of its own: TAP reads "# SKIP" on a result. */
	fprintf(results, "not ok %d - %s\n# %s: %s\n", nr, t->name, t->name,
		reason);
	fflush(results);
	printf("[%s] NOT OK (%.1f s): %s\n", t->name, now() - start, reason);
	return FAILED;
}

static struct uls_test *find_test(const char *name)
{
	for (struct uls_test *t = tests; t; t = t->next)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

/*
 * Mark the tests @arg names ("a,b,c"): false, and the known names
 * printed, if one is unknown.
 */
static bool mark(char *arg, bool *marks)
{
	for (char *name = strtok(arg, ","); name; name = strtok(NULL, ",")) {
		struct uls_test *t = find_test(name);
		int i = 0;

		if (!t) {
			fprintf(stderr, "uls_test: no test is named '%s'; the tests are:\n",
				name);
			for (t = tests; t; t = t->next)
				fprintf(stderr, "  %s\n", t->name);
			return false;
		}
		for (struct uls_test *u = tests; u != t; u = u->next)
			i++;
		marks[i] = true;
	}
	return true;
}

int main(int argc, char **argv)
{
	const char *results_path = getenv("ULS_RESULTS");
	int nr_tests = 0, timeout = 120, opt, nr = 0, i;
	int counts[3] = { 0 };	/* by enum outcome */
	bool list = false, any_named = false;
	bool *named, *excluded;
	struct uls_test *t;

	/* What test_lifecycle.c's exec tests exec into. */
	if (argc >= 2 && !strcmp(argv[1], "--exec-helper"))
		return exec_helper(argc - 2, argv + 2);
	/* What test_keys_cost.c's workers exec into. */
	if (keys_cost_worker && argc >= 2 &&
	    !strcmp(argv[1], "--keys-cost-worker"))
		return keys_cost_worker(argc - 2, argv + 2);

	for (t = tests; t; t = t->next)
		nr_tests++;
	named = calloc(nr_tests, sizeof(*named));
	excluded = calloc(nr_tests, sizeof(*excluded));
	if (!named || !excluded)
		return 2;
	while ((opt = getopt(argc, argv, "lr:t:x:")) != -1) {
		switch (opt) {
		case 'l':
			list = true;
			break;
		case 'r':
			results_path = optarg;
			break;
		case 't':
			timeout = atoi(optarg);
			break;
		case 'x':
			if (!mark(optarg, excluded))
				return 2;
			break;
		default:
			fprintf(stderr, "usage: %s [-l] [-r FILE] [-t SECONDS] [-x NAME]... [NAME...]\n",
				argv[0]);
			return 2;
		}
	}
	for (i = optind; i < argc; i++)
		if (!mark(argv[i], named))
			return 2;
	any_named = optind < argc;

	/* What is to run: the plan counts it. */
	for (i = 0; i < nr_tests; i++) {
		named[i] = (named[i] || !any_named) && !excluded[i];
		nr += named[i];
	}
	if (list) {
		for (t = tests, i = 0; t; t = t->next, i++)
			if (named[i])
				printf("%s\n", t->name);
		return 0;
	}

	results = stdout;
	if (results_path && *results_path) {
		results = fopen(results_path, "ae");
		if (!results) {
			perror(results_path);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	fprintf(results, "1..%d\n", nr);
	fflush(results);

	nr = 0;
	for (t = tests, i = 0; t; t = t->next, i++)
		if (named[i])
			counts[run_one(t, ++nr, timeout)]++;
	printf("%d passed, %d failed", counts[PASSED], counts[FAILED]);
	if (counts[SKIPPED])
		printf(", %d skipped", counts[SKIPPED]);
	printf("\n");
	return counts[FAILED] ? 1 : 0;
}
