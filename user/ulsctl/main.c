// SPDX-License-Identifier: GPL-2.0
/*
 * ulsctl: look at the uls module from the shell, in bpftool's manner:
 *
 *   ulsctl [-j|--json] [-p|--pretty] COMMAND [ARGS]
 *   ulsctl -h|--help		ulsctl -V|--version
 *
 * This file takes the options, picks the command (a unique prefix of its
 * name will do), and owns the output: text, or JSON on stdout with -j,
 * errors included. The commands are in info.c (info, status), stats.c,
 * list.c, events.c and top.c; ulsctl(8) documents them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uls.h"
#include "ulsctl.h"

#define SYS_MODULE		"/sys/module/uls"

bool json_output;
struct json_writer *json_wtr;

static void vreport(const char *fmt, va_list ap)
{
	if (json_output) {
		char *msg = NULL;

		if (vasprintf(&msg, fmt, ap) < 0)
			msg = NULL;
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "error", msg ? msg : "out of memory");
		jsonw_end_object(json_wtr);
		free(msg);
		return;
	}
	fputs("ulsctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int p_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	return EXIT_ERR;
}

int p_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	if (!json_output)
		fputs("Try 'ulsctl help'.\n", stderr);
	return EXIT_USAGE;
}

bool need_module(const char *cmd)
{
	if (!access(SYS_MODULE, F_OK))
		return true;
	p_err("%s: the uls module is not loaded (modprobe uls)", cmd);
	return false;
}

static void usage(FILE *f)
{
	fputs("Usage: ulsctl [OPTIONS] COMMAND [ARGS]\n"
	      "       ulsctl -h | --help\n"
	      "       ulsctl -V | --version\n"
	      "\n"
	      "COMMAND:\n"
	      "  info                      the module's ABI version, features, limits, counters\n"
	      "  status                    /dev/uls and the kfuncs usable? (exit 0 yes, 1 no)\n"
	      "  stats                     every file of /sys/class/misc/uls/stats/ and\n"
	      "                            /sys/module/uls/parameters/\n"
	      "  list [pid PID]            live registrations, and the keys of keyed ones\n"
	      "                            (needs CAP_SYS_ADMIN)\n"
	      "  events enable|disable|status\n"
	      "                            the scheduler-event feed (status: exit 3 when off)\n"
	      "  top [pid PID] [count N]   each registered thread's scheduler events per\n"
	      "                            second, through a monitor view (-j: one snapshot)\n"
	      "  help                      this text\n"
	      "\n"
	      "OPTIONS:\n"
	      "  -j, --json                JSON output, errors as {\"error\": ...}\n"
	      "  -p, --pretty              indented JSON output (implies -j)\n"
	      "  -h, --help                this text\n"
	      "  -V, --version             versions of ulsctl, libuls and the module, its ABI\n"
	      "\n"
	      "Exit status: 0 ok, 1 error, 2 usage, 3 the event feed is off.\n"
	      "See ulsctl(8).\n", f);
}

static int do_help(int argc, char **argv)
{
	if (argc)
		return p_usage("help: takes no arguments");
	/* As bpftool: JSON has no usage text. */
	if (json_output) {
		jsonw_null(json_wtr);
		return EXIT_OK;
	}
	usage(stdout);
	return EXIT_OK;
}

/* The module's version as sysfs has it: NULL when not loaded. */
static const char *module_version(char *buf, size_t size)
{
	FILE *f;

	if (access(SYS_MODULE, F_OK))
		return NULL;
	f = fopen(SYS_MODULE "/version", "re");
	if (!f || !fgets(buf, size, f)) {
		/* Loaded, but built without MODULE_VERSION. */
		snprintf(buf, size, "unknown");
	}
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

#ifdef ULSCTL_NO_EVENTS
#define HAVE_EVENTS false
#else
#define HAVE_EVENTS true
#endif

static int do_version(void)
{
	char buf[64];
	const char *mod = module_version(buf, sizeof(buf));
	struct uls_info info;
	int err = mod ? uls_info(&info) : -ENODEV;

	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "version", ULS_VERSION);
		jsonw_string_field(json_wtr, "libuls", uls_version());
		if (mod)
			jsonw_string_field(json_wtr, "module", mod);
		else
			jsonw_null_field(json_wtr, "module");
		if (!err)
			jsonw_uint_field(json_wtr, "abi_version", info.abi_version);
		else
			jsonw_null_field(json_wtr, "abi_version");
		jsonw_name(json_wtr, "features");
		jsonw_start_object(json_wtr);
		jsonw_bool_field(json_wtr, "events", HAVE_EVENTS);
		jsonw_end_object(json_wtr);
		jsonw_end_object(json_wtr);
		return EXIT_OK;
	}
	printf("ulsctl v%s\n", ULS_VERSION);
	printf("libuls v%s\n", uls_version());
	printf("module %s%s\n", mod ? "v" : "", mod ? mod : "not loaded");
	if (!err)
		printf("abi %u (ulsctl's: %u)\n", info.abi_version, ULS_ABI_VERSION);
	else
		printf("abi - (%s; ulsctl's: %u)\n", mod ? uls_strerror(err) : "module not loaded",
		       ULS_ABI_VERSION);
	printf("features: %s\n", HAVE_EVENTS ? "events" : "(none: built without the event feed)");
	return EXIT_OK;
}

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "info", cmd_info },
	{ "status", cmd_status },
	{ "stats", cmd_stats },
	{ "list", cmd_list },
	{ "events", cmd_events },
	{ "top", cmd_top },
	{ "help", do_help },
};

/* The command @word names, in full or by a prefix no other shares. */
static int dispatch(int argc, char **argv)
{
	const struct cmd *found = NULL;
	size_t i, len = strlen(argv[0]);

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strncmp(argv[0], cmds[i].name, len))
			continue;
		if (len == strlen(cmds[i].name)) {
			found = &cmds[i];
			break;
		}
		if (found)
			return p_usage("'%s' is ambiguous: %s or %s?", argv[0],
				       found->name, cmds[i].name);
		found = &cmds[i];
	}
	if (!len || !found)
		return p_usage("unknown command '%s'", argv[0]);
	return found->fn(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	bool pretty = false, help = false, version = false, bad = false;
	int opt, ret;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "jphV", opts, NULL)) >= 0) {
		switch (opt) {
		case 'p':
			pretty = true;
			/* fall through */
		case 'j':
			json_output = true;
			break;
		case 'h':
			help = true;
			break;
		case 'V':
			version = true;
			break;
		default:
			bad = true;
		}
	}
	if (json_output) {
		json_wtr = jsonw_new(stdout);
		if (!json_wtr) {
			fprintf(stderr, "ulsctl: out of memory\n");
			return EXIT_ERR;
		}
		jsonw_pretty(json_wtr, pretty);
	}
	if (bad)
		ret = optopt ? p_usage("unknown option '-%c'", optopt) :
			       p_usage("unknown option '%s'", argv[optind - 1]);
	else if (help)
		ret = do_help(0, NULL);
	else if (version)
		ret = do_version();
	else if (optind == argc)
		ret = p_usage("no command given");
	else
		ret = dispatch(argc - optind, argv + optind);
	jsonw_destroy(&json_wtr);
	return ret;
}
