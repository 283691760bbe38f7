// SPDX-License-Identifier: GPL-2.0
/*
 * A sleepable program that sleeps as long as the test wants: it faults on
 * a user page that a userfaultfd leaves unanswered. Until it returns, no
 * RCU Tasks Trace grace period ends, and so uls frees nothing.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "stall.h"

char LICENSE[] SEC("license") = "GPL";

__u64 stalls;

SEC("lsm.s/file_ioctl")
int BPF_PROG(stall_in_fault, struct file *file, unsigned int cmd,
	     unsigned long arg)
{
	u64 v;

	if (cmd != STALL_IOCTL_CMD)
		return 0;
	bpf_copy_from_user(&v, sizeof(v), (void *)arg);
	__sync_fetch_and_add(&stalls, 1);
	return 0;
}
