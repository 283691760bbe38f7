/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What ulsctl's commands share: the output mode, the JSON writer, how an
 * error is reported, the exit codes; and the commands, one file each.
 */
#ifndef ULSCTL_H
#define ULSCTL_H

#include <stdbool.h>

#include "json.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Exit codes (ulsctl(8)). */
#define EXIT_OK		0
#define EXIT_ERR	1
#define EXIT_USAGE	2
#define EXIT_FEED_OFF	3	/* events status: the feed is off */

/* -j, -p: the command writes JSON to json_wtr, never text. */
extern bool json_output;
extern struct json_writer *json_wtr;

/*
 * An error: "ulsctl: MESSAGE" on stderr, or with -j {"error":"MESSAGE"}
 * as the command's output. Returns EXIT_ERR, for `return p_err(...)`.
 */
int p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same for a command line ulsctl cannot take: EXIT_USAGE. */
int p_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The uls module is loaded (/sys/module/uls); if not, the error that
 * says so has been reported for @cmd.
 */
bool need_module(const char *cmd);

/* Each command gets the words after its name. */
int cmd_info(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_top(int argc, char **argv);

#endif
