// SPDX-License-Identifier: GPL-2.0
/* A program that loads with or without the module, and says which. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "uls.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define LOADED_NO_MODULE	1
#define LOADED_UNREGISTERED	2
#define LOADED_REGISTERED	3

SEC("syscall")
int check_loaded(void *ctx)
{
	if (!uls_loaded())
		return LOADED_NO_MODULE;
	return bpf_uls_len(bpf_get_current_task_btf()) ? LOADED_REGISTERED :
							 LOADED_UNREGISTERED;
}
