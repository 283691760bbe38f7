// SPDX-License-Identifier: GPL-2.0
/*
 * uls_test: runs the tests registered with ULS_TEST(), each in a process
 * of its own, and writes one result line per test:
 *
 *	ok <name>
 *	not ok <name> # <first failure, or how it died>
 *	skip <name> # <why: what this kernel lacks>
 *
 * to the results channel: the file named by -r or $ULS_RESULTS, else
 * stdout. Whatever a test prints goes to stdout, prefixed with its name.
 *
 * usage: uls_test [-l] [-r FILE] [-t SECONDS] [-x NAME]... [NAME...]
 *        uls_test --exec-helper REPORT_FD HOLD_FD (see test_lifecycle.c)
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
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	close(out);
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stderr, NULL, _IOLBF, 0);
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

/*
 * The child is the leader of its own process group, so a timeout kills
 * whatever it forked too. A grandchild that outlives the test and keeps
 * the output pipe open is killed the same way once the test is done.
 */
static bool run_one(struct uls_test *t, int default_timeout, FILE *results)
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
		fprintf(results, "skip %s # %s\n", t->name, skip_reason);
		fflush(results);
		printf("[%s] skipped: %s\n", t->name, skip_reason);
		return true;
	}
	if (!timed_out && WIFEXITED(status) && !WEXITSTATUS(status)) {
		fprintf(results, "ok %s\n", t->name);
		fflush(results);
		printf("[%s] ok (%.1f s)\n", t->name, now() - start);
		return true;
	}
	fprintf(results, "not ok %s # %s\n", t->name, reason);
	fflush(results);
	printf("[%s] NOT OK (%.1f s): %s\n", t->name, now() - start, reason);
	return false;
}

static bool listed(const char *name, char **names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *results_path = getenv("ULS_RESULTS");
	char *excluded[64];
	int nr_excluded = 0, timeout = 120, opt, nr_failed = 0, nr_run = 0;
	bool list = false;
	FILE *results = stdout;
	struct uls_test *t;

	/* What test_lifecycle.c's exec tests exec into. */
	if (argc >= 2 && !strcmp(argv[1], "--exec-helper"))
		return exec_helper(argc - 2, argv + 2);

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
			if (nr_excluded < 64)
				excluded[nr_excluded++] = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-l] [-r FILE] [-t SECONDS] [-x NAME]... [NAME...]\n",
				argv[0]);
			return 2;
		}
	}
	if (results_path && *results_path) {
		results = fopen(results_path, "a");
		if (!results) {
			perror(results_path);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (t = tests; t; t = t->next) {
		if (optind < argc && !listed(t->name, argv + optind, argc - optind))
			continue;
		if (listed(t->name, excluded, nr_excluded))
			continue;
		if (list) {
			printf("%s\n", t->name);
			continue;
		}
		nr_run++;
		if (!run_one(t, timeout, results))
			nr_failed++;
	}
	if (!list)
		printf("uls_test: %d run, %d failed\n", nr_run, nr_failed);
	return nr_failed ? 1 : 0;
}
