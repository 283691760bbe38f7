/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run scx_hints in the background, as its tests (tests/test_scx_hints.c)
 * and benchmark (tests/bench/scx_bench.c) do: start it with its output in
 * a file, wait until sched_ext says it is on, stop it with SIGINT.
 */
#ifndef SCX_RUN_H
#define SCX_RUN_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCX_HINTS_BIN	"/bin/scx_hints"
#define SCX_STATE	"/sys/kernel/sched_ext/state"

static inline int scx_read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return -errno;
	if (!fgets(buf, size, f))
		buf[0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	fclose(f);
	return 0;
}

static inline bool scx_state_is(const char *want)
{
	char state[64];

	return !scx_read_line(SCX_STATE, state, sizeof(state)) &&
	       !strcmp(state, want);
}

/*
 * Start scx_hints with @args (NULL-ended, or NULL), its output in @log.
 * Its pid once sched_ext is on (loading takes seconds under TCG);
 * -ECHILD if it exited first, with its status in *@status; -ETIMEDOUT.
 */
static inline pid_t scx_run_start(const char *const *args, const char *log,
				  int *status)
{
	const char *argv[16] = { SCX_HINTS_BIN };
	pid_t pid;
	int i;

	for (i = 1; args && args[i - 1] && i < 15; i++)
		argv[i] = args[i - 1];
	argv[i] = NULL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	for (i = 0; i < 1200 && !scx_state_is("enabled"); i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return -ECHILD;
		usleep(50000);
	}
	if (!scx_state_is("enabled")) {
		kill(pid, SIGKILL);
		waitpid(pid, status, 0);
		return -ETIMEDOUT;
	}
	return pid;
}

/* SIGINT, and its exit status; -1 if it did not exit normally. */
static inline int scx_run_stop(pid_t pid)
{
	int status;

	kill(pid, SIGINT);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#endif /* SCX_RUN_H */
