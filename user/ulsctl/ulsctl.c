// SPDX-License-Identifier: GPL-2.0
/*
 * ulsctl: look at the uls module from the shell.
 *
 *   ulsctl info       ABI version, features, limits and live counters
 *   ulsctl status     whether the module and its kfuncs are usable (exit 0)
 *   ulsctl events enable|disable|status
 *                     the scheduler-event feed (events.c)
 */
#include <stdio.h>
#include <string.h>

#include "uls.h"
#include "ulsctl.h"

static int cmd_info(void)
{
	struct uls_info info;
	int err = uls_info(&info);

	if (err) {
		fprintf(stderr, "ulsctl: %s\n", uls_strerror(err));
		return 1;
	}
	printf("abi_version      %u\n", info.abi_version);
	printf("features        %s%s%s%s%s%s%s\n",
	       info.features & ULS_FEAT_MULTI_PAGE ? " multi-page" : "",
	       info.features & ULS_FEAT_GET_AT ? " get_at" : "",
	       info.features & ULS_FEAT_EXIT_EXEC ? " exit-exec" : "",
	       info.features & ULS_FEAT_CHARGED ? " charged" : "",
	       info.features & ULS_FEAT_FREED_SEQ ? " freed-seq" : "",
	       info.features & ULS_FEAT_EXCL ? " excl" : "",
	       info.features & ULS_FEAT_KEY_GET ? " key_get" : "");
	printf("max_len          %llu\n", (unsigned long long)info.max_len);
	printf("page_size        %llu\n", (unsigned long long)info.page_size);
	printf("entries          %llu\n", (unsigned long long)info.nr_entries);
	printf("page_pins        %llu\n",
	       (unsigned long long)info.nr_pinned_pages);
	printf("charged_pages    %llu\n",
	       (unsigned long long)info.nr_charged_pages);
	printf("max_pinned_pages %llu\n",
	       (unsigned long long)info.max_pinned_pages);
	printf("retired_seq      %llu\n", (unsigned long long)info.retired_seq);
	printf("freed_seq        %llu\n", (unsigned long long)info.freed_seq);
	return 0;
}

static int cmd_status(void)
{
	int fd = uls_fd();

	printf("device           %s\n", fd >= 0 ? ULS_DEVICE_PATH : uls_strerror(fd));
	printf("kfuncs           %s\n", uls_module_loaded() ?
	       "available (/sys/kernel/btf/uls)" : "missing: module not loaded");
	return fd >= 0 && uls_module_loaded() ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "info"))
		return cmd_info();
	if (argc == 2 && !strcmp(argv[1], "status"))
		return cmd_status();
	if (argc >= 2 && !strcmp(argv[1], "events"))
		return cmd_events(argc - 2, argv + 2);
	fprintf(stderr, "usage: ulsctl info | status | events enable|disable|status\n");
	return 2;
}
