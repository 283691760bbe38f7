// SPDX-License-Identifier: GPL-2.0
/*
 * Programs the verifier must refuse, each with the verifier's reason. The
 * messages are the kernel's own; where kernels word them differently, any
 * of the listed forms is accepted.
 */
#include <stdlib.h>

#include <bpf/libbpf.h>

#include "helpers.h"
#include "test.h"
#include "verifier_fail.skel.h"

static void expect_refused(const char *prog_name, const char *const msgs[])
{
	struct verifier_fail *skel = verifier_fail__open();

	if (!ASSERT_OK_PTR(skel, "open verifier_fail.bpf.o"))
		return;
	expect_load_refused(skel->obj, prog_name, msgs);
	verifier_fail__destroy(skel);
}

ULS_TEST(verifier_missing_null_check)
{
	expect_refused("no_null_check",
		       (const char *const[]){ "invalid mem access 'mem_or_null'",
					      "invalid mem access 'rdwr_mem_or_null'",
					      NULL });
}

ULS_TEST(verifier_access_past_size)
{
	expect_refused("past_size",
		       (const char *const[]){ "invalid access to memory, mem_size=8 off=8 size=8",
					      NULL });
}

ULS_TEST(verifier_get_at_past_size)
{
	expect_refused("get_at_past_size",
		       (const char *const[]){ "invalid access to memory, mem_size=4 off=0 size=8",
					      NULL });
}

ULS_TEST(verifier_nonconst_size)
{
	expect_refused("nonconst_size",
		       (const char *const[]){ "R2 is not a const",
					      "must be a known constant",
					      NULL });
}

ULS_TEST(verifier_kprobe_refused)
{
	expect_refused("kprobe_prog",
		       (const char *const[]){ "calling kernel function bpf_uls_get is not allowed",
					      NULL });
}
