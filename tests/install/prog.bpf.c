// SPDX-License-Identifier: GPL-2.0
/*
 * A BPF user of the installed headers: uls.bpf.h (through tld.bpf.h,
 * which includes it), its typed and keyed lookups, and TLD's. Built with
 * uls.pc's bpfincludedir and Cflags only, against a vmlinux.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tld.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct hints {
	u64 preempted;
};

struct tld_keys {
	tld_key_t prio;
};

u64 switches, prio_seen;

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	struct hints *h;
	u64 *n;

	if (!uls_loaded())
		return 0;
	h = uls_get(prev, struct hints);
	if (h && prev_state == 0)
		h->preempted++;
	n = uls_key_get_type(prev, "install-test.switches", u64);
	if (n)
		switches = ++*n;
	return 0;
}

SEC("syscall")
int read_prio(void *ctx)
{
	struct tld_object tld_obj;
	int *p;

	if (tld_object_init(bpf_get_current_task_btf(), &tld_obj))
		return 1;
	p = tld_get_data(&tld_obj, prio, "priority", sizeof(int));
	if (p)
		prio_seen = *p;
	return 0;
}
