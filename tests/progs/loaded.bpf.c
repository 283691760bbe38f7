// SPDX-License-Identifier: GPL-2.0
/* A program that loads with or without the module, and says which. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "uls.bpf.h"
#include "loaded.h"

char LICENSE[] SEC("license") = "GPL";

SEC("syscall")
int check_loaded(void *ctx)
{
	if (!uls_loaded())
		return LOADED_NO_MODULE;
	return bpf_uls_len(bpf_get_current_task_btf()) ? LOADED_REGISTERED :
							 LOADED_UNREGISTERED;
}
